/* What each node last said about itself beyond its record: the program
 * and protocol version it runs and its providers' health (their status()
 * summarised by the node, sent as "Health" with every heartbeat), and the
 * cluster-wide view built from it and the records (staleness, quorum)
 * that `clusterctl status` and the metrics show.
 *
 * The controller keeps it in memory only: it is refreshed by every
 * heartbeat, so a restarted controller knows it again within one
 * heartbeat interval, and the durable store's format stays untouched. */
#ifndef CLUSTERCTL_NODE_HEALTH_H
#define CLUSTERCTL_NODE_HEALTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cc-buf.h"
#include "protocol.h"

#define HEALTH_MAX_SUMMARY 4096 /* bytes of one provider's summary */

/* ---- node side -------------------------------------------------------- */

/* A provider's status() object cut down to what a heartbeat should carry
 * whatever the cluster's size: its top-level strings (at most 256 bytes),
 * numbers and booleans as they are; an array of N objects becomes
 * "<Name>Count": N, and for each numeric member "<M>AgeSeconds" of its
 * items "<Name>Newest<M>AgeSeconds" / "<Name>Oldest<M>AgeSeconds" (the
 * smallest and largest) and "<Name>Without<M>AgeSeconds" (items where it
 * is null or absent).  NULL when status_json is not a JSON object.
 * malloc'd, at most HEALTH_MAX_SUMMARY bytes. */
char *health_summary(const char *status_json);

/* ---- controller side -------------------------------------------------- */

struct node_health;

struct node_health_entry {
	char *version;        /* ClusterctlVersion, NULL: not sent */
	int protocol;         /* 0: not sent */
	char *overlay, *storage; /* Health.Overlay / Health.Storage JSON text, NULL: none */
};

struct node_health *node_health_new(void);
void node_health_free(struct node_health *h);
/* What this registration said (replacing what the node said before);
 * replaces, when set, is an older key of the same node, forgotten. */
int node_health_note(struct node_health *h, const char *key, const char *replaces, const struct registration *reg);
const struct node_health_entry *node_health_find(const struct node_health *h, const char *key);
void node_health_forget(struct node_health *h, const char *key);

/* ,"ClusterctlVersion":...,"ProtocolVersion":N,"Health":{...},
 * "LastSeenAgeSeconds":N,"Stale":bool for one node of a status answer. */
void node_health_append(const struct node_health *h, struct cc_buf *sb, const char *key, int64_t last_seen_ms,
			int64_t now_ms, int64_t stale_after_ms);

/* The cluster's view: managers by freshness (Raft needs a majority of
 * them) and stale nodes. */
struct health_counts {
	unsigned managers, managers_fresh, workers, workers_fresh, stale;
	unsigned quorum_needed;  /* managers / 2 + 1, 0 without managers */
	bool quorum_ok;
};
struct state_store;
void health_count(const struct state_store *st, int64_t now_ms, int64_t stale_after_ms, struct health_counts *out);
/* ,"StaleNodes":N,"Quorum":{"Managers":N,"ManagersFresh":N,"Needed":N,"OK":bool} */
void health_counts_append(struct cc_buf *sb, const struct health_counts *hc);

struct metrics_nodes;
/* The store's gauges for the metrics page. */
void health_metrics(const struct state_store *st, int64_t now_ms, int64_t stale_after_ms, bool formed, bool waiting,
		    struct metrics_nodes *out);

#endif
