/* clusterctl plugin SDK: the versioned descriptor a provider exports.
 *
 * A plugin is a shared object exporting exactly one symbol,
 * clusterctl_plugin_entry, which returns a pointer to a static
 * struct clusterctl_plugin.  Write it with CLUSTERCTL_PLUGIN_DEFINE():
 *
 *     #include <clusterctl/plugin.h>
 *     static const struct clusterctl_plugin my_plugin = {
 *         CLUSTERCTL_PLUGIN_HEADER(CLUSTERCTL_PLUGIN_OVERLAY, "mynet", "1.0",
 *                                  "My overlay network"),
 *         .init = my_init, .fini = my_fini, .ensure = my_ensure, ...
 *     };
 *     CLUSTERCTL_PLUGIN_DEFINE(my_plugin)
 *
 * and build it with
 *     cc -shared -fPIC $(pkg-config --cflags clusterctl-plugin) my.c -o overlay-mynet.so
 *
 * Compatibility (clusterctl-plugin(7) has the whole text):
 *  - ABI major: the host loads only plugins of its own major.  It changes
 *    when an existing field or semantic changes.
 *  - ABI minor: members are appended to the end of these structs.  The
 *    host reads no further than the plugin's struct_size and treats
 *    missing operations as NULL, so an old plugin keeps working; a plugin
 *    states the minimum host minor it needs in min_host_minor.
 *
 * Ownership: strings passed in are borrowed for the duration of the
 * call.  Every char * a plugin hands back in an out-struct must come from
 * malloc() (or strdup()); the host frees it with free().
 * Errors: operations return 0 on success or a negative errno value, and
 * explain the failure with host->error() first.
 */
#ifndef CLUSTERCTL_PLUGIN_H
#define CLUSTERCTL_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#include <clusterctl/host.h>

#ifdef __cplusplus
extern "C" {
#endif

#define CLUSTERCTL_PLUGIN_ABI_MAJOR 1
#define CLUSTERCTL_PLUGIN_ABI_MINOR 0

/* The one exported symbol. */
#define CLUSTERCTL_PLUGIN_ENTRY_SYMBOL "clusterctl_plugin_entry"

enum clusterctl_plugin_kind {
	CLUSTERCTL_PLUGIN_OVERLAY = 1,
	CLUSTERCTL_PLUGIN_STORAGE = 2
};

enum clusterctl_config_type {
	CLUSTERCTL_CONFIG_STRING = 0,
	CLUSTERCTL_CONFIG_INT = 1,  /* checked against [min, max] */
	CLUSTERCTL_CONFIG_BOOL = 2  /* "true"/"false" in config_get() */
};

/* One configuration key a plugin accepts.  For a plugin "wireguard" and
 * key "listen-port" the host reads, in rising precedence:
 *     config file:  wireguard = { listen_port = 51820; };
 *     environment:  CLUSTERCTL_WIREGUARD_LISTEN_PORT=51820
 *     flag:         --wireguard-listen-port 51820
 * An array of these ends with an entry whose name is NULL. */
struct clusterctl_config_key {
	const char *name;          /* lower case, words joined by '-' */
	int type;                  /* enum clusterctl_config_type */
	const char *default_value; /* NULL: unset */
	long long min, max;        /* CLUSTERCTL_CONFIG_INT only */
	const char *help;          /* one line for --help */
};

/* Controller side: what the core knows about the node being answered. */
struct clusterctl_plan_in {
	uint64_t struct_size;       /* set by the host */
	const char *node_id;        /* NodeID, or the host name when the node sent none */
	const char *hostname;
	const char *ip;             /* the node's registered IPv4 address */
	const char *swarm_role;     /* "manager" or "worker": the role the node is given */
	int gluster_capable;        /* GlusterCapable from the registration */
	const char *observed_json;  /* the node's Observed.<Kind> object ("Overlay" or
				       "Storage"), "{}" when absent */
	const char *record_json;    /* what this plugin's last plan stored for the node, or NULL */
	const char *cluster_json;   /* JSON array, one {"NodeID","Hostname","IP","Role","Record"}
				       per other known node; Record is null when none */
	const char *options_json;   /* the master's provider options (--overlay-config), "{}" */
};

/* Controller side: the plugin's answer.  The host zeroes it and sets
 * struct_size; the plugin fills what applies. */
struct clusterctl_plan_out {
	uint64_t struct_size;
	char *payload_json;  /* overlay: the OverlayPayload object; storage: the
				StoragePayload object (next step for the node) */
	char *record_json;   /* persisted by the core with the node, handed back as
				record_json next time and to other nodes in cluster_json */
	int waiting;         /* 1: the node must come back before it is "ready" */
	uint32_t retry_after;/* seconds, with waiting */
	char *message;       /* human-readable, goes into Message */
	/* storage only: the Gluster* fields of the response */
	int storage_enabled;
	char *storage_volume;
	char *storage_mount;
	char *storage_brick; /* "" or NULL: client only */
};

/* Node side: result of ensure() / master_prepare(). */
struct clusterctl_ensure_out {
	uint64_t struct_size;
	int converged;        /* 1: at the desired state; 0: register again and retry */
	char *address;        /* overlay: the node's overlay IPv4 address, present on the link */
	char *ifname;         /* overlay: the interface holding it */
	uint32_t mtu;         /* overlay: the link MTU, 0 when unknown */
	char *observed_json;  /* what to send as Observed.<Kind> next time */
	char *message;
};

struct clusterctl_plugin {
	/* --- header: fixed for every ABI major ------------------------- */
	uint32_t abi_major;       /* CLUSTERCTL_PLUGIN_ABI_MAJOR at build time */
	uint32_t abi_minor;       /* CLUSTERCTL_PLUGIN_ABI_MINOR at build time */
	uint64_t struct_size;     /* sizeof(struct clusterctl_plugin) at build time */
	uint32_t kind;            /* enum clusterctl_plugin_kind */
	uint32_t min_host_minor;  /* oldest host ABI minor this plugin runs on */
	const char *name;         /* [a-z0-9]+, unique per kind */
	const char *version;
	const char *description;
	const struct clusterctl_config_key *config_keys; /* may be NULL */

	/* --- operations ------------------------------------------------ */
	/* Required.  Called once, only for providers a run uses. */
	int (*init)(const struct clusterctl_host *host, void **state);
	void (*fini)(void *state);

	/* master init: prepare the master itself (an overlay brings its link
	 * up, a storage provider creates its volume).  options_json as in
	 * plan_in.  May be NULL: nothing to do. */
	int (*master_prepare)(void *state, const char *options_json,
			      struct clusterctl_ensure_out *out);

	/* master serve, once per valid registration, on the controller's
	 * event loop: it must return within ~100 ms; start slow work in the
	 * background and answer waiting.  May be NULL: empty payload. */
	int (*plan)(void *state, const struct clusterctl_plan_in *in,
		    struct clusterctl_plan_out *out);

	/* node join: facts to send as Observed.<Kind> before the first
	 * registration (e.g. a public key).  *observed_json is malloc'd.
	 * May be NULL. */
	int (*observe)(void *state, char **observed_json);

	/* node join: converge on the controller's payload.  Idempotent. */
	int (*ensure)(void *state, const char *payload_json, struct clusterctl_ensure_out *out);

	/* clusterctl status on a node: a JSON object, malloc'd. May be NULL. */
	int (*status)(void *state, char **status_json);

	/* ABI minor 1+: append new operations below this line, never above. */
};

#define CLUSTERCTL_PLUGIN_HEADER(kind_, name_, version_, description_)                            \
	.abi_major = CLUSTERCTL_PLUGIN_ABI_MAJOR, .abi_minor = CLUSTERCTL_PLUGIN_ABI_MINOR,        \
	.struct_size = sizeof(struct clusterctl_plugin), .kind = (kind_), .min_host_minor = 0,     \
	.name = (name_), .version = (version_), .description = (description_)

#if defined(__GNUC__) || defined(__clang__)
#define CLUSTERCTL_PLUGIN_EXPORT __attribute__((visibility("default")))
#else
#define CLUSTERCTL_PLUGIN_EXPORT
#endif

/* Emits the single exported entry point. */
#define CLUSTERCTL_PLUGIN_DEFINE(descriptor)                                                      \
	CLUSTERCTL_PLUGIN_EXPORT const struct clusterctl_plugin *clusterctl_plugin_entry(void);    \
	CLUSTERCTL_PLUGIN_EXPORT const struct clusterctl_plugin *clusterctl_plugin_entry(void)     \
	{                                                                                          \
		return &(descriptor);                                                              \
	}

#ifdef __cplusplus
}
#endif

#endif /* CLUSTERCTL_PLUGIN_H */
