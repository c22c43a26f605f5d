/* clusterctl plugin SDK: the services the core lends to a plugin.
 *
 * Installed as <clusterctl/host.h>; included by <clusterctl/plugin.h>.
 * C99, no core internals.  Part of the frozen ABI 1.0: members are only
 * ever appended, and a plugin checks host->struct_size
 * (CLUSTERCTL_HOST_HAS) before calling a member that was added after the
 * minor it was compiled against.  Every service may be called from any
 * thread (see THREADS in <clusterctl/plugin.h>).
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

/* Outcome of clusterctl_host.run().  The plugin sets struct_size
 * (CLUSTERCTL_RUN_RESULT_INIT); the host fills nothing beyond it.  Every
 * pointer is owned by the host and released with run_result_free(). */
struct clusterctl_run_result {
	uint64_t struct_size;
	int exit_status;  /* exit code, or -1 when killed by a signal / timeout */
	int term_signal;  /* signal that ended the child, 0 if none */
	int timed_out;    /* 1 when the host killed the child at the deadline */
	char *out;        /* NUL-terminated captured stdout (may hold NULs) */
	size_t out_len;
	char *err;        /* NUL-terminated captured stderr */
	size_t err_len;
};

/* Outcome of clusterctl_host.http_unix(); the plugin sets struct_size
 * (CLUSTERCTL_HTTP_RESPONSE_INIT); free with http_response_free(). */
struct clusterctl_http_response {
	uint64_t struct_size;
	long status;        /* HTTP status code */
	char *body;         /* NUL-terminated body (may hold NULs) */
	size_t body_len;
	char *content_type; /* may be NULL */
};

#define CLUSTERCTL_RUN_RESULT_INIT {.struct_size = sizeof(struct clusterctl_run_result)}
#define CLUSTERCTL_HTTP_RESPONSE_INIT {.struct_size = sizeof(struct clusterctl_http_response)}

/* One IPv4 address as seen by rtnetlink (RTM_GETADDR + RTM_GETLINK).
 * Frozen for ABI 1 (handed out as arrays, so it cannot grow): these are
 * the kernel's facts a plugin needs; a later minor adds a service rather
 * than a member. */
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

/* One link as seen by rtnetlink (RTM_GETLINK).  Frozen for ABI 1, like
 * clusterctl_ifaddr. */
struct clusterctl_link {
	uint32_t ifindex;
	uint32_t flags;      /* IFF_* */
	uint32_t mtu;
	uint8_t operstate;   /* IF_OPER_* */
	char kind[16];
};

/* ip_rank(): which of this host's addresses a plugin wants. */
struct clusterctl_ip_query {
	uint64_t struct_size;        /* CLUSTERCTL_IP_QUERY_INIT */
	const char *include_ifnames; /* comma-separated fnmatch(3) patterns: only
					interfaces named so; NULL: any name */
	const char *exclude_ifnames; /* comma-separated patterns left out, on top of the
					admin's --exclude-interfaces; NULL: none */
	uint32_t flags;              /* CLUSTERCTL_IP_* */
};
#define CLUSTERCTL_IP_QUERY_INIT {.struct_size = sizeof(struct clusterctl_ip_query)}
#define CLUSTERCTL_IP_NO_CGNAT (1u << 0)    /* leave out 100.64.0.0/10 (overlay addresses) */
#define CLUSTERCTL_IP_NO_LOOPBACK (1u << 1) /* leave out loopback addresses */

/* nl_transact(): a data message of the reply (one struct nlmsghdr and
 * its payload, len bytes = nlmsg_len).  The host has checked that the
 * message and its padding to the next 4-byte boundary lie inside the
 * datagram, so libmnl's attribute walk (which runs to the padded end)
 * stays in bounds.  Return 0 to go on, a negative errno to stop the
 * transaction with that error. */
typedef int (*clusterctl_nl_msg_cb)(void *arg, const void *msg, size_t len);
/* nl_transact(): the kernel interrupted a dump (NLM_F_DUMP_INTR) and the
 * host starts it again: forget what on_msg collected. */
typedef void (*clusterctl_nl_restart_cb)(void *arg);

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
	 * failed (for the calling thread).  The op then returns a negative
	 * errno value.  Say what failed and what fixes it; the host adds
	 * <kind> plugin "<name>": in front. */
	void (*error)(void *ctx, const char *fmt, ...) CLUSTERCTL_PRINTF(2, 3);

	/* Value of one of the plugin's own config keys (declared in its
	 * descriptor, already validated and defaulted by the host), or of a
	 * host key named in clusterctl-plugin(7): "hostname", "node-ip",
	 * "state-dir", "node-state-dir", "role", "master", "command",
	 * "dry-run", "options".  NULL when unset.  The string is borrowed
	 * for the plugin's lifetime. */
	const char *(*config_get)(void *ctx, const char *key);

	/* The plugin's private directory for node-local state such as keys
	 * (<node-state-dir>/plugins/<name>, mode 0700), created when the
	 * plugin starts; on a dry run it is named but not created.  NULL when
	 * it cannot exist.  Borrowed string. */
	const char *(*data_dir)(void *ctx);

	/* Run argv[0] (searched in PATH when it has no '/') with argv, never a
	 * shell.  `env_extra` (NULL-terminated "K=V" list, may be NULL) is
	 * added to the environment; use it to hand secrets to a CLI without
	 * putting them in argv.  `stdin_data` (may be NULL) is written to the
	 * child's stdin.  timeout_ms covers the whole run, the child's exit too:
	 * then its process group gets SIGTERM, SIGKILL a second later, and
	 * res->timed_out is 1 (exit_status -1).  Returns 0 when
	 * the program ran (whatever its exit status), -errno when it could not
	 * be started; res is filled in either case (-EINVAL, untouched, when
	 * res->struct_size is not set). */
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

	/* This host's IPv4 addresses a plugin may use, best first, by the
	 * core's own rules (clusterctl(8), IP DETECTION: CGNAT, RFC 1918,
	 * other, loopback; links up; no tentative, DAD-failed or deprecated
	 * address; the admin's --exclude-interfaces), narrowed by q (NULL:
	 * no narrowing).  *out is malloc'd (free()), *n may be 0. */
	int (*ip_rank)(void *ctx, const struct clusterctl_ip_query *q, struct clusterctl_ifaddr **out,
		       size_t *n);

	/* Create a link of IFLA_INFO_KIND `kind` ("wireguard", ...):
	 * -EEXIST when one has the name, -EOPNOTSUPP when the kernel lacks
	 * the kind.  link_del removes one (-ENODEV: none). */
	int (*link_add)(void *ctx, const char *ifname, const char *kind);
	int (*link_del)(void *ctx, const char *ifname);

	/* Generic netlink family id of `name`; -ENOENT when the kernel has
	 * no such family. */
	int (*genl_family)(void *ctx, const char *name, uint16_t *id);
	/* One netlink transaction on `protocol` (NETLINK_ROUTE = 0 or
	 * NETLINK_GENERIC = 16): `req` holds one request message (struct
	 * nlmsghdr first, at most 64 KiB).  The host opens a fresh socket,
	 * sets the sequence number and NLM_F_REQUEST|NLM_F_ACK, bounds every
	 * receive by a timeout, checks the sequence number and port id of
	 * each reply, hands each data message to on_msg (may be NULL), and
	 * turns an NLMSG_ERROR into its -errno.  A dump (NLM_F_DUMP) that the
	 * kernel marks interrupted is started again on a fresh socket after
	 * on_restart (may be NULL) a few times, then -EAGAIN.  0 when the
	 * kernel acknowledged the request or ended the dump. */
	int (*nl_transact)(void *ctx, int protocol, const void *req, size_t req_len,
			   clusterctl_nl_msg_cb on_msg, clusterctl_nl_restart_cb on_restart, void *arg);

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
