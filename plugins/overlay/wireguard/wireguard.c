/* overlay "wireguard": a WireGuard full mesh managed by the controller.
 *
 * Who does what
 *  - Every node (the master too) generates its own X25519 key pair with
 *    libcrypto; the private key stays in <data-dir>/private.key (0600).
 *  - The controller (wg-ctl.c) gives each node a stable overlay address
 *    from the pool (key "pool", default 100.96.0.0/16, inside
 *    100.64.0.0/10): the master holds the pool's first host address, a
 *    node keeps the address of its record, a new node gets the lowest
 *    free one.  The peer list a node gets is versioned: the node sends
 *    the version it holds, and gets nothing new, the changes since, or
 *    the whole list a page at a time.
 *  - The node (ensure) creates the interface: a kernel WireGuard link
 *    (created through the host, then generic netlink) when the kernel has
 *    it, else wireguard-go (key "wireguard-go"), spoken to through its
 *    UAPI socket /var/run/wireguard/<if>.sock.  It applies only what
 *    differs, peer by peer (no replace_peers: sessions survive), sets MTU
 *    and link up, and adds the overlay address through the host's
 *    rtnetlink services.
 *  - "Ready" (converged) = the backend answers AND the address is on the
 *    link AND the link is up AND no page of the peer list is left to
 *    fetch.  Handshakes are reported by status().
 *  - A node's endpoint is the UnderlayIP it reports (its node-ip unless
 *    that is an overlay address, else the best non-overlay address by the
 *    core's ranking), not the address it registers with, which is its
 *    overlay address once the tunnel is up.
 *  - The master is a mesh member too: the controller runs on it and puts
 *    every node on the master's own interface (wg-ctl.c).
 *
 * Formats (JSON; keys are base64, 44 characters)
 *  Observed.Overlay  node -> controller, from observe() and ensure():
 *    {"PublicKey":"...","ListenPort":51820,"Interface":"wg0",
 *     "UnderlayIP":"198.51.100.12","PeerVersion":"<epoch>.<version>",
 *     "Address":"100.96.0.2","MTU":1420}   (Address/MTU once the link is up)
 *    PeerVersion is "" when the node holds no list yet.
 *  OverlayPayload  controller -> node:
 *    {"Interface":"wg0","Address":"100.96.0.2/16","ListenPort":51820,"MTU":1420,
 *     "PeerSync":"full"|"delta"|"unchanged","PeerVersion":"<epoch>.<version>",
 *     "More":false,
 *     "Peers":[{"PublicKey":"...","Endpoint":"198.51.100.11:51820",
 *               "AllowedIPs":["100.96.0.1/32"],"PersistentKeepalive":25}],
 *     "RemovedPeers":["<key>",...]}
 *    full: the first page of the whole list (the node prunes, after the
 *    last page, every peer the pages did not name); delta: the changes
 *    after the version the node sent (add or update Peers, remove
 *    RemovedPeers); unchanged: nothing to do.  More: register again at
 *    once for the next page.  Without PeerSync (an older controller)
 *    Peers is the whole set.  Address carries the pool's prefix length so
 *    the kernel routes the whole overlay through the interface;
 *    AllowedIPs are /32 per peer and must lie inside that network (a node
 *    refuses anything else).
 *  record (plan_out.record_json, kept by the core per node):
 *    {"Address":"100.96.0.2","PublicKey":"...","Endpoint":"198.51.100.12:51820",
 *     "Ver":1234}   plus "Master":true when the master registers itself.
 *  Files in <data-dir>: private.key; on the master master.json (its own
 *  record, written by master_prepare), master-peers.json and peer-epoch
 *  (wg-ctl.c); on a node peer-version (the version its interface holds,
 *  with a fingerprint of the peer set it was applied to).
 *
 * Options: the config keys below; --overlay-config JSON may override them
 * on the controller and master ("Interface", "ListenPort", "MTU", "Pool",
 * "PersistentKeepalive").
 */
#include <errno.h>
#include <inttypes.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include <clusterctl/plugin.h>

#include "cc-buf.h"
#include "cc-file.h"
#include "cc-net.h"
#include "plugin-host.h"
#include "plugin-json.h"
#include "wg.h"

#define MASTER_FILE "master.json"
#define MASTER_PEERS_FILE "master-peers.json"
#define PEER_VERSION_FILE "peer-version"

struct wg_state {
	const struct clusterctl_host *host;
	struct wg_conf conf;
	const char *wg_go;
	struct wg_ctl *ctl;     /* master serve only */
	/* Node side: the peer-list version this host's interface holds, and
	 * the fingerprint of the peer set it was applied to. */
	char held[WG_VERSION_MAX];
	struct wg_digest held_digest;
	bool held_loaded;
	struct wg_walk_state walk;
};

#define LOG(st, lvl, ...) (st)->host->log((st)->host->ctx, (lvl), __VA_ARGS__)
#define ERR(st, ...) (st)->host->error((st)->host->ctx, __VA_ARGS__)

static const struct clusterctl_config_key wireguard_keys[] = {
	{"interface", CLUSTERCTL_CONFIG_STRING, "wg0", 0, 0, "WireGuard interface name", 0},
	{"listen-port", CLUSTERCTL_CONFIG_INT, "51820", 1, 65535, "UDP port WireGuard listens on", 0},
	{"mtu", CLUSTERCTL_CONFIG_INT, "1420", WG_MTU_MIN, WG_MTU_MAX, "MTU of the WireGuard interface", 0},
	{"pool", CLUSTERCTL_CONFIG_STRING, "100.96.0.0/16", 0, 0,
	 "overlay address pool inside 100.64.0.0/10 (controller)", 0},
	{"keepalive", CLUSTERCTL_CONFIG_INT, "25", 0, 65535,
	 "persistent keepalive in seconds, 0 = off (controller)", 0},
	{"forget-grace", CLUSTERCTL_CONFIG_INT, "600", 0, 604800,
	 "seconds the address of a node removed with clusterctl node remove is kept from new nodes", 0},
	{"wireguard-go", CLUSTERCTL_CONFIG_STRING, "wireguard-go", 0, 0,
	 "user-space WireGuard program, used when the kernel has no WireGuard", 0},
	{NULL, 0, NULL, 0, 0, NULL, 0},
};

static bool is_command(const struct clusterctl_host *h, const char *cmd)
{
	const char *v = h->config_get(h->ctx, "command");
	return v && strcmp(v, cmd) == 0;
}

static int wireguard_init(const struct clusterctl_host *host, void **state)
{
	struct wg_state *st = calloc(1, sizeof *st);
	struct wg_conf base;
	int r;

	if (!st)
		return -ENOMEM;
	st->host = host;
	wg_walk_state_init(&st->walk);
	st->wg_go = host->config_get(host->ctx, "wireguard-go");
	if (!st->wg_go || !*st->wg_go)
		st->wg_go = "wireguard-go";
	/* The master's options (host key "options") rule its controller. */
	if ((r = wg_conf_load(host, &base)) < 0 ||
	    (r = wg_conf_apply_options(host, &base, host->config_get(host->ctx, "options"), &st->conf)) < 0)
		goto fail;
	if (is_command(host, "master serve") && (r = wg_ctl_new(host, &st->conf, st->wg_go, &st->ctl)) < 0)
		goto fail;
	*state = st;
	return 0;
fail:
	wg_walk_state_free(&st->walk);
	free(st);
	return r;
}

static void wireguard_fini(void *state)
{
	struct wg_state *st = state;
	if (!st)
		return;
	wg_ctl_free(st->ctl);
	wg_walk_state_free(&st->walk);
	free(st);
}

static int data_path(struct wg_state *st, const char *file, char **out)
{
	const char *dir = st->host->data_dir(st->host->ctx);
	struct cc_buf b = CC_BUF_INIT;
	if (!dir) {
		ERR(st, "no plugin data directory (node-state-dir unset or not writable)");
		return -ENOENT;
	}
	cc_buf_printf(&b, "%s/%s", dir, file);
	*out = cc_buf_detach(&b);
	return *out ? 0 : -ENOMEM;
}

/* ---- keys ---------------------------------------------------------- */

static int load_key(struct wg_state *st, uint8_t priv[WG_KEY_LEN], uint8_t pub[WG_KEY_LEN])
{
	const char *dir = st->host->data_dir(st->host->ctx);
	bool created;
	char *err = NULL;
	int r;

	if (!dir) {
		ERR(st, "no plugin data directory for the private key (node-state-dir unset or not writable)");
		return -ENOENT;
	}
	r = wg_key_load_or_create(dir, priv, &created, &err);
	if (r < 0) {
		ERR(st, "%s", err ? err : strerror(-r));
		free(err);
		return r;
	}
	if ((r = wg_key_public(priv, pub)) < 0) {
		wg_key_wipe(priv, WG_KEY_LEN);
		ERR(st, "cannot derive the public key (libcrypto X25519)");
		return r;
	}
	if (created) {
		char b64[WG_KEY_B64_LEN + 1];
		wg_key_to_base64(pub, b64);
		LOG(st, CLUSTERCTL_LOG_INFO, "wireguard key pair generated public_key=%s dir=%s", b64, dir);
	}
	return 0;
}

/* ---- addresses ---------------------------------------------------- */

/* The IPv4 addresses on ifname; *n of them in *out (free()). */
static int link_addrs(struct wg_state *st, const char *ifname, struct clusterctl_ifaddr **out, size_t *n)
{
	struct clusterctl_ifaddr *all = NULL;
	size_t cnt = 0, k = 0;
	int r = st->host->addr_list(st->host->ctx, &all, &cnt);
	*out = NULL;
	*n = 0;
	if (r < 0) {
		ERR(st, "cannot list addresses (rtnetlink): %s", strerror(-r));
		return r;
	}
	for (size_t i = 0; i < cnt; i++)
		if (strncmp(all[i].ifname, ifname, sizeof all[i].ifname) == 0)
			all[k++] = all[i];
	*out = all;
	*n = k;
	return 0;
}

/* This host's underlay address, where peers reach its listen port: the
 * host's node-ip (--ip, else the core's choice) unless that is an overlay
 * address, else the best address by the core's own ranking outside the
 * CGNAT range and off this plugin's interface.  Not the Swarm's advertise
 * address: with an overlay that is the tunnel's own. */
static int underlay_ip(struct wg_state *st, uint32_t *ip)
{
	const char *v = st->host->config_get(st->host->ctx, "node-ip");
	struct clusterctl_ip_query q = CLUSTERCTL_IP_QUERY_INIT;
	struct clusterctl_ifaddr *best = NULL;
	size_t n = 0;
	int r;

	if (v && *v && cc_parse_ipv4(v, ip) == 0 && !cc_ipv4_in_net(*ip, WG_CGNAT_NET, WG_CGNAT_PREFIX))
		return 0;
	q.exclude_ifnames = st->conf.ifname;
	q.flags = CLUSTERCTL_IP_NO_CGNAT | CLUSTERCTL_IP_NO_LOOPBACK;
	r = st->host->ip_rank(st->host->ctx, &q, &best, &n);
	if (r == 0 && n && cc_parse_ipv4(best[0].addr, ip) == 0) {
		free(best);
		return 0;
	}
	free(best);
	return -ENOENT;
}

/* ---- the peer-list version this node holds -------------------------- */

/* <data-dir>/peer-version: the version the interface was brought to and
 * the fingerprint of its peer set then.  Written when a list is complete
 * (More false), read back by the next run: a restart keeps its version,
 * a daemon restarted in between (an empty interface) does not. */
static void held_save(struct wg_state *st)
{
	char *path = NULL, text[160];
	int r;
	if (data_path(st, PEER_VERSION_FILE, &path) < 0)
		return;
	snprintf(text, sizeof text, "{\"PeerVersion\":\"%s\",\"Interface\":\"%s\",\"Digest\":\"%016" PRIx64
				    "\",\"Peers\":%" PRIu64 "}\n",
		 st->held, st->conf.ifname, st->held_digest.x, st->held_digest.n);
	if ((r = cc_write_file_atomic(path, text, strlen(text), 0600)) < 0)
		LOG(st, CLUSTERCTL_LOG_WARN, "cannot keep the peer-list version in %s: %s (the next run fetches the "
					     "whole list)",
		    path, strerror(-r));
	free(path);
}

static void held_load(struct wg_state *st)
{
	char *path = NULL, *text = NULL;
	json_object *o = NULL, *v, *i, *d, *n;

	if (st->held_loaded)
		return;
	st->held_loaded = true;
	if (data_path(st, PEER_VERSION_FILE, &path) < 0 || cc_read_file(path, 4096, &text, NULL) < 0 ||
	    !(o = json_tokener_parse(text)))
		goto out;
	if (json_object_object_get_ex(o, "PeerVersion", &v) && json_object_is_type(v, json_type_string) &&
	    wg_version_valid(json_object_get_string(v)) && json_object_object_get_ex(o, "Interface", &i) &&
	    json_object_is_type(i, json_type_string) && strcmp(json_object_get_string(i), st->conf.ifname) == 0 &&
	    json_object_object_get_ex(o, "Digest", &d) && json_object_is_type(d, json_type_string) &&
	    sscanf(json_object_get_string(d), "%16" SCNx64, &st->held_digest.x) == 1 &&
	    json_object_object_get_ex(o, "Peers", &n) && json_object_is_type(n, json_type_int)) {
		st->held_digest.n = (uint64_t)json_object_get_int64(n);
		strcpy(st->held, json_object_get_string(v));
	}
out:
	json_object_put(o);
	free(text);
	free(path);
}

/* The version is good only for the peer set it was applied to: false
 * (and no version held) when the device has another. */
static bool held_check(struct wg_state *st, const struct wg_device *cur)
{
	struct wg_digest now;
	wg_digest_of(cur, &now);
	if (*st->held && now.x == st->held_digest.x && now.n == st->held_digest.n)
		return true;
	if (*st->held)
		LOG(st, CLUSTERCTL_LOG_INFO, "the peers of %s are not those of peer-list version %s (a restarted "
					     "daemon?): asking the controller for the whole list",
		    st->conf.ifname, st->held);
	st->held[0] = '\0';
	return false;
}

/* UnderlayIP tells the controller where the other peers reach this node:
 * the address the node registers with is its overlay address once the
 * tunnel is up, which no peer can use as an endpoint. */
static char *observed_json(struct wg_state *st, const uint8_t pub[WG_KEY_LEN], uint16_t port,
			   const char *ifname, const char *address, uint32_t mtu)
{
	json_object *o = json_object_new_object();
	char b64[WG_KEY_B64_LEN + 1], ip[16];
	uint32_t under;
	char *s;
	if (!o)
		return NULL;
	wg_key_to_base64(pub, b64);
	json_object_object_add(o, "PublicKey", json_object_new_string(b64));
	json_object_object_add(o, "ListenPort", json_object_new_int(port));
	json_object_object_add(o, "Interface", json_object_new_string(ifname));
	json_object_object_add(o, "PeerVersion", json_object_new_string(st->held));
	if (underlay_ip(st, &under) == 0) {
		cc_format_ipv4(under, ip);
		json_object_object_add(o, "UnderlayIP", json_object_new_string(ip));
	}
	if (address) {
		json_object_object_add(o, "Address", json_object_new_string(address));
		json_object_object_add(o, "MTU", json_object_new_int((int)mtu));
	}
	s = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	return s;
}

/* ---- converging an interface ----------------------------------------- */

/* Link up with the MTU, the address on, nothing else on it; then read
 * back what we claim.  *up: backend answering, link up, address on. */
static int converge_link(struct wg_state *st, const struct wg_payload *want, enum wg_backend bk, bool *up,
			 uint32_t *mtu)
{
	struct clusterctl_ifaddr *addrs = NULL;
	struct clusterctl_link l;
	size_t n_addrs = 0;
	bool have_addr = false;
	char ip[16];
	int r;

	*up = false;
	if ((r = st->host->link_get(st->host->ctx, want->ifname, &l)) < 0) {
		ERR(st, "cannot read link %s: %s", want->ifname, strerror(-r));
		return r;
	}
	if ((!(l.flags & IFF_UP) || l.mtu != want->mtu) &&
	    (r = st->host->link_set(st->host->ctx, want->ifname, 1, want->mtu)) < 0) {
		ERR(st, "cannot bring %s up with MTU %u: %s", want->ifname, want->mtu, strerror(-r));
		return r;
	}
	cc_format_ipv4(want->address, ip);
	if ((r = link_addrs(st, want->ifname, &addrs, &n_addrs)) < 0)
		return r;
	for (size_t i = 0; i < n_addrs; i++) {
		uint32_t a;
		if (cc_parse_ipv4(addrs[i].addr, &a) < 0)
			continue;
		if (a == want->address && addrs[i].prefixlen == want->plen) {
			have_addr = true;
			continue;
		}
		/* Our interface: an address we did not ask for is a stale one
		 * (the pool or the allocation changed). */
		r = st->host->addr_del(st->host->ctx, want->ifname, addrs[i].addr, addrs[i].prefixlen);
		LOG(st, r < 0 ? CLUSTERCTL_LOG_WARN : CLUSTERCTL_LOG_INFO,
		    "wireguard stale address removed ifname=%s addr=%s/%u result=%d", want->ifname, addrs[i].addr,
		    addrs[i].prefixlen, r);
	}
	free(addrs);
	addrs = NULL;
	if (!have_addr && (r = st->host->addr_add(st->host->ctx, want->ifname, ip, want->plen)) < 0) {
		ERR(st, "cannot add %s/%u to %s: %s", ip, want->plen, want->ifname, strerror(-r));
		return r;
	}
	have_addr = false;
	if ((r = link_addrs(st, want->ifname, &addrs, &n_addrs)) < 0)
		return r;
	for (size_t i = 0; i < n_addrs; i++)
		if (strcmp(addrs[i].addr, ip) == 0)
			have_addr = true;
	free(addrs);
	if ((r = st->host->link_get(st->host->ctx, want->ifname, &l)) < 0) {
		ERR(st, "cannot read link %s: %s", want->ifname, strerror(-r));
		return r;
	}
	*mtu = l.mtu;
	*up = have_addr && (l.flags & IFF_UP) && wg_backend_detect(st->host, want->ifname) == bk;
	return 0;
}

/* Bring this host's interface to `want`.  For a node (versioned): the
 * changes this answer asks (wg_sync_changes).  For master init
 * (versioned = false): add want's peers, remove none, since re-running
 * master init must not cut the nodes the controller added since. */
static int converge(struct wg_state *st, const struct wg_payload *want, bool versioned, struct clusterctl_ensure_out *out)
{
	uint8_t priv[WG_KEY_LEN], pub[WG_KEY_LEN];
	struct wg_device cur = {0}, set = {0};
	struct wg_digest after;
	enum wg_backend bk;
	size_t changes = 0;
	char ip[16];
	uint32_t mtu = 0;
	bool up, base_ok = true, more = want->more;
	int r;

	if ((r = load_key(st, priv, pub)) < 0)
		return r;
	for (size_t i = 0; i < want->n_peers; i++)
		if (memcmp(want->peers[i].public_key, pub, WG_KEY_LEN) == 0) {
			ERR(st, "the payload lists this node's own public key as a peer");
			r = -EINVAL;
			goto out;
		}
	bk = wg_backend_detect(st->host, want->ifname);
	if (bk == WG_BK_NONE && (r = wg_backend_create(st->host, st->wg_go, want->ifname, &bk)) < 0)
		goto out;
	if ((r = wg_backend_get(st->host, bk, want->ifname, &cur)) < 0)
		goto out;
	if (versioned) {
		/* Changes apply to the version they were computed from: with
		 * another peer set on the device, fetch the whole list. */
		if (want->sync == WG_SYNC_DELTA || want->sync == WG_SYNC_UNCHANGED)
			base_ok = held_check(st, &cur);
		more = more || !base_ok;
		r = wg_sync_changes(&cur, want, &st->walk, &set, &changes);
	} else {
		struct wg_device w = {.peers = want->peers, .n_peers = want->n_peers};
		memcpy(w.ifname, want->ifname, sizeof w.ifname);
		r = wg_device_diff(&cur, &w, false, &set, &changes);
	}
	if (r < 0) {
		ERR(st, "out of memory");
		goto out;
	}
	/* The device key and port are ours, not the payload's. */
	if (!cur.has_private_key || memcmp(cur.private_key, priv, WG_KEY_LEN) != 0) {
		set.set_private_key = set.has_private_key = true;
		memcpy(set.private_key, priv, WG_KEY_LEN);
		changes++;
	}
	if (cur.listen_port != want->listen_port) {
		set.set_listen_port = true;
		set.listen_port = want->listen_port;
		changes++;
	}
	if (changes) {
		size_t added = 0, removed = 0;
		for (size_t i = 0; i < set.n_peers; i++)
			set.peers[i].flags & WG_PEER_REMOVE ? removed++ : added++;
		if ((r = wg_backend_set(st->host, bk, &set)) < 0)
			goto out;
		LOG(st, CLUSTERCTL_LOG_INFO,
		    "wireguard configured ifname=%s backend=%s peers_changed=%zu peers_removed=%zu key=%s port=%s",
		    want->ifname, wg_backend_name(bk), added, removed, set.set_private_key ? "set" : "kept",
		    set.set_listen_port ? "set" : "kept");
	}
	/* What the device holds now: cur with set applied. */
	wg_digest_of(&cur, &after);
	{
		struct cp_map have;
		cp_map_init(&have);
		for (size_t i = 0; i < cur.n_peers; i++)
			if (cp_map_put(&have, cur.peers[i].public_key, WG_KEY_LEN, &cur.peers[i]) < 0) {
				cp_map_free(&have, NULL);
				r = -ENOMEM;
				goto out;
			}
		for (size_t i = 0; i < set.n_peers; i++) {
			bool there = cp_map_get(&have, set.peers[i].public_key, WG_KEY_LEN) != NULL;
			if ((set.peers[i].flags & WG_PEER_REMOVE) && there)
				wg_digest_flip(&after, set.peers[i].public_key, false);
			else if (!(set.peers[i].flags & WG_PEER_REMOVE) && !there)
				wg_digest_flip(&after, set.peers[i].public_key, true);
		}
		cp_map_free(&have, NULL);
	}
	if (versioned && base_ok && *want->version) {
		bool moved = strcmp(st->held, want->version) != 0;
		strcpy(st->held, want->version);
		st->held_digest = after;
		if (moved && !want->more)
			held_save(st);
	}
	if ((r = converge_link(st, want, bk, &up, &mtu)) < 0)
		goto out;
	cc_format_ipv4(want->address, ip);
	out->converged = up && !more;
	if (more)
		out->flags |= CLUSTERCTL_ENSURE_MORE; /* the next page, at once */
	out->ifname = strdup(want->ifname);
	out->address = strdup(ip);
	out->mtu = mtu;
	out->observed_json = observed_json(st, pub, want->listen_port, want->ifname, up ? ip : NULL, mtu);
	out->message = cc_strdupf("wireguard %s %s/%u mtu %u, %" PRIu64 " peers, %zu changes (%s)%s", want->ifname, ip,
			      want->plen, mtu, after.n, changes, wg_backend_name(bk),
			      more ? ", fetching more of the peer list" : "");
	if (!out->ifname || !out->address || !out->observed_json || !out->message) {
		ERR(st, "out of memory");
		r = -ENOMEM;
		goto out;
	}
	r = 0;
out:
	wg_key_wipe(priv, sizeof priv);
	wg_device_free(&cur);
	wg_device_free(&set);
	return r;
}

/* ---- node side -------------------------------------------------------- */

static int wireguard_ensure(void *state, const char *payload_json, struct clusterctl_ensure_out *out)
{
	struct wg_state *st = state;
	struct wg_payload p;
	char *err = NULL;
	int r = wg_payload_parse(payload_json, &p, &err);
	if (r < 0) {
		ERR(st, "invalid payload from the controller: %s", err ? err : strerror(-r));
		free(err);
		return r;
	}
	held_load(st);
	r = converge(st, &p, true, out);
	wg_payload_free(&p);
	return r;
}

static int wireguard_observe(void *state, char **observed)
{
	struct wg_state *st = state;
	uint8_t priv[WG_KEY_LEN], pub[WG_KEY_LEN];
	struct clusterctl_ifaddr *addrs = NULL;
	struct clusterctl_link l;
	struct wg_device cur = {0};
	const char *addr = NULL;
	enum wg_backend bk;
	size_t n = 0;
	int r;

	*observed = NULL;
	if ((r = load_key(st, priv, pub)) < 0)
		return r;
	wg_key_wipe(priv, sizeof priv);
	held_load(st);
	/* Already up from an earlier run: say so, with its address, and the
	 * version its peers are at (if they still are). */
	bk = wg_backend_detect(st->host, st->conf.ifname);
	if (bk != WG_BK_NONE && wg_backend_get(st->host, bk, st->conf.ifname, &cur) == 0)
		held_check(st, &cur);
	else
		st->held[0] = '\0';
	wg_device_free(&cur);
	if (bk != WG_BK_NONE && st->host->link_get(st->host->ctx, st->conf.ifname, &l) == 0 && (l.flags & IFF_UP) &&
	    link_addrs(st, st->conf.ifname, &addrs, &n) == 0) {
		for (size_t i = 0; i < n && !addr; i++) {
			uint32_t a;
			if (cc_parse_ipv4(addrs[i].addr, &a) == 0 && cc_ipv4_in_net(a, WG_CGNAT_NET, WG_CGNAT_PREFIX))
				addr = addrs[i].addr;
		}
	}
	*observed = observed_json(st, pub, st->conf.listen_port, st->conf.ifname, addr, addr ? l.mtu : 0);
	free(addrs);
	if (!*observed) {
		ERR(st, "out of memory");
		return -ENOMEM;
	}
	return 0;
}

static int wireguard_status(void *state, char **status_json)
{
	struct wg_state *st = state;
	const char *ifname = st->conf.ifname;
	json_object *o = json_object_new_object(), *peers;
	struct wg_device dev = {0};
	struct clusterctl_ifaddr *addrs = NULL;
	struct clusterctl_link l;
	enum wg_backend bk;
	size_t n = 0;
	char b64[WG_KEY_B64_LEN + 1], ip[16], tmp[64];
	time_t now = time(NULL);

	*status_json = NULL;
	if (!o)
		return -ENOMEM;
	json_object_object_add(o, "Provider", json_object_new_string("wireguard"));
	json_object_object_add(o, "Interface", json_object_new_string(ifname));
	bk = wg_backend_detect(st->host, ifname);
	json_object_object_add(o, "Backend", json_object_new_string(wg_backend_name(bk)));
	json_object_object_add(o, "Running", json_object_new_boolean(bk != WG_BK_NONE));
	if (st->host->link_get(st->host->ctx, ifname, &l) == 0) {
		json_object_object_add(o, "Up", json_object_new_boolean(!!(l.flags & IFF_UP)));
		json_object_object_add(o, "MTU", json_object_new_int((int)l.mtu));
		json_object_object_add(o, "IfIndex", json_object_new_int64(l.ifindex));
	} else {
		json_object_object_add(o, "Up", json_object_new_boolean(0));
	}
	if (link_addrs(st, ifname, &addrs, &n) == 0 && n) {
		snprintf(tmp, sizeof tmp, "%s/%u", addrs[0].addr, addrs[0].prefixlen);
		json_object_object_add(o, "Address", json_object_new_string(tmp));
	}
	free(addrs);
	held_load(st);
	json_object_object_add(o, "PeerVersion", json_object_new_string(st->held));
	if (bk != WG_BK_NONE && wg_backend_get(st->host, bk, ifname, &dev) == 0) {
		if (dev.has_public_key) {
			wg_key_to_base64(dev.public_key, b64);
			json_object_object_add(o, "PublicKey", json_object_new_string(b64));
		}
		json_object_object_add(o, "ListenPort", json_object_new_int(dev.listen_port));
		peers = json_object_new_array();
		for (size_t i = 0; peers && i < dev.n_peers; i++) {
			const struct wg_peer *p = &dev.peers[i];
			json_object *po = json_object_new_object(), *ips = json_object_new_array();
			if (!po || !ips) {
				json_object_put(po);
				json_object_put(ips);
				break;
			}
			wg_key_to_base64(p->public_key, b64);
			json_object_object_add(po, "PublicKey", json_object_new_string(b64));
			if (p->endpoint.family == AF_INET) {
				cc_format_ipv4(p->endpoint.addr.v4, ip);
				snprintf(tmp, sizeof tmp, "%s:%u", ip, p->endpoint.port);
				json_object_object_add(po, "Endpoint", json_object_new_string(tmp));
			}
			for (size_t j = 0; j < p->n_allowed; j++)
				if (p->allowed[j].family == AF_INET) {
					cc_format_ipv4(p->allowed[j].addr.v4, ip);
					snprintf(tmp, sizeof tmp, "%s/%u", ip, p->allowed[j].cidr);
					json_object_array_add(ips, json_object_new_string(tmp));
				}
			json_object_object_add(po, "AllowedIPs", ips);
			json_object_object_add(po, "LatestHandshake", json_object_new_int64(p->last_handshake_sec));
			json_object_object_add(po, "HandshakeAgeSeconds",
					       p->last_handshake_sec ? json_object_new_int64(now - p->last_handshake_sec)
								     : NULL);
			json_object_object_add(po, "RxBytes", json_object_new_int64((int64_t)p->rx_bytes));
			json_object_object_add(po, "TxBytes", json_object_new_int64((int64_t)p->tx_bytes));
			json_object_array_add(peers, po);
		}
		json_object_object_add(o, "Peers", peers);
	}
	wg_device_free(&dev);
	*status_json = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	return *status_json ? 0 : -ENOMEM;
}

/* ---- master init ---------------------------------------------------- */

/* The peers the controller last gave the master's interface (see
 * wg-ctl.c, master-peers.json), when they were for this interface and
 * network: master init restores them with the link, so the master is
 * back on the mesh before storage mounts the volume over it. */
static void load_master_peers(struct wg_state *st, struct wg_payload *p)
{
	struct wg_payload saved = {0};
	char *path = NULL, *text = NULL, *err = NULL;
	int r;

	if (data_path(st, MASTER_PEERS_FILE, &path) < 0)
		goto out;
	r = cc_read_file(path, 32u << 20, &text, NULL);
	if (r == -ENOENT)
		goto out; /* first master init: no node has joined yet */
	if (r < 0 || (r = wg_payload_parse_file(text, &saved, &err)) < 0) {
		LOG(st, CLUSTERCTL_LOG_WARN, "wireguard ignoring unreadable %s: %s (master serve restores the peers)",
		    path, err ? err : strerror(-r));
		goto out;
	}
	if (strcmp(saved.ifname, p->ifname) != 0 || saved.address != p->address || saved.plen != p->plen) {
		LOG(st, CLUSTERCTL_LOG_INFO, "wireguard not restoring the master's peers from %s: they were for "
					     "another interface or network", path);
		goto out;
	}
	p->peers = saved.peers;
	p->n_peers = saved.n_peers;
	saved.peers = NULL;
	saved.n_peers = 0;
	LOG(st, CLUSTERCTL_LOG_INFO, "wireguard master peers restored ifname=%s peers=%zu from=%s", p->ifname,
	    p->n_peers, path);
out:
	wg_payload_free(&saved);
	free(err);
	free(text);
	free(path);
}

static int wireguard_master_prepare(void *state, const char *options_json, struct clusterctl_ensure_out *out)
{
	struct wg_state *st = state;
	uint8_t priv[WG_KEY_LEN];
	struct wg_record rec = {0};
	struct wg_payload p = {0};
	struct wg_conf c;
	char *path = NULL, *json = NULL;
	int r;

	if ((r = wg_conf_apply_options(st->host, &st->conf, options_json, &c)) < 0)
		return r;
	st->conf = c;
	if ((r = load_key(st, priv, rec.public_key)) < 0)
		return r;
	wg_key_wipe(priv, sizeof priv);
	rec.has_key = true;
	rec.master = true;
	rec.address = wg_pool_master(&c.pool);
	rec.listen_port = c.listen_port;
	if (underlay_ip(st, &rec.endpoint_ip) < 0)
		LOG(st, CLUSTERCTL_LOG_WARN, "wireguard master endpoint unknown: nodes will wait for the "
					     "master to reach them (set --ip on master init)");
	if ((r = data_path(st, MASTER_FILE, &path)) < 0)
		return r;
	if (!(json = wg_record_format(&rec))) {
		r = -ENOMEM;
		goto out;
	}
	/* Before bringing the link up: the controller must see the
	 * reservation even if the interface step fails and init is re-run. */
	if ((r = cc_write_file_atomic(path, json, strlen(json), 0600)) < 0) {
		ERR(st, "cannot write %s: %s", path, strerror(-r));
		goto out;
	}
	strcpy(p.ifname, c.ifname);
	p.address = rec.address;
	p.plen = c.pool.plen;
	p.listen_port = c.listen_port;
	p.mtu = c.mtu;
	load_master_peers(st, &p);
	r = converge(st, &p, false, out);
out:
	wg_payload_free(&p);
	free(path);
	free(json);
	return r;
}

/* ---- controller --------------------------------------------------------- */

static int wireguard_plan(void *state, const struct clusterctl_plan_in *in, struct clusterctl_plan_out *out)
{
	struct wg_state *st = state;
	if (!st->ctl) {
		ERR(st, "plan() outside master serve");
		return -EINVAL;
	}
	return wg_ctl_plan(st->ctl, in, out);
}

static int wireguard_node_event(void *state, int kind, const struct clusterctl_node *node)
{
	struct wg_state *st = state;
	return st->ctl ? wg_ctl_event(st->ctl, kind, node) : 0;
}

static int wireguard_forget(void *state, const struct clusterctl_node *node, uint32_t flags, char **message)
{
	struct wg_state *st = state;
	(void)flags;
	return st->ctl ? wg_ctl_forget(st->ctl, node, message) : 0;
}

static const struct clusterctl_plugin wireguard_plugin = {
	CLUSTERCTL_PLUGIN_HEADER(CLUSTERCTL_PLUGIN_OVERLAY, "wireguard", "1.0",
				 "WireGuard full mesh managed by the controller"),
	.config_keys = wireguard_keys,
	.init = wireguard_init,
	.fini = wireguard_fini,
	.master_prepare = wireguard_master_prepare,
	.plan = wireguard_plan,
	.observe = wireguard_observe,
	.ensure = wireguard_ensure,
	.status = wireguard_status,
	.node_event = wireguard_node_event,
	.forget = wireguard_forget,
};

CLUSTERCTL_PLUGIN_DEFINE(wireguard_plugin)
