/* Docker Engine API client over the unix socket (libcurl + json-c).
 * Every failure returns a negative errno and, in *err (malloc'd), a
 * sentence a person can act on ("Docker daemon is not running: no socket
 * at /var/run/docker.sock", "this node is already part of another swarm
 * (cluster X); use --force to leave it", ...). */
#ifndef CLUSTERCTL_DOCKER_H
#define CLUSTERCTL_DOCKER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct docker; /* opaque: socket path and negotiated API version */

/* Ping and negotiate the API version (refuses engines below 1.41's
 * feature set we use, see docker.c).  -ENOENT/-ECONNREFUSED: daemon
 * down; -EACCES: permission denied. */
int docker_open(const char *socket_path, struct docker **out, char **err);
void docker_close(struct docker *d);
const char *docker_api_version(const struct docker *d);

struct docker_info {
	char *server_version;   /* "20.10.24+dfsg1" */
	char *node_id;          /* "" when not in a swarm */
	char *node_addr;
	char *local_state;      /* inactive|pending|active|error|locked */
	char *error;            /* Swarm.Error */
	char *cluster_id;       /* managers only, else "" */
	bool control_available; /* true on managers */
	char **remote_managers; /* "ip:port" */
	size_t n_remote_managers;
	uint32_t ncpu;
	uint64_t mem_total;
	char *os;               /* OperatingSystem */
	char *name;             /* engine host name */
};
int docker_get_info(struct docker *d, struct docker_info *out, char **err);
void docker_info_free(struct docker_info *i);

struct docker_swarm {
	char *id;
	uint64_t version;
	char *worker_token;
	char *manager_token;
};
/* Managers only; on a worker or outside a swarm -EPERM with the reason. */
int docker_swarm_inspect(struct docker *d, struct docker_swarm *out, char **err);
void docker_swarm_free(struct docker_swarm *s);

struct docker_swarm_params {
	const char *listen_addr;     /* default "0.0.0.0:2377" */
	const char *advertise_addr;  /* required: "ip" or "ip:port" */
	const char *data_path_addr;  /* required: "ip" */
	uint32_t ingress_mtu;        /* init only; 0: Docker's default */
};
/* -EEXIST when already part of a swarm. *node_id may be NULL. */
int docker_swarm_init(struct docker *d, const struct docker_swarm_params *p, char **node_id, char **err);
/* remote_addr "ip:2377".  -EEXIST already in a swarm; -ETIMEDOUT manager
 * unreachable (the node is then "pending"); -EACCES bad token. */
int docker_swarm_join(struct docker *d, const struct docker_swarm_params *p, const char *remote_addr,
		      const char *token, char **err);
int docker_swarm_leave(struct docker *d, bool force, char **err);

struct docker_node {
	char *id, *hostname, *role, *availability;
	char *state;         /* ready|down|unknown|disconnected */
	char *addr;          /* Status.Addr */
	char *reachability;  /* managers: reachable|unreachable|unknown, else "" */
	bool leader;
	uint64_t version;
};
int docker_node_list(struct docker *d, struct docker_node **out, size_t *n, char **err);
void docker_nodes_free(struct docker_node *v, size_t n);
/* Promote/demote: reads the node's version first, retries "update out of
 * sequence". role is "manager" or "worker". */
int docker_node_set_role(struct docker *d, const char *node_id, const char *role, char **err);

#endif
