/* `clusterctl node remove NODE [--force]`: take a node out of the
 * cluster for good, from the master.
 *
 * The command asks the controller ({"Query":"remove"}, protocol.h); the
 * controller does it on its loop, in an order where a refusal changes
 * nothing: find the record; check the Swarm quorum (a manager's removal
 * must leave a majority of managers reachable) and that the node is down
 * or has left the Swarm; ask the storage provider (it may refuse: a brick
 * host); demote a manager and `docker node rm`; ask the overlay provider
 * (it drops the peer); forget the record durably (its manager slot with
 * it) and tell the providers REMOVED.  --force passes the quorum and
 * "still up" guards and a provider's "not without --force".  No data is
 * ever deleted.  Each step is reported. */
#ifndef CLUSTERCTL_NODE_REMOVE_H
#define CLUSTERCTL_NODE_REMOVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct state_store;
struct plugin;
struct docker;
struct node_health;

struct remove_env {
	struct state_store *st;
	struct plugin *const *plug;   /* [STORE_NSLOTS], NULL entries allowed */
	struct docker *dk;            /* NULL: the engine is not reachable now */
	struct node_health *health;
	int64_t stale_after_ms;
};

/* The answer to a remove query (one JSON line, malloc'd; NULL on out of
 * memory): Status "ready" with Message and Steps, or "error" with Error
 * and the Steps done before it. */
char *node_remove_answer(const struct remove_env *e, const char *who, bool force, size_t *len);

#endif
