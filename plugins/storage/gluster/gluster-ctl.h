/* The controller side of the plugin (master serve): plan() answers from a
 * snapshot of the volume and pool, and a background thread runs the slow
 * gluster commands (probe, add-brick, start) and refreshes the snapshot.
 * plan() never waits for glusterd: it holds the lock only to read the
 * snapshot and queue a job, then answers "waiting" until the job is done. */
#ifndef CLUSTERCTL_GLUSTER_CTL_H
#define CLUSTERCTL_GLUSTER_CTL_H

#include <clusterctl/plugin.h>

#include "gluster-plan.h"

struct gl_ctl;

/* cfg's strings are borrowed for the controller's lifetime. */
int gl_ctl_new(const struct clusterctl_host *h, const struct gp_cfg *cfg, struct gl_ctl **out);
/* Stops the thread (waiting for a running gluster command to end). */
void gl_ctl_free(struct gl_ctl *c);
int gl_ctl_plan(struct gl_ctl *c, const struct clusterctl_plan_in *in, struct clusterctl_plan_out *out);
/* Jobs queued or running, refresh included (0: idle). */
int gl_ctl_busy(struct gl_ctl *c);

#endif
