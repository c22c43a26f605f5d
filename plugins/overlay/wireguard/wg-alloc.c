/* Overlay addresses from the pool.  The master holds the pool's first
 * host address; a node keeps the address it had (stable across
 * registrations and controller restarts) and a new node gets the lowest
 * free one, so allocation is reproducible and never hands out a
 * duplicate. */
#include <errno.h>
#include <stdlib.h>

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

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

static bool taken(const uint32_t *sorted, size_t n, uint32_t a)
{
	/* bsearch() must not see a NULL array, even empty. */
	return n && bsearch(&a, sorted, n, sizeof *sorted, cmp_u32) != NULL;
}

int wg_alloc_pick(const struct wg_pool *p, uint32_t prev, const uint32_t *used, size_t n_used,
		  uint32_t *out)
{
	uint32_t master = wg_pool_master(p), first = p->net + 2, last = p->net | ~cc_ipv4_mask(p->plen);
	uint32_t *s = NULL;
	int r = -ENOSPC;

	if (n_used) {
		s = malloc(n_used * sizeof *s);
		if (!s)
			return -ENOMEM;
		for (size_t i = 0; i < n_used; i++)
			s[i] = used[i];
		qsort(s, n_used, sizeof *s, cmp_u32);
	}
	if (prev && prev != master && wg_pool_usable(p, prev) && !taken(s, n_used, prev)) {
		*out = prev;
		r = 0;
		goto out;
	}
	/* Walk the sorted list alongside the candidates: O(n log n) overall,
	 * whatever the pool size. */
	{
		uint32_t cand = first;
		size_t i = 0;
		while (cand < last) {
			while (i < n_used && s[i] < cand)
				i++;
			if (i < n_used && s[i] == cand) {
				cand++;
				continue;
			}
			*out = cand;
			r = 0;
			break;
		}
	}
out:
	free(s);
	return r;
}
