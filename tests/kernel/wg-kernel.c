/* wg-kernel: the wireguard plugin's kernel path (wg-backend.c, wg-device.c,
 * wg-genl.c over the host's generic netlink services) against a real
 * kernel WireGuard module.  Run inside the QEMU guest by
 * tests/kernel/wg-kernel-guest.sh; each verdict is a line
 * "check 0|1 description" (0 = holds) that tests/kernel/qemu-wg.sh turns
 * into TAP.
 *
 *   wg-kernel device IFNAME        create, configure, read back, change,
 *                                  remove peers; prints "peer KEY" for
 *                                  what the device must hold at the end
 *   wg-kernel dump IFNAME N        N peers (a dump of many messages), then
 *                                  a dump the kernel interrupts
 *   wg-kernel up IFNAME PRIVKEY PORT PEERKEY PEER-IP:PORT ALLOWED/CIDR
 *                                  one end of a tunnel (keys in base64)
 *   wg-kernel traffic IFNAME PEERKEY   the peer's handshake and counters
 */
#include "autoconfig.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/netlink.h>

#include "config.h"
#include "host-services.h"
#include "log.h"
#include "wg.h"

static int failures;
static struct clusterctl_host host;

static void check(bool holds, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void check(bool holds, const char *fmt, ...)
{
	va_list ap;
	printf("check %d ", holds ? 0 : 1);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	failures += !holds;
}

static const char *plugin_error(const struct host_ctx *hctx)
{
	const char *e = host_ctx_error(hctx);
	return e && *e ? e : "(no message)";
}

/* A key of peer i of a test: not a real curve point, which WireGuard
 * does not need to hold a peer. */
static void test_key(unsigned seed, unsigned i, uint8_t key[WG_KEY_LEN])
{
	uint64_t x = (uint64_t)seed * 0x9e3779b97f4a7c15ull + i * 0xbf58476d1ce4e5b9ull + 1;
	for (int b = 0; b < WG_KEY_LEN; b++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		key[b] = (uint8_t)x;
	}
}

static struct wg_peer *add_peer(struct wg_device *d, const uint8_t key[WG_KEY_LEN], uint32_t ep_ip, uint16_t port,
				uint32_t allowed, uint8_t cidr, uint16_t keepalive)
{
	struct wg_peer *p = wg_device_add_peer(d);
	struct wg_allowed_ip a = {.family = AF_INET, .cidr = cidr, .addr.v4 = allowed};

	if (!p || wg_peer_add_allowed(p, &a) < 0) {
		fprintf(stderr, "wg-kernel: out of memory\n");
		exit(2);
	}
	memcpy(p->public_key, key, WG_KEY_LEN);
	if (ep_ip) {
		p->endpoint.family = AF_INET;
		p->endpoint.addr.v4 = ep_ip;
		p->endpoint.port = port;
	}
	p->keepalive = keepalive;
	return p;
}

/* Does the device hold exactly want's peers, with their endpoints,
 * allowed IPs and keepalives?  Says what differs. */
static bool same_peers(const struct wg_device *got, const struct wg_device *want, char *why, size_t n)
{
	if (got->n_peers != want->n_peers) {
		snprintf(why, n, "%zu peers, want %zu", got->n_peers, want->n_peers);
		return false;
	}
	for (size_t i = 0; i < want->n_peers; i++) {
		const struct wg_peer *w = &want->peers[i], *g = wg_device_find_peer(got, w->public_key);
		char k[WG_KEY_B64_LEN + 1];
		wg_key_to_base64(w->public_key, k);
		if (!g) {
			snprintf(why, n, "peer %s missing", k);
			return false;
		}
		if (g->endpoint.family != w->endpoint.family ||
		    (w->endpoint.family && (g->endpoint.addr.v4 != w->endpoint.addr.v4 || g->endpoint.port != w->endpoint.port))) {
			snprintf(why, n, "peer %zu %s: endpoint %u %08x:%u, want %u %08x:%u", i, k, g->endpoint.family,
				 g->endpoint.addr.v4, g->endpoint.port, w->endpoint.family, w->endpoint.addr.v4,
				 w->endpoint.port);
			return false;
		}
		if (g->keepalive != w->keepalive) {
			snprintf(why, n, "peer %s: keepalive %u, want %u", k, g->keepalive, w->keepalive);
			return false;
		}
		if (g->n_allowed != w->n_allowed) {
			snprintf(why, n, "peer %s: %zu allowed IPs, want %zu", k, g->n_allowed, w->n_allowed);
			return false;
		}
		for (size_t a = 0; a < w->n_allowed; a++)
			if (g->allowed[a].family != AF_INET || g->allowed[a].cidr != w->allowed[a].cidr ||
			    g->allowed[a].addr.v4 != w->allowed[a].addr.v4) {
				snprintf(why, n, "peer %s: allowed IP %zu differs", k, a);
				return false;
			}
	}
	snprintf(why, n, "%zu peers as set", want->n_peers);
	return true;
}

/* Take the device to `want` the way a node does: read it, diff (prune),
 * write the changes.  Returns the number of changes, or -errno. */
static int converge(struct host_ctx *hctx, const struct wg_device *want)
{
	struct wg_device cur, set;
	size_t changes = 0;
	int r;

	if ((r = wg_backend_get(&host, WG_BK_KERNEL, want->ifname, &cur)) < 0)
		return r;
	memset(&set, 0, sizeof set);
	r = wg_device_diff(&cur, want, true, &set, &changes);
	if (r == 0 && changes)
		r = wg_backend_set(&host, WG_BK_KERNEL, &set);
	if (r < 0)
		fprintf(stderr, "wg-kernel: converge: %s\n", plugin_error(hctx));
	wg_device_free(&cur);
	wg_device_free(&set);
	return r < 0 ? r : (int)changes;
}

static int cmd_device(struct host_ctx *hctx, const char *ifname)
{
	struct wg_device want, got;
	enum wg_backend bk = WG_BK_NONE;
	uint8_t pub[WG_KEY_LEN], k[4][WG_KEY_LEN];
	char why[200];
	int r, changes;

	memset(&want, 0, sizeof want);
	r = wg_backend_create(&host, "/nonexistent/wireguard-go", ifname, &bk);
	check(r == 0 && bk == WG_BK_KERNEL, "the plugin creates %s as a kernel WireGuard link (%s, backend %s)", ifname,
	      r ? plugin_error(hctx) : "ok", wg_backend_name(bk));
	if (r)
		return 1;
	check(wg_backend_detect(&host, ifname) == WG_BK_KERNEL, "and detects it as the kernel backend");

	snprintf(want.ifname, sizeof want.ifname, "%s", ifname);
	if (wg_key_generate(want.private_key) < 0 || wg_key_public(want.private_key, pub) < 0)
		return 2;
	want.has_private_key = want.set_private_key = true;
	want.listen_port = 51871;
	want.set_listen_port = true;
	for (unsigned i = 0; i < 4; i++)
		test_key(7, i, k[i]);
	add_peer(&want, k[0], 0xc0000201, 51820, 0x64400002, 32, 0);
	add_peer(&want, k[1], 0xc0000202, 51821, 0x64400003, 32, 25);
	add_peer(&want, k[2], 0, 0, 0x0a630000, 24, 0);
	changes = converge(hctx, &want);
	check(changes == 5, "key, port and three peers are written over generic netlink (%d changes)", changes);

	memset(&got, 0, sizeof got);
	r = wg_backend_get(&host, WG_BK_KERNEL, ifname, &got);
	check(r == 0, "the device reads back over generic netlink (%s)", r ? plugin_error(hctx) : "ok");
	check(got.has_private_key && !memcmp(got.private_key, want.private_key, WG_KEY_LEN),
	      "the private key reads back as set");
	check(got.has_public_key && !memcmp(got.public_key, pub, WG_KEY_LEN),
	      "the kernel derived the public key the plugin computes");
	check(got.listen_port == 51871, "the listen port reads back (%u)", got.listen_port);
	check(same_peers(&got, &want, why, sizeof why), "the peers read back: %s", why);
	wg_device_free(&got);

	changes = converge(hctx, &want);
	check(changes == 0, "converging again changes nothing (%d changes)", changes);

	/* Change one peer, remove one, add one. */
	want.peers[0].endpoint.addr.v4 = 0xc0000209;
	want.peers[0].endpoint.port = 51999;
	want.peers[0].allowed[0].addr.v4 = 0x64400009;
	want.peers[1].keepalive = 10;
	memcpy(want.peers[2].public_key, k[3], WG_KEY_LEN);
	want.peers[2].allowed[0].addr.v4 = 0x0a640000;
	changes = converge(hctx, &want);
	check(changes == 4, "an endpoint, an allowed IP and a keepalive changed, a peer replaced (%d changes)",
	      changes);
	memset(&got, 0, sizeof got);
	r = wg_backend_get(&host, WG_BK_KERNEL, ifname, &got);
	check(r == 0 && same_peers(&got, &want, why, sizeof why), "the changed peers read back: %s",
	      r ? plugin_error(hctx) : why);
	check(r == 0 && !wg_device_find_peer(&got, k[2]), "the removed peer is gone");
	wg_device_free(&got);

	/* Every peer removed. */
	{
		struct wg_device empty = {0};
		snprintf(empty.ifname, sizeof empty.ifname, "%s", ifname);
		empty.has_private_key = true;
		memcpy(empty.private_key, want.private_key, WG_KEY_LEN);
		changes = converge(hctx, &empty);
		memset(&got, 0, sizeof got);
		r = wg_backend_get(&host, WG_BK_KERNEL, ifname, &got);
		check(changes == 3 && r == 0 && got.n_peers == 0, "all peers removed (%d changes, %zu left)", changes,
		      got.n_peers);
		wg_device_free(&got);
	}
	/* Put the changed set back for the shell's independent look (wg). */
	changes = converge(hctx, &want);
	for (size_t i = 0; i < want.n_peers; i++) {
		char b64[WG_KEY_B64_LEN + 1];
		wg_key_to_base64(want.peers[i].public_key, b64);
		printf("peer %s\n", b64);
	}
	wg_device_free(&want);
	return 0;
}

/* The interrupted dump: a wrapper around the host's nl_transact that,
 * after the first message of the first dump, changes the device, so the
 * kernel marks the rest of that dump NLM_F_DUMP_INTR and the host starts
 * it again. */
static struct clusterctl_host real;
static struct {
	bool armed, changed;
	int msgs, first_attempt_msgs, restarts;
	clusterctl_nl_msg_cb on_msg;
	clusterctl_nl_restart_cb on_restart;
	struct wg_device extra; /* what the interruption adds */
} intr;

static int intr_msg(void *arg, const void *msg, size_t len)
{
	intr.msgs++;
	if (!intr.restarts)
		intr.first_attempt_msgs++;
	if (intr.armed && !intr.changed) {
		intr.changed = true;
		if (wg_genl_set(&real, &intr.extra) < 0)
			fprintf(stderr, "wg-kernel: the change under the dump failed\n");
	}
	return intr.on_msg(arg, msg, len);
}

static void intr_restart(void *arg)
{
	intr.restarts++;
	if (intr.on_restart)
		intr.on_restart(arg);
}

static int intr_transact(void *ctx, int protocol, const void *req, size_t req_len, clusterctl_nl_msg_cb on_msg,
			 clusterctl_nl_restart_cb on_restart, void *arg)
{
	if (!on_msg)
		return real.nl_transact(ctx, protocol, req, req_len, on_msg, on_restart, arg);
	intr.on_msg = on_msg;
	intr.on_restart = on_restart;
	return real.nl_transact(ctx, protocol, req, req_len, intr_msg, intr_restart, arg);
}

static int cmd_dump(struct host_ctx *hctx, const char *ifname, unsigned n)
{
	struct wg_device want = {0}, got = {0};
	struct clusterctl_host wrapped;
	enum wg_backend bk = WG_BK_NONE;
	uint8_t key[WG_KEY_LEN];
	char why[200];
	int r;

	r = wg_backend_create(&host, "/nonexistent/wireguard-go", ifname, &bk);
	check(r == 0 && bk == WG_BK_KERNEL, "the plugin creates %s for the dump test (%s)", ifname,
	      r ? plugin_error(hctx) : "kernel");
	if (r)
		return 1;
	snprintf(want.ifname, sizeof want.ifname, "%s", ifname);
	for (unsigned i = 0; i < n; i++) {
		test_key(11, i, key);
		add_peer(&want, key, 0xc6330000 + i, (uint16_t)(20000 + i), 0x64400000 + 2 + i, 32, 0);
	}
	r = converge(hctx, &want);
	check(r == (int)n, "%u peers written (spread over messages by the plugin; %d changes)", n, r);

	real = host;
	wrapped = host;
	wrapped.nl_transact = intr_transact;
	r = wg_genl_get(&wrapped, ifname, &got);
	check(r == 0 && intr.msgs > 1, "the dump of %u peers spans %d messages", n, intr.msgs);
	check(r == 0 && same_peers(&got, &want, why, sizeof why), "and reads back whole: %s", why);
	wg_device_free(&got);

	/* Now interrupted: one more peer is added after the first message. */
	snprintf(intr.extra.ifname, sizeof intr.extra.ifname, "%s", ifname);
	test_key(12, 0, key);
	add_peer(&intr.extra, key, 0, 0, 0x64410000, 32, 0)->flags = WG_PEER_REPLACE_ALLOWED_IPS;
	add_peer(&want, key, 0, 0, 0x64410000, 32, 0);
	memset(&intr, 0, offsetof(__typeof__(intr), extra));
	intr.armed = true;
	memset(&got, 0, sizeof got);
	r = wg_genl_get(&wrapped, ifname, &got);
	check(intr.changed, "the device was changed after the dump's first message");
	check(r == 0 && intr.restarts >= 1, "the kernel marked the dump interrupted and the host read it again (%d restarts, %d messages in the first try)",
	      intr.restarts, intr.first_attempt_msgs);
	check(r == 0 && same_peers(&got, &want, why, sizeof why), "the retry returns the whole list, the added peer too: %s",
	      r ? plugin_error(hctx) : why);
	check(r == 0 && wg_device_check_unique(&got) == 0, "with no peer twice");
	wg_device_free(&got);
	wg_device_free(&intr.extra);
	wg_device_free(&want);
	return 0;
}

static int cmd_up(struct host_ctx *hctx, char **a)
{
	struct wg_device want = {0};
	enum wg_backend bk = WG_BK_NONE;
	uint8_t peer[WG_KEY_LEN];
	uint32_t ip, allowed;
	uint16_t port, peer_port;
	uint8_t cidr;
	int r;

	snprintf(want.ifname, sizeof want.ifname, "%s", a[0]);
	if (wg_key_from_base64(a[1], want.private_key) < 0 || wg_key_from_base64(a[3], peer) < 0 ||
	    cc_parse_port(a[2], 0, &port) < 0 || cc_parse_ipv4_port(a[4], 0, &ip, &peer_port) < 0 ||
	    cc_parse_cidr(a[5], &allowed, &cidr) < 0) {
		fprintf(stderr, "wg-kernel up: bad arguments\n");
		return 2;
	}
	want.listen_port = port;
	want.has_private_key = want.set_private_key = want.set_listen_port = true;
	r = wg_backend_create(&host, "/nonexistent/wireguard-go", want.ifname, &bk);
	if (r == 0) {
		add_peer(&want, peer, ip, peer_port, allowed, cidr, 0);
		r = converge(hctx, &want);
	}
	check(r >= 0 && bk == WG_BK_KERNEL, "%s: kernel link with key, port %u and its peer (%s)", want.ifname, port,
	      r < 0 ? plugin_error(hctx) : "ok");
	wg_device_free(&want);
	return r < 0;
}

static int cmd_traffic(struct host_ctx *hctx, const char *ifname, const char *peer_b64)
{
	struct wg_device got = {0};
	uint8_t key[WG_KEY_LEN];
	const struct wg_peer *p;
	int r;

	if (wg_key_from_base64(peer_b64, key) < 0)
		return 2;
	r = wg_backend_get(&host, WG_BK_KERNEL, ifname, &got);
	p = r == 0 ? wg_device_find_peer(&got, key) : NULL;
	check(p && p->last_handshake_sec > 0, "%s: the plugin reads the peer's last handshake (%lld)", ifname,
	      p ? (long long)p->last_handshake_sec : -1LL);
	check(p && p->rx_bytes > 0 && p->tx_bytes > 0, "%s: and its counters (rx %llu, tx %llu bytes)", ifname,
	      p ? (unsigned long long)p->rx_bytes : 0ULL, p ? (unsigned long long)p->tx_bytes : 0ULL);
	if (r < 0)
		fprintf(stderr, "wg-kernel: %s\n", plugin_error(hctx));
	wg_device_free(&got);
	return 0;
}

int main(int argc, char **argv)
{
	struct clusterctl_plugin desc = {.name = "wireguard"};
	struct host_ctx *hctx = NULL;
	int r = 2;

	if (argc < 3) {
		fprintf(stderr, "usage: wg-kernel device IF | dump IF N | up IF PRIV PORT PEER IP:PORT CIDR | "
				"traffic IF PEER\n");
		return 2;
	}
	log_set_level(CLUSTERCTL_LOG_WARN);
	if (host_services_init(&host, &hctx, &desc, NULL) < 0)
		return 2;
	if (!strcmp(argv[1], "device"))
		r = cmd_device(hctx, argv[2]);
	else if (!strcmp(argv[1], "dump") && argc == 4)
		r = cmd_dump(hctx, argv[2], (unsigned)strtoul(argv[3], NULL, 10));
	else if (!strcmp(argv[1], "up") && argc == 8)
		r = cmd_up(hctx, argv + 2);
	else if (!strcmp(argv[1], "traffic") && argc == 4)
		r = cmd_traffic(hctx, argv[2], argv[3]);
	host_ctx_free(hctx);
	return r ? r : failures ? 1 : 0;
}
