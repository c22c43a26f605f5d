/* The node's side of the wire protocol (protocol.md): build a
 * NodeRegistration, exchange it over one TCP connection with a deadline,
 * and decode and validate the controller's answer. */
#ifndef CLUSTERCTL_REGISTRATION_CLIENT_H
#define CLUSTERCTL_REGISTRATION_CLIENT_H

#include <stdbool.h>
#include <stdint.h>

#include "node-identity.h"

#define ANSWER_MAX_BYTES (4u << 20)

struct node_report {
	const struct node_identity *id;
	const char *role;            /* asked for */
	const char *join_secret;     /* may be NULL */
	const char *docker_version;  /* may be NULL */
	bool gluster_capable;
	const char *observed_overlay;/* JSON object text or NULL */
	const char *observed_storage;
	const char *observed_swarm;
};

enum answer_status { ANSWER_READY = 0, ANSWER_WAITING = 1, ANSWER_ERROR = 2 };

struct controller_answer {
	int status;
	char *swarm_role, *join_token, *manager_addr, *overlay_type;
	char *overlay_payload;   /* JSON object text, "{}" when absent */
	char *storage_payload;   /* JSON object text, "{}" when absent */
	bool gluster_enabled;
	char *gluster_volume, *gluster_mount, *gluster_brick;
	long long registered_managers, registered_workers, min_managers, min_workers;
	unsigned retry_after;
	char *error, *message;
	char *raw;               /* the whole answer, for status --json and debugging */
};

/* Request text (one JSON object and "\n"), malloc'd. */
char *registration_build(const struct node_report *r);
/* A status query (protocol extension {"Query":"status"}). */
char *registration_build_status_query(const char *join_secret);
/* Send `request` to master ("ip:port"), read the whole answer (the
 * controller closes after it).  -ECONNREFUSED, -ETIMEDOUT, -EPROTO with
 * *err for a person. */
int registration_exchange(const char *master, const char *request, int timeout_ms, char **answer,
			  char **err);
/* Decode and validate an answer; -EPROTO with *err when malformed. */
int registration_decode(const char *text, struct controller_answer *a, char **err);
void controller_answer_free(struct controller_answer *a);

#endif
