/* Who this node is: host name, stable NodeID, primary address, OS, CPUs,
 * memory.  The NodeID lives in <node-state-dir>/node-id so a node keeps
 * it across runs and re-registrations update one record. */
#ifndef CLUSTERCTL_NODE_IDENTITY_H
#define CLUSTERCTL_NODE_IDENTITY_H

#include <stdint.h>

#include "config.h"

struct node_identity {
	char *hostname;
	char *node_id;
	char ip[16];
	char ifname[16];
	char *os;
	int64_t cpu;
	int64_t memory;
};

/* Fill everything but ip (see node_identity_detect_ip).  dry: do not
 * create the NodeID file. */
int node_identity_load(const struct config *c, bool dry, struct node_identity *id, char **err);
/* --ip, else IP detection (which prefers an overlay's CGNAT address). */
int node_identity_detect_ip(const struct config *c, struct node_identity *id, char **err);
void node_identity_free(struct node_identity *id);

#endif
