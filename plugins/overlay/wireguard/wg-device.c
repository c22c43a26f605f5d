/* The device model the UAPI and generic-netlink backends both speak, and
 * the diff that makes ensure() idempotent: only what differs is sent, and
 * never replace_peers, so a configured tunnel keeps its sessions. */
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

struct wg_peer *wg_device_add_peer(struct wg_device *d)
{
	struct wg_peer *v;
	if (d->n_peers >= WG_MAX_PEERS)
		return NULL;
	v = realloc(d->peers, (d->n_peers + 1) * sizeof *v);
	if (!v)
		return NULL;
	d->peers = v;
	memset(&v[d->n_peers], 0, sizeof *v);
	return &v[d->n_peers++];
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

int wg_device_diff(const struct wg_device *cur, const struct wg_device *want, bool prune,
		   struct wg_device *set, size_t *changes)
{
	size_t n = 0;
	int r;

	memset(set, 0, sizeof *set);
	memcpy(set->ifname, want->ifname, sizeof set->ifname);
	set->ifindex = cur->ifindex;
	if (want->has_private_key &&
	    (!cur->has_private_key || memcmp(cur->private_key, want->private_key, WG_KEY_LEN) != 0)) {
		set->set_private_key = set->has_private_key = true;
		memcpy(set->private_key, want->private_key, WG_KEY_LEN);
		n++;
	}
	if (want->listen_port && cur->listen_port != want->listen_port) {
		set->set_listen_port = true;
		set->listen_port = want->listen_port;
		n++;
	}
	for (size_t i = 0; i < want->n_peers; i++) {
		const struct wg_peer *w = &want->peers[i];
		const struct wg_peer *c = wg_device_find_peer(cur, w->public_key);
		struct wg_peer *s;
		unsigned flags = 0;

		if (!c || !endpoint_eq(&c->endpoint, &w->endpoint))
			flags |= w->endpoint.family ? WG_PEER_SET_ENDPOINT : 0;
		if (!c || c->keepalive != w->keepalive)
			flags |= WG_PEER_SET_KEEPALIVE;
		if (!c || !allowed_same(c, w))
			flags |= WG_PEER_REPLACE_ALLOWED_IPS;
		if (!flags)
			continue;
		if (!(s = wg_device_add_peer(set)))
			return -ENOMEM;
		memcpy(s->public_key, w->public_key, WG_KEY_LEN);
		s->endpoint = w->endpoint;
		s->keepalive = w->keepalive;
		s->flags = flags;
		if (flags & WG_PEER_REPLACE_ALLOWED_IPS && (r = copy_allowed(s, w)) < 0)
			return r;
		n++;
	}
	for (size_t i = 0; prune && i < cur->n_peers; i++) {
		struct wg_peer *s;
		if (wg_device_find_peer(want, cur->peers[i].public_key))
			continue;
		if (!(s = wg_device_add_peer(set)))
			return -ENOMEM;
		memcpy(s->public_key, cur->peers[i].public_key, WG_KEY_LEN);
		s->flags = WG_PEER_REMOVE;
		n++;
	}
	*changes = n;
	return 0;
}
