/* clusterctl plugin SDK: the services the core lends to a plugin.
 *
 * Installed as <clusterctl/host.h>; included by <clusterctl/plugin.h>.
 * C99, no core internals.  The compatibility rules are in
 * clusterctl-plugin(7): fields are only ever appended, and a plugin must
 * check host->struct_size (CLUSTERCTL_HOST_HAS) before calling a member
 * that was added after the minor version it was compiled against.
 */
#ifndef CLUSTERCTL_HOST_H
#define CLUSTERCTL_HOST_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__) || defined(__clang__)
#define CLUSTERCTL_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#else
#define CLUSTERCTL_PRINTF(fmt, args)
#endif

enum clusterctl_log_level {
	CLUSTERCTL_LOG_DEBUG = 0,
	CLUSTERCTL_LOG_INFO = 1,
	CLUSTERCTL_LOG_WARN = 2,
	CLUSTERCTL_LOG_ERROR = 3
};

/* Outcome of clusterctl_host.run().  Every pointer is owned by the host
 * and released with clusterctl_host.run_result_free(). */
struct clusterctl_run_result {
	int exit_status;  /* exit code, or -1 when killed by a signal / timeout */
	int term_signal;  /* signal that ended the child, 0 if none */
	int timed_out;    /* 1 when the host killed the child at the deadline */
	char *out;        /* NUL-terminated captured stdout (may hold NULs) */
	size_t out_len;
	char *err;        /* NUL-terminated captured stderr */
	size_t err_len;
};

/* Outcome of clusterctl_host.http_unix(); free with http_response_free(). */
struct clusterctl_http_response {
	long status;        /* HTTP status code */
	char *body;         /* NUL-terminated body (may hold NULs) */
	size_t body_len;
	char *content_type; /* may be NULL */
};

/* One IPv4 address as seen by rtnetlink (RTM_GETADDR + RTM_GETLINK). */
struct clusterctl_ifaddr {
	char ifname[16];     /* IFNAMSIZ, NUL-terminated */
	uint32_t ifindex;
	uint32_t link_flags; /* IFF_* of the link */
	uint32_t addr_flags; /* IFA_F_* of the address */
	uint8_t prefixlen;
	uint8_t scope;       /* RT_SCOPE_* */
	char addr[16];       /* dotted quad, NUL-terminated */
	char kind[16];       /* IFLA_INFO_KIND, "" when the kernel gave none */
};

/* One link as seen by rtnetlink (RTM_GETLINK). */
struct clusterctl_link {
	uint32_t ifindex;
	uint32_t flags;      /* IFF_* */
	uint32_t mtu;
	uint8_t operstate;   /* IF_OPER_* */
	char kind[16];
};

/* The host services table.  The host owns it; it lives as long as the
 * plugin is loaded.  `ctx` is the opaque first argument of every call: it
 * tells the host which plugin is speaking (log lines carry plugin=<name>). */
struct clusterctl_host {
	uint64_t struct_size; /* sizeof(struct clusterctl_host) in the host */
	uint32_t abi_major;
	uint32_t abi_minor;
	void *ctx;

	/* A log line "[utc] - [LEVEL] - message plugin=<name>".  Never pass
	 * secrets: the host does not redact. */
	void (*log)(void *ctx, int level, const char *fmt, ...) CLUSTERCTL_PRINTF(3, 4);

	/* Record the human message explaining why the current operation
	 * failed.  The op then returns a negative errno value. */
	void (*error)(void *ctx, const char *fmt, ...) CLUSTERCTL_PRINTF(2, 3);

	/* Value of one of the plugin's own config keys (declared in its
	 * descriptor, already validated and defaulted by the host), or of a
	 * host key named in clusterctl-plugin(7) ("hostname", "node-ip",
	 * "state-dir", "node-state-dir", "role", "master").  NULL when unset.
	 * The string is borrowed for the plugin's lifetime. */
	const char *(*config_get)(void *ctx, const char *key);

	/* A private directory (mode 0700, created on first call) where the
	 * plugin keeps node-local state such as keys.  Borrowed string. */
	const char *(*data_dir)(void *ctx);

	/* Run argv[0] (searched in PATH when it has no '/') with argv, never a
	 * shell.  `env_extra` (NULL-terminated "K=V" list, may be NULL) is
	 * added to the environment; use it to hand secrets to a CLI without
	 * putting them in argv.  `stdin_data` (may be NULL) is written to the
	 * child's stdin.  The child is killed after timeout_ms.  Returns 0 when
	 * the program ran (whatever its exit status), -errno when it could not
	 * be started; res is filled in either case. */
	int (*run)(void *ctx, const char *const argv[], const char *const env_extra[],
		   const char *stdin_data, int timeout_ms, struct clusterctl_run_result *res);
	void (*run_result_free)(struct clusterctl_run_result *res);

	/* One HTTP/1.1 request over a unix socket.  `url` is absolute
	 * ("http://local-tailscaled.sock/localapi/v0/status").  `headers` is
	 * a NULL-terminated list of "Name: value" lines, may be NULL.  Returns
	 * 0 when a response arrived (any status), -errno otherwise
	 * (-ECONNREFUSED, -ENOENT for a missing socket, -ETIMEDOUT). */
	int (*http_unix)(void *ctx, const char *socket_path, const char *method,
			 const char *url, const char *const headers[], const char *body,
			 size_t body_len, int timeout_ms, struct clusterctl_http_response *resp);
	void (*http_response_free)(struct clusterctl_http_response *resp);

	/* rtnetlink.  addr_list returns every IPv4 address in *out (free with
	 * free()), n in *count. */
	int (*addr_list)(void *ctx, struct clusterctl_ifaddr **out, size_t *count);
	/* -ENODEV when no such link. */
	int (*link_get)(void *ctx, const char *ifname, struct clusterctl_link *out);
	/* Bring a link up (up=1) or down (up=0); set its MTU when mtu > 0. */
	int (*link_set)(void *ctx, const char *ifname, int up, uint32_t mtu);
	/* Add an IPv4 address; an address already present is success. */
	int (*addr_add)(void *ctx, const char *ifname, const char *addr, uint8_t prefixlen);
	int (*addr_del)(void *ctx, const char *ifname, const char *addr, uint8_t prefixlen);

	/* ABI minor 1+: append new services below this line, never above. */
};

/* True when the host table has member `m`: use before calling anything
 * newer than CLUSTERCTL_PLUGIN_ABI_MINOR 0. */
#define CLUSTERCTL_HOST_HAS(host, m)                                                              \
	((host)->struct_size >= offsetof(struct clusterctl_host, m) + sizeof((host)->m) &&          \
	 (host)->m != NULL)

#ifdef __cplusplus
}
#endif

#endif /* CLUSTERCTL_HOST_H */
