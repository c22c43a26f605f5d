/* The device model the UAPI and generic-netlink backends both speak, and
 * the diff that makes ensure() idempotent: only what differs is sent, and
 * never replace_peers, so a configured tunnel keeps its sessions.  Peer
 * sets are looked up through maps: a mesh interface holds one peer per
 * node, tens of thousands of them. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "wg.h"

void wg_device_free(struct wg_device *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->n_peers; i++)
		free(d->peers[i].allowed);
	free(d->peers);
	wg_key_wipe(d->private_key, sizeof d->private_key);
	d->peers = NULL;
	d->n_peers = 0;
}

/* The array grows by doubling, at every power of two: no capacity field
 * to carry around, and n appends cost O(n). */
struct wg_peer *wg_device_add_peer(struct wg_device *d)
{
	struct wg_peer *v = d->peers;
	size_t n = d->n_peers;
	if (n >= WG_MAX_DEVICE_PEERS)
		return NULL;
	if ((n & (n - 1)) == 0) {
		v = realloc(d->peers, (n ? 2 * n : 1) * sizeof *v);
		if (!v)
			return NULL;
		d->peers = v;
	}
	memset(&v[n], 0, sizeof *v);
	d->n_peers = n + 1;
	return &v[n];
}

int wg_peer_add_allowed(struct wg_peer *p, const struct wg_allowed_ip *a)
{
	struct wg_allowed_ip *v;
	if (p->n_allowed >= WG_MAX_ALLOWED_IPS)
		return -E2BIG;
	v = realloc(p->allowed, (p->n_allowed + 1) * sizeof *v);
	if (!v)
		return -ENOMEM;
	p->allowed = v;
	v[p->n_allowed++] = *a;
	return 0;
}

struct wg_peer *wg_device_find_peer(const struct wg_device *d, const uint8_t key[WG_KEY_LEN])
{
	for (size_t i = 0; i < d->n_peers; i++)
		if (memcmp(d->peers[i].public_key, key, WG_KEY_LEN) == 0)
			return &d->peers[i];
	return NULL;
}

static bool allowed_eq(const struct wg_allowed_ip *a, const struct wg_allowed_ip *b)
{
	if (a->family != b->family || a->cidr != b->cidr)
		return false;
	return a->family == AF_INET ? a->addr.v4 == b->addr.v4
				    : memcmp(a->addr.v6, b->addr.v6, 16) == 0;
}

/* Same set of allowed IPs, whatever the order. */
static bool allowed_same(const struct wg_peer *a, const struct wg_peer *b)
{
	if (a->n_allowed != b->n_allowed)
		return false;
	for (size_t i = 0; i < a->n_allowed; i++) {
		bool found = false;
		for (size_t j = 0; j < b->n_allowed && !found; j++)
			found = allowed_eq(&a->allowed[i], &b->allowed[j]);
		if (!found)
			return false;
	}
	return true;
}

static bool endpoint_eq(const struct wg_endpoint *a, const struct wg_endpoint *b)
{
	if (a->family != b->family || a->port != b->port)
		return false;
	if (a->family == AF_INET)
		return a->addr.v4 == b->addr.v4;
	if (a->family == AF_INET6)
		return memcmp(a->addr.v6, b->addr.v6, 16) == 0;
	return true;
}

static int copy_allowed(struct wg_peer *dst, const struct wg_peer *src)
{
	for (size_t i = 0; i < src->n_allowed; i++) {
		int r = wg_peer_add_allowed(dst, &src->allowed[i]);
		if (r < 0)
			return r;
	}
	return 0;
}

/* A map of a device's peers by key (values: the peer). */
static int index_peers(const struct wg_device *d, struct cp_map *m)
{
	cp_map_init(m);
	for (size_t i = 0; i < d->n_peers; i++)
		if (cp_map_put(m, d->peers[i].public_key, WG_KEY_LEN, &d->peers[i]) < 0)
			return -ENOMEM;
	return 0;
}

/* The change that takes peer c (NULL: absent) to w, appended to set. */
static int peer_change(const struct wg_peer *c, const struct wg_peer *w, struct wg_device *set, size_t *n)
{
	struct wg_peer *s;
	unsigned flags = 0;

	if (!c || !endpoint_eq(&c->endpoint, &w->endpoint))
		flags |= w->endpoint.family ? WG_PEER_SET_ENDPOINT : 0;
	if (!c || c->keepalive != w->keepalive)
		flags |= WG_PEER_SET_KEEPALIVE;
	if (!c || !allowed_same(c, w))
		flags |= WG_PEER_REPLACE_ALLOWED_IPS;
	if (!flags)
		return 0;
	if (!(s = wg_device_add_peer(set)))
		return -ENOMEM;
	memcpy(s->public_key, w->public_key, WG_KEY_LEN);
	s->endpoint = w->endpoint;
	s->keepalive = w->keepalive;
	s->flags = flags;
	(*n)++;
	return flags & WG_PEER_REPLACE_ALLOWED_IPS ? copy_allowed(s, w) : 0;
}

static int peer_removal(const uint8_t key[WG_KEY_LEN], struct wg_device *set, size_t *n)
{
	struct wg_peer *s = wg_device_add_peer(set);
	if (!s)
		return -ENOMEM;
	memcpy(s->public_key, key, WG_KEY_LEN);
	s->flags = WG_PEER_REMOVE;
	(*n)++;
	return 0;
}

static void device_header(const struct wg_device *cur, const struct wg_device *want, struct wg_device *set,
			  size_t *n)
{
	memset(set, 0, sizeof *set);
	memcpy(set->ifname, want->ifname, sizeof set->ifname);
	set->ifindex = cur->ifindex;
	if (want->has_private_key &&
	    (!cur->has_private_key || memcmp(cur->private_key, want->private_key, WG_KEY_LEN) != 0)) {
		set->set_private_key = set->has_private_key = true;
		memcpy(set->private_key, want->private_key, WG_KEY_LEN);
		(*n)++;
	}
	if (want->listen_port && cur->listen_port != want->listen_port) {
		set->set_listen_port = true;
		set->listen_port = want->listen_port;
		(*n)++;
	}
}

int wg_device_diff(const struct wg_device *cur, const struct wg_device *want, bool prune,
		   struct wg_device *set, size_t *changes)
{
	struct cp_map have, wanted;
	size_t n = 0;
	int r;

	device_header(cur, want, set, &n);
	cp_map_init(&wanted);
	if ((r = index_peers(cur, &have)) < 0 || (prune && (r = index_peers(want, &wanted)) < 0))
		goto out;
	for (size_t i = 0; i < want->n_peers; i++)
		if ((r = peer_change(cp_map_get(&have, want->peers[i].public_key, WG_KEY_LEN), &want->peers[i], set,
				     &n)) < 0)
			goto out;
	for (size_t i = 0; prune && i < cur->n_peers; i++)
		if (!cp_map_get(&wanted, cur->peers[i].public_key, WG_KEY_LEN) &&
		    (r = peer_removal(cur->peers[i].public_key, set, &n)) < 0)
			goto out;
	*changes = n;
	r = 0;
out:
	cp_map_free(&have, NULL);
	cp_map_free(&wanted, NULL);
	return r;
}

int wg_device_check_unique(const struct wg_device *d)
{
	struct cp_map m;
	int r = 0;

	cp_map_init(&m);
	for (size_t i = 0; r == 0 && i < d->n_peers; i++) {
		if (cp_map_get(&m, d->peers[i].public_key, WG_KEY_LEN))
			r = -EPROTO;
		else if (cp_map_put(&m, d->peers[i].public_key, WG_KEY_LEN, &d->peers[i]) < 0)
			r = -ENOMEM;
	}
	cp_map_free(&m, NULL);
	return r;
}

void wg_digest_flip(struct wg_digest *dg, const uint8_t key[WG_KEY_LEN], bool add)
{
	uint64_t x;
	memcpy(&x, key, sizeof x);
	dg->x ^= x;
	dg->n = add ? dg->n + 1 : dg->n - 1;
}

void wg_digest_of(const struct wg_device *d, struct wg_digest *out)
{
	memset(out, 0, sizeof *out);
	for (size_t i = 0; i < d->n_peers; i++)
		wg_digest_flip(out, d->peers[i].public_key, true);
}

/* ---- a node applying one answer of the versioned peer list ------------ */

void wg_walk_state_init(struct wg_walk_state *w)
{
	memset(w, 0, sizeof *w);
	cp_map_init(&w->seen);
}

void wg_walk_state_free(struct wg_walk_state *w)
{
	cp_map_free(&w->seen, NULL);
	w->active = false;
}

static int mark_seen(struct wg_walk_state *w, const uint8_t *key)
{
	static char one;
	return cp_map_put(&w->seen, key, WG_KEY_LEN, &one);
}

int wg_sync_changes(const struct wg_device *cur, const struct wg_payload *p, struct wg_walk_state *w,
		    struct wg_device *set, size_t *changes)
{
	struct wg_device want = {0};
	struct cp_map have;
	bool prune_seen;
	size_t n = 0;
	int r;

	memcpy(want.ifname, p->ifname, sizeof want.ifname);
	device_header(cur, &want, set, &n);
	if (p->sync == WG_SYNC_COMPLETE) {
		/* The whole set in one answer: what it leaves out goes. */
		want.peers = p->peers;
		want.n_peers = p->n_peers;
		wg_walk_state_free(w);
		cp_map_init(&w->seen);
		return wg_device_diff(cur, &want, true, set, changes);
	}
	if (p->sync == WG_SYNC_FULL) {
		/* A new walk over the whole list: forget an unfinished one. */
		wg_walk_state_free(w);
		cp_map_init(&w->seen);
		w->active = true;
	}
	if ((r = index_peers(cur, &have)) < 0)
		goto out;
	for (size_t i = 0; i < p->n_peers; i++) {
		if ((r = peer_change(cp_map_get(&have, p->peers[i].public_key, WG_KEY_LEN), &p->peers[i], set, &n)) < 0 ||
		    (w->active && (r = mark_seen(w, p->peers[i].public_key)) < 0))
			goto out;
	}
	for (size_t i = 0; i < p->n_removed; i++) {
		if (w->active)
			cp_map_del(&w->seen, p->removed[i], WG_KEY_LEN);
		if (cp_map_get(&have, p->removed[i], WG_KEY_LEN) && (r = peer_removal(p->removed[i], set, &n)) < 0)
			goto out;
	}
	/* The last page of a whole-list walk: what the walk did not name is
	 * a peer the controller no longer knows. */
	prune_seen = w->active && !p->more;
	for (size_t i = 0; prune_seen && i < cur->n_peers; i++)
		if (!cp_map_get(&w->seen, cur->peers[i].public_key, WG_KEY_LEN) &&
		    (r = peer_removal(cur->peers[i].public_key, set, &n)) < 0)
			goto out;
	if (prune_seen) {
		wg_walk_state_free(w);
		cp_map_init(&w->seen);
	}
	*changes = n;
	r = 0;
out:
	cp_map_free(&have, NULL);
	return r;
}
