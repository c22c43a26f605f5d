/* Bring this node's Swarm membership to what the controller asked, from
 * whatever LocalNodeState Docker reports:
 *   inactive -> join;  pending (a join that timed out) -> leave, join;
 *   active -> same swarm and role: nothing; same swarm, other role: wait
 *   for the controller to promote/demote; another swarm: error, or leave
 *   and join with --force;  error -> report, leave, retry;
 *   locked -> error: the swarm must be unlocked by a person. */
#ifndef CLUSTERCTL_SWARM_CONVERGE_H
#define CLUSTERCTL_SWARM_CONVERGE_H

#include <stdbool.h>

#include "docker.h"

struct swarm_target {
	const char *role;          /* "manager" | "worker" */
	const char *token;
	const char *manager_addr;  /* "ip:2377" */
	const char *advertise;     /* this node's address (overlay or LAN) */
	bool force;
};

enum swarm_outcome {
	SWARM_UNCHANGED = 0, /* already as asked */
	SWARM_CHANGED = 1,   /* joined (report it to the controller) */
	SWARM_RETRY = 2,     /* not there yet: register again later */
};

/* Returns an outcome, or -errno with *err for a failure a person must fix. */
int swarm_converge(struct docker *d, const struct swarm_target *t, char **err);
/* Describe the plan without changing anything (node join --dry-run). */
void swarm_plan(const struct docker_info *info, const struct swarm_target *t, char **plan);
/* Observed.Swarm for the registration: {"NodeID","LocalNodeState",
 * "ControlAvailable","ClusterID","NodeAddr"}; malloc'd JSON text. */
char *swarm_observed_json(const struct docker_info *info);

#endif
