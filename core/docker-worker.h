/* The controller's calls to the local Docker engine, on a thread of their
 * own: reading the Swarm join tokens and the manager address, and
 * promoting or demoting a node.  A dockerd that hangs then costs the
 * answers nothing (the loop keeps the last tokens, or answers "waiting"
 * without them); results come back on an eventfd the loop polls, as
 * sync-worker.c does for fdatasync.  Nothing is shared with the thread
 * but the job and result lists under its mutex. */
#ifndef CLUSTERCTL_DOCKER_WORKER_H
#define CLUSTERCTL_DOCKER_WORKER_H

#include <stdbool.h>

struct docker_worker;

enum docker_job_kind { DOCKER_JOB_TOKENS, DOCKER_JOB_SET_ROLE };

/* A finished job, handed to the loop (docker_worker_collect). */
struct docker_result {
	enum docker_job_kind kind;
	int r;                     /* 0 or -errno */
	char *err;                 /* r < 0: what failed, for a person */
	/* DOCKER_JOB_TOKENS, r == 0: all set and non-empty */
	char *swarm_id, *worker_token, *manager_token, *manager_addr;
	/* DOCKER_JOB_SET_ROLE: what was asked */
	char *node_id, *role, *hostname;
	struct docker_result *next;
};

/* socket: --docker-socket; advertise_addr: --advertise-addr ("" or NULL:
 * the engine's own Swarm address, port 2377).  Both are copied. */
int docker_worker_start(const char *socket, const char *advertise_addr, struct docker_worker **out);
/* Readable (EPOLLIN) when a result is waiting. */
int docker_worker_fd(const struct docker_worker *w);
/* Ask for the tokens; nothing new while an earlier ask is not collected. */
int docker_worker_tokens(struct docker_worker *w);
/* True from docker_worker_tokens until its result is collected. */
bool docker_worker_tokens_pending(const struct docker_worker *w);
/* Promote ("manager") or demote ("worker") a Swarm node.  A newer ask
 * for the same node replaces one not yet started. */
int docker_worker_set_role(struct docker_worker *w, const char *node_id, const char *role, const char *hostname);
/* What finished since the last call, oldest first (NULL: nothing); free
 * with docker_result_free. */
struct docker_result *docker_worker_collect(struct docker_worker *w);
void docker_result_free(struct docker_result *r);
/* Gives up a call in flight (within about a second, however the daemon
 * behaves), ends the thread and frees what is left.  NULL is fine. */
void docker_worker_stop(struct docker_worker *w);

#endif
