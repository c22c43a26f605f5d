/* Overlay addresses from the pool.  The master holds the pool's first
 * host address; a node keeps the address it had (stable across
 * registrations and controller restarts: its record holds it) and a new
 * node gets the lowest free one, so allocation is reproducible and never
 * hands out a duplicate.  The leases are a bitmap with a hint below
 * which nothing is free: a pick is O(1) amortised, not a scan of the
 * cluster. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cc-net.h"
#include "wg.h"

uint32_t wg_pool_master(const struct wg_pool *p) { return p->net + 1; }

bool wg_pool_usable(const struct wg_pool *p, uint32_t a)
{
	uint32_t host = ~cc_ipv4_mask(p->plen);
	if (!cc_ipv4_in_net(a, p->net, p->plen))
		return false;
	/* Neither the network nor the broadcast address. */
	return (a & host) != 0 && (a & host) != host;
}

int wg_leases_init(struct wg_leases *l, const struct wg_pool *pool)
{
	memset(l, 0, sizeof *l);
	l->pool = *pool;
	l->size = ~cc_ipv4_mask(pool->plen) + 1u;
	if (pool->plen < WG_CGNAT_PREFIX || pool->plen > 30)
		return -EINVAL;
	l->bits = calloc((l->size + 63) / 64, sizeof *l->bits);
	if (!l->bits)
		return -ENOMEM;
	/* The network address, the master's and the broadcast address are
	 * never a node's. */
	wg_leases_take(l, pool->net);
	wg_leases_take(l, wg_pool_master(pool));
	wg_leases_take(l, pool->net + l->size - 1);
	return 0;
}

void wg_leases_free(struct wg_leases *l)
{
	free(l->bits);
	memset(l, 0, sizeof *l);
}

static bool off_of(const struct wg_leases *l, uint32_t a, uint32_t *off)
{
	if (!l->bits || !cc_ipv4_in_net(a, l->pool.net, l->pool.plen))
		return false;
	*off = a - l->pool.net;
	return true;
}

bool wg_leases_taken(const struct wg_leases *l, uint32_t a)
{
	uint32_t o;
	return off_of(l, a, &o) && (l->bits[o / 64] >> (o % 64) & 1);
}

void wg_leases_take(struct wg_leases *l, uint32_t a)
{
	uint32_t o;
	if (!off_of(l, a, &o) || (l->bits[o / 64] >> (o % 64) & 1))
		return;
	l->bits[o / 64] |= 1ull << (o % 64);
	l->taken++;
	/* Keep the hint on a free address (amortised: it only moves back on
	 * a release). */
	while (l->hint < l->size && (l->bits[l->hint / 64] >> (l->hint % 64) & 1))
		l->hint++;
}

void wg_leases_release(struct wg_leases *l, uint32_t a)
{
	uint32_t o;
	if (!off_of(l, a, &o) || !(l->bits[o / 64] >> (o % 64) & 1) || a == wg_pool_master(&l->pool) ||
	    !wg_pool_usable(&l->pool, a))
		return;
	l->bits[o / 64] &= ~(1ull << (o % 64));
	l->taken--;
	if (o < l->hint)
		l->hint = o;
}

int wg_leases_pick(const struct wg_leases *l, uint32_t prev, uint32_t *out)
{
	uint32_t words = (l->size + 63) / 64;

	if (!l->bits)
		return -EINVAL;
	if (prev && prev != wg_pool_master(&l->pool) && wg_pool_usable(&l->pool, prev) &&
	    !wg_leases_taken(l, prev)) {
		*out = prev;
		return 0;
	}
	/* Skip whole words of taken addresses from the hint on. */
	for (uint32_t w = l->hint / 64; w < words; w++) {
		uint64_t free_bits = ~l->bits[w];
		if (!free_bits)
			continue;
		uint32_t o = w * 64 + (uint32_t)__builtin_ctzll(free_bits);
		if (o >= l->size)
			break;
		*out = l->pool.net + o;
		return 0;
	}
	return -ENOSPC;
}
