/* The gluster CLI, run through the host (argv, deadline, captured output):
 * `gluster --mode=script --xml ...`, answers read by gluster-xml.c.
 *
 * Every function returns 0 or -errno and, on failure, a malloc'd message
 * in *err that names the cause and what to do.  They never call
 * host->error themselves because the controller's background thread uses
 * them too.  Idempotent outcomes are successes: a peer already in the
 * pool (or the local host), a volume already started. */
#ifndef CLUSTERCTL_GLUSTER_CLI_H
#define CLUSTERCTL_GLUSTER_CLI_H

#include <stdbool.h>
#include <stddef.h>

#include <clusterctl/host.h>

#include "gluster-xml.h"

/* -ENOENT: no gluster program; -ECONNREFUSED: glusterd not answering. */
int gcli_pool_list(const struct clusterctl_host *h, struct gx_peers *peers, char **err);
/* *exists false (and 0 returned) when glusterd says there is no such volume. */
int gcli_volume_info(const struct clusterctl_host *h, const char *name, struct gx_volume *vol,
		     bool *exists, char **err);
/* -EEXIST: the peer belongs to another pool; -EHOSTUNREACH: not reachable. */
int gcli_peer_probe(const struct clusterctl_host *h, const char *peer, char **err);
/* bricks: "host:/path" strings.  replica 0 or 1: no replica clause.
 * *id (may be NULL) gets the new volume's UUID. */
int gcli_volume_create(const struct clusterctl_host *h, const char *name, int replica,
		       const char *const *bricks, size_t n, bool force, char **id, char **err);
int gcli_volume_start(const struct clusterctl_host *h, const char *name, char **err);
/* Start the offline bricks of a started volume; data is not touched. */
int gcli_volume_start_force(const struct clusterctl_host *h, const char *name, char **err);
/* replica 0: keep the volume's replica count. */
int gcli_volume_add_brick(const struct clusterctl_host *h, const char *name, int replica,
			  const char *const *bricks, size_t n, bool force, char **err);
/* Start a full self-heal: after add-brick raised the replica count, the
 * new brick gets the files already there without waiting for the
 * self-heal daemon's next index crawl. */
int gcli_volume_heal_full(const struct clusterctl_host *h, const char *name, char **err);

/* Advice for a brick error glusterd reported (opErrstr), "" when none. */
const char *gcli_brick_advice(const char *op_errstr);

/* `volume status NAME` and `volume heal NAME info summary`: the health
 * `clusterctl status` shows.  0 (filled), or -errno with *err. */
int gcli_volume_status(const struct clusterctl_host *h, const char *name, struct gx_brick_states *out, char **err);
int gcli_heal_summary(const struct clusterctl_host *h, const char *name, struct gx_heal *out, char **err);

#endif
