/* The controller's metrics, served in the Prometheus text format at
 * /metrics on --metrics-listen (off by default).
 *
 * One registry per process.  The loop and the sync thread record into it
 * (counters and histograms, under one mutex: a handful of updates per
 * request); the loop publishes the gauges that come from the store (nodes
 * by role and state, stale nodes, gating, quorum) at most once a second;
 * a thread of its own answers scrapes, one connection at a time with a
 * short deadline, so a scrape never waits on the loop nor the loop on a
 * scraper.  Every observe function is a no-op while metrics are off. */
#ifndef CLUSTERCTL_METRICS_H
#define CLUSTERCTL_METRICS_H

#include <stdbool.h>
#include <stdint.h>

/* Start the listener on "ip:port" (port 0: any; the log says which).
 * 0, or -errno with *err (malloc'd) for a person. */
int metrics_start(const char *listen_addr, char **err);
/* Stop the listener thread and free the registry. */
void metrics_stop(void);
bool metrics_on(void);

/* A registration answered: outcome is "ready", "waiting" or "error". */
void metrics_registration(const char *outcome);
/* A request refused before it was decided; its error text is sorted into
 * a small fixed set of reasons (metrics_reason). */
void metrics_invalid(const char *error);
const char *metrics_reason(const char *error);
/* Seconds from accepting a connection to closing it. */
void metrics_request_seconds(double s);
/* One fdatasync of the state log. */
void metrics_fsync_seconds(double s);
/* One plan() of a provider (kind "overlay" / "storage"). */
void metrics_plan_seconds(const char *provider, const char *kind, double s);

/* The store's gauges, as counted by the loop. */
struct metrics_nodes {
	unsigned by_role_state[2][3]; /* [proto_role][proto_status] */
	unsigned stale;
	bool formed, waiting, quorum_ok;
};
void metrics_set_nodes(const struct metrics_nodes *n);

/* The page as served (tests, and the listener): malloc'd text. */
char *metrics_render(void);

#endif
