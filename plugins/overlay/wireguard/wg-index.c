/* The controller's index of the mesh; see wg.h.
 *
 * Every public key a node announced is one entry.  Entries sit in a log
 * ordered by the version of their last change: a change moves the entry
 * to the end with the next version (its old slot becomes a hole, and the
 * log is compacted when holes outnumber entries), so "what changed after
 * version v" is a binary search and a forward walk.  A key that leaves
 * the mesh (a node removed, a node with a new key) stays in the log as a
 * retired entry, so nodes behind it learn to remove it; the oldest
 * retired entries are forgotten beyond WG_MAX_RETIRED, and a node older
 * than that (the horizon) is sent the whole list again. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "wg.h"

struct wg_entry {
	uint8_t key[WG_KEY_LEN];
	bool live;
	uint32_t address, endpoint_ip;
	uint16_t port;
	uint64_t ver;
	size_t pos;               /* its slot in the log */
	char *frag;               /* live: its Peers[] object */
	size_t frag_len;
	struct wg_node *owner;    /* live: the node announcing it */
	struct wg_entry *rprev, *rnext; /* retired: oldest first */
};

struct wg_node {
	char *id;
	struct wg_record rec;     /* what the core stores for it */
	bool leased;              /* rec.address is taken for it */
	struct wg_entry *entry;   /* the key it announces, NULL: none */
};

int wg_index_init(struct wg_index *x, const struct wg_pool *pool, uint16_t keepalive)
{
	memset(x, 0, sizeof *x);
	x->pool = *pool;
	x->keepalive = keepalive;
	cp_map_init(&x->nodes);
	cp_map_init(&x->keys);
	cp_map_init(&x->owners);
	return wg_leases_init(&x->leases, pool);
}

static void entry_free(void *v)
{
	struct wg_entry *e = v;
	if (e)
		free(e->frag);
	free(e);
}

static void node_free(void *v)
{
	struct wg_node *n = v;
	if (n)
		free(n->id);
	free(n);
}

void wg_index_free(struct wg_index *x)
{
	cp_map_free(&x->nodes, node_free);
	cp_map_free(&x->keys, entry_free);
	cp_map_free(&x->owners, NULL);
	wg_leases_free(&x->leases);
	free(x->log);
	memset(x, 0, sizeof *x);
}

/* ---- the log ------------------------------------------------------------ */

static int log_append(struct wg_index *x, struct wg_entry *e)
{
	if (x->n_log == x->cap_log) {
		size_t cap = x->cap_log ? x->cap_log * 2 : 256;
		struct wg_slot *v = realloc(x->log, cap * sizeof *v);
		if (!v)
			return -ENOMEM;
		x->log = v;
		x->cap_log = cap;
	}
	x->log[x->n_log] = (struct wg_slot){e->ver, e};
	e->pos = x->n_log++;
	return 0;
}

/* Holes keep their version, so the log stays sorted for the search. */
static void log_hole(struct wg_index *x, struct wg_entry *e)
{
	x->log[e->pos].e = NULL;
	x->holes++;
}

static void log_compact(struct wg_index *x)
{
	size_t k = 0;
	if (x->holes < 64 || x->holes * 2 < x->n_log)
		return;
	for (size_t i = 0; i < x->n_log; i++) {
		if (!x->log[i].e)
			continue;
		x->log[k] = x->log[i];
		x->log[k].e->pos = k;
		k++;
	}
	x->n_log = k;
	x->holes = 0;
}

/* The entry changed at version ver: to the end of the log.  A page
 * never ends inside one version (wg_index_walk), so the two entries of a
 * key change may share one. */
static int log_move(struct wg_index *x, struct wg_entry *e, uint64_t ver)
{
	log_hole(x, e);
	e->ver = ver;
	if (ver > x->version)
		x->version = ver;
	if (log_append(x, e) < 0)
		return -ENOMEM;
	log_compact(x);
	return 0;
}

/* ---- entries -------------------------------------------------------------- */

static bool announces(const struct wg_index *x, const struct wg_record *r)
{
	return r->has_key && r->address && !r->master && wg_pool_usable(&x->pool, r->address);
}

static int entry_describe(const struct wg_index *x, struct wg_entry *e, const struct wg_record *r)
{
	struct cc_buf b = CC_BUF_INIT;
	e->address = r->address;
	e->endpoint_ip = r->endpoint_ip;
	e->port = r->listen_port;
	wg_peer_format(&b, e->key, e->endpoint_ip, e->port, e->address, x->keepalive);
	free(e->frag);
	e->frag_len = b.len;
	e->frag = cc_buf_detach(&b);
	return e->frag ? 0 : -ENOMEM;
}

static void retired_unlink(struct wg_index *x, struct wg_entry *e)
{
	if (e->rprev)
		e->rprev->rnext = e->rnext;
	else
		x->rhead = e->rnext;
	if (e->rnext)
		e->rnext->rprev = e->rprev;
	else
		x->rtail = e->rprev;
	e->rprev = e->rnext = NULL;
	x->n_retired--;
}

/* Forget the oldest retired keys beyond the bound: nodes older than them
 * (the horizon) get the whole list instead. */
static void retired_trim(struct wg_index *x)
{
	while (x->n_retired > WG_MAX_RETIRED) {
		struct wg_entry *e = x->rhead;
		retired_unlink(x, e);
		if (e->ver > x->horizon)
			x->horizon = e->ver;
		log_hole(x, e);
		cp_map_del(&x->keys, e->key, WG_KEY_LEN);
		entry_free(e);
	}
	log_compact(x);
}

/* The key leaves the mesh at version ver. */
static int entry_retire(struct wg_index *x, struct wg_entry *e, uint64_t ver)
{
	if (e->owner && e->owner->entry == e)
		e->owner->entry = NULL;
	e->owner = NULL;
	e->live = false;
	free(e->frag);
	e->frag = NULL;
	e->frag_len = 0;
	e->rprev = x->rtail;
	e->rnext = NULL;
	if (x->rtail)
		x->rtail->rnext = e;
	else
		x->rhead = e;
	x->rtail = e;
	x->n_retired++;
	/* Retired keys are remembered in memory only: a restart cannot tell
	 * the nodes behind it to remove them. */
	x->unclean = true;
	if (log_move(x, e, ver) < 0)
		return -ENOMEM;
	retired_trim(x);
	return 0;
}

/* Node n announces r's key from version ver on (ver 0 while loading: set
 * when the index is ready). */
static int entry_announce(struct wg_index *x, struct wg_node *n, const struct wg_record *r, uint64_t ver, bool loading)
{
	struct wg_entry *e = cp_map_get(&x->keys, r->public_key, WG_KEY_LEN);
	int rc;

	if (e && e->live && e->owner && e->owner != n) {
		/* Another node announced it: the later one is the one the
		 * core stored last, and the key follows it. */
		e->owner->entry = NULL;
		x->unclean = true;
	}
	if (!e) {
		if (!(e = calloc(1, sizeof *e)))
			return -ENOMEM;
		memcpy(e->key, r->public_key, WG_KEY_LEN);
		if (cp_map_put(&x->keys, e->key, WG_KEY_LEN, e) < 0) {
			free(e);
			return -ENOMEM;
		}
		e->ver = ver;
		if (log_append(x, e) < 0)
			return -ENOMEM;
		if (ver > x->version)
			x->version = ver;
	} else {
		if (!e->live)
			retired_unlink(x, e);
		if (loading) {
			e->ver = ver;
			x->log[e->pos].ver = ver;
		} else if ((rc = log_move(x, e, ver)) < 0) {
			return rc;
		}
	}
	e->live = true;
	e->owner = n;
	n->entry = e;
	return entry_describe(x, e, r);
}

/* ---- leases --------------------------------------------------------------- */

static void lease_release(struct wg_index *x, struct wg_node *n)
{
	uint32_t a = n->rec.address;
	if (!n->leased)
		return;
	wg_leases_release(&x->leases, a);
	cp_map_del(&x->owners, &a, sizeof a);
	n->leased = false;
}

/* 1: taken, 0: another node holds it (left alone), -ENOMEM. */
static int lease_take(struct wg_index *x, struct wg_node *n, uint32_t a)
{
	struct wg_node *other = cp_map_get(&x->owners, &a, sizeof a);
	if (other && other != n)
		return 0;
	if (cp_map_put(&x->owners, &a, sizeof a, n) < 0)
		return -ENOMEM;
	wg_leases_take(&x->leases, a);
	n->leased = true;
	return 1;
}

/* ---- events ---------------------------------------------------------------- */

static struct wg_node *node_get(struct wg_index *x, const char *id)
{
	struct wg_node *n = cp_map_gets(&x->nodes, id);
	if (n)
		return n;
	if (!(n = calloc(1, sizeof *n)) || !(n->id = strdup(id))) {
		free(n);
		return NULL;
	}
	if (cp_map_puts(&x->nodes, id, n) < 0) {
		node_free(n);
		return NULL;
	}
	return n;
}

/* The node holds r now (committed, or loaded with loading). */
static int node_set(struct wg_index *x, struct wg_node *n, const struct wg_record *r, uint64_t ver, bool loading,
		    bool *changed)
{
	bool want = announces(x, r), same_key;
	int rc;

	*changed = false;
	/* The lease. */
	if (n->leased && n->rec.address != r->address)
		lease_release(x, n);
	if (r->address && !r->master && wg_pool_usable(&x->pool, r->address) && !n->leased &&
	    (rc = lease_take(x, n, r->address)) <= 0) {
		if (rc < 0)
			return rc;
		/* Two records claim one address (state from before a crash
		 * or a restore): this node's next plan gives it another. */
		want = false;
		x->unclean = true;
	}
	/* Its key in the mesh. */
	same_key = n->entry && want && memcmp(n->entry->key, r->public_key, WG_KEY_LEN) == 0;
	if (n->entry && !same_key) {
		if ((rc = entry_retire(x, n->entry, loading ? 0 : ver)) < 0)
			return rc;
		*changed = true;
	}
	if (want && !same_key) {
		if ((rc = entry_announce(x, n, r, ver, loading)) < 0)
			return rc;
		*changed = true;
	} else if (same_key && (n->entry->address != r->address || n->entry->endpoint_ip != r->endpoint_ip ||
				n->entry->port != r->listen_port)) {
		if ((rc = log_move(x, n->entry, ver)) < 0 || (rc = entry_describe(x, n->entry, r)) < 0)
			return rc;
		*changed = true;
	}
	n->rec = *r;
	return 0;
}

int wg_index_load(struct wg_index *x, const char *node_id, const struct wg_record *r, const char **warn)
{
	struct wg_node *n = node_get(x, node_id);
	bool changed, was_unclean = x->unclean;
	struct wg_entry *e;
	int rc;

	*warn = NULL;
	if (!n)
		return -ENOMEM;
	e = announces(x, r) ? cp_map_get(&x->keys, r->public_key, WG_KEY_LEN) : NULL;
	if (e && e->live && e->owner != n)
		*warn = "its public key is another node's too (a cloned machine?); the later record keeps it";
	if ((rc = node_set(x, n, r, r->ver, true, &changed)) < 0)
		return rc;
	if (!*warn && !was_unclean && x->unclean)
		*warn = "its address is another node's too; its next registration gives it a new one";
	return 0;
}

static int cmp_slot(const void *a, const void *b)
{
	const struct wg_slot *x = a, *y = b;
	if (x->ver != y->ver)
		return x->ver < y->ver ? -1 : 1;
	return (x->e ? x->e->pos : 0) < (y->e ? y->e->pos : 0) ? -1 : 1;
}

int wg_index_ready(struct wg_index *x)
{
	size_t k = 0;
	uint64_t last = 0;

	if (x->sorted)
		return 0;
	/* Holes (and retired keys: a conflict among loaded records) go; the
	 * live keys are ordered by their stored version. */
	for (size_t i = 0; i < x->n_log; i++)
		if (x->log[i].e && x->log[i].e->live)
			x->log[k++] = x->log[i];
		else if (x->log[i].e) {
			struct wg_entry *e = x->log[i].e;
			retired_unlink(x, e);
			cp_map_del(&x->keys, e->key, WG_KEY_LEN);
			entry_free(e);
		}
	x->n_log = k;
	x->holes = 0;
	if (!x->n_log) {
		x->sorted = true; /* an empty mesh (qsort must not see a NULL array) */
		return 0;
	}
	qsort(x->log, x->n_log, sizeof *x->log, cmp_slot);
	x->version = 0;
	for (size_t i = 0; i < x->n_log; i++)
		if (x->log[i].ver > x->version)
			x->version = x->log[i].ver;
	/* A record without a version (written before versions existed) or
	 * sharing one with another gets a new one at the end; nodes may hold
	 * versions that were not durable, so the next start resyncs them. */
	for (size_t i = 0; i < x->n_log; i++) {
		struct wg_slot *s = &x->log[i];
		if (s->ver == 0 || s->ver == last) {
			s->ver = ++x->version;
			s->e->ver = s->ver;
			if (s->e->owner)
				s->e->owner->rec.ver = s->ver;
			x->unclean = true;
		}
		last = s->ver;
	}
	qsort(x->log, x->n_log, sizeof *x->log, cmp_slot);
	for (size_t i = 0; i < x->n_log; i++)
		x->log[i].e->pos = i;
	x->sorted = true;
	return 0;
}

int wg_index_commit(struct wg_index *x, const char *node_id, const struct wg_record *r, bool *changed)
{
	struct wg_node *n = node_get(x, node_id);
	struct wg_record rec = *r;

	*changed = false;
	if (!n)
		return -ENOMEM;
	if (wg_record_same_peer(&n->rec, r)) {
		n->rec.ver = r->ver ? r->ver : n->rec.ver;
		return 0; /* a heartbeat */
	}
	/* The plan gave the change the next version; anything else means the
	 * stored version and ours disagree, and ours must move on. */
	if (rec.ver <= x->version) {
		rec.ver = x->version + 1;
		if (announces(x, r))
			x->unclean = true;
	}
	return node_set(x, n, &rec, rec.ver, false, changed);
}

int wg_index_remove(struct wg_index *x, const char *node_id)
{
	struct wg_node *n = cp_map_dels(&x->nodes, node_id);
	int rc = 0;

	if (!n)
		return 0;
	lease_release(x, n);
	if (n->entry)
		rc = entry_retire(x, n->entry, x->version + 1);
	node_free(n);
	return rc;
}

bool wg_index_node(const struct wg_index *x, const char *node_id, struct wg_record *out)
{
	const struct wg_node *n = cp_map_gets(&x->nodes, node_id);
	if (!n)
		return false;
	*out = n->rec;
	return true;
}

const char *wg_index_key_owner(const struct wg_index *x, const uint8_t k[WG_KEY_LEN])
{
	const struct wg_entry *e = cp_map_get(&x->keys, k, WG_KEY_LEN);
	return e && e->live && e->owner ? e->owner->id : NULL;
}

const char *wg_index_lease_owner(const struct wg_index *x, uint32_t a)
{
	const struct wg_node *n = cp_map_get(&x->owners, &a, sizeof a);
	return n ? n->id : NULL;
}

/* ---- walks ------------------------------------------------------------------ */

static void item_of(const struct wg_entry *e, struct wg_walk_item *it)
{
	*it = (struct wg_walk_item){.key = e->key, .live = e->live, .frag = e->frag, .frag_len = e->frag_len,
				    .address = e->address, .endpoint_ip = e->endpoint_ip, .port = e->port};
}

int wg_index_walk(const struct wg_index *x, uint64_t from, size_t limit, const uint8_t *skip,
		  int (*fn)(const struct wg_walk_item *it, void *arg), void *arg, uint64_t *upto, bool *more)
{
	size_t lo = 0, hi = x->n_log, n = 0, i;
	uint64_t last = from;
	int rc;

	*more = false;
	*upto = x->version;
	if (!x->sorted)
		return -EAGAIN;
	/* The first slot changed after `from`. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (x->log[mid].ver <= from)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (i = lo; i < x->n_log; i++) {
		const struct wg_entry *e = x->log[i].e;
		struct wg_walk_item it;
		if (!e)
			continue;
		/* A page ends between two versions, never inside one. */
		if (n >= limit && x->log[i].ver != last)
			break;
		last = x->log[i].ver;
		if (skip && e->live && memcmp(e->key, skip, WG_KEY_LEN) == 0)
			continue;
		item_of(e, &it);
		if ((rc = fn(&it, arg)) < 0)
			return rc;
		n++;
	}
	for (; i < x->n_log && !*more; i++)
		*more = x->log[i].e != NULL;
	if (*more)
		*upto = last;
	return 0;
}

int wg_index_each_live(const struct wg_index *x, int (*fn)(const struct wg_walk_item *it, void *arg), void *arg)
{
	for (size_t i = 0; i < x->n_log; i++) {
		const struct wg_entry *e = x->log[i].e;
		struct wg_walk_item it;
		int rc;
		if (!e || !e->live)
			continue;
		item_of(e, &it);
		if ((rc = fn(&it, arg)) < 0)
			return rc;
	}
	return 0;
}
