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

/* Ping and negotiate the API version: /v1.41, or the engine's own version
 * when it is older; engines below API 1.24 are refused
 * (-EPROTONOSUPPORT).  socket_path NULL or "": /var/run/docker.sock.
 * -ENOENT/-ECONNREFUSED: daemon down; -EACCES: permission denied;
 * -ENOTSOCK: the path is not a socket. */
int docker_open(const char *socket_path, struct docker **out, char **err);
void docker_close(struct docker *d);
const char *docker_api_version(const struct docker *d);

struct docker_info {
	char *server_version;   /* "20.10.24+dfsg1" */
	char *node_id;          /* "" when not in a swarm */
	char *node_addr;
	char *local_state;      /* inactive|pending|active|error|locked ("" from the daemon: inactive) */
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
 * unreachable (the node is then "pending"); -EACCES token refused by the
 * manager; -EINVAL token malformed (checked before anything is sent). */
int docker_swarm_join(struct docker *d, const struct docker_swarm_params *p, const char *remote_addr,
		      const char *token, char **err);
/* -ENOTCONN: not part of a swarm (nothing to leave); -EBUSY: a manager
 * without force. */
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
void docker_node_free(struct docker_node *n); /* its strings; not n itself */
/* Promote/demote: reads the node's version first, retries "update out of
 * sequence". role is "manager" or "worker". */
int docker_node_set_role(struct docker *d, const char *node_id, const char *role, char **err);
/* One node (managers only); -ENOENT when the swarm has no such node.
 * Free with docker_node_free(). */
int docker_node_inspect(struct docker *d, const char *node_id, struct docker_node *out, char **err);
/* `docker node rm [--force]`: a node that is down or has left; force
 * removes one that is still up (it keeps running, alone).  -ENOENT when
 * it is already gone. */
int docker_node_remove(struct docker *d, const char *node_id, bool force, char **err);

/* Errors common to the calls above: -EPERM not a manager (worker, or not
 * in a swarm); -ENOKEY the swarm is locked and must be unlocked;
 * -EKEYEXPIRED swarm certificates expired; -EBADMSG a reply that fails
 * validation; -EPROTONOSUPPORT API version refused. */

/* Recreate the swarm's ingress network with the driver option
 * com.docker.network.driver.mtu=mtu (68..65535), keeping its name, subnet,
 * gateway and labels.  Managers only; it only works while no service
 * publishes a port through ingress (-EBUSY otherwise), so call it right
 * after docker_swarm_init (which does, when ingress_mtu is set).  No-op
 * when the MTU is already set. */
int docker_ingress_set_mtu(struct docker *d, uint32_t mtu, char **err);
/* The MTU option of the ingress network in *mtu (0: not set, Docker's
 * default); -ENOENT when there is no ingress network. */
int docker_ingress_get_mtu(struct docker *d, uint32_t *mtu, char **err);

/* SWMTKN-1-<50 [0-9a-z]>-<25 [0-9a-z]>. */
bool docker_join_token_valid(const char *token);

/* Reply parsing and error mapping, exposed so the validation is tested on
 * canned bodies (tests/unit/test-docker.c).  `body` need not be
 * NUL-terminated; len is its size. */
int docker_parse_info(const char *body, size_t len, struct docker_info *out, char **err);
int docker_parse_swarm(const char *body, size_t len, struct docker_swarm *out, char **err);
int docker_parse_nodes(const char *body, size_t len, struct docker_node **out, size_t *n, char **err);
/* A non-2xx reply to `what` ("swarm join") as -errno and a sentence that
 * quotes the daemon. */
int docker_reply_error(long status, const char *body, size_t len, const char *what, char **err);
/* From the engine's Api-Version header (NULL when absent: assume 1.24),
 * the version to put in paths ("1.41" at most) into out. */
int docker_api_negotiate(const char *server_api, char *out, size_t outsz, char **err);

#endif
