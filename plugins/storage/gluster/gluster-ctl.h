/* The controller side of the plugin (master serve): plan() answers from a
 * snapshot of the volume and pool, and a background thread runs the slow
 * gluster commands (probe, add-brick, start) and refreshes the snapshot.
 * plan() never waits for glusterd: it holds the lock only to read the
 * snapshot and queue a job, then answers "waiting" until the job is done.
 * The nodes' records come from node events (an index kept on the event
 * loop), never from a view of the whole cluster per plan. */
#ifndef CLUSTERCTL_GLUSTER_CTL_H
#define CLUSTERCTL_GLUSTER_CTL_H

#include <clusterctl/plugin.h>

#include "gluster-plan.h"

struct gl_ctl;

/* cfg's strings are borrowed for the controller's lifetime. */
int gl_ctl_new(const struct clusterctl_host *h, const struct gp_cfg *cfg, struct gl_ctl **out);
/* Stops the thread (waiting for a running gluster command to end). */
void gl_ctl_free(struct gl_ctl *c);
/* plan(): a plain client (no brick, none promised, not GlusterCapable)
 * is answered from a cache rebuilt when the snapshot changes, O(1); a
 * node that may hold a brick is decided by gp_decide against the brick
 * nodes of the index. */
int gl_ctl_plan(struct gl_ctl *c, const struct clusterctl_plan_in *in, struct clusterctl_plan_out *out);
/* node_event(): the index of the nodes' records (LOADED, STORED,
 * REMOVED); event loop only, like plan. */
int gl_ctl_event(struct gl_ctl *c, int kind, const struct clusterctl_node *node);
/* clusterctl node remove (ABI 1.1 forget): a node whose brick is in the
 * volume is refused (-EPERM, explained) unless forced; with force its
 * brick stays in the volume, served by nobody until replaced.  Nothing
 * is ever deleted. */
int gl_ctl_forget(struct gl_ctl *c, const struct clusterctl_node *node, uint32_t flags, char **message);
/* Jobs queued or running, refresh included (0: idle). */
int gl_ctl_busy(struct gl_ctl *c);

#endif
