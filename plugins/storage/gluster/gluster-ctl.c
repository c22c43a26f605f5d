/* Controller side: snapshot, job queue, background worker; see gluster-ctl.h. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cc-buf.h"
#include "cc-time.h"
#include "gluster-cli.h"
#include "gluster-ctl.h"
#include "gluster-node.h"
#include "plugin-host.h"
#include "plugin-json.h"
#include "plugin-map.h"

/* A snapshot older than this is refreshed when a node asks. */
#define SNAP_MAX_AGE_MS 1000
/* A failed job is not retried sooner than this (the node comes back). */
#define RETRY_PROBE_MS 5000
#define RETRY_CHANGE_MS 5000
/* After a probe, how long the worker watches for "Peer in Cluster". */
#define PEER_SETTLE_MS 15000
#define PEER_POLL_MS 200

struct job {
	enum gp_action kind;
	char *key;
	char *peer;
	int replica, expect;
	char **bricks;
	size_t n;
	bool force;
	struct job *next;
};

struct jerr {
	char *key;
	char *msg;
	int err;
	int64_t when;
	struct jerr *next;
};

/* What the core stores for one node, as node events told us. */
struct gl_node {
	char *node_id;
	char *text;          /* the record as stored (compared, not parsed again) */
	struct gp_record rec;
	size_t roster_at;    /* index in c->roster when a brick, else SIZE_MAX */
};

struct gl_ctl {
	const struct clusterctl_host *h;
	struct gp_cfg cfg;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	pthread_t thr;
	bool thr_started, stop;

	/* snapshot */
	bool loaded, vol_exists, refresh_wanted, refreshing;
	char *snap_err;
	struct gx_volume vol;
	struct gx_peers peers;
	int64_t snap_ms;

	struct job *q, *running;
	struct jerr *errs;

	/* The answer every plain client gets while the snapshot stands
	 * (NULL: none, decide each time): rebuilt by the worker when it
	 * installs a snapshot, so a client's plan is a lookup. */
	char *client_payload, *client_message;

	/* Event loop only: the nodes' records (node id -> gl_node) and the
	 * brick-role ones among them, the few a decision looks at. */
	struct cp_map nodes;
	struct gl_node **roster;
	size_t n_roster, cap_roster;
};


static void job_free(struct job *j)
{
	if (!j)
		return;
	free(j->key);
	free(j->peer);
	for (size_t i = 0; i < j->n; i++)
		free(j->bricks[i]);
	free(j->bricks);
	free(j);
}

static struct jerr *err_find(struct gl_ctl *c, const char *key)
{
	for (struct jerr *e = c->errs; e; e = e->next)
		if (strcmp(e->key, key) == 0)
			return e;
	return NULL;
}

/* Called with the lock held.  msg NULL: the key succeeded. */
static void err_set(struct gl_ctl *c, const char *key, const char *msg, int err)
{
	struct jerr *e = err_find(c, key), **pp;
	if (!msg) {
		for (pp = &c->errs; *pp; pp = &(*pp)->next) {
			if (*pp == e) {
				*pp = e->next;
				free(e->key);
				free(e->msg);
				free(e);
				break;
			}
		}
		return;
	}
	if (!e) {
		e = calloc(1, sizeof *e);
		if (!e || !(e->key = strdup(key))) {
			free(e);
			return;
		}
		e->next = c->errs;
		c->errs = e;
	}
	free(e->msg);
	e->msg = strdup(msg);
	e->err = err;
	e->when = cc_mono_ms();
}

static bool job_pending(struct gl_ctl *c, const char *key)
{
	if (c->running && strcmp(c->running->key, key) == 0)
		return true;
	for (struct job *j = c->q; j; j = j->next)
		if (strcmp(j->key, key) == 0)
			return true;
	return false;
}

static bool change_pending(struct gl_ctl *c)
{
	if (c->running && (c->running->kind == GP_ADD_BRICK || c->running->kind == GP_START))
		return true;
	for (struct job *j = c->q; j; j = j->next)
		if (j->kind == GP_ADD_BRICK || j->kind == GP_START)
			return true;
	return false;
}

/* Lock held.  Takes the action of a decision into the queue, unless the
 * same job is pending or failed too recently. */
static void enqueue(struct gl_ctl *c, const struct gp_answer *a)
{
	struct job *j, **pp;
	char *key = NULL;
	struct jerr *e;
	int64_t retry;

	switch (a->action) {
	case GP_NONE:
		return;
	case GP_REFRESH:
		c->refresh_wanted = true;
		pthread_cond_signal(&c->cv);
		return;
	case GP_PROBE:
		key = cc_strdupf("probe:%s", a->peer);
		retry = RETRY_PROBE_MS;
		break;
	case GP_START:
		key = strdup("change");
		retry = RETRY_CHANGE_MS;
		break;
	case GP_ADD_BRICK:
		key = strdup("change");
		retry = RETRY_CHANGE_MS;
		break;
	default:
		return;
	}
	if (!key)
		return;
	e = err_find(c, key);
	if (job_pending(c, key) || (e && cc_mono_ms() - e->when < retry)) {
		free(key);
		return;
	}
	j = calloc(1, sizeof *j);
	if (!j) {
		free(key);
		return;
	}
	j->kind = a->action;
	j->key = key;
	j->replica = a->replica;
	j->expect = a->expect_bricks;
	j->force = a->force;
	if (a->peer && !(j->peer = strdup(a->peer)))
		goto oom;
	if (a->n_bricks) {
		j->bricks = calloc(a->n_bricks, sizeof *j->bricks);
		if (!j->bricks)
			goto oom;
		for (size_t i = 0; i < a->n_bricks; i++, j->n++)
			if (!(j->bricks[i] = strdup(a->bricks[i])))
				goto oom;
	}
	for (pp = &c->q; *pp; pp = &(*pp)->next)
		;
	*pp = j;
	pthread_cond_signal(&c->cv);
	return;
oom:
	job_free(j);
}

/* ---- the worker --------------------------------------------------- */

/* Lock held.  What gp_decide answers a node that can host no brick, has
 * none and was promised none, while this snapshot stands: the same for
 * every such node (nothing in it names the node).  Only a plain "mount"
 * is cached; any other state is decided node by node. */
static void cache_client_answer(struct gl_ctl *c)
{
	struct gp_node node = {.node_id = "", .ip = "0.0.0.0"};
	struct gp_view view = {.loaded = c->loaded, .error = c->snap_err, .vol_exists = c->vol_exists,
			       .vol = c->vol_exists ? &c->vol : NULL, .peers = &c->peers};
	struct gp_answer a;

	free(c->client_payload);
	free(c->client_message);
	c->client_payload = c->client_message = NULL;
	if (gp_decide(&c->cfg, &view, &node, &a) < 0)
		return;
	if (a.step == GP_MOUNT && !a.waiting && a.action == GP_NONE && strcmp(a.role, GP_ROLE_CLIENT) == 0 &&
	    a.message && (c->client_payload = gp_payload_json(&c->cfg, view.vol, &a)) &&
	    !(c->client_message = strdup(a.message))) {
		free(c->client_payload);
		c->client_payload = NULL;
	}
	gp_answer_free(&a);
}

static void refresh(struct gl_ctl *c)
{
	struct gx_peers peers;
	struct gx_volume vol;
	bool exists = false;
	char *err = NULL;
	int r;

	r = gcli_pool_list(c->h, &peers, &err);
	if (r == 0) {
		free(err);
		err = NULL;
		r = gcli_volume_info(c->h, c->cfg.volume, &vol, &exists, &err);
		if (r < 0)
			gx_peers_free(&peers);
	}
	pthread_mutex_lock(&c->mu);
	free(c->snap_err);
	c->snap_err = NULL;
	if (r < 0) {
		c->snap_err = err ? err : strdup("cannot read the GlusterFS state");
		err = NULL;
	} else {
		gx_peers_free(&c->peers);
		gx_volume_free(&c->vol);
		c->peers = peers;
		c->vol_exists = exists;
		if (exists)
			c->vol = vol;
	}
	c->loaded = true;
	c->snap_ms = cc_mono_ms();
	cache_client_answer(c);
	pthread_mutex_unlock(&c->mu);
	free(err);
}

static bool peer_in_cluster(const struct gx_peers *p, const char *host)
{
	const struct gx_peer *e = gx_peers_find(p, host);
	return e && e->state == 3 && e->connected;
}

/* After a probe: poll the pool until the peer is in the cluster, so the
 * next plan finds it there.  A state to wait for, not a sleep. */
static void settle_peer(struct gl_ctl *c, const char *peer)
{
	int64_t end = cc_mono_ms() + PEER_SETTLE_MS;
	while (cc_mono_ms() < end) {
		struct gx_peers p;
		char *err = NULL;
		bool done, stop;
		if (gcli_pool_list(c->h, &p, &err) < 0) {
			free(err);
			return;
		}
		done = peer_in_cluster(&p, peer);
		gx_peers_free(&p);
		pthread_mutex_lock(&c->mu);
		stop = c->stop;
		pthread_mutex_unlock(&c->mu);
		if (done || stop)
			return;
		nanosleep(&(struct timespec){0, PEER_POLL_MS * 1000000L}, NULL);
	}
}

/* Are all of the job's bricks in the volume now? */
static bool job_bricks_in(const struct gx_volume *v, const struct job *j)
{
	bool all_in = true;
	for (size_t i = 0; i < j->n; i++) {
		char *host, *path;
		if (gx_split_brick(j->bricks[i], &host, &path) < 0)
			continue;
		all_in &= gx_volume_find_brick(v, host, path) != NULL;
		free(host);
		free(path);
	}
	return all_in;
}

/* "Commit failed on <peer>": glusterd has the brick in the volume, but
 * the peer did not start its brick process, so it serves nothing and no
 * client or heal reaches it, and every later plan sees the brick "in"
 * and moves on.  `volume start NAME force` starts the volume's offline
 * bricks and touches no data.  Returns 0 when that mended it, else the
 * add-brick's own error r. */
static int recover_partial_add(struct gl_ctl *c, const struct job *j, int r, char **err)
{
	struct gx_volume v;
	bool exists = false, in;
	char *e2 = NULL;

	if (gcli_volume_info(c->h, c->cfg.volume, &v, &exists, &e2) < 0 || !exists) {
		free(e2);
		return r;
	}
	in = job_bricks_in(&v, j);
	gx_volume_free(&v);
	if (!in)
		return r;
	c->h->log(c->h->ctx, CLUSTERCTL_LOG_WARN, "gluster add-brick reported \"%s\" but the volume lists "
		  "the brick: starting its brick process (volume start %s force)", *err ? *err : "?", c->cfg.volume);
	if (gcli_volume_start_force(c->h, c->cfg.volume, &e2) < 0) {
		c->h->log(c->h->ctx, CLUSTERCTL_LOG_WARN, "%s", e2 ? e2 : "gluster volume start force failed");
		free(e2);
		return r;
	}
	free(*err);
	*err = NULL;
	return 0;
}

static int run_add_brick(struct gl_ctl *c, const struct job *j, char **err)
{
	struct gx_volume v;
	struct gx_peers p;
	bool exists;
	int r, old_replica;
	char *herr = NULL;

	*err = NULL;
	/* Preconditions again, on fresh state: the plan may be stale. */
	if ((r = gcli_volume_info(c->h, c->cfg.volume, &v, &exists, err)) < 0)
		return r;
	if (!exists) {
		*err = cc_strdupf("volume %s disappeared", c->cfg.volume);
		return -ENOENT;
	}
	if (job_bricks_in(&v, j) || v.n_bricks != (size_t)j->expect) {
		/* done already, or the volume changed: the next plan decides again */
		gx_volume_free(&v);
		return 0;
	}
	old_replica = v.replica_count < 1 ? 1 : v.replica_count;
	gx_volume_free(&v);
	if ((r = gcli_pool_list(c->h, &p, err)) < 0)
		return r;
	for (size_t i = 0; i < j->n; i++) {
		char *host, *path;
		if (gx_split_brick(j->bricks[i], &host, &path) < 0)
			continue;
		if (!peer_in_cluster(&p, host)) {
			*err = cc_strdupf("%s is not in 'Peer in Cluster' state yet; clusterctl retries", host);
			r = -EAGAIN;
		}
		free(host);
		free(path);
	}
	gx_peers_free(&p);
	if (r < 0)
		return r;
	c->h->log(c->h->ctx, CLUSTERCTL_LOG_INFO, "gluster add-brick volume=%s replica=%d bricks=%zu first=%s",
		  c->cfg.volume, j->replica, j->n, j->bricks[0]);
	if ((r = gcli_volume_add_brick(c->h, c->cfg.volume, j->replica, (const char *const *)j->bricks,
				       j->n, j->force, err)) < 0 &&
	    (r = recover_partial_add(c, j, r, err)) < 0)
		return r;
	if (j->replica <= old_replica)
		return 0;
	/* A new replica of the existing set starts empty, and the self-heal
	 * daemon copies the files already on the volume only when its crawl
	 * comes round.  A full heal starts the copy now.  Best effort: the
	 * brick is in, and the daemon gets there in the end. */
	c->h->log(c->h->ctx, CLUSTERCTL_LOG_INFO, "gluster volume heal volume=%s full (replica %d -> %d)",
		  c->cfg.volume, old_replica, j->replica);
	if (gcli_volume_heal_full(c->h, c->cfg.volume, &herr) < 0)
		c->h->log(c->h->ctx, CLUSTERCTL_LOG_WARN, "%s; the self-heal daemon copies the existing "
			  "files to the new brick on its own (gluster volume heal %s info shows what is left)",
			  herr ? herr : "gluster volume heal failed", c->cfg.volume);
	free(herr);
	return 0;
}

static void run_job(struct gl_ctl *c, struct job *j)
{
	char *err = NULL;
	int r = 0;

	switch (j->kind) {
	case GP_PROBE:
		c->h->log(c->h->ctx, CLUSTERCTL_LOG_INFO, "gluster peer probe peer=%s", j->peer);
		r = gcli_peer_probe(c->h, j->peer, &err);
		if (r == 0)
			settle_peer(c, j->peer);
		break;
	case GP_START:
		c->h->log(c->h->ctx, CLUSTERCTL_LOG_INFO, "gluster volume start volume=%s", c->cfg.volume);
		r = gcli_volume_start(c->h, c->cfg.volume, &err);
		break;
	case GP_ADD_BRICK:
		r = run_add_brick(c, j, &err);
		break;
	default:
		break;
	}
	if (r < 0)
		c->h->log(c->h->ctx, CLUSTERCTL_LOG_WARN, "gluster step failed: %s", err ? err : "unknown error");
	pthread_mutex_lock(&c->mu);
	err_set(c, j->key, r < 0 ? (err ? err : "failed") : NULL, -r);
	pthread_mutex_unlock(&c->mu);
	free(err);
}

static void *worker(void *arg)
{
	struct gl_ctl *c = arg;

	pthread_mutex_lock(&c->mu);
	while (!c->stop) {
		if (c->q) {
			struct job *j = c->q;
			c->q = j->next;
			c->running = j;
			pthread_mutex_unlock(&c->mu);
			run_job(c, j);
			/* Read the volume and pool again before the job stops
			 * counting as running: until then the snapshot predates
			 * the change, and a plan must see "busy", not a brick
			 * tagged by this add-brick and missing from the volume
			 * (which reads as the leftover of a failed one). */
			refresh(c);
			pthread_mutex_lock(&c->mu);
			c->running = NULL;
			job_free(j);
			continue;
		}
		if (c->refresh_wanted) {
			c->refresh_wanted = false;
			c->refreshing = true;
			pthread_mutex_unlock(&c->mu);
			refresh(c);
			pthread_mutex_lock(&c->mu);
			c->refreshing = false;
			continue;
		}
		pthread_cond_wait(&c->cv, &c->mu);
	}
	pthread_mutex_unlock(&c->mu);
	return NULL;
}

static void gl_node_free(void *v)
{
	struct gl_node *n = v;
	if (!n)
		return;
	free(n->node_id);
	free(n->text);
	gp_record_free(&n->rec);
	free(n);
}

int gl_ctl_new(const struct clusterctl_host *h, const struct gp_cfg *cfg, struct gl_ctl **out)
{
	struct gl_ctl *c = calloc(1, sizeof *c);
	if (!c)
		return -ENOMEM;
	c->h = h;
	c->cfg = *cfg;
	cp_map_init(&c->nodes);
	pthread_mutex_init(&c->mu, NULL);
	pthread_cond_init(&c->cv, NULL);
	*out = c;
	return 0;
}

void gl_ctl_free(struct gl_ctl *c)
{
	if (!c)
		return;
	if (c->thr_started)
		cp_thread_stop(c->thr, &c->mu, &c->cv, &c->stop);
	while (c->q) {
		struct job *j = c->q;
		c->q = j->next;
		job_free(j);
	}
	while (c->errs) {
		struct jerr *e = c->errs;
		c->errs = e->next;
		free(e->key);
		free(e->msg);
		free(e);
	}
	cp_map_free(&c->nodes, gl_node_free);
	free(c->roster);
	free(c->client_payload);
	free(c->client_message);
	free(c->snap_err);
	gx_volume_free(&c->vol);
	gx_peers_free(&c->peers);
	pthread_cond_destroy(&c->cv);
	pthread_mutex_destroy(&c->mu);
	free(c);
}

int gl_ctl_busy(struct gl_ctl *c)
{
	int n = 0;
	pthread_mutex_lock(&c->mu);
	for (struct job *j = c->q; j; j = j->next)
		n++;
	n += (c->running != NULL) + c->refresh_wanted + c->refreshing;
	pthread_mutex_unlock(&c->mu);
	return n;
}

/* ---- the index (event loop only) ----------------------------------- */

static bool is_brick(const struct gp_record *r) { return r->role && strcmp(r->role, GP_ROLE_BRICK) == 0; }

static void roster_drop(struct gl_ctl *c, struct gl_node *n)
{
	size_t i = n->roster_at;
	if (i == SIZE_MAX)
		return;
	c->roster[i] = c->roster[--c->n_roster];
	c->roster[i]->roster_at = i;
	n->roster_at = SIZE_MAX;
}

static int roster_add(struct gl_ctl *c, struct gl_node *n)
{
	if (n->roster_at != SIZE_MAX)
		return 0;
	if (c->n_roster == c->cap_roster) {
		size_t cap = c->cap_roster ? c->cap_roster * 2 : 8;
		struct gl_node **v = realloc(c->roster, cap * sizeof *v);
		if (!v)
			return -ENOMEM;
		c->roster = v;
		c->cap_roster = cap;
	}
	n->roster_at = c->n_roster;
	c->roster[c->n_roster++] = n;
	return 0;
}

/* The node's record as the core stores it now (NULL: none). */
static int index_put(struct gl_ctl *c, const char *node_id, const char *record)
{
	struct gl_node *n = cp_map_gets(&c->nodes, node_id);
	char *text;

	if (n && ((!record && !n->text) || (record && n->text && strcmp(record, n->text) == 0)))
		return 0; /* unchanged: a heartbeat */
	if (!n) {
		if (!(n = calloc(1, sizeof *n)) || !(n->node_id = strdup(node_id))) {
			free(n);
			return -ENOMEM;
		}
		n->roster_at = SIZE_MAX;
		if (cp_map_puts(&c->nodes, node_id, n) < 0) {
			gl_node_free(n);
			return -ENOMEM;
		}
	}
	if (record && !(text = strdup(record)))
		return -ENOMEM;
	free(n->text);
	n->text = record ? text : NULL;
	gp_record_free(&n->rec);
	gp_record_parse(record, &n->rec);
	if (is_brick(&n->rec))
		return roster_add(c, n);
	roster_drop(c, n);
	return 0;
}

int gl_ctl_event(struct gl_ctl *c, int kind, const struct clusterctl_node *node)
{
	struct gl_node *n;

	switch (kind) {
	case CLUSTERCTL_NODE_LOADED:
	case CLUSTERCTL_NODE_STORED:
		if (node && node->node_id && index_put(c, node->node_id, node->record_json) < 0) {
			c->h->error(c->h->ctx, "out of memory");
			return -ENOMEM;
		}
		return 0;
	case CLUSTERCTL_NODE_REMOVED:
		if (node && node->node_id && (n = cp_map_dels(&c->nodes, node->node_id))) {
			roster_drop(c, n);
			gl_node_free(n);
		}
		return 0;
	default:
		return 0; /* NODES_READY and kinds of later minors */
	}
}

int gl_ctl_forget(struct gl_ctl *c, const struct clusterctl_node *node, uint32_t flags, char **message)
{
	struct gp_record rec = {0};
	bool in_volume = false;
	int r = 0;

	gp_record_parse(node ? node->record_json : NULL, &rec);
	if (!is_brick(&rec) || !rec.brick || !rec.host) {
		*message = strdup("a client of the volume: nothing to move");
		goto out;
	}
	pthread_mutex_lock(&c->mu);
	in_volume = c->vol_exists && gx_volume_find_brick(&c->vol, rec.host, rec.brick) != NULL;
	pthread_mutex_unlock(&c->mu);
	if (!in_volume) {
		*message = cc_strdupf("its brick %s:%s was never added to volume %s: nothing to move", rec.host, rec.brick,
				      c->cfg.volume);
		goto out;
	}
	if (!(flags & CLUSTERCTL_FORGET_FORCE)) {
		c->h->error(c->h->ctx,
			    "node %s holds the brick %s:%s of volume %s, and clusterctl does not move a brick yet: move it "
			    "first (gluster volume replace-brick %s %s:%s NEW-HOST:BRICK-DIR commit force, then gluster "
			    "volume heal %s full), or remove the node with --force, which leaves the brick in the volume "
			    "(its replicas keep serving the data; nothing is deleted)",
			    node->node_id, rec.host, rec.brick, c->cfg.volume, c->cfg.volume, rec.host, rec.brick,
			    c->cfg.volume);
		r = -EPERM;
		goto out;
	}
	c->h->log(c->h->ctx, CLUSTERCTL_LOG_WARN,
		  "forget node=%s with --force: its brick %s:%s stays in volume %s, unserved until replaced", node->node_id,
		  rec.host, rec.brick, c->cfg.volume);
	*message = cc_strdupf("its brick %s:%s stays in volume %s (forced; nothing deleted): replace it with gluster "
			      "volume replace-brick to restore the replica count",
			      rec.host, rec.brick, c->cfg.volume);
out:
	gp_record_free(&rec);
	return r;
}

/* ---- plans ---------------------------------------------------------- */

/* The record of a plain client, as gp_record_json writes it. */
static char *client_record(const char *ip)
{
	struct gp_record r = {.role = (char *)GP_ROLE_CLIENT, .host = (char *)ip};
	return gp_record_json(&r);
}

/* Lock held.  A node that can host no brick, holds none (its address
 * names no brick of the volume) and was promised none: the cached
 * answer, O(1).  1: answered, 0: decide it the long way, -ENOMEM. */
static int plan_plain_client(struct gl_ctl *c, const struct clusterctl_plan_in *in, struct clusterctl_plan_out *out)
{
	const struct clusterctl_node *node = in->node;
	const struct gl_node *n = cp_map_gets(&c->nodes, node->node_id);
	char *record = NULL;
	int r = 0;

	if (node->storage_capable || (n && is_brick(&n->rec)) || !c->client_payload ||
	    (c->vol_exists && gx_volume_find_brick(&c->vol, node->ip, NULL)))
		return 0;
	/* Keep the stored record when it already says this. */
	if (!(record = client_record(node->ip)))
		return -ENOMEM;
	if (node->record_json && strcmp(node->record_json, record) == 0) {
		free(record);
		record = NULL;
	}
	out->payload_json = strdup(c->client_payload);
	out->message = strdup(c->client_message);
	out->record_json = record;
	out->storage_enabled = 1;
	out->storage_volume = strdup(c->cfg.volume);
	out->storage_mount = strdup(c->cfg.mount);
	out->storage_brick = strdup("");
	r = out->payload_json && out->message && out->storage_volume && out->storage_mount && out->storage_brick
		    ? 1
		    : -ENOMEM;
	return r;
}

/* The brick-role nodes other than self, for gp_decide (borrowed). */
static int others_of(struct gl_ctl *c, const char *self, struct gp_other **out, size_t *n)
{
	*n = 0;
	*out = calloc(c->n_roster + 1, sizeof **out);
	if (!*out)
		return -ENOMEM;
	for (size_t i = 0; i < c->n_roster; i++) {
		const struct gl_node *g = c->roster[i];
		if (strcmp(g->node_id, self) == 0)
			continue;
		(*out)[*n].node_id = g->node_id;
		(*out)[*n].ip = g->rec.host;
		(*out)[*n].rec = g->rec;
		(*n)++;
	}
	return 0;
}

int gl_ctl_plan(struct gl_ctl *c, const struct clusterctl_plan_in *in, struct clusterctl_plan_out *out)
{
	const struct clusterctl_node *nd = in->node;
	struct gp_node node;
	struct gp_view view;
	struct gp_answer ans;
	struct gp_other *others = NULL;
	size_t n_others = 0;
	char *perr = NULL, *probe_key = NULL;
	struct jerr *pe, *ce;
	bool changed;
	int r;

	memset(&node, 0, sizeof node);
	memset(&ans, 0, sizeof ans);
	if (!nd || !nd->ip || !gn_host_ok(nd->ip) || !nd->node_id) {
		c->h->error(c->h->ctx, "the registration has no usable IP address");
		return -EINVAL;
	}
	/* One critical section from the thread's start to the decision: the
	 * answer is the snapshot's as it stood when the node asked. */
	pthread_mutex_lock(&c->mu);
	if (!c->thr_started) {
		if (pthread_create(&c->thr, NULL, worker, c) != 0) {
			pthread_mutex_unlock(&c->mu);
			c->h->error(c->h->ctx, "cannot start the background thread");
			return -EAGAIN;
		}
		c->thr_started = true;
		c->refresh_wanted = true;
	}
	if (!c->refreshing && !c->refresh_wanted && cc_mono_ms() - c->snap_ms > SNAP_MAX_AGE_MS) {
		c->refresh_wanted = true;
		pthread_cond_signal(&c->cv);
	}
	if ((r = plan_plain_client(c, in, out)) != 0) {
		pthread_mutex_unlock(&c->mu);
		if (r < 0)
			c->h->error(c->h->ctx, "out of memory");
		return r < 0 ? r : 0;
	}

	node.node_id = nd->node_id;
	node.ip = nd->ip;
	node.capable = nd->storage_capable != 0;
	if (gp_obs_parse(in->observed_json, &node.obs, &perr) < 0) {
		c->h->log(c->h->ctx, CLUSTERCTL_LOG_WARN, "ignoring Observed.Storage of node=%s: %s", nd->node_id,
			  perr);
		gp_obs_parse("{}", &node.obs, &perr);
	}
	free(perr);
	gp_record_parse(nd->record_json, &node.rec);
	if ((r = others_of(c, nd->node_id, &others, &n_others)) < 0 ||
	    !(probe_key = cc_strdupf("probe:%s", nd->ip))) {
		pthread_mutex_unlock(&c->mu);
		r = -ENOMEM;
		goto out;
	}
	node.others = others;
	node.n_others = n_others;
	pe = err_find(c, probe_key);
	ce = err_find(c, "change");
	view = (struct gp_view){
		.loaded = c->loaded,
		.error = c->snap_err,
		.vol_exists = c->vol_exists,
		.vol = c->vol_exists ? &c->vol : NULL,
		.peers = &c->peers,
		.probe_error = pe ? pe->msg : NULL,
		.probe_errno = pe ? pe->err : 0,
		.change_error = ce ? ce->msg : NULL,
		.busy = change_pending(c),
		.probing = job_pending(c, probe_key),
	};
	r = gp_decide(&c->cfg, &view, &node, &ans);
	if (r == 0) {
		enqueue(c, &ans);
		out->payload_json = gp_payload_json(&c->cfg, view.vol, &ans);
	}
	pthread_mutex_unlock(&c->mu);
	if (r < 0)
		goto out;
	if (ans.step == GP_ERROR) {
		/* Something a person must fix: the core answers "error" with
		 * this text (and stores nothing); the node stops and says why. */
		c->h->log(c->h->ctx, CLUSTERCTL_LOG_WARN, "gluster plan node=%s ip=%s refused: %s", nd->node_id,
			  nd->ip, ans.error ? ans.error : "");
		c->h->error(c->h->ctx, "%s", ans.error ? ans.error : "cannot go on");
		free(out->payload_json);
		out->payload_json = NULL;
		r = -EIO;
		goto out;
	}
	out->record_json = ans.rec.role ? gp_record_json(&ans.rec) : NULL;
	changed = !out->record_json || !nd->record_json || strcmp(out->record_json, nd->record_json) != 0;
	if (out->record_json && !changed) {
		free(out->record_json); /* the core keeps the stored one */
		out->record_json = NULL;
	}
	out->waiting = ans.waiting;
	out->retry_after = ans.waiting ? (uint32_t)ans.retry_after : 0;
	out->message = ans.message ? strdup(ans.message) : NULL;
	out->storage_enabled = 1;
	out->storage_volume = strdup(c->cfg.volume);
	out->storage_mount = strdup(c->cfg.mount);
	out->storage_brick = strdup(ans.brick ? ans.brick : "");
	if (!out->payload_json || (ans.rec.role && changed && !out->record_json) || !out->storage_volume ||
	    !out->storage_mount || !out->storage_brick) {
		r = -ENOMEM;
		goto out;
	}
	/* Progress is worth a line; a steady answer is not. */
	c->h->log(c->h->ctx, changed || ans.step != GP_MOUNT ? CLUSTERCTL_LOG_INFO : CLUSTERCTL_LOG_DEBUG,
		  "gluster plan node=%s ip=%s role=%s step=%s waiting=%d message=\"%s\"", nd->node_id, nd->ip,
		  ans.role, gp_step_name(ans.step), ans.waiting, ans.message ? ans.message : "");
out:
	if (r == -ENOMEM)
		c->h->error(c->h->ctx, "out of memory");
	gp_answer_free(&ans);
	gp_obs_free(&node.obs);
	gp_record_free(&node.rec);
	free(others);
	free(probe_key);
	return r;
}
