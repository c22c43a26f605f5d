/* The controller's decisions for one registering node, as a pure function
 * of what it knows: the volume and pool as glusterd last reported them,
 * the node's Observed.Storage facts, the record kept for it and the
 * records of the brick nodes (the few a decision needs; the plugin's
 * index keeps them, never a scan of the cluster).  gluster-ctl.c feeds it and carries out the
 * action it asks for in the background; the unit tests feed it recorded
 * gluster outputs.  The JSON layouts (Observed.Storage, StoragePayload,
 * the per-node record) are read and written here; gluster.c documents
 * them. */
#ifndef CLUSTERCTL_GLUSTER_PLAN_H
#define CLUSTERCTL_GLUSTER_PLAN_H

#include <stdbool.h>
#include <stddef.h>

#include "gluster-xml.h"

#define GP_ROLE_BRICK "brick"
#define GP_ROLE_CLIENT "client"

struct gp_cfg {
	const char *volume;
	const char *mount;     /* GlusterMount: where every node mounts it */
	int replica;           /* replica count the volume grows to */
	const char *brick_dir; /* for nodes that report none */
	bool extra_bricks;     /* beyond `replica` bricks, add whole replica sets */
};

/* Observed.Storage as sent by the node. */
struct gp_obs {
	bool glusterd;
	char *brick_dir;
	char *brick;           /* prepared brick, NULL when none */
	char *brick_volume_id; /* its volume-id attribute, NULL when none */
	bool brick_on_root;
	bool mounted;
	char *error;
};

/* What the controller keeps per node (plan_out.record_json). */
struct gp_record {
	char *role;  /* GP_ROLE_BRICK, GP_ROLE_CLIENT, NULL: not decided */
	char *brick; /* brick path for a brick node */
	char *host;  /* the address the brick is named by in the volume */
	bool ready;  /* brick prepared and the peer "Peer in Cluster" */
	bool on_root;
};

struct gp_other {
	char *node_id;
	char *ip;
	struct gp_record rec;
};

struct gp_node {
	const char *node_id;
	const char *ip;
	bool capable;
	struct gp_obs obs;
	struct gp_record rec;
	/* The other nodes holding a brick role (index order); nodes whose
	 * record says client never matter to a decision. */
	const struct gp_other *others;
	size_t n_others;
};

/* The controller's picture of GlusterFS, plus what its jobs reported. */
struct gp_view {
	bool loaded;              /* glusterd has been asked at least once */
	const char *error;        /* the last refresh failed (glusterd down?) */
	bool vol_exists;
	const struct gx_volume *vol;
	const struct gx_peers *peers;
	const char *probe_error;  /* last failed probe of this node's address */
	int probe_errno;
	const char *change_error; /* last failed add-brick / start of the volume */
	bool busy;                /* a job that changes the volume is queued or running */
	bool probing;             /* a probe of this node's address is queued or running */
};

enum gp_step { GP_PREPARE = 0, GP_WAIT, GP_MOUNT, GP_ERROR };
enum gp_action { GP_NONE = 0, GP_REFRESH, GP_PROBE, GP_ADD_BRICK, GP_START };

struct gp_answer {
	enum gp_step step;
	bool waiting;
	int retry_after;
	char *message;
	char *error;          /* with GP_ERROR (and on waits caused by a failure) */
	const char *role;     /* static string */
	char *brick;          /* assigned brick path, NULL for a client */
	bool brick_in_volume;
	struct gp_record rec; /* record to persist */
	char **servers;       /* volfile servers, first is primary; empty until started */
	size_t n_servers;
	/* what the background worker should do */
	enum gp_action action;
	char *peer;           /* GP_PROBE */
	int replica;          /* GP_ADD_BRICK: new replica count, 0 = unchanged */
	int expect_bricks;    /* GP_ADD_BRICK: brick count the plan was made on */
	char **bricks;        /* GP_ADD_BRICK: "host:/path" */
	size_t n_bricks;
	bool force;           /* GP_ADD_BRICK: a brick on a root fs (allowed by its node) */
};

const char *gp_step_name(enum gp_step s);

/* Decide, in named steps (preconditions, role, readiness of a joining
 * brick, how it joins).  -ENOMEM only; every other outcome is an answer. */
int gp_decide(const struct gp_cfg *cfg, const struct gp_view *view, const struct gp_node *node,
	      struct gp_answer *ans);
void gp_answer_free(struct gp_answer *a);

/* The volume's layout is one clusterctl can grow: no disperse, no
 * arbiter, replica count at most cfg->replica, and either a single
 * replica set or whole sets of cfg->replica.  NULL when fine, otherwise a
 * static reason. */
const char *gp_layout_problem(const struct gx_volume *v, int replica);

/* JSON in and out (json-c). */
int gp_obs_parse(const char *json, struct gp_obs *o, char **err);
void gp_obs_free(struct gp_obs *o);
int gp_record_parse(const char *json, struct gp_record *r);
void gp_record_free(struct gp_record *r);
char *gp_record_json(const struct gp_record *r);
char *gp_payload_json(const struct gp_cfg *cfg, const struct gx_volume *vol,
		      const struct gp_answer *a);

#endif
