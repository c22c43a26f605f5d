/* The controller <-> node wire protocol, version 1 (protocol.md):
 * incremental framing of one JSON object per connection, case-insensitive
 * decoding and validation of a NodeRegistration (or of the "status"
 * query extension), and encoding of responses with the canonical names.
 *
 * Nothing here does I/O: the controller feeds the bytes it reads and
 * writes the text it gets back, so every rule is unit-testable.
 *
 * Extensions to protocol.md decided here (doc/controller-protocol.md):
 *  - Observed.Swarm = {"NodeID": string, "LocalNodeState": string,
 *    "ControlAvailable": bool, "ClusterID": string, "NodeAddr": string},
 *    each optional; Observed.Overlay / Observed.Storage are objects handed
 *    to the plugins as JSON text.
 *  - {"Query":"status","JoinSecret":"..."} asks for the cluster as the
 *    controller knows it; the answer is Status "ready" with a "Nodes" array.
 *  - {"Query":"remove","Node":"<NodeID or Hostname>","Force":bool,
 *    "JoinSecret":"..."}: clusterctl node remove (node-remove.h).
 *  - Responses may carry "StoragePayload" (the storage plugin's object).
 *  - Version 2 (this one) adds to a registration "OverlayType" and
 *    "StorageType" (the node's providers: a mismatch is refused),
 *    "ClusterctlVersion" (the node's program version) and "Health":
 *    {"Overlay": {...}, "Storage": {...}}, each provider's status()
 *    summarised by the node (node-health.h), for `clusterctl status`.  A controller accepts nodes one
 *    version behind (PROTOCOL_VERSION_MIN), so nodes can be upgraded after
 *    it; a version 1 node sends none of these and none is required. */
#ifndef CLUSTERCTL_PROTOCOL_H
#define CLUSTERCTL_PROTOCOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cc-buf.h"
#include "cc-net.h"

struct json_object;
struct json_tokener;

#define PROTOCOL_VERSION 2
/* The oldest version a controller accepts: one behind. */
#define PROTOCOL_VERSION_MIN (PROTOCOL_VERSION - 1)
#define PROTO_MAX_PROVIDER 64 /* OverlayType, StorageType: plugin names */
#define PROTO_MAX_HEALTH 4096 /* each of Health.Overlay, Health.Storage, as JSON text */
/* Field limits beyond protocol.md's (which only fixes Hostname). */
#define PROTO_MAX_HOSTNAME CC_HOSTNAME_MAX
#define PROTO_MAX_NODE_ID 128
#define PROTO_MAX_SECRET 512
#define PROTO_MAX_SHORT 256 /* OS, DockerVersion, Timestamp, Swarm strings */

/* ---- framing ---------------------------------------------------------- */

enum frame_state { FRAME_MORE = 0, FRAME_DONE = 1, FRAME_ERROR = -1 };

/* Values (objects, arrays, members, elements) a request may hold.  A
 * registration has a few dozen; the cap bounds the tree json-c builds
 * from one request (some 700 bytes a value) before its JoinSecret is
 * checked, whatever a client sends in --max-request-bytes. */
#define FRAME_MAX_VALUES 4096

struct framer {
	/* Where the object ends, found by a scanner whose state is a few
	 * words whatever the request holds: nothing is parsed before the
	 * whole object is there (then once, in one call, bounded by
	 * FRAME_MAX_VALUES and the depth limit). */
	unsigned depth;
	bool in_string, escaped;
	size_t values;
	size_t total;     /* bytes accepted so far */
	size_t max;       /* request size limit */
	bool started;     /* first non-whitespace byte seen */
	int state;        /* enum frame_state */
	struct json_object *obj; /* the request once FRAME_DONE (owned) */
	char *err;        /* why, once FRAME_ERROR (owned) */
	/* The object's bytes so far, read again in one piece at its end
	 * (json-c 0.16 reads some values cut between two calls wrongly). */
	char *seen;
	size_t nseen, cap_seen;
	size_t lead;      /* bytes before the '{' */
};

int framer_init(struct framer *f, size_t max_bytes);
/* Feed bytes as they arrive.  Returns the new state.  Whitespace after
 * the object is ignored, any other byte after it (in this call or a later
 * one) makes the request invalid; once ERROR nothing changes. */
int framer_feed(struct framer *f, const char *buf, size_t len);
/* The peer closed its sending side: an unfinished object is an error. */
int framer_eof(struct framer *f);
/* Hand over the decoded object (the framer no longer owns it). */
struct json_object *framer_take(struct framer *f);
void framer_free(struct framer *f);

/* ---- requests --------------------------------------------------------- */

enum proto_role { PROTO_ROLE_WORKER = 0, PROTO_ROLE_MANAGER = 1 };

struct observed_swarm {
	bool present;
	char *node_id, *local_state, *cluster_id, *node_addr; /* NULL when absent */
	bool control_available;
};

struct registration {
	char *hostname;
	int role;              /* enum proto_role */
	char ip[16];
	char *os;              /* NULL when absent */
	int64_t cpu;           /* -1 when absent */
	int64_t memory;        /* -1 when absent */
	char *docker_version;
	bool gluster_capable;
	char *timestamp;
	int protocol_version;  /* 0 when absent */
	char *node_id;         /* NULL when absent */
	char *overlay_type;    /* the node's providers, NULL when absent */
	char *storage_type;
	char *clusterctl_version; /* NULL when absent */
	char *health_overlay;  /* Health.Overlay / .Storage: JSON object text, NULL when absent */
	char *health_storage;
	char *observed_overlay; /* JSON object text, NULL when absent */
	char *observed_storage;
	struct observed_swarm swarm;
	/* Set by the controller, not the wire: asked for manager without
	 * the manager token, so registered as a worker. */
	bool manager_denied;
};

enum request_kind { REQ_REGISTER = 0, REQ_STATUS = 1, REQ_REMOVE = 2 };

struct request {
	int kind;              /* enum request_kind */
	char *join_secret;     /* NULL when absent */
	struct registration reg; /* REQ_REGISTER */
	/* REQ_REMOVE: {"Query":"remove","Node":NodeID or Hostname,"Force":bool} */
	char *remove_node;
	bool remove_force;
};

/* Decode and validate a request object.  On failure returns -EINVAL and
 * *err (malloc'd) names the problem for a person ("Hostname must be ..."). */
int protocol_decode(struct json_object *obj, struct request *out, char **err);
void request_free(struct request *r);

/* Validators, exported for tests and for the status command. */
bool proto_ipv4_valid(const char *s);
bool proto_rfc3339_valid(const char *s);
bool proto_node_id_valid(const char *s);
const char *proto_role_name(int role);

/* ---- responses -------------------------------------------------------- */

enum proto_status { PROTO_READY = 0, PROTO_WAITING = 1, PROTO_ERROR = 2 };
const char *proto_status_name(int status);

struct response {
	int status;                  /* enum proto_status */
	/* ready only: the encoder drops these from any other answer */
	int swarm_role;
	const char *swarm_join_token;
	const char *swarm_manager_addr;
	const char *overlay_type;
	const char *overlay_payload; /* JSON object text; NULL: {} */
	bool gluster_enabled;
	const char *gluster_volume, *gluster_mount, *gluster_brick;
	const char *storage_payload; /* JSON object text; NULL: omitted */
	/* counts: always sent when have_counts; thresholds with waiting */
	bool have_counts;
	unsigned registered_managers, registered_workers;
	unsigned min_managers, min_workers;
	unsigned retry_after;        /* 0: omitted */
	const char *error;           /* error only */
	const char *message;         /* optional */
};

/* One line of JSON ending in "\n", malloc'd; NULL on out of memory. */
char *protocol_encode_response(const struct response *r, size_t *len);
char *protocol_encode_error(const char *error, size_t *len);

/* JSON string literal (with quotes) of s appended to sb. */
struct cc_buf;
void json_append_string(struct cc_buf *sb, const char *s);

#endif
