/* The controller side of the wireguard overlay (master serve).
 *
 * The core tells us about the nodes it stores (node events); we keep an
 * index of leases and public keys in memory (wg-index.c) and never look
 * at the whole cluster in a plan:
 *   LOADED       each stored record into the index (its address, its key
 *                and the version of its last change)
 *   NODES_READY  the index ordered; on the master host, the thread that
 *                keeps the master's own wg0 starts and applies the whole
 *                set once
 *   plan         decide the node's address and record, and answer with
 *                what its peer list lacks: nothing ("unchanged"), the
 *                changes since the version it holds, or the whole list
 *                a page at a time (wg.h, WG_PAGE*)
 *   STORED       commit the decision (the lease, the key's new version);
 *                on the master host, put that one peer on wg0
 *   REMOVED      free the lease, retire the key
 *
 * Durable state: each node's record (the core's) holds its address, key,
 * endpoint and version.  In the data dir: master.json (master init's),
 * peer-epoch (the epoch of the versions, changed when history was lost:
 * then every node fetches the whole list once), master-peers.json (the
 * master's peers, for master init after a reboot; written by the thread,
 * at most every few seconds).  leases.json of older versions is read once
 * at start: a node that had a lease there and no record gets it back. */
#include <errno.h>
#include <inttypes.h>
#include <net/if.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "cc-file.h"
#include "cc-time.h"
#include "plugin-host.h"
#include "plugin-json.h"
#include "wg.h"

#define MASTER_FILE "master.json"
#define MASTER_PEERS_FILE "master-peers.json"
#define EPOCH_FILE "peer-epoch"
#define LEGACY_LEASES_FILE "leases.json"
#define SAVE_DELAY_MS 5000  /* master-peers.json: at most this often */
#define LINK_CHECK_MS 10000 /* how often the thread looks for a recreated wg0 */
#define MAX_QUEUE 65536

struct wg_ctl {
	const struct clusterctl_host *h;
	struct wg_conf conf;
	const char *wg_go;
	struct wg_index idx;
	pthread_mutex_t idx_mu;  /* the loop changes the index under it; the thread reads */
	bool ready;
	struct wg_record master; /* master.json; has_key false when there is none */
	bool on_master;          /* this host holds the master's key: keep its wg0 */
	uint64_t epoch_id, epoch;
	bool unclean_saved;
	struct cp_map legacy;    /* node id -> address (uint32_t *), from leases.json */
	/* the plan waiting for its STORED */
	char *pend_id;
	struct wg_record pend_rec;
	/* the master's wg0, kept by a thread of its own */
	pthread_t thr;
	bool thr_started;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool stop, full_wanted, save_wanted;
	int64_t save_due;
	struct wg_peer *queue;   /* single changes the loop could not apply itself */
	size_t n_queue, cap_queue;
	pthread_mutex_t dev_mu;  /* the master's device: the thread's full apply, the loop's single ones */
	enum wg_backend bk;      /* as the last full apply found it */
	uint32_t ifindex;
	bool down_logged;
	/* Addresses of removed nodes kept from new nodes until their time
	 * (forget-grace), oldest first: a host taken out may still have its
	 * tunnel up, and another node on its address would get its packets.
	 * In memory only: a restart ends the grace early. */
	struct cooling {
		uint32_t address;
		int64_t until_ms;
		char node_id[128];
	} *cool;
	size_t n_cool;
};

#define LOG(c, lvl, ...) (c)->h->log((c)->h->ctx, (lvl), __VA_ARGS__)
#define ERR(c, ...) (c)->h->error((c)->h->ctx, __VA_ARGS__)

static char *data_path(const struct wg_ctl *c, const char *file)
{
	const char *dir = c->h->data_dir(c->h->ctx);
	struct cc_buf b = CC_BUF_INIT;
	if (!dir)
		return NULL;
	cc_buf_printf(&b, "%s/%s", dir, file);
	return cc_buf_detach(&b);
}

/* ---- start: the master, the epoch, old leases -------------------------- */

static void load_master(struct wg_ctl *c)
{
	char *path = data_path(c, MASTER_FILE), *text = NULL, *err = NULL;
	int r;

	memset(&c->master, 0, sizeof c->master);
	if (!path)
		return;
	r = cc_read_file(path, 64 * 1024, &text, NULL);
	if (r < 0 && r != -ENOENT)
		LOG(c, CLUSTERCTL_LOG_WARN, "ignoring unreadable %s: %s", path, strerror(-r));
	else if (r == 0 && wg_record_parse(text, &c->master, &err) < 0) {
		LOG(c, CLUSTERCTL_LOG_WARN, "ignoring unreadable %s: %s", path, err ? err : "invalid");
		memset(&c->master, 0, sizeof c->master);
	}
	if (c->master.has_key && (!c->master.address || !wg_pool_usable(&c->conf.pool, c->master.address)))
		c->master.address = wg_pool_master(&c->conf.pool);
	free(err);
	free(text);
	free(path);
}

/* Is this controller on the master host: does the data dir hold the
 * private key whose public half master.json names?  Never creates one. */
static bool master_here(struct wg_ctl *c)
{
	const char *dir = c->h->data_dir(c->h->ctx);
	uint8_t priv[WG_KEY_LEN], pub[WG_KEY_LEN];
	char *path = data_path(c, "private.key"), *err = NULL;
	bool created = false, here = false;

	if (!c->master.has_key || !dir || !path || access(path, F_OK) != 0)
		goto out;
	if (wg_key_load_or_create(dir, priv, &created, &err) == 0 && wg_key_public(priv, pub) == 0)
		here = memcmp(pub, c->master.public_key, WG_KEY_LEN) == 0;
	wg_key_wipe(priv, sizeof priv);
out:
	free(err);
	free(path);
	return here;
}

static uint64_t mix64(uint64_t h, uint64_t v)
{
	h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	return h;
}

static int write_epoch(struct wg_ctl *c, bool clean)
{
	char *path = data_path(c, EPOCH_FILE), text[96];
	int r;
	if (!path)
		return -ENOENT;
	snprintf(text, sizeof text, "{\"Epoch\":\"%016" PRIx64 "\",\"Clean\":%s}\n", c->epoch_id,
		 clean ? "true" : "false");
	r = cc_write_file_atomic(path, text, strlen(text), 0600);
	if (r < 0)
		LOG(c, CLUSTERCTL_LOG_WARN, "cannot write %s: %s", path, strerror(-r));
	free(path);
	return r;
}

/* The epoch of the versions nodes hold.  It survives restarts, so nodes
 * keep their versions, unless this controller forgot history in its last
 * run (a retired key, repaired versions): then a new one makes every node
 * fetch the whole list once.  The master's own peer entry and the pool
 * are part of it: a change there is a change for every node. */
static int load_epoch(struct wg_ctl *c)
{
	char *path = data_path(c, EPOCH_FILE), *text = NULL;
	json_object *o = NULL, *v;
	bool clean = false;

	if (path && cc_read_file(path, 4096, &text, NULL) == 0 && (o = json_tokener_parse(text)) &&
	    json_object_object_get_ex(o, "Epoch", &v) && json_object_is_type(v, json_type_string) &&
	    sscanf(json_object_get_string(v), "%16" SCNx64, &c->epoch_id) == 1 &&
	    json_object_object_get_ex(o, "Clean", &v) && json_object_is_type(v, json_type_boolean))
		clean = json_object_get_boolean(v);
	json_object_put(o);
	free(text);
	free(path);
	if (!clean) {
		if (getrandom(&c->epoch_id, sizeof c->epoch_id, 0) != (ssize_t)sizeof c->epoch_id)
			c->epoch_id ^= (uint64_t)time(NULL) * 0x9e3779b97f4a7c15ull;
		write_epoch(c, true);
	}
	c->epoch = mix64(c->epoch_id, c->conf.pool.net);
	c->epoch = mix64(c->epoch, c->conf.pool.plen);
	c->epoch = mix64(c->epoch, c->conf.keepalive);
	if (c->master.has_key) {
		uint64_t k;
		memcpy(&k, c->master.public_key, sizeof k);
		c->epoch = mix64(c->epoch, k);
		c->epoch = mix64(c->epoch, c->master.address);
		c->epoch = mix64(c->epoch, ((uint64_t)c->master.endpoint_ip << 16) | c->master.listen_port);
	}
	return 0;
}

/* leases.json of versions that kept addresses there: read once, so a
 * node that had a lease and lost its record gets the same address. */
static void load_legacy_leases(struct wg_ctl *c)
{
	char *path = data_path(c, LEGACY_LEASES_FILE), *text = NULL;
	json_object *o = NULL, *l;

	if (!path || cc_read_file(path, 16u << 20, &text, NULL) < 0)
		goto out;
	o = json_tokener_parse(text);
	if (!o || !json_object_object_get_ex(o, "Leases", &l) || !json_object_is_type(l, json_type_object))
		goto out;
	json_object_object_foreach(l, id, val)
	{
		uint32_t a, *v;
		if (!json_object_is_type(val, json_type_string) || cc_parse_ipv4(json_object_get_string(val), &a) < 0 ||
		    !(v = malloc(sizeof *v)))
			continue;
		*v = a;
		if (cp_map_puts(&c->legacy, id, v) < 0)
			free(v);
	}
	LOG(c, CLUSTERCTL_LOG_INFO, "read %zu leases of an older version from %s (used for nodes without a record; "
				    "the file is no longer written)",
	    c->legacy.count, path);
out:
	json_object_put(o);
	free(text);
	free(path);
}

int wg_ctl_new(const struct clusterctl_host *h, const struct wg_conf *conf, const char *wg_go, struct wg_ctl **out)
{
	struct wg_ctl *c = calloc(1, sizeof *c);
	int r;

	if (!c)
		return -ENOMEM;
	c->h = h;
	c->conf = *conf;
	c->wg_go = wg_go;
	cp_map_init(&c->legacy);
	pthread_mutex_init(&c->idx_mu, NULL);
	pthread_mutex_init(&c->mu, NULL);
	pthread_mutex_init(&c->dev_mu, NULL);
	pthread_cond_init(&c->cv, NULL);
	if ((r = wg_index_init(&c->idx, &conf->pool, conf->keepalive)) < 0) {
		ERR(c, "out of memory for the address pool %s", "index");
		wg_ctl_free(c);
		return r;
	}
	load_master(c);
	c->on_master = master_here(c);
	load_epoch(c);
	*out = c;
	return 0;
}

const struct wg_index *wg_ctl_index(const struct wg_ctl *c) { return &c->idx; }

static void free_ptr(void *v) { free(v); }

void wg_ctl_free(struct wg_ctl *c)
{
	if (!c)
		return;
	if (c->thr_started)
		cp_thread_stop(c->thr, &c->mu, &c->cv, &c->stop);
	wg_index_free(&c->idx);
	cp_map_free(&c->legacy, free_ptr);
	free(c->pend_id);
	free(c->queue);
	free(c->cool);
	pthread_cond_destroy(&c->cv);
	pthread_mutex_destroy(&c->mu);
	pthread_mutex_destroy(&c->dev_mu);
	pthread_mutex_destroy(&c->idx_mu);
	free(c);
}

/* ---- the master's own interface ------------------------------------------ */

struct collect {
	struct wg_device *dev;
	uint16_t keepalive;
};

static int collect_peer(const struct wg_walk_item *it, void *arg)
{
	struct collect *cl = arg;
	struct wg_peer *p = wg_device_add_peer(cl->dev);
	struct wg_allowed_ip a = {.family = AF_INET, .cidr = 32, .addr.v4 = it->address};
	if (!p)
		return -ENOMEM;
	memcpy(p->public_key, it->key, WG_KEY_LEN);
	if (it->endpoint_ip && it->port) {
		p->endpoint.family = AF_INET;
		p->endpoint.addr.v4 = it->endpoint_ip;
		p->endpoint.port = it->port;
	}
	p->keepalive = cl->keepalive;
	return wg_peer_add_allowed(p, &a);
}

/* Every node's peer, as the index holds them now. */
static int master_snapshot(struct wg_ctl *c, struct wg_device *want)
{
	struct collect cl = {.dev = want, .keepalive = c->conf.keepalive};
	int r;
	memset(want, 0, sizeof *want);
	strcpy(want->ifname, c->conf.ifname);
	pthread_mutex_lock(&c->idx_mu);
	r = wg_index_each_live(&c->idx, collect_peer, &cl);
	pthread_mutex_unlock(&c->idx_mu);
	return r;
}

/* Thread: the whole set onto the master's wg0 (at start, and when wg0
 * was recreated), removing peers no node announces. */
static void master_full_apply(struct wg_ctl *c)
{
	struct wg_device want, cur = {0}, set = {0};
	struct clusterctl_link l;
	size_t changes = 0;
	int r;

	pthread_mutex_lock(&c->dev_mu);
	c->bk = wg_backend_detect(c->h, c->conf.ifname);
	if (c->bk == WG_BK_NONE || c->h->link_get(c->h->ctx, c->conf.ifname, &l) < 0) {
		if (!c->down_logged)
			LOG(c, CLUSTERCTL_LOG_WARN, "the master's %s is not up, so nodes cannot reach the master over "
						    "the overlay: run clusterctl master init again (the controller puts "
						    "the peers on it when it is back)",
			    c->conf.ifname);
		c->down_logged = true;
		c->bk = WG_BK_NONE;
		c->ifindex = 0;
		goto out;
	}
	c->down_logged = false;
	if ((r = master_snapshot(c, &want)) < 0 || (r = wg_backend_get(c->h, c->bk, c->conf.ifname, &cur)) < 0 ||
	    (r = wg_device_diff(&cur, &want, true, &set, &changes)) < 0 ||
	    (changes && (r = wg_backend_set(c->h, c->bk, &set)) < 0)) {
		LOG(c, CLUSTERCTL_LOG_WARN, "cannot give the master's %s its %zu peers: %s", c->conf.ifname, want.n_peers,
		    strerror(-r));
		c->bk = WG_BK_NONE;
		c->ifindex = 0;
	} else {
		c->ifindex = l.ifindex;
		LOG(c, CLUSTERCTL_LOG_INFO, "master peers in step ifname=%s peers=%zu changes=%zu backend=%s",
		    c->conf.ifname, want.n_peers, changes, wg_backend_name(c->bk));
	}
	wg_device_free(&want);
	wg_device_free(&cur);
	wg_device_free(&set);
out:
	pthread_mutex_unlock(&c->dev_mu);
}

/* Thread: master-peers.json, so master init restores wg0 after a reboot
 * (without its peers the master has no overlay, no Swarm quorum, no
 * storage, and so no controller that could restore them). */
static void master_save(struct wg_ctl *c)
{
	struct wg_payload p = {0};
	struct wg_device want;
	char *path = data_path(c, MASTER_PEERS_FILE), *text = NULL;
	int r;

	if (!path || master_snapshot(c, &want) < 0)
		goto out;
	strcpy(p.ifname, c->conf.ifname);
	p.address = c->master.address;
	p.plen = c->conf.pool.plen;
	p.listen_port = c->master.listen_port ? c->master.listen_port : c->conf.listen_port;
	p.mtu = c->conf.mtu;
	p.peers = want.peers;
	p.n_peers = want.n_peers;
	if ((text = wg_payload_format(&p)) && (r = cc_write_file_atomic(path, text, strlen(text), 0600)) < 0)
		LOG(c, CLUSTERCTL_LOG_WARN, "cannot keep the master's peers in %s: %s", path, strerror(-r));
	wg_device_free(&want);
out:
	free(text);
	free(path);
}

/* Thread: has wg0 come back (or been recreated) since the last apply? */
static bool master_link_changed(struct wg_ctl *c)
{
	struct clusterctl_link l;
	bool changed;
	int r = c->h->link_get(c->h->ctx, c->conf.ifname, &l);
	pthread_mutex_lock(&c->dev_mu);
	changed = r == 0 && l.ifindex != c->ifindex;
	pthread_mutex_unlock(&c->dev_mu);
	return changed;
}

static void *master_thread(void *arg)
{
	struct wg_ctl *c = arg;
	int64_t next_check = cc_mono_ms() + LINK_CHECK_MS;

	pthread_mutex_lock(&c->mu);
	/* Asked to stop, it still finishes what the loop handed it, and
	 * keeps the peers for master init: a controller stopped right after a
	 * registration must not lose that node on the master's wg0. */
	while (!c->stop || c->full_wanted || c->n_queue || c->save_wanted) {
		int64_t now = cc_mono_ms();
		if (c->stop)
			c->save_due = now;
		if (c->full_wanted) {
			c->full_wanted = false;
			pthread_mutex_unlock(&c->mu);
			master_full_apply(c);
			pthread_mutex_lock(&c->mu);
			c->save_wanted = true;
			continue;
		}
		if (c->n_queue) {
			struct wg_device set = {0};
			strcpy(set.ifname, c->conf.ifname);
			set.peers = c->queue;
			set.n_peers = c->n_queue;
			c->queue = NULL;
			c->n_queue = c->cap_queue = 0;
			pthread_mutex_unlock(&c->mu);
			pthread_mutex_lock(&c->dev_mu);
			if (c->bk != WG_BK_NONE && wg_backend_set(c->h, c->bk, &set) < 0)
				c->bk = WG_BK_NONE; /* the link check brings it back whole */
			else if (c->bk != WG_BK_NONE)
				LOG(c, CLUSTERCTL_LOG_INFO, "master peers changed ifname=%s peers=%zu (queued while the "
							    "whole set was applied)",
				    c->conf.ifname, set.n_peers);
			pthread_mutex_unlock(&c->dev_mu);
			wg_device_free(&set);
			pthread_mutex_lock(&c->mu);
			continue;
		}
		if (c->save_wanted && now >= c->save_due) {
			c->save_wanted = false;
			pthread_mutex_unlock(&c->mu);
			master_save(c);
			pthread_mutex_lock(&c->mu);
			continue;
		}
		if (c->stop)
			break;
		if (now >= next_check) {
			pthread_mutex_unlock(&c->mu);
			if (master_link_changed(c)) {
				pthread_mutex_lock(&c->mu);
				c->full_wanted = true;
			} else {
				pthread_mutex_lock(&c->mu);
			}
			next_check = cc_mono_ms() + LINK_CHECK_MS;
			continue;
		}
		{
			int64_t wake = next_check;
			struct timespec ts;
			if (c->save_wanted && c->save_due < wake)
				wake = c->save_due;
			clock_gettime(CLOCK_REALTIME, &ts);
			wake -= now;
			ts.tv_sec += wake / 1000;
			ts.tv_nsec += (wake % 1000) * 1000000L;
			if (ts.tv_nsec >= 1000000000L) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000L;
			}
			pthread_cond_timedwait(&c->cv, &c->mu, &ts);
		}
	}
	pthread_mutex_unlock(&c->mu);
	return NULL;
}

/* Loop: one peer added, changed or removed on the master's wg0.  Applied
 * here and now when the thread is not busy with the device (so the
 * master knows the node's key before the node is answered); else handed
 * to the thread. */
static void master_peer(struct wg_ctl *c, const uint8_t key[WG_KEY_LEN], const struct wg_record *r, bool remove)
{
	struct wg_peer op = {0};
	struct wg_allowed_ip a = {.family = AF_INET, .cidr = 32};

	if (!c->thr_started)
		return;
	memcpy(op.public_key, key, WG_KEY_LEN);
	if (remove) {
		op.flags = WG_PEER_REMOVE;
	} else {
		op.flags = WG_PEER_REPLACE_ALLOWED_IPS | WG_PEER_SET_KEEPALIVE;
		op.keepalive = c->conf.keepalive;
		if (r->endpoint_ip && r->listen_port) {
			op.flags |= WG_PEER_SET_ENDPOINT;
			op.endpoint.family = AF_INET;
			op.endpoint.addr.v4 = r->endpoint_ip;
			op.endpoint.port = r->listen_port;
		}
		a.addr.v4 = r->address;
		if (wg_peer_add_allowed(&op, &a) < 0)
			return;
	}
	if (pthread_mutex_trylock(&c->dev_mu) == 0) {
		struct wg_device set = {.peers = &op, .n_peers = 1};
		strcpy(set.ifname, c->conf.ifname);
		if (c->bk != WG_BK_NONE && wg_backend_set(c->h, c->bk, &set) < 0) {
			LOG(c, CLUSTERCTL_LOG_WARN, "cannot change a peer of the master's %s; it is put back whole when "
						    "the interface is back",
			    c->conf.ifname);
			c->bk = WG_BK_NONE;
		} else if (c->bk != WG_BK_NONE) {
			char b64[WG_KEY_B64_LEN + 1], ip[16];
			wg_key_to_base64(key, b64);
			cc_format_ipv4(remove ? 0 : r->address, ip);
			LOG(c, CLUSTERCTL_LOG_INFO, "master peer %s ifname=%s key=%.8s... address=%s",
			    remove ? "removed" : "set", c->conf.ifname, b64, remove ? "-" : ip);
		}
		pthread_mutex_unlock(&c->dev_mu);
		free(op.allowed);
	} else {
		pthread_mutex_lock(&c->mu);
		if (c->n_queue == c->cap_queue && c->n_queue < MAX_QUEUE) {
			size_t cap = c->cap_queue ? c->cap_queue * 2 : 64;
			struct wg_peer *v = realloc(c->queue, cap * sizeof *v);
			if (v) {
				c->queue = v;
				c->cap_queue = cap;
			}
		}
		if (c->n_queue < c->cap_queue)
			c->queue[c->n_queue++] = op;
		else {
			free(op.allowed);
			c->full_wanted = true; /* too much at once: put it back whole */
		}
		pthread_cond_signal(&c->cv);
		pthread_mutex_unlock(&c->mu);
	}
	pthread_mutex_lock(&c->mu);
	if (!c->save_wanted) {
		c->save_wanted = true;
		c->save_due = cc_mono_ms() + SAVE_DELAY_MS;
		pthread_cond_signal(&c->cv);
	}
	pthread_mutex_unlock(&c->mu);
}

/* ---- events ------------------------------------------------------------------ */

static bool announced(const struct wg_ctl *c, const struct wg_record *r)
{
	return r->has_key && r->address && !r->master && wg_pool_usable(&c->conf.pool, r->address);
}

/* The master's wg0 follows a node's change: its old key out when it has
 * a new one, its key in (with its address and endpoint). */
static void master_follow(struct wg_ctl *c, const struct wg_record *old, const struct wg_record *now)
{
	bool was = announced(c, old), is = now && announced(c, now);
	if (!c->on_master)
		return;
	if (was && (!is || memcmp(old->public_key, now->public_key, WG_KEY_LEN) != 0))
		master_peer(c, old->public_key, old, true);
	if (is)
		master_peer(c, now->public_key, now, false);
}

/* History a restart cannot rebuild was lost: the next start takes a new
 * epoch (every node fetches the whole list once).  Written once, when it
 * first happens. */
static void note_unclean(struct wg_ctl *c)
{
	if (c->idx.unclean && !c->unclean_saved && write_epoch(c, false) == 0)
		c->unclean_saved = true;
}

static int event_loaded(struct wg_ctl *c, const struct clusterctl_node *node)
{
	struct wg_record r = {0};
	const char *warn = NULL;
	char *err = NULL;
	int rc;

	if (node->record_json && wg_record_parse(node->record_json, &r, &err) < 0) {
		LOG(c, CLUSTERCTL_LOG_WARN, "ignoring the stored record of node=%s: %s", node->node_id,
		    err ? err : "invalid");
		memset(&r, 0, sizeof r);
	}
	free(err);
	pthread_mutex_lock(&c->idx_mu);
	rc = wg_index_load(&c->idx, node->node_id, &r, &warn);
	pthread_mutex_unlock(&c->idx_mu);
	if (warn)
		LOG(c, CLUSTERCTL_LOG_WARN, "the stored record of node=%s: %s", node->node_id, warn);
	return rc;
}

static int event_ready(struct wg_ctl *c)
{
	int rc;

	pthread_mutex_lock(&c->idx_mu);
	rc = wg_index_ready(&c->idx);
	pthread_mutex_unlock(&c->idx_mu);
	if (rc < 0)
		return rc;
	c->ready = true;
	load_legacy_leases(c);
	note_unclean(c);
	LOG(c, CLUSTERCTL_LOG_INFO, "mesh index ready nodes=%zu peers=%zu version=%" PRIu64 " master_here=%s",
	    c->idx.nodes.count, c->idx.keys.count, c->idx.version, c->on_master ? "yes" : "no");
	if (!c->on_master)
		return 0;
	/* The whole set once, off the event loop. */
	c->full_wanted = true;
	if (pthread_create(&c->thr, NULL, master_thread, c) != 0) {
		LOG(c, CLUSTERCTL_LOG_WARN, "cannot start the thread that keeps the master's %s; its peers are not "
					    "kept up to date",
		    c->conf.ifname);
		return 0;
	}
	c->thr_started = true;
	return 0;
}

static int event_stored(struct wg_ctl *c, const struct clusterctl_node *node)
{
	struct wg_record r = {0}, old = {0};
	bool changed = false, pend = c->pend_id && strcmp(c->pend_id, node->node_id) == 0;
	char *err = NULL;
	int rc;

	if (pend) {
		r = c->pend_rec;
	} else if (node->record_json && wg_record_parse(node->record_json, &r, &err) < 0) {
		LOG(c, CLUSTERCTL_LOG_WARN, "ignoring the stored record of node=%s: %s", node->node_id,
		    err ? err : "invalid");
		free(err);
		return 0;
	}
	free(c->pend_id);
	c->pend_id = NULL;
	pthread_mutex_lock(&c->idx_mu);
	wg_index_node(&c->idx, node->node_id, &old);
	rc = wg_index_commit(&c->idx, node->node_id, &r, &changed);
	pthread_mutex_unlock(&c->idx_mu);
	if (rc < 0)
		return rc;
	if (changed)
		master_follow(c, &old, &r);
	note_unclean(c);
	return 0;
}

static int event_removed(struct wg_ctl *c, const struct clusterctl_node *node)
{
	struct wg_record old = {0};
	bool known;
	int rc;

	pthread_mutex_lock(&c->idx_mu);
	known = wg_index_node(&c->idx, node->node_id, &old);
	rc = wg_index_remove(&c->idx, node->node_id);
	for (size_t i = 0; known && i < c->n_cool; i++)
		if (c->cool[i].address == old.address && strcmp(c->cool[i].node_id, node->node_id) == 0)
			wg_leases_take(&c->idx.leases, old.address); /* until its grace ends */
	pthread_mutex_unlock(&c->idx_mu);
	if (known)
		master_follow(c, &old, NULL);
	note_unclean(c);
	return rc;
}

int wg_ctl_event(struct wg_ctl *c, int kind, const struct clusterctl_node *node)
{
	int rc = 0;
	switch (kind) {
	case CLUSTERCTL_NODE_LOADED:
		rc = node && node->node_id ? event_loaded(c, node) : 0;
		break;
	case CLUSTERCTL_NODE_NODES_READY:
		rc = event_ready(c);
		break;
	case CLUSTERCTL_NODE_STORED:
		rc = node && node->node_id ? event_stored(c, node) : 0;
		break;
	case CLUSTERCTL_NODE_REMOVED:
		rc = node && node->node_id ? event_removed(c, node) : 0;
		break;
	default:
		return 0; /* kinds of later minors */
	}
	if (rc == -ENOMEM)
		ERR(c, "out of memory");
	return rc;
}

/* ---- plan ----------------------------------------------------------------------- */

/* The node's record: its key, endpoint and port from what it observed,
 * its address kept, or a free one.  *why_moved: set when a node's known
 * address could not be kept. */
static int decide_record(struct wg_ctl *c, const struct clusterctl_node *nd, const struct wg_observed *ob,
			 const struct wg_record *prev, struct wg_record *rec, bool *moved)
{
	const struct wg_pool *pool = &c->conf.pool;
	uint32_t ip = 0, want;
	const char *owner;
	char pool_s[16];
	int r;

	*moved = false;
	cc_parse_ipv4(nd->ip, &ip);
	memset(rec, 0, sizeof *rec);
	rec->has_key = ob->has_key || prev->has_key;
	memcpy(rec->public_key, ob->has_key ? ob->public_key : prev->public_key, WG_KEY_LEN);
	/* The endpoint: what the node says its underlay is, else the address
	 * it registers with unless that is an overlay address (a node whose
	 * tunnel is up registers with it), else what was known before. */
	if (ob->underlay_ip && !cc_ipv4_in_net(ob->underlay_ip, pool->net, pool->plen))
		rec->endpoint_ip = ob->underlay_ip;
	else if (!cc_ipv4_in_net(ip, pool->net, pool->plen))
		rec->endpoint_ip = ip;
	else
		rec->endpoint_ip = prev->endpoint_ip;
	rec->listen_port = ob->listen_port ? ob->listen_port : c->conf.listen_port;
	if (rec->has_key && c->master.has_key && memcmp(rec->public_key, c->master.public_key, WG_KEY_LEN) == 0) {
		/* The master registering as a node: same key, same address. */
		rec->address = c->master.address;
		rec->master = true;
		return 0;
	}
	/* Keep its address while the lease is its own (or free). */
	want = prev->address;
	owner = want ? wg_index_lease_owner(&c->idx, want) : NULL;
	if (want && owner && strcmp(owner, nd->node_id) == 0) {
		rec->address = want;
		return 0;
	}
	if (want && owner) {
		struct wg_record o;
		/* The same machine under its new NodeID (it registered without
		 * one first): the lease is its own. */
		if (wg_index_node(&c->idx, owner, &o) && o.address == want && o.has_key == prev->has_key &&
		    memcmp(o.public_key, prev->public_key, WG_KEY_LEN) == 0) {
			rec->address = want;
			return 0;
		}
		want = 0;
	}
	if (!want) {
		uint32_t *old = cp_map_gets(&c->legacy, nd->node_id);
		want = old ? *old : 0;
	}
	r = wg_leases_pick(&c->idx.leases, want, &rec->address);
	if (r == -ENOSPC) {
		cc_format_ipv4(pool->net, pool_s);
		ERR(c, "the overlay pool %s/%u is full: no address for node %s (use a larger pool)", pool_s, pool->plen,
		    nd->node_id);
		return r;
	}
	if (r < 0)
		return r;
	*moved = prev->address && prev->address != rec->address;
	return 0;
}

/* A node may not take a key another node announces (a cloned machine). */
static int check_key(struct wg_ctl *c, const struct clusterctl_node *nd, const struct wg_record *rec,
		     const struct wg_record *prev)
{
	const char *owner;
	struct wg_record o;
	if (!rec->has_key || rec->master || !(owner = wg_index_key_owner(&c->idx, rec->public_key)) ||
	    strcmp(owner, nd->node_id) == 0)
		return 0;
	if (wg_index_node(&c->idx, owner, &o) && prev->has_key && o.address == prev->address &&
	    memcmp(o.public_key, prev->public_key, WG_KEY_LEN) == 0)
		return 0; /* itself, under its new NodeID */
	ERR(c, "node %s registers with the WireGuard public key of node %s (a cloned machine, or a copied "
	       "<node-state-dir>/plugins/wireguard/private.key?): remove that file on one of them and run node "
	       "join there again",
	    nd->node_id, owner);
	return -EEXIST;
}

/* What the node's peer list needs, from the version it holds. */
struct page {
	struct cc_buf peers, removed;
	size_t n_peers, n_removed;
};

static int page_item(const struct wg_walk_item *it, void *arg)
{
	struct page *pg = arg;
	if (it->live) {
		cc_buf_puts(&pg->peers, pg->n_peers++ ? "," : "");
		cc_buf_append(&pg->peers, it->frag, it->frag_len);
	} else {
		char b64[WG_KEY_B64_LEN + 1];
		wg_key_to_base64(it->key, b64);
		cc_buf_printf(&pg->removed, "%s\"%s\"", pg->n_removed++ ? "," : "", b64);
	}
	return pg->peers.oom || pg->removed.oom ? -ENOMEM : 0;
}

/* "<epoch>.<version>": 0 and *full when it is none of ours, or older
 * than what this controller still remembers. */
static uint64_t held_version(const struct wg_ctl *c, const struct wg_observed *ob, bool *full)
{
	uint64_t e = 0, v = 0;
	int n = 0;
	*full = true;
	if (!ob->has_version || !*ob->version ||
	    sscanf(ob->version, "%16" SCNx64 ".%" SCNu64 "%n", &e, &v, &n) != 2 || ob->version[n] ||
	    e != c->epoch || v > c->idx.version || v < c->idx.horizon)
		return 0;
	*full = false;
	return v;
}

static int build_payload(struct wg_ctl *c, const struct wg_observed *ob, const struct wg_record *rec,
			 struct clusterctl_plan_out *out, char **summary)
{
	struct page pg = {CC_BUF_INIT, CC_BUF_INIT, 0, 0};
	struct cc_buf b = CC_BUF_INIT;
	char addr[16], sum[160];
	uint64_t from, upto = c->idx.version;
	bool full, more = false, legacy = !ob->has_version;
	int r = 0;

	from = held_version(c, ob, &full);
	cc_format_ipv4(rec->address, addr);
	cc_buf_printf(&b, "{\"Interface\":\"%s\",\"Address\":\"%s/%u\",\"ListenPort\":%u,\"MTU\":%u", c->conf.ifname,
		      addr, c->conf.pool.plen, rec->listen_port, c->conf.mtu);
	if (!full && from == c->idx.version) {
		cc_buf_printf(&b, ",\"PeerSync\":\"unchanged\",\"PeerVersion\":\"%016" PRIx64 ".%" PRIu64 "\"}", c->epoch,
			      upto);
		snprintf(sum, sizeof sum, "peers unchanged at version %" PRIu64, upto);
		goto done;
	}
	/* A whole list starts with the master, whom every node needs first. */
	if (full && c->master.has_key && !rec->master) {
		wg_peer_format(&pg.peers, c->master.public_key, c->master.endpoint_ip, c->master.listen_port,
			       c->master.address, c->conf.keepalive);
		pg.n_peers++;
	}
	/* An older node takes Peers as the whole set: all of it in one
	 * answer, which bounds the mesh it can join. */
	r = wg_index_walk(&c->idx, from, legacy ? WG_MAX_PEERS : full ? WG_PAGE_FIRST : WG_PAGE,
			  rec->has_key ? rec->public_key : NULL, page_item, &pg, &upto, &more);
	if (r < 0)
		goto out;
	if (legacy && more) {
		ERR(c, "the node runs an older clusterctl that needs the whole peer list in one answer, and the mesh "
		       "has more than %d peers: upgrade clusterctl on the node",
		    WG_MAX_PEERS);
		r = -EPROTO;
		goto out;
	}
	/* The node's own change comes next (STORED, this loop turn): it
	 * needs no news of itself. */
	if (!more && rec->ver == c->idx.version + 1)
		upto = rec->ver;
	if (legacy)
		cc_buf_puts(&b, ",\"Peers\":[");
	else
		cc_buf_printf(&b, ",\"PeerSync\":\"%s\",\"PeerVersion\":\"%016" PRIx64 ".%" PRIu64 "\",\"More\":%s,\"Peers\":[",
			      full ? "full" : "delta", c->epoch, upto, more ? "true" : "false");
	if (pg.peers.len)
		cc_buf_append(&b, pg.peers.buf, pg.peers.len);
	cc_buf_puts(&b, "]");
	if (pg.n_removed && !legacy) {
		cc_buf_puts(&b, ",\"RemovedPeers\":[");
		cc_buf_append(&b, pg.removed.buf, pg.removed.len);
		cc_buf_puts(&b, "]");
	}
	cc_buf_puts(&b, "}");
	snprintf(sum, sizeof sum, "%s of %zu peers, %zu removed, version %" PRIu64 "%s",
		 legacy ? "whole list" : full ? "first page" : "changes", pg.n_peers, pg.n_removed, upto,
		 more ? ", more to fetch" : "");
done:
	if (!(out->payload_json = cc_buf_detach(&b)) || !(*summary = strdup(sum)))
		r = -ENOMEM;
out:
	cc_buf_free(&b);
	cc_buf_free(&pg.peers);
	cc_buf_free(&pg.removed);
	return r;
}

int wg_ctl_forget(struct wg_ctl *c, const struct clusterctl_node *node, char **message)
{
	struct wg_record r = {0};
	struct cooling *v;
	char addr[16], key[WG_KEY_B64_LEN + 1] = "";
	bool known;

	if (!node || !node->node_id || strlen(node->node_id) >= sizeof c->cool[0].node_id)
		return 0;
	pthread_mutex_lock(&c->idx_mu);
	known = wg_index_node(&c->idx, node->node_id, &r);
	pthread_mutex_unlock(&c->idx_mu);
	if (!known || !r.address) {
		*message = strdup("no address or peer to drop");
		return 0;
	}
	cc_format_ipv4(r.address, addr);
	if (r.has_key)
		wg_key_to_base64(r.public_key, key);
	if (c->conf.forget_grace && r.address != c->master.address) {
		if (!(v = realloc(c->cool, (c->n_cool + 1) * sizeof *v))) {
			ERR(c, "out of memory");
			return -ENOMEM;
		}
		c->cool = v;
		v[c->n_cool].address = r.address;
		v[c->n_cool].until_ms = cc_mono_ms() + (int64_t)c->conf.forget_grace * 1000;
		snprintf(v[c->n_cool].node_id, sizeof v[c->n_cool].node_id, "%s", node->node_id);
		c->n_cool++;
	}
	LOG(c, CLUSTERCTL_LOG_INFO, "forget node=%s address=%s key=%.8s... grace=%us", node->node_id, addr, key,
	    c->conf.forget_grace);
	*message = cc_strdupf("peer %.8s... (%s) leaves the master's %s now and every node's with its next "
			      "heartbeat; %s is not handed out again for %u s",
			      key, addr, c->conf.ifname, addr, c->conf.forget_grace);
	return 0;
}

/* Grace periods that ended give their addresses back to the pool. */
static void cool_expire(struct wg_ctl *c)
{
	int64_t now;
	size_t n = 0;

	if (!c->n_cool)
		return;
	now = cc_mono_ms();
	while (n < c->n_cool && c->cool[n].until_ms <= now)
		n++;
	if (!n)
		return;
	pthread_mutex_lock(&c->idx_mu);
	for (size_t i = 0; i < n; i++) {
		char addr[16];
		/* Unless a node holds it again (it came back and kept it). */
		if (!wg_index_lease_owner(&c->idx, c->cool[i].address)) {
			wg_leases_release(&c->idx.leases, c->cool[i].address);
			cc_format_ipv4(c->cool[i].address, addr);
			LOG(c, CLUSTERCTL_LOG_INFO, "address %s of removed node %s is free again", addr, c->cool[i].node_id);
		}
	}
	pthread_mutex_unlock(&c->idx_mu);
	memmove(c->cool, c->cool + n, (c->n_cool - n) * sizeof *c->cool);
	c->n_cool -= n;
}

int wg_ctl_plan(struct wg_ctl *c, const struct clusterctl_plan_in *in, struct clusterctl_plan_out *out)
{
	const struct clusterctl_node *nd = in->node;
	struct wg_observed ob;
	struct wg_record prev = {0}, rec;
	char *err = NULL, *summary = NULL, *record = NULL, addr_s[16];
	uint32_t ip;
	bool moved;
	int r;

	if (!nd || !nd->node_id || !*nd->node_id || !nd->ip || cc_parse_ipv4(nd->ip, &ip) < 0) {
		ERR(c, "the node has no id or no IPv4 address");
		return -EINVAL;
	}
	if (!c->ready) {
		ERR(c, "the controller's mesh index is not ready (no NODES_READY event)");
		return -EAGAIN;
	}
	cool_expire(c);
	if ((r = wg_observed_parse(in->observed_json, &ob, &err)) < 0) {
		ERR(c, "node %s sent an invalid %s", nd->node_id, err ? err : "Observed.Overlay");
		free(err);
		return r;
	}
	/* What the index holds for it; a node new under this id may bring
	 * the record of its NodeID-less past. */
	if (!wg_index_node(&c->idx, nd->node_id, &prev) && nd->record_json &&
	    wg_record_parse(nd->record_json, &prev, &err) < 0) {
		LOG(c, CLUSTERCTL_LOG_WARN, "ignoring the stored record of node=%s: %s", nd->node_id,
		    err ? err : "invalid");
		memset(&prev, 0, sizeof prev);
	}
	free(err);
	if ((r = decide_record(c, nd, &ob, &prev, &rec, &moved)) < 0 || (r = check_key(c, nd, &rec, &prev)) < 0)
		return r;
	cc_format_ipv4(rec.address, addr_s);
	if (moved) {
		char old_s[16];
		cc_format_ipv4(prev.address, old_s);
		LOG(c, CLUSTERCTL_LOG_WARN, "address of node=%s changed from %s to %s (outside the pool or taken)",
		    nd->node_id, old_s, addr_s);
	}
	/* Its version: the next one when other nodes' lists change with it. */
	rec.ver = prev.ver;
	if (!wg_record_same_peer(&rec, &prev) && announced(c, &rec))
		rec.ver = c->idx.version + 1;
	if ((r = build_payload(c, &ob, &rec, out, &summary)) < 0)
		goto out;
	if (!(record = wg_record_format(&rec))) {
		r = -ENOMEM;
		goto out;
	}
	/* An unchanged record is kept by the core: nothing to copy. */
	if (nd->record_json && strcmp(nd->record_json, record) == 0) {
		free(record);
		record = NULL;
	}
	out->record_json = record;
	record = NULL;
	if (!rec.has_key) {
		/* Not a member until the others can know its key. */
		out->waiting = 1;
		out->retry_after = 5;
		out->message = cc_strdupf("wireguard %s/%u for %s; waiting for the node's public key "
				      "(Observed.Overlay.PublicKey)",
				      addr_s, c->conf.pool.plen, nd->node_id);
	} else {
		out->message = cc_strdupf("wireguard %s/%u for %s: %s", addr_s, c->conf.pool.plen, nd->node_id, summary);
	}
	if (!out->message) {
		r = -ENOMEM;
		goto out;
	}
	/* Committed when the core stored it (STORED, in this loop turn). */
	free(c->pend_id);
	if (!(c->pend_id = strdup(nd->node_id))) {
		r = -ENOMEM;
		goto out;
	}
	c->pend_rec = rec;
	r = 0;
out:
	if (r == -ENOMEM)
		ERR(c, "out of memory");
	free(summary);
	free(record);
	return r;
}
