/* clusterctl plugin SDK: the versioned descriptor a provider exports.
 *
 * ABI 1.0 is FROZEN.  From here on it only grows: members are appended to
 * the end of the structs below and CLUSTERCTL_PLUGIN_ABI_MINOR grows; no
 * member, type or meaning written here changes without a new major.
 * clusterctl-plugin(7) has the whole contract; this header states it in
 * short next to what it governs.
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
 * (C++: fill the struct in a function with CLUSTERCTL_PLUGIN_HEADER_SET();
 * CLUSTERCTL_PLUGIN_DEFINE exports the entry with C linkage.)
 *
 * Compatibility:
 *  - ABI major: the host loads only plugins of its own major.  It changes
 *    when an existing member, type or meaning changes or one is removed.
 *  - ABI minor: members are appended to the end of the structs that carry
 *    a struct_size (and of the host table).  The host reads no further
 *    than the plugin's struct_size and treats missing operations as NULL,
 *    so an old plugin keeps working; a plugin states the minimum host
 *    minor it needs in min_host_minor.  Structs without a size are frozen
 *    for the whole major (the reason is written next to each).
 *  - Event kinds, flags and enum values are only added; a plugin ignores
 *    an event kind or flag bit it does not know.
 *
 * SIZES: every struct that crosses the ABI carries its size or is frozen:
 *   clusterctl_plugin      struct_size, set by CLUSTERCTL_PLUGIN_HEADER
 *   clusterctl_config_key  walked by the descriptor's config_key_size
 *   clusterctl_node, clusterctl_plan_in, clusterctl_plan_out,
 *   clusterctl_ensure_out  struct_size, set by the host (in-structs) or
 *                          set by the host before the call (out-structs,
 *                          zeroed by the host; write only what fits)
 *   host.h: clusterctl_host (struct_size, CLUSTERCTL_HOST_HAS),
 *   clusterctl_run_result, clusterctl_http_response, clusterctl_ip_query
 *   (struct_size set by the PLUGIN with the _INIT macros; the host fills
 *   nothing beyond it), clusterctl_ifaddr and clusterctl_link (frozen).
 *
 * THREADS:
 *  - The host calls a plugin's operations from one thread at a time (on
 *    master serve: the controller's event loop); never two at once.
 *  - Every host service may be called from any thread, also from threads
 *    the plugin started: log, error, config_get, data_dir, run, http_unix,
 *    the netlink services and ip_rank.  error() records the message of the
 *    calling thread; the host reads the message of the thread that ran the
 *    operation, after it returned.
 *  - A plugin that starts threads joins them in fini().  Strings the host
 *    lends in an operation's arguments are valid only during that call;
 *    config_get()/data_dir() strings live as long as the plugin is loaded.
 *
 * Ownership: strings passed in are borrowed for the duration of the
 * call.  Every char * a plugin hands back in an out-struct must come from
 * malloc() (or strdup()); the host frees it with free().
 * Errors: operations return 0 on success or a negative errno value, and
 * explain the failure with host->error() first.  The host prefixes the
 * text with <kind> plugin "<name>": once; do not repeat your name.
 * Fatal or retry: a negative return is for what a PERSON must fix (from
 * init or ensure it stops the run; from plan it answers the node
 * "error"); a state that may pass with TIME is converged = 0 with
 * retry_after from ensure, waiting from plan.  Negative returns from
 * observe, status and node_event are warnings; the run goes on.
 * JSON a plugin hands back (observe, ensure's observed_json, status,
 * plan's payload and record) is checked: observe/ensure/status text that
 * is not a JSON object of at most 64 KiB is dropped with a WARN naming the
 * plugin and the operation; a plan answer that fails is refused.
 * clusterctl-plugin-test (TESTING A PLUGIN in clusterctl-plugin(7)) runs
 * any operation without a cluster and reports every breach of this.
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
#define CLUSTERCTL_PLUGIN_ABI_MINOR 1

/* The one exported symbol. */
#define CLUSTERCTL_PLUGIN_ENTRY_SYMBOL "clusterctl_plugin_entry"

/* master serve: a plan() or node_event() that takes longer than this is
 * logged as a WARN with its time and the plugin's name.  Start slow work
 * in a thread of your own and answer "waiting" meanwhile. */
#define CLUSTERCTL_PLAN_BUDGET_MS 100

enum clusterctl_plugin_kind {
	CLUSTERCTL_PLUGIN_OVERLAY = 1,
	CLUSTERCTL_PLUGIN_STORAGE = 2
};

enum clusterctl_config_type {
	CLUSTERCTL_CONFIG_STRING = 0,
	CLUSTERCTL_CONFIG_INT = 1,  /* checked against [min, max] */
	CLUSTERCTL_CONFIG_BOOL = 2  /* given as true/false, yes/no, on/off, 1/0 (any case);
				       always exactly "true" or "false" in config_get() */
};

/* clusterctl_config_key.flags */
#define CLUSTERCTL_CONFIG_REQUIRED (1u << 0) /* the plugin does not start without a value */
#define CLUSTERCTL_CONFIG_SECRET (1u << 1)   /* the value is never logged or listed */

/* One configuration key a plugin accepts.  The host checks the array
 * when it loads the plugin (a name of lower-case words joined by '-', no
 * duplicates, a default of the key's type inside [min, max], not REQUIRED
 * with a default, --<plugin>-<key> not one of clusterctl's own options)
 * and checks every value as it checks its own options before init.  For
 * a plugin "wireguard" and key "listen-port" the host reads, in rising
 * precedence:
 *     config file:  wireguard = { listen_port = 51820; };
 *     environment:  CLUSTERCTL_WIREGUARD_LISTEN_PORT=51820
 *     flag:         --wireguard-listen-port 51820
 * An array of these ends with an entry whose name is NULL.  The host
 * walks it by the descriptor's config_key_size (sizeof this struct when
 * the plugin was built), so members may be appended in a later minor. */
struct clusterctl_config_key {
	const char *name;          /* lower case, words joined by '-' */
	int type;                  /* enum clusterctl_config_type */
	const char *default_value; /* NULL: unset */
	long long min, max;        /* CLUSTERCTL_CONFIG_INT only */
	const char *help;          /* one line for --help */
	uint32_t flags;            /* CLUSTERCTL_CONFIG_* */
};

/* ---- controller side (master serve) --------------------------------- */

/* What node_event() is told.  A plugin ignores kinds it does not know:
 * later minors may add some. */
enum clusterctl_node_event_kind {
	/* master serve start, once per stored node, before any plan: build
	 * the in-memory index (O(n) once).  node->record_json is what this
	 * plugin stored for the node, NULL when nothing. */
	CLUSTERCTL_NODE_LOADED = 1,
	/* The initial load is complete; node is NULL.  O(n) work may start
	 * now, in a thread of the plugin's own (not on the event loop). */
	CLUSTERCTL_NODE_NODES_READY = 2,
	/* A registration of this node has been recorded by the core, right
	 * after plan() and the store's put, in the same turn of the event
	 * loop: nothing else is planned in between.  node->record_json is
	 * the record now stored for this plugin.  When the put fails no
	 * STORED comes: commit what plan() decided (an address handed out)
	 * to the plugin's index here, not in plan(). */
	CLUSTERCTL_NODE_STORED = 3,
	/* The node is gone from the store (its record with it).  Also sent
	 * for the old identity when a node that registered without a NodeID
	 * comes back with one (then STORED follows for the new identity). */
	CLUSTERCTL_NODE_REMOVED = 4
};

/* One node as the controller stores it.  Strings are borrowed for the
 * call. */
struct clusterctl_node {
	uint64_t struct_size;       /* set by the host */
	const char *node_id;        /* NodeID, or the host name when the node sent none */
	const char *hostname;
	const char *ip;             /* its registered IPv4 address */
	const char *swarm_role;     /* "manager" or "worker": the role it is given */
	int storage_capable;        /* it can host storage (GlusterCapable on the wire) */
	const char *record_json;    /* what this plugin stored for it, or NULL */
};

/* plan_in.flags */
#define CLUSTERCTL_PLAN_NEW_NODE (1u << 0) /* the store has no record of this node yet */

/* Controller side: the registration being answered. */
struct clusterctl_plan_in {
	uint64_t struct_size;       /* set by the host */
	/* The node being answered: ip, hostname and storage_capable as it
	 * registered now, swarm_role as it is given now, record_json the
	 * record this plugin stored for it last time (NULL: none). */
	const struct clusterctl_node *node;
	const char *observed_json;  /* the node's Observed.<Kind> object ("Overlay" or
				       "Storage"), "{}" when absent */
	const char *options_json;   /* the master's provider options (--overlay-config;
				       "{}" for storage and when none) */
	uint32_t flags;             /* CLUSTERCTL_PLAN_* */
};

/* Controller side: the plugin's answer.  The host zeroes it and sets
 * struct_size; the plugin fills what applies. */
struct clusterctl_plan_out {
	uint64_t struct_size;
	char *payload_json;  /* overlay: the OverlayPayload object; storage: the
				StoragePayload object (next step for the node);
				at most 256 KiB, NULL: {} */
	char *record_json;   /* stored by the core with the node (at most 16 KiB of
				JSON) and handed back in plan_in.node->record_json
				and node events; NULL: keep the stored one */
	int waiting;         /* 1: the node must come back before it is "ready" */
	uint32_t retry_after;/* seconds, with waiting (at most 3600) */
	char *message;       /* human-readable, goes into Message (cut at 1 KiB) */
	/* storage only; the core puts them on the wire as GlusterEnabled,
	 * GlusterVolume, GlusterMount and GlusterBrick */
	int storage_enabled;
	char *storage_volume; /* required with storage_enabled */
	char *storage_mount;  /* absolute path, required with storage_enabled */
	char *storage_brick;  /* absolute path; "" or NULL: a client only */
};

/* ---- node side (node join, agent, master init) ------------------------- */

/* ensure_out.flags */
#define CLUSTERCTL_ENSURE_MORE (1u << 0) /* with converged = 0: the controller has more for
					    this node (another page): register again at once */

/* Node side: result of ensure() / master_prepare().
 * Fatal or retry: a NEGATIVE return means a person must act (node join
 * stops and exits 1 with the error); converged = 0 means "not yet": the
 * node registers again (after retry_after seconds, or the host's backoff
 * when 0, or at once with CLUSTERCTL_ENSURE_MORE), within --join-deadline. */
struct clusterctl_ensure_out {
	uint64_t struct_size;
	int converged;        /* 1: at the desired state; 0: register again and retry */
	char *address;        /* overlay: the node's overlay IPv4 address, present on the link */
	char *ifname;         /* overlay: the interface holding it */
	uint32_t mtu;         /* overlay: the link MTU, 0 when unknown */
	char *observed_json;  /* sent as Observed.<Kind> with the next registration,
				 in place of what observe() would say; NULL: ask observe() */
	char *message;
	uint32_t retry_after; /* with converged = 0: seconds before registering again */
	uint32_t flags;       /* CLUSTERCTL_ENSURE_* */
};

struct clusterctl_plugin {
	/* --- header: fixed for every ABI major ------------------------- */
	uint32_t abi_major;       /* CLUSTERCTL_PLUGIN_ABI_MAJOR at build time */
	uint32_t abi_minor;       /* CLUSTERCTL_PLUGIN_ABI_MINOR at build time */
	uint64_t struct_size;     /* sizeof(struct clusterctl_plugin) at build time */
	uint32_t kind;            /* enum clusterctl_plugin_kind */
	uint32_t min_host_minor;  /* oldest host ABI minor this plugin runs on */
	uint32_t config_key_size; /* sizeof(struct clusterctl_config_key) at build time */
	uint32_t reserved0;       /* 0 */
	const char *name;         /* [a-z0-9]+, unique per kind */
	const char *version;
	const char *description;
	const struct clusterctl_config_key *config_keys; /* may be NULL */

	/* --- operations ------------------------------------------------ */
	/* Required.  Called once, only for providers a run uses, after the
	 * host checked every key.  No side effect here on a dry run
	 * (config_get(ctx, "dry-run") is "true"; then init and fini are all
	 * that runs) or under `clusterctl status` (command "status"): the
	 * host creates no data directory for either. */
	int (*init)(const struct clusterctl_host *host, void **state);
	/* Required.  Joins every thread the plugin started. */
	void (*fini)(void *state);

	/* master init: prepare the master itself (an overlay brings its link
	 * up, a storage provider creates its volume).  options_json as in
	 * plan_in.  May be NULL: nothing to do.  Not called on --dry-run. */
	int (*master_prepare)(void *state, const char *options_json,
			      struct clusterctl_ensure_out *out);

	/* master serve, once per valid registration, on the controller's
	 * event loop: within CLUSTERCTL_PLAN_BUDGET_MS, and no work that
	 * grows with the cluster (keep an index from node_event()); start
	 * slow work in the background and answer waiting.  Decide, but
	 * commit in node_event(STORED).  May be NULL: empty payload. */
	int (*plan)(void *state, const struct clusterctl_plan_in *in,
		    struct clusterctl_plan_out *out);

	/* node join: facts to send as Observed.<Kind> (e.g. a public key)
	 * before the first registration, and whenever the last ensure()
	 * returned no observed_json.  *observed_json is malloc'd JSON object
	 * text.  May be NULL. */
	int (*observe)(void *state, char **observed_json);

	/* node join: converge on the controller's payload.  Idempotent. */
	int (*ensure)(void *state, const char *payload_json, struct clusterctl_ensure_out *out);

	/* clusterctl status on this host: a JSON object of at most 64 KiB,
	 * malloc'd, shown beside the controller's view.  Answer at once from
	 * what the plugin can read (a person waits).  May be NULL. */
	int (*status)(void *state, char **status_json);

	/* master serve: the controller's view of the nodes, incrementally
	 * (enum clusterctl_node_event_kind), on the event loop like plan().
	 * A negative return is logged; the run goes on.  May be NULL. */
	int (*node_event)(void *state, int kind, const struct clusterctl_node *node);

	/* ABI minor 1+: append new operations below this line, never above. */

	/* ABI 1.1.  master serve, `clusterctl node remove`: the admin takes
	 * the node out of the cluster for good.  Called on the event loop,
	 * before the core deletes the node's record (node_event(REMOVED)
	 * follows once it is deleted).  Return 0 when the provider can let
	 * the node go (having done, or started, what that takes: a mesh
	 * drops its peer, a storage provider moves its data); a negative
	 * errno with host->error() saying why it cannot (the node is kept,
	 * nothing else is changed): -EBUSY for "not now, retry", -EPERM for
	 * "not without --force" (flags has CLUSTERCTL_FORGET_FORCE when the
	 * admin gave it).  Never delete the node's data.  *message (malloc'd,
	 * may be left NULL) is one line for the admin about what was done.
	 * Absent (a 1.0 plugin): nothing to do. */
	int (*forget)(void *state, const struct clusterctl_node *node, uint32_t flags, char **message);
};

/* forget() flags */
#define CLUSTERCTL_FORGET_FORCE (1u << 0)

#define CLUSTERCTL_PLUGIN_HEADER(kind_, name_, version_, description_)                            \
	.abi_major = CLUSTERCTL_PLUGIN_ABI_MAJOR, .abi_minor = CLUSTERCTL_PLUGIN_ABI_MINOR,        \
	.struct_size = sizeof(struct clusterctl_plugin), .kind = (kind_), .min_host_minor = 0,     \
	.config_key_size = sizeof(struct clusterctl_config_key), .reserved0 = 0, .name = (name_),  \
	.version = (version_), .description = (description_)

/* The same header by assignment, for C++ (no designated initializers
 * before C++20) or a descriptor filled at run time. */
#define CLUSTERCTL_PLUGIN_HEADER_SET(p, kind_, name_, version_, description_)                     \
	do {                                                                                       \
		(p)->abi_major = CLUSTERCTL_PLUGIN_ABI_MAJOR;                                      \
		(p)->abi_minor = CLUSTERCTL_PLUGIN_ABI_MINOR;                                      \
		(p)->struct_size = sizeof(struct clusterctl_plugin);                               \
		(p)->kind = (kind_);                                                               \
		(p)->min_host_minor = 0;                                                           \
		(p)->config_key_size = sizeof(struct clusterctl_config_key);                       \
		(p)->reserved0 = 0;                                                                \
		(p)->name = (name_);                                                               \
		(p)->version = (version_);                                                         \
		(p)->description = (description_);                                                 \
	} while (0)

#if defined(__GNUC__) || defined(__clang__)
#define CLUSTERCTL_PLUGIN_EXPORT __attribute__((visibility("default")))
#else
#define CLUSTERCTL_PLUGIN_EXPORT
#endif

#ifdef __cplusplus
#define CLUSTERCTL_EXTERN_C extern "C"
#else
#define CLUSTERCTL_EXTERN_C
#endif

/* Emits the single exported entry point, with C linkage also when the
 * plugin is C++ (the loader looks for the unmangled name). */
#define CLUSTERCTL_PLUGIN_DEFINE(descriptor)                                                      \
	CLUSTERCTL_EXTERN_C CLUSTERCTL_PLUGIN_EXPORT const struct clusterctl_plugin *              \
	clusterctl_plugin_entry(void);                                                             \
	CLUSTERCTL_EXTERN_C CLUSTERCTL_PLUGIN_EXPORT const struct clusterctl_plugin *              \
	clusterctl_plugin_entry(void)                                                              \
	{                                                                                          \
		return &(descriptor);                                                              \
	}

#ifdef __cplusplus
}
#endif

#endif /* CLUSTERCTL_PLUGIN_H */
