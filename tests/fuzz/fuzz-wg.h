/* What the WireGuard targets (fuzz-wg-uapi.c, fuzz-wg-genl.c) check of a
 * device read from a daemon or the kernel, whichever way it came. */
#ifndef CLUSTERCTL_FUZZ_WG_H
#define CLUSTERCTL_FUZZ_WG_H

#include <stdbool.h>
#include <sys/socket.h>

#include "fuzz.h"
#include "wg.h"

/* Within the plugin's bounds, and no peer twice. */
static inline void fuzz_wg_check(const struct wg_device *d)
{
	fuzz_require(d->n_peers <= WG_MAX_PEERS, "peers within the bound");
	for (size_t i = 0; i < d->n_peers; i++) {
		const struct wg_peer *p = &d->peers[i];
		fuzz_require(wg_device_find_peer(d, p->public_key) == p, "no peer twice");
		fuzz_require(p->n_allowed <= WG_MAX_ALLOWED_IPS, "allowed IPs within the bound");
		for (size_t j = 0; j < p->n_allowed; j++)
			fuzz_require(p->allowed[j].family == AF_INET ? p->allowed[j].cidr <= 32
								     : p->allowed[j].family == AF_INET6 &&
									       p->allowed[j].cidr <= 128,
				     "an allowed IP is v4/0-32 or v6/0-128");
		fuzz_require(p->endpoint.family == 0 || p->endpoint.family == AF_INET ||
				     p->endpoint.family == AF_INET6,
			     "an endpoint is none, v4 or v6");
	}
}

/* How many changes take cur to want (0: the same device). */
static inline size_t fuzz_wg_changes(const struct wg_device *cur, const struct wg_device *want)
{
	struct wg_device set;
	size_t n = 0;
	fuzz_require(wg_device_diff(cur, want, true, &set, &n) == 0, "the diff is computed");
	wg_device_free(&set);
	return n;
}

/* The plugin configures IPv4 only: IPv6 read back is reported, never set. */
static inline bool fuzz_wg_has_v6(const struct wg_device *d)
{
	for (size_t i = 0; i < d->n_peers; i++) {
		if (d->peers[i].endpoint.family == AF_INET6)
			return true;
		for (size_t j = 0; j < d->peers[i].n_allowed; j++)
			if (d->peers[i].allowed[j].family != AF_INET)
				return true;
	}
	return false;
}

#endif
