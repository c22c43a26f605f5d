/* What a client can hold on the controller before its request is
 * authenticated: connections per source address, and the bytes of
 * unfinished requests across all connections (issue 11, item 4).  The
 * controller's loop is their only user (no locking). */
#ifndef CLUSTERCTL_CONN_LIMIT_H
#define CLUSTERCTL_CONN_LIMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Open connections by source IPv4 address. */
struct source_limit {
	struct source_count **buckets;
	size_t nbuckets;
	unsigned max;      /* per address; 0: no limit */
};

int source_limit_init(struct source_limit *l, unsigned max_per_source);
void source_limit_free(struct source_limit *l);
/* Count one more connection from ip: false (and nothing counted) when
 * ip already holds max; -ENOMEM is reported as false too (refusing is
 * the safe side). */
bool source_limit_take(struct source_limit *l, uint32_t ip);
void source_limit_put(struct source_limit *l, uint32_t ip);
unsigned source_limit_count(const struct source_limit *l, uint32_t ip);

/* Bytes buffered for requests not yet complete.  Each connection may
 * hold `free_each` bytes whatever the others do (a registration is a
 * few KiB, so legitimate nodes always fit); beyond that it draws on one
 * shared `max`. */
struct preauth_budget {
	size_t max, free_each;
	size_t shared;     /* drawn from max now */
};

/* A connection's buffer went from *held to now bytes: account for it.
 * false when it would take the shared part over max (nothing changes
 * then; the caller refuses the request and calls preauth_release). */
bool preauth_update(struct preauth_budget *b, size_t *held, size_t now);
void preauth_release(struct preauth_budget *b, size_t *held);

#endif
