/* The one client of the controller (protocol.md): `node join`, `agent`
 * and `status` talk to it through here.  One address rule (common/'s
 * ip:port), one reply cap, one deadline per exchange, and typed decoding:
 * every field's JSON type and length is checked, and every error names
 * the controller's address.
 *
 * The steps on the wire are one small transport (connect, write_all,
 * read_bounded, close), so TLS goes in there and nowhere else. */
#ifndef CLUSTERCTL_CTL_CLIENT_H
#define CLUSTERCTL_CTL_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "node-identity.h"

/* The largest answer read from a controller.  A registration answer is a
 * few KiB (its payloads at most 256 KiB each); a status answer is about
 * 0.5 KiB a node, so this holds the status of some 30,000 nodes. */
#define CTL_REPLY_MAX (16u << 20)
/* Nested objects in an answer: the status' Nodes[].Swarm is 3 deep; a
 * plugin's payload may nest, but not without bound. */
#define CTL_REPLY_DEPTH 64
/* An OverlayPayload or StoragePayload, as JSON text (the controller
 * refuses a plugin's payload over 256 KiB; its rendering may differ). */
#define CTL_PAYLOAD_MAX (512u << 10)

/* ---- transport ---------------------------------------------------------- */

struct ctl_transport {
	int fd;
	const char *addr;  /* "ip:port" as given, for messages */
	int64_t deadline;  /* cc_mono_ms() time the whole exchange must end by */
	void *ssl;         /* the TLS session (an SSL *), NULL in plaintext */
};

/* How this process talks to the controller (set once, before the first
 * exchange).  TLS 1.3 by default: the controller must present the key
 * the join token pins (or fallback_pin, the key's pin read on the master
 * itself), and JoinSecret goes as a proof bound to the connection
 * (tls.h), never as the secret.  plaintext (--insecure-plaintext) is
 * protocol.md's bare wire format: the secret in the clear. */
void ctl_client_set_plaintext(bool plaintext);
void ctl_client_set_fallback_pin(const char *pin_hex);
/* The node's own key (<node_state_dir>/node.key, made on first use,
 * 0600), presented as its TLS client certificate: the controller pins a
 * NodeID to it on the first registration (node-auth.h). */
int ctl_client_set_identity(const char *node_state_dir, char **err);

/* Connect, and in TLS check the controller's key against pin_hex (64
 * hex digits) before anything is sent: -EKEYREJECTED with *err saying
 * which key it presented.  pin_hex NULL: plaintext. */
int ctl_transport_connect_tls(struct ctl_transport *t, const char *addr, const char *pin_hex, int64_t deadline,
			      char **err);

/* Connect to addr ("a.b.c.d:port") before deadline.  0, or -errno with
 * *err naming the address (-EINVAL: not ip:port). */
int ctl_transport_connect(struct ctl_transport *t, const char *addr, int64_t deadline, char **err);
int ctl_transport_write_all(struct ctl_transport *t, const void *buf, size_t len, char **err);
/* Everything up to the controller's close, NUL-terminated: -EMSGSIZE past
 * max bytes, -ETIMEDOUT at the deadline, -EPROTO when nothing came. */
int ctl_transport_read_bounded(struct ctl_transport *t, size_t max, char **out, size_t *len, char **err);
void ctl_transport_close(struct ctl_transport *t);

/* One request, one answer (protocol.md: one of each per connection),
 * within timeout_ms, at most CTL_REPLY_MAX bytes.  The request's
 * JoinSecret may be a join token (join-token.h) or a bare secret: what
 * goes on the wire is the proof (TLS) or the bare secret (plaintext).
 * -EKEYREJECTED: the controller's key is not the pinned one (a person
 * must act; retrying does not help). */
int ctl_exchange(const char *addr, const char *request, int timeout_ms, char **reply, size_t *len,
		 char **err);

/* ---- registration --------------------------------------------------------- */

struct node_report {
	const struct node_identity *id;
	const char *role;             /* asked for */
	const char *join_secret;      /* may be NULL */
	const char *docker_version;   /* may be NULL */
	bool gluster_capable;
	const char *observed_overlay; /* JSON object text or NULL */
	const char *observed_storage;
	const char *observed_swarm;
	const char *overlay_type;     /* this node's providers (the controller refuses others) */
	const char *storage_type;
	const char *health_overlay;   /* their status() summarised (node-health.h), or NULL */
	const char *health_storage;
};

/* NodeRegistration text (one JSON object and "\n"), malloc'd; NULL on
 * ENOMEM. */
char *ctl_build_registration(const struct node_report *r);

enum answer_status { ANSWER_READY = 0, ANSWER_WAITING = 1, ANSWER_ERROR = 2 };

struct controller_answer {
	int status;
	char *swarm_role, *join_token, *manager_addr, *overlay_type;
	char *overlay_payload; /* JSON object text, "{}" when absent */
	char *storage_payload; /* JSON object text, "{}" when absent */
	bool gluster_enabled;
	char *gluster_volume, *gluster_mount, *gluster_brick;
	long long registered_managers, registered_workers, min_managers, min_workers; /* -1: absent */
	unsigned retry_after;  /* s, at most 3600 */
	char *error, *message;
};

/* Decode and check the answer from the controller at addr.  0, or
 * -EPROTO (-ENOMEM) with *err saying what was wrong and naming addr. */
int ctl_decode_answer(const char *addr, const char *text, size_t len, struct controller_answer *a,
		      char **err);
void controller_answer_free(struct controller_answer *a);

/* ---- the status query (doc/controller-protocol.md) ------------------------ */

/* {"Query":"status","ProtocolVersion":1[,"JoinSecret":...]} and "\n". */
char *ctl_build_status_query(const char *join_secret);

struct ctl_status_node {
	char *node_id, *hostname, *ip, *role, *requested_role, *status, *os, *docker_version;
	char *first_seen, *last_seen;
	long long cpu, memory; /* -1: unknown */
	bool gluster_capable;
	bool has_swarm;        /* the node reported its Swarm state */
	char *swarm_node_id, *swarm_state;
	bool swarm_control_available;
	/* from heartbeats (node-health.h); NULL / -1 / false when absent */
	char *clusterctl_version;
	long long protocol_version, last_seen_age;
	bool stale;
	char *health;          /* the Health object as JSON text, "{}" when absent */
};

struct ctl_status {
	int status;            /* enum answer_status */
	char *error;
	long long registered_managers, registered_workers, min_managers, min_workers, max_managers;
	bool wait_for_minimum, cluster_formed, tokens_available;
	char *gating, *overlay_type, *storage_type, *swarm_manager_addr, *manager_joining;
	long long stale_nodes;  /* -1: a controller that does not say */
	bool has_quorum;        /* the Quorum object was sent */
	long long quorum_managers, quorum_fresh, quorum_needed;
	bool quorum_ok;
	struct ctl_status_node *nodes;
	size_t n_nodes;
	json_object *json;     /* the checked answer, for --json */
};

int ctl_decode_status(const char *addr, const char *text, size_t len, struct ctl_status *s, char **err);
void ctl_status_free(struct ctl_status *s);

#endif
