/* Per-node identity on the controller (issue 11, item 2): each node has
 * a key of its own (tls.h, TLS_NODE_KEY_FILE) and proves it in the TLS
 * handshake (a client certificate).  The first registration of a NodeID
 * pins it to that key (trust on first use, under the join secret); every
 * later registration of that NodeID must come with the same key, so a
 * host that knows the join token cannot take over another node's record
 * (its role, its overlay address, its manager slot).
 *
 * The pins are <state-dir>/node-keys, one "<key> <pin>" line each
 * (<key> is the registration's "id:<NodeID>" or "host:<Hostname>"),
 * appended as nodes first register; a reinstalled host whose key changed
 * is let in again by deleting its line (the controller reads the file at
 * start). */
#ifndef CLUSTERCTL_NODE_AUTH_H
#define CLUSTERCTL_NODE_AUTH_H

#include <stdbool.h>

#define NODE_KEYS_FILE "node-keys"

struct node_auth;

/* Load the pins (a missing file is an empty set).  -errno with *err. */
int node_auth_open(const char *state_dir, struct node_auth **out, char **err);
void node_auth_free(struct node_auth *a);

enum node_auth_result {
	NODE_AUTH_OK = 0,       /* the pinned key */
	NODE_AUTH_PINNED = 1,   /* first time: now pinned to this key */
	NODE_AUTH_UNPROVED = 2, /* no key presented (plaintext, an old client): nothing pinned */
	NODE_AUTH_MISMATCH = -1 /* another key than the pinned one: refuse */
};

/* Check key (a registration's key) against pin (NULL: no client key).
 * A first sight pins it (appended to the file; -errno when that fails,
 * with *err).  *pinned gets the pinned key's pin on a mismatch. */
int node_auth_check(struct node_auth *a, const char *key, const char *pin, const char **pinned, char **err);

#endif
