/* The controller's decisions, as pure functions of what it knows: which
 * role a node gets (the manager cap), whether the cluster has formed
 * (--wait-for-minimum gating), and whether a manager may have its token
 * now (managers join one at a time so parallel joins never race for
 * quorum).  No I/O, no clock: the caller passes the time in. */
#ifndef CLUSTERCTL_POLICY_H
#define CLUSTERCTL_POLICY_H

#include <stdbool.h>
#include <stdint.h>

struct policy_cfg {
	bool wait_for_minimum;
	unsigned min_managers, min_workers;
	unsigned max_managers;
	int64_t manager_join_timeout_ms;
};

/* The cluster as the store holds it, before this registration. */
struct policy_view {
	unsigned managers, workers; /* assigned roles, this node excluded */
	bool formed;                /* thresholds were met once (persisted) */
	const char *slot_holder;    /* key of the manager holding the join slot, NULL: free */
	int64_t slot_granted_ms;    /* wall clock, when it was handed out */
};

/* This node's previous record, when it has one. */
struct policy_node {
	bool known;
	int requested_role, assigned_role; /* enum proto_role */
};

struct policy_input {
	const char *key;            /* the node's identity in the store */
	int requested_role;
	/* Observed.Swarm says the node is already an active, reachable
	 * manager (LocalNodeState "active" and ControlAvailable true). */
	bool reachable_manager;
	int64_t now_ms;             /* wall clock */
};

enum policy_reason {
	POLICY_OK = 0,
	POLICY_WAIT_MINIMUM,        /* gating: thresholds not met yet */
	POLICY_WAIT_MANAGER_SLOT,   /* another manager is joining */
};

enum slot_action { SLOT_KEEP = 0, SLOT_GRANT, SLOT_RELEASE };

struct policy_decision {
	int assigned_role;
	bool capped;                /* asked manager, given worker: --max-managers reached */
	int status;                 /* PROTO_READY or PROTO_WAITING */
	int reason;                 /* enum policy_reason */
	unsigned managers, workers; /* counts with this node */
	bool formed;                /* after this registration */
	bool formed_now;            /* this registration formed the cluster */
	int slot;                   /* enum slot_action, applied only if the node gets a token */
	int64_t slot_granted_ms;    /* with SLOT_GRANT */
	unsigned retry_after;       /* s, with waiting */
	char message[512];
};

void policy_decide(const struct policy_cfg *cfg, const struct policy_view *view,
		   const struct policy_node *prev, const struct policy_input *in,
		   struct policy_decision *out);

/* Is the manager slot held by someone other than key, and still valid? */
bool policy_slot_busy(const struct policy_cfg *cfg, const struct policy_view *view, const char *key,
		      int64_t now_ms);

#endif
