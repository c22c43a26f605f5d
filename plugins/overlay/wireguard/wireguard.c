/* overlay "wireguard": a WireGuard full mesh managed by the controller.
 *
 * Who does what
 *  - Every node (the master too) generates its own X25519 key pair with
 *    libcrypto; the private key stays in <data-dir>/private.key (0600).
 *  - The controller (plan) gives each node a stable overlay address from
 *    the pool (key "pool", default 100.96.0.0/16, inside 100.64.0.0/10):
 *    the master holds the pool's first host address, a node keeps the
 *    address of its record (or of the lease file), a new node gets the
 *    lowest free one.  Every answer carries the full peer list.
 *  - The node (ensure) creates the interface: a kernel WireGuard link
 *    (RTM_NEWLINK kind "wireguard", then generic netlink) when the kernel
 *    has it, else wireguard-go (key "wireguard-go"), spoken to through
 *    its UAPI socket /var/run/wireguard/<if>.sock.  It applies only what
 *    differs (no replace_peers: sessions survive), sets MTU and link up,
 *    and adds the overlay address through the host's rtnetlink services.
 *  - "Ready" (converged) = the backend answers AND the address is on the
 *    link AND the link is up.  Handshakes are reported by status().
 *  - A node's endpoint is the UnderlayIP it reports (its --ip, else its
 *    first LAN address), not the address it registers with, which is its
 *    overlay address once the tunnel is up.
 *  - The master is a mesh member too: the controller runs on it, and plan
 *    puts every node on the master's own interface (sync_master) before
 *    the node is answered.
 *
 * Formats (JSON; keys are base64, 44 characters)
 *  Observed.Overlay  node -> controller, from observe() and ensure():
 *    {"PublicKey":"...","ListenPort":51820,"Interface":"wg0",
 *     "UnderlayIP":"198.51.100.12",
 *     "Address":"100.96.0.2","MTU":1420}   (Address/MTU once the link is up)
 *  OverlayPayload  controller -> node:
 *    {"Interface":"wg0","Address":"100.96.0.2/16","ListenPort":51820,
 *     "MTU":1420,"Peers":[{"PublicKey":"...","Endpoint":"198.51.100.11:51820",
 *     "AllowedIPs":["100.96.0.1/32"],"PersistentKeepalive":25}]}
 *    Address carries the pool's prefix length so the kernel routes the
 *    whole overlay through the interface; AllowedIPs are /32 per peer and
 *    must lie inside that network (a node refuses anything else).
 *  record (plan_out.record_json, kept by the core per node):
 *    {"Address":"100.96.0.2","PublicKey":"...","Endpoint":"198.51.100.12:51820"}
 *    plus "Master":true when the master registers as a node itself.
 *  Controller files in <data-dir>: master.json (the master's own record,
 *  written by master_prepare) and leases.json ({"Leases":{NodeID:addr}}),
 *  which keeps addresses stable and unique even when a record is lost.
 *
 * Options: the config keys below; --overlay-config JSON may override them
 * on the controller and master ("Interface", "ListenPort", "MTU", "Pool",
 * "PersistentKeepalive").
 */
#include <errno.h>
#include <net/if.h>
#include <stdarg.h>
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
#include "wg.h"

#define MASTER_FILE "master.json"
#define LEASES_FILE "leases.json"
#define MASTER_PEERS_FILE "master-peers.json"
#define DAEMON_WAIT_MS 5000

struct wg_conf {
	char ifname[WG_IFNAME_MAX + 1];
	uint16_t listen_port;
	uint32_t mtu;
	struct wg_pool pool;
	uint16_t keepalive;
};

struct wg_state {
	const struct clusterctl_host *host;
	struct wg_conf conf;
	const char *wg_go;
	/* Controller side: the master's own peer set as last applied (see
	 * sync_master), and when, so an unchanged set costs no daemon call. */
	char *master_applied;
	time_t master_applied_at;
	bool master_down_logged;
	bool own_key_known; /* own_key: the public half of this host's key */
	uint8_t own_key[WG_KEY_LEN];
};

enum backend { BK_NONE = 0, BK_UAPI, BK_KERNEL };

static const char *backend_name(enum backend b)
{
	return b == BK_UAPI ? "wireguard-go" : b == BK_KERNEL ? "kernel" : "none";
}

#define LOG(st, lvl, ...) (st)->host->log((st)->host->ctx, (lvl), __VA_ARGS__)
#define ERR(st, ...) (st)->host->error((st)->host->ctx, __VA_ARGS__)

static const struct clusterctl_config_key wireguard_keys[] = {
	{"interface", CLUSTERCTL_CONFIG_STRING, "wg0", 0, 0, "WireGuard interface name"},
	{"listen-port", CLUSTERCTL_CONFIG_INT, "51820", 1, 65535, "UDP port WireGuard listens on"},
	{"mtu", CLUSTERCTL_CONFIG_INT, "1420", WG_MTU_MIN, WG_MTU_MAX, "MTU of the WireGuard interface"},
	{"pool", CLUSTERCTL_CONFIG_STRING, "100.96.0.0/16", 0, 0,
	 "overlay address pool inside 100.64.0.0/10 (controller)"},
	{"keepalive", CLUSTERCTL_CONFIG_INT, "25", 0, 65535,
	 "persistent keepalive in seconds, 0 = off (controller)"},
	{"wireguard-go", CLUSTERCTL_CONFIG_STRING, "wireguard-go", 0, 0,
	 "user-space WireGuard program, used when the kernel has no WireGuard"},
	{NULL, 0, NULL, 0, 0, NULL},
};

/* ---- configuration ------------------------------------------------- */

static int conf_int(struct wg_state *st, const char *key, long long min, long long max, long long *out)
{
	const char *v = st->host->config_get(st->host->ctx, key);
	char *end;
	if (!v) {
		ERR(st, "wireguard: option %s has no value", key);
		return -EINVAL;
	}
	errno = 0;
	*out = strtoll(v, &end, 10);
	if (errno || *end || end == v || *out < min || *out > max) {
		ERR(st, "wireguard: option %s wants a whole number in %lld..%lld, got \"%s\"", key, min, max, v);
		return -EINVAL;
	}
	return 0;
}

static int conf_load(struct wg_state *st, struct wg_conf *c)
{
	const char *ifname = st->host->config_get(st->host->ctx, "interface");
	const char *pool = st->host->config_get(st->host->ctx, "pool");
	const char *why;
	long long v;
	int r;

	if (!wg_valid_ifname(ifname)) {
		ERR(st, "wireguard: interface \"%s\" is not a valid interface name (1..15 of [A-Za-z0-9_.-])",
		    ifname ? ifname : "");
		return -EINVAL;
	}
	strcpy(c->ifname, ifname);
	if ((r = conf_int(st, "listen-port", 1, 65535, &v)) < 0)
		return r;
	c->listen_port = (uint16_t)v;
	if ((r = conf_int(st, "mtu", WG_MTU_MIN, WG_MTU_MAX, &v)) < 0)
		return r;
	c->mtu = (uint32_t)v;
	if ((r = conf_int(st, "keepalive", 0, 65535, &v)) < 0)
		return r;
	c->keepalive = (uint16_t)v;
	if (wg_parse_pool(pool, &c->pool.net, &c->pool.plen, &why) < 0) {
		ERR(st, "wireguard: pool \"%s\" %s", pool ? pool : "", why);
		return -EINVAL;
	}
	return 0;
}

/* --overlay-config overrides, on the controller and master only. */
static int conf_apply_options(struct wg_state *st, const char *options_json, struct wg_conf *c)
{
	json_object *o, *v;
	const char *why;
	int r = -EINVAL;

	*c = st->conf;
	if (!options_json || !*options_json)
		return 0;
	o = json_tokener_parse(options_json);
	if (!o || !json_object_is_type(o, json_type_object)) {
		ERR(st, "wireguard: --overlay-config is not a JSON object");
		goto out;
	}
	json_object_object_foreach(o, key, val)
	{
		if (strcmp(key, "Interface") && strcmp(key, "ListenPort") && strcmp(key, "MTU") &&
		    strcmp(key, "Pool") && strcmp(key, "PersistentKeepalive")) {
			ERR(st, "wireguard: --overlay-config: unknown key \"%s\" (known: Interface, "
				"ListenPort, MTU, Pool, PersistentKeepalive)", key);
			goto out;
		}
		(void)val;
	}
#define OPT_INT(name, min, max, field)                                                             \
	if (json_object_object_get_ex(o, name, &v)) {                                              \
		int64_t x = json_object_get_int64(v);                                              \
		if (!json_object_is_type(v, json_type_int) || x < (min) || x > (max)) {            \
			ERR(st, "wireguard: --overlay-config: %s must be a whole number in %d..%d", \
			    name, (int)(min), (int)(max));                                          \
			goto out;                                                                  \
		}                                                                                  \
		c->field = (__typeof__(c->field))x;                                                \
	}
	OPT_INT("ListenPort", 1, 65535, listen_port)
	OPT_INT("MTU", WG_MTU_MIN, WG_MTU_MAX, mtu)
	OPT_INT("PersistentKeepalive", 0, 65535, keepalive)
#undef OPT_INT
	if (json_object_object_get_ex(o, "Interface", &v)) {
		const char *s = json_object_get_string(v);
		if (!json_object_is_type(v, json_type_string) || !wg_valid_ifname(s)) {
			ERR(st, "wireguard: --overlay-config: Interface is not a valid interface name");
			goto out;
		}
		strcpy(c->ifname, s);
	}
	if (json_object_object_get_ex(o, "Pool", &v)) {
		const char *s = json_object_get_string(v);
		if (!json_object_is_type(v, json_type_string) ||
		    wg_parse_pool(s, &c->pool.net, &c->pool.plen, &why) < 0) {
			ERR(st, "wireguard: --overlay-config: Pool %s",
			    json_object_is_type(v, json_type_string) ? why : "must be a string");
			goto out;
		}
	}
	r = 0;
out:
	json_object_put(o);
	return r;
}

static int wireguard_init(const struct clusterctl_host *host, void **state)
{
	struct wg_state *st = calloc(1, sizeof *st);
	int r;
	if (!st)
		return -ENOMEM;
	st->host = host;
	if ((r = conf_load(st, &st->conf)) < 0) {
		free(st);
		return r;
	}
	st->wg_go = host->config_get(host->ctx, "wireguard-go");
	if (!st->wg_go || !*st->wg_go)
		st->wg_go = "wireguard-go";
	*state = st;
	return 0;
}

static void wireguard_fini(void *state)
{
	struct wg_state *st = state;
	if (st)
		free(st->master_applied);
	free(st);
}

/* ---- keys ---------------------------------------------------------- */

static int load_key(struct wg_state *st, uint8_t priv[WG_KEY_LEN], uint8_t pub[WG_KEY_LEN])
{
	const char *dir = st->host->data_dir(st->host->ctx);
	bool created;
	char *err = NULL;
	int r = wg_key_load_or_create(dir, priv, &created, &err);
	if (r < 0) {
		ERR(st, "wireguard: %s", err ? err : strerror(-r));
		free(err);
		return r;
	}
	if ((r = wg_key_public(priv, pub)) < 0) {
		wg_key_wipe(priv, WG_KEY_LEN);
		ERR(st, "wireguard: cannot derive the public key (libcrypto X25519)");
		return r;
	}
	if (created) {
		char b64[WG_KEY_B64_LEN + 1];
		wg_key_to_base64(pub, b64);
		LOG(st, CLUSTERCTL_LOG_INFO, "wireguard key pair generated public_key=%s dir=%s", b64, dir);
	}
	return 0;
}

/* ---- backend: kernel genl or wireguard-go UAPI ---------------------- */

static enum backend backend_detect(struct wg_state *st, const char *ifname)
{
	struct clusterctl_link l;
	uint16_t fam;
	if (wg_uapi_present(ifname))
		return BK_UAPI;
	if (st->host->link_get(st->host->ctx, ifname, &l) == 0 && strcmp(l.kind, "wireguard") == 0 &&
	    wg_genl_family(&fam) == 0)
		return BK_KERNEL;
	return BK_NONE;
}

static int start_wireguard_go(struct wg_state *st, const char *ifname)
{
	/* wireguard-go forks its daemon with stdio on /dev/null unless
	 * LOG_LEVEL is set: clear it so run() sees EOF and returns at once.
	 * WG_PROCESS_FOREGROUND must not be touched: the daemon child gets
	 * "=1" appended, and an earlier empty entry would win in the child,
	 * which would then fork again, forever. */
	const char *const argv[] = {st->wg_go, ifname, NULL};
	const char *const env[] = {"LOG_LEVEL=", NULL};
	struct clusterctl_run_result res;
	int r = st->host->run(st->host->ctx, argv, env, NULL, 15000, &res);

	if (r < 0) {
		ERR(st, "wireguard: cannot run %s: %s (install wireguard-go, or set wireguard-go to its path)",
		    st->wg_go, strerror(-r));
		st->host->run_result_free(&res);
		return r;
	}
	if (res.exit_status != 0) {
		ERR(st, "wireguard: %s %s failed (exit %d%s): %.300s", st->wg_go, ifname, res.exit_status,
		    res.timed_out ? ", timed out" : "", res.err && *res.err ? res.err : res.out ? res.out : "");
		st->host->run_result_free(&res);
		return -EIO;
	}
	st->host->run_result_free(&res);
	for (int waited = 0; waited < DAEMON_WAIT_MS; waited += 50) {
		if (wg_uapi_present(ifname))
			return 0;
		usleep(50 * 1000);
	}
	ERR(st, "wireguard: %s started but %s/%s.sock did not answer within %d ms", st->wg_go,
	    WG_UAPI_DIR, ifname, DAEMON_WAIT_MS);
	return -ETIMEDOUT;
}

static int backend_create(struct wg_state *st, const char *ifname, enum backend *bk)
{
	struct clusterctl_link l;
	int r;

	if (st->host->link_get(st->host->ctx, ifname, &l) == 0) {
		ERR(st, "wireguard: interface %s exists (kind \"%s\") but no WireGuard answers on it: "
			"remove it or choose another interface name", ifname, l.kind);
		return -EEXIST;
	}
	r = wg_genl_link_create(ifname);
	if (r == 0) {
		*bk = BK_KERNEL;
		LOG(st, CLUSTERCTL_LOG_INFO, "wireguard interface created ifname=%s backend=kernel", ifname);
		return 0;
	}
	LOG(st, CLUSTERCTL_LOG_DEBUG, "wireguard kernel link not available ifname=%s error=\"%s\"", ifname,
	    strerror(-r));
	if ((r = start_wireguard_go(st, ifname)) < 0)
		return r;
	*bk = BK_UAPI;
	LOG(st, CLUSTERCTL_LOG_INFO, "wireguard interface created ifname=%s backend=wireguard-go", ifname);
	return 0;
}

static int backend_get(struct wg_state *st, enum backend bk, const char *ifname, struct wg_device *dev)
{
	char *err = NULL;
	int r;
	if (bk == BK_UAPI) {
		r = wg_uapi_get(ifname, dev, &err);
		if (r < 0)
			ERR(st, "wireguard: %s", err ? err : strerror(-r));
		free(err);
		return r;
	}
	r = wg_genl_get(ifname, dev);
	if (r < 0)
		ERR(st, "wireguard: reading %s over generic netlink: %s", ifname, strerror(-r));
	return r;
}

static int backend_set(struct wg_state *st, enum backend bk, const struct wg_device *set)
{
	char *err = NULL;
	int r;
	if (bk == BK_UAPI) {
		r = wg_uapi_set(set->ifname, set, &err);
		if (r < 0)
			ERR(st, "wireguard: %s", err ? err : strerror(-r));
		free(err);
		return r;
	}
	r = wg_genl_set(set);
	if (r < 0)
		ERR(st, "wireguard: configuring %s over generic netlink: %s", set->ifname, strerror(-r));
	return r;
}

/* ---- node side ------------------------------------------------------ */

static int underlay_ip(struct wg_state *st, uint32_t *ip);

/* The IPv4 addresses on ifname; *n of them in *out (free()). */
static int link_addrs(struct wg_state *st, const char *ifname, struct clusterctl_ifaddr **out, size_t *n)
{
	struct clusterctl_ifaddr *all = NULL;
	size_t cnt = 0, k = 0;
	int r = st->host->addr_list(st->host->ctx, &all, &cnt);
	*out = NULL;
	*n = 0;
	if (r < 0) {
		ERR(st, "wireguard: cannot list addresses (rtnetlink): %s", strerror(-r));
		return r;
	}
	for (size_t i = 0; i < cnt; i++)
		if (strncmp(all[i].ifname, ifname, sizeof all[i].ifname) == 0)
			all[k++] = all[i];
	*out = all;
	*n = k;
	return 0;
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

/* Bring the node to `want`.  prune: remove peers want does not list
 * (ensure); master_prepare keeps them, since re-running master init must
 * not cut the nodes the controller added since.  create: start the
 * backend when the interface is missing (-ENODEV otherwise: the
 * controller's event loop must not wait for a daemon to start). */
static int converge_backend(struct wg_state *st, const struct wg_payload *want, bool prune, bool create,
			    struct clusterctl_ensure_out *out)
{
	uint8_t priv[WG_KEY_LEN], pub[WG_KEY_LEN];
	struct wg_device cur = {0}, wantdev = {0}, set = {0};
	struct clusterctl_ifaddr *addrs = NULL;
	struct clusterctl_link l;
	enum backend bk;
	size_t changes = 0, n_addrs = 0;
	char ip[16];
	bool have_addr = false;
	int r;

	if ((r = load_key(st, priv, pub)) < 0)
		return r;
	for (size_t i = 0; i < want->n_peers; i++)
		if (memcmp(want->peers[i].public_key, pub, WG_KEY_LEN) == 0) {
			ERR(st, "wireguard: the payload lists this node's own public key as a peer");
			r = -EINVAL;
			goto out;
		}
	bk = backend_detect(st, want->ifname);
	if (bk == BK_NONE && !create) {
		ERR(st, "wireguard: interface %s is not up", want->ifname);
		r = -ENODEV;
		goto out;
	}
	if (bk == BK_NONE && (r = backend_create(st, want->ifname, &bk)) < 0)
		goto out;
	if ((r = backend_get(st, bk, want->ifname, &cur)) < 0)
		goto out;

	memcpy(wantdev.ifname, want->ifname, sizeof wantdev.ifname);
	wantdev.has_private_key = true;
	memcpy(wantdev.private_key, priv, WG_KEY_LEN);
	wantdev.listen_port = want->listen_port;
	wantdev.peers = want->peers; /* borrowed: not freed below */
	wantdev.n_peers = want->n_peers;
	r = wg_device_diff(&cur, &wantdev, prune, &set, &changes);
	wantdev.peers = NULL;
	wantdev.n_peers = 0;
	if (r < 0) {
		ERR(st, "wireguard: out of memory");
		goto out;
	}
	if (changes) {
		size_t added = 0, removed = 0;
		for (size_t i = 0; i < set.n_peers; i++)
			set.peers[i].flags & WG_PEER_REMOVE ? removed++ : added++;
		if ((r = backend_set(st, bk, &set)) < 0)
			goto out;
		LOG(st, CLUSTERCTL_LOG_INFO,
		    "wireguard configured ifname=%s backend=%s peers_changed=%zu peers_removed=%zu key=%s port=%s",
		    want->ifname, backend_name(bk), added, removed, set.set_private_key ? "set" : "kept",
		    set.set_listen_port ? "set" : "kept");
	}

	/* Link state and MTU through the host's rtnetlink. */
	if ((r = st->host->link_get(st->host->ctx, want->ifname, &l)) < 0) {
		ERR(st, "wireguard: cannot read link %s: %s", want->ifname, strerror(-r));
		goto out;
	}
	if (!(l.flags & IFF_UP) || l.mtu != want->mtu) {
		if ((r = st->host->link_set(st->host->ctx, want->ifname, 1, want->mtu)) < 0) {
			ERR(st, "wireguard: cannot bring %s up with MTU %u: %s", want->ifname, want->mtu,
			    strerror(-r));
			goto out;
		}
	}
	cc_format_ipv4(want->address, ip);
	if ((r = link_addrs(st, want->ifname, &addrs, &n_addrs)) < 0)
		goto out;
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
		    "wireguard stale address removed ifname=%s addr=%s/%u result=%d", want->ifname,
		    addrs[i].addr, addrs[i].prefixlen, r);
	}
	if (!have_addr && (r = st->host->addr_add(st->host->ctx, want->ifname, ip, want->plen)) < 0) {
		ERR(st, "wireguard: cannot add %s/%u to %s: %s", ip, want->plen, want->ifname, strerror(-r));
		goto out;
	}

	/* Read back what we claim: backend answering, link up, address on. */
	free(addrs);
	addrs = NULL;
	have_addr = false;
	if ((r = link_addrs(st, want->ifname, &addrs, &n_addrs)) < 0)
		goto out;
	for (size_t i = 0; i < n_addrs; i++)
		if (strcmp(addrs[i].addr, ip) == 0)
			have_addr = true;
	if ((r = st->host->link_get(st->host->ctx, want->ifname, &l)) < 0) {
		ERR(st, "wireguard: cannot read link %s: %s", want->ifname, strerror(-r));
		goto out;
	}
	out->converged = have_addr && (l.flags & IFF_UP) && backend_detect(st, want->ifname) == bk;
	out->ifname = strdup(want->ifname);
	out->address = strdup(ip);
	out->mtu = l.mtu;
	out->observed_json = observed_json(st, pub, want->listen_port, want->ifname,
					   out->converged ? ip : NULL, l.mtu);
	{
		char msg[160];
		snprintf(msg, sizeof msg, "wireguard %s %s/%u mtu %u, %zu peers, %zu changes (%s)",
			 want->ifname, ip, want->plen, l.mtu, want->n_peers, changes, backend_name(bk));
		out->message = strdup(msg);
	}
	if (!out->ifname || !out->address || !out->observed_json || !out->message) {
		ERR(st, "wireguard: out of memory");
		r = -ENOMEM;
		goto out;
	}
	r = 0;
out:
	wg_key_wipe(priv, sizeof priv);
	free(addrs);
	wg_device_free(&cur);
	wg_device_free(&set);
	return r;
}

static int converge(struct wg_state *st, const struct wg_payload *want, bool prune,
		    struct clusterctl_ensure_out *out)
{
	return converge_backend(st, want, prune, true, out);
}

static int wireguard_ensure(void *state, const char *payload_json, struct clusterctl_ensure_out *out)
{
	struct wg_state *st = state;
	struct wg_payload p;
	char *err = NULL;
	int r = wg_payload_parse(payload_json, &p, &err);
	if (r < 0) {
		ERR(st, "wireguard: invalid payload from the controller: %s", err ? err : strerror(-r));
		free(err);
		return r;
	}
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
	const char *addr = NULL;
	size_t n = 0;
	int r;

	*observed = NULL;
	if ((r = load_key(st, priv, pub)) < 0)
		return r;
	wg_key_wipe(priv, sizeof priv);
	/* Already up from an earlier run: say so, with its address. */
	if (backend_detect(st, st->conf.ifname) != BK_NONE &&
	    st->host->link_get(st->host->ctx, st->conf.ifname, &l) == 0 && (l.flags & IFF_UP) &&
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
		ERR(st, "wireguard: out of memory");
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
	enum backend bk;
	size_t n = 0;
	char b64[WG_KEY_B64_LEN + 1], ip[16], tmp[64];
	time_t now = time(NULL);

	*status_json = NULL;
	if (!o)
		return -ENOMEM;
	json_object_object_add(o, "Provider", json_object_new_string("wireguard"));
	json_object_object_add(o, "Interface", json_object_new_string(ifname));
	bk = backend_detect(st, ifname);
	json_object_object_add(o, "Backend", json_object_new_string(backend_name(bk)));
	json_object_object_add(o, "Running", json_object_new_boolean(bk != BK_NONE));
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
	if (bk != BK_NONE && backend_get(st, bk, ifname, &dev) == 0) {
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

/* ---- master --------------------------------------------------------- */

/* This host's underlay address, where peers reach its listen port: the
 * host's node-ip (--ip) when given, else the first up, global IPv4
 * address outside the CGNAT range on a link that is not a bridge or
 * loopback.  Not the Swarm's advertise address: with an overlay that is
 * the tunnel's own. */
static int underlay_ip(struct wg_state *st, uint32_t *ip)
{
	const char *v = st->host->config_get(st->host->ctx, "node-ip");
	struct clusterctl_ifaddr *all = NULL;
	size_t n = 0;

	if (v && *v) {
		if (cc_parse_ipv4(v, ip) == 0)
			return 0;
		LOG(st, CLUSTERCTL_LOG_WARN, "wireguard ignoring node-ip \"%s\": not an IPv4 address", v);
	}
	if (st->host->addr_list(st->host->ctx, &all, &n) < 0)
		return -ENOENT;
	for (size_t i = 0; i < n; i++) {
		uint32_t a;
		if (cc_parse_ipv4(all[i].addr, &a) < 0 || !(all[i].link_flags & IFF_UP) ||
		    (all[i].link_flags & IFF_LOOPBACK) || all[i].scope != 0 ||
		    cc_ipv4_in_net(a, WG_CGNAT_NET, WG_CGNAT_PREFIX) || strcmp(all[i].kind, "bridge") == 0 ||
		    strncmp(all[i].ifname, "docker", 6) == 0 || strncmp(all[i].ifname, "br-", 3) == 0)
			continue;
		*ip = a;
		free(all);
		return 0;
	}
	free(all);
	return -ENOENT;
}

static int data_path(struct wg_state *st, const char *file, char **out)
{
	const char *dir = st->host->data_dir(st->host->ctx);
	struct cc_buf b = CC_BUF_INIT;
	if (!dir) {
		ERR(st, "wireguard: no plugin data directory (node-state-dir unset or not writable)");
		return -ENOENT;
	}
	cc_buf_printf(&b, "%s/%s", dir, file);
	*out = cc_buf_detach(&b);
	return *out ? 0 : -ENOMEM;
}

/* The peers the controller last gave the master's interface (see
 * save_master_peers), when they were for this interface and network:
 * master init restores them with the link, so the master is back on the
 * mesh before storage mounts the volume over it. */
static void load_master_peers(struct wg_state *st, struct wg_payload *p)
{
	struct wg_payload saved = {0};
	char *path = NULL, *text = NULL, *err = NULL;
	int r;

	if (data_path(st, MASTER_PEERS_FILE, &path) < 0)
		goto out;
	r = cc_read_file(path, 16u << 20, &text, NULL);
	if (r == -ENOENT)
		goto out; /* first master init: no node has joined yet */
	if (r < 0 || (r = wg_payload_parse(text, &saved, &err)) < 0) {
		LOG(st, CLUSTERCTL_LOG_WARN, "wireguard ignoring unreadable %s: %s (master serve restores the peers "
					     "as nodes register)", path, err ? err : strerror(-r));
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

	if ((r = conf_apply_options(st, options_json, &c)) < 0)
		return r;
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
	/* Before bringing the link up: plan() must see the reservation even
	 * if the interface step fails and init is re-run. */
	if ((r = cc_write_file_atomic(path, json, strlen(json), 0600)) < 0) {
		ERR(st, "wireguard: cannot write %s: %s", path, strerror(-r));
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

/* ---- controller ----------------------------------------------------- */

struct other {
	const char *node_id;
	struct wg_record rec;
	bool valid;
};

static int load_master(struct wg_state *st, struct wg_record *m)
{
	char *path = NULL, *text = NULL, *err = NULL;
	int r;

	memset(m, 0, sizeof *m);
	if ((r = data_path(st, MASTER_FILE, &path)) < 0)
		return r;
	r = cc_read_file(path, 64 * 1024, &text, NULL);
	if (r == -ENOENT) {
		r = 0; /* master init has not run here: only the address is reserved */
		goto out;
	}
	if (r < 0 || (r = wg_record_parse(text, m, &err)) < 0) {
		LOG(st, CLUSTERCTL_LOG_WARN, "wireguard ignoring unreadable %s: %s", path,
		    err ? err : strerror(-r));
		memset(m, 0, sizeof *m);
		r = 0;
	}
out:
	free(err);
	free(text);
	free(path);
	return r;
}

static json_object *load_leases(struct wg_state *st, char **path)
{
	char *text = NULL;
	json_object *o = NULL, *l;
	if (data_path(st, LEASES_FILE, path) < 0)
		return NULL;
	if (cc_read_file(*path, 16u << 20, &text, NULL) == 0)
		o = json_tokener_parse(text);
	free(text);
	if (!o || !json_object_is_type(o, json_type_object) ||
	    !json_object_object_get_ex(o, "Leases", &l) || !json_object_is_type(l, json_type_object)) {
		json_object_put(o);
		o = json_object_new_object();
		if (o)
			json_object_object_add(o, "Leases", json_object_new_object());
	}
	return o;
}

static int parse_cluster(struct wg_state *st, json_object *arr, struct other **out, size_t *n)
{
	size_t len = json_object_array_length(arr), k = 0;
	struct other *v = calloc(len ? len : 1, sizeof *v);
	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < len; i++) {
		json_object *e = json_object_array_get_idx(arr, i), *id, *rec;
		const char *rec_text;
		char *err = NULL;
		if (!json_object_is_type(e, json_type_object) || !json_object_object_get_ex(e, "NodeID", &id) ||
		    !json_object_is_type(id, json_type_string))
			continue;
		v[k].node_id = json_object_get_string(id);
		if (json_object_object_get_ex(e, "Record", &rec) && rec) {
			rec_text = json_object_is_type(rec, json_type_string)
					   ? json_object_get_string(rec)
					   : json_object_to_json_string_ext(rec, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
			if (wg_record_parse(rec_text, &v[k].rec, &err) == 0)
				v[k].valid = true;
			else
				LOG(st, CLUSTERCTL_LOG_WARN, "wireguard ignoring the record of node=%s: %s",
				    v[k].node_id, err ? err : "invalid");
			free(err);
		}
		k++;
	}
	*out = v;
	*n = k;
	return 0;
}

static bool known_node(const struct other *o, size_t n, const char *id)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(o[i].node_id, id) == 0)
			return true;
	return false;
}

static int add_peer(struct wg_payload *p, const struct wg_record *r, uint16_t keepalive)
{
	struct wg_device tmp = {.peers = p->peers, .n_peers = p->n_peers};
	struct wg_allowed_ip a = {.family = AF_INET, .cidr = 32, .addr.v4 = r->address};
	struct wg_peer *peer;
	if (wg_device_find_peer(&tmp, r->public_key))
		return 0;
	if (!(peer = wg_device_add_peer(&tmp)))
		return -ENOMEM;
	p->peers = tmp.peers;
	p->n_peers = tmp.n_peers;
	memcpy(peer->public_key, r->public_key, WG_KEY_LEN);
	if (r->endpoint_ip && r->listen_port) {
		peer->endpoint.family = AF_INET;
		peer->endpoint.addr.v4 = r->endpoint_ip;
		peer->endpoint.port = r->listen_port;
	}
	peer->keepalive = keepalive;
	return wg_peer_add_allowed(peer, &a);
}

static int cmp_peer_key(const void *a, const void *b)
{
	return memcmp(((const struct wg_peer *)a)->public_key, ((const struct wg_peer *)b)->public_key, WG_KEY_LEN);
}

/* Is this process on the master host: does the data dir hold the private
 * key whose public half master.json names?  Never creates a key; reads it
 * once, not per registration. */
static bool on_master_host(struct wg_state *st, const struct wg_record *master)
{
	uint8_t priv[WG_KEY_LEN];
	char *path = NULL;
	bool present;
	if (!master->has_key)
		return false;
	if (!st->own_key_known) {
		if (data_path(st, "private.key", &path) < 0)
			return false;
		present = access(path, F_OK) == 0;
		free(path);
		if (!present || load_key(st, priv, st->own_key) < 0)
			return false;
		wg_key_wipe(priv, sizeof priv);
		st->own_key_known = true;
	}
	return memcmp(st->own_key, master->public_key, WG_KEY_LEN) == 0;
}

#define MASTER_RESYNC_SECONDS 60

/* The master's peer set as last applied, kept in the node-local data dir
 * (MASTER_PEERS_FILE) so that master init after a reboot brings wg0 back
 * with its peers.  Without them nothing on the overlay answers the master:
 * not the other Swarm managers (no raft quorum), not the other bricks (a
 * replica-3 volume mounted with one brick is read-only, and the state dir
 * lives on it), so master serve, whose plans alone would restore the
 * peers, cannot start.  A failed write is a warning: the next change or
 * controller start writes it again. */
static void save_master_peers(struct wg_state *st, const char *payload)
{
	char *path = NULL;
	int r = data_path(st, MASTER_PEERS_FILE, &path);
	if (r == 0 && (r = cc_write_file_atomic(path, payload, strlen(payload), 0600)) < 0)
		LOG(st, CLUSTERCTL_LOG_WARN, "wireguard cannot keep the master's peers in %s: %s", path,
		    strerror(-r));
	free(path);
}

/* The controller runs on the master, whose own interface is a member of
 * the mesh like any node's: it must list every node as a peer, or no node
 * reaches the master's overlay address (and so the Swarm manager).  The
 * plan that first sees a node's key applies it here, before the node is
 * handed its payload, so the master never lags behind the nodes.  The
 * peer set is every node's record plus the one being planned; it is
 * applied only when it changed (or once a minute, to heal a restarted
 * daemon), and only through a running backend: starting wireguard-go is
 * master init's job, not the event loop's.  Failures are logged, never
 * passed to the node: its own payload is still right. */
static void sync_master(struct wg_state *st, const struct wg_conf *c, const struct wg_record *master,
			const struct other *others, size_t n_others, const char *node_id,
			const struct wg_record *rec)
{
	struct clusterctl_ensure_out out = {.struct_size = sizeof out};
	struct wg_payload p = {0};
	char *text = NULL;
	time_t now = time(NULL);
	int r = 0;

	if (!master->has_key || !master->address || !cc_ipv4_in_net(master->address, c->pool.net, c->pool.plen) ||
	    !on_master_host(st, master))
		return;
	strcpy(p.ifname, c->ifname);
	p.address = master->address;
	p.plen = c->pool.plen;
	p.listen_port = master->listen_port ? master->listen_port : c->listen_port;
	p.mtu = c->mtu;
	if (rec->address && cc_ipv4_in_net(rec->address, c->pool.net, c->pool.plen))
		r = add_peer(&p, rec, c->keepalive);
	for (size_t i = 0; r == 0 && i < n_others; i++) {
		const struct wg_record *o = &others[i].rec;
		if (!others[i].valid || !o->has_key || !o->address || !strcmp(others[i].node_id, node_id) ||
		    o->address == rec->address || o->address == master->address ||
		    !cc_ipv4_in_net(o->address, c->pool.net, c->pool.plen) ||
		    memcmp(o->public_key, master->public_key, WG_KEY_LEN) == 0)
			continue;
		r = add_peer(&p, o, c->keepalive);
	}
	if (r < 0)
		goto out;
	/* Store order differs from plan to plan: compare sorted. */
	if (p.n_peers > 1)
		qsort(p.peers, p.n_peers, sizeof *p.peers, cmp_peer_key);
	if (!(text = wg_payload_format(&p)))
		goto out;
	if (st->master_applied && strcmp(st->master_applied, text) == 0 &&
	    now - st->master_applied_at < MASTER_RESYNC_SECONDS)
		goto out;
	r = converge_backend(st, &p, true, false, &out);
	if (r < 0) {
		if (r != -ENODEV || !st->master_down_logged)
			LOG(st, CLUSTERCTL_LOG_WARN, "wireguard cannot give the master's %s its %zu peers: %s", p.ifname,
			    p.n_peers, r == -ENODEV ? "it is not up (run clusterctl master init again)" : strerror(-r));
		st->master_down_logged = r == -ENODEV;
		goto out;
	}
	st->master_down_logged = false;
	LOG(st, CLUSTERCTL_LOG_DEBUG, "wireguard master peers in step ifname=%s peers=%zu", p.ifname, p.n_peers);
	if (!st->master_applied || strcmp(st->master_applied, text) != 0)
		save_master_peers(st, text);
	free(st->master_applied);
	st->master_applied = text;
	st->master_applied_at = now;
	text = NULL;
out:
	cp_ensure_out_free(&out);
	free(text);
	wg_payload_free(&p);
}

static int wireguard_plan(void *state, const struct clusterctl_plan_in *in, struct clusterctl_plan_out *out)
{
	struct wg_state *st = state;
	struct wg_conf c;
	struct wg_observed ob;
	struct wg_record prev = {0}, rec = {0}, master;
	struct wg_payload p = {0};
	struct other *others = NULL;
	size_t n_others = 0, n_used = 0;
	uint32_t *used = NULL, lease_addr = 0, ip;
	json_object *cluster = NULL, *leases_doc = NULL, *leases, *lv;
	char *err = NULL, *leases_path = NULL, addr_s[16], pool_s[16];
	bool is_master, leases_dirty = false;
	int r;

	if ((r = conf_apply_options(st, in->options_json, &c)) < 0)
		return r;
	cc_format_ipv4(c.pool.net, pool_s);
	if (!in->node_id || !*in->node_id || cc_parse_ipv4(in->ip, &ip) < 0) {
		ERR(st, "wireguard: the node has no id or no IPv4 address");
		return -EINVAL;
	}
	if ((r = wg_observed_parse(in->observed_json, &ob, &err)) < 0) {
		ERR(st, "wireguard: node %s sent an invalid %s", in->node_id, err ? err : "Observed.Overlay");
		goto out;
	}
	if (in->record_json && wg_record_parse(in->record_json, &prev, &err) < 0) {
		LOG(st, CLUSTERCTL_LOG_WARN, "wireguard ignoring the stored record of node=%s: %s",
		    in->node_id, err ? err : "invalid");
		memset(&prev, 0, sizeof prev);
	}
	free(err);
	err = NULL;
	if ((r = load_master(st, &master)) < 0)
		goto out;
	cluster = json_tokener_parse(in->cluster_json ? in->cluster_json : "[]");
	if (!cluster || !json_object_is_type(cluster, json_type_array)) {
		ERR(st, "wireguard: cluster_json from the core is not a JSON array");
		r = -EINVAL;
		goto out;
	}
	if ((r = parse_cluster(st, cluster, &others, &n_others)) < 0)
		goto out;
	if (!(leases_doc = load_leases(st, &leases_path)) ||
	    !json_object_object_get_ex(leases_doc, "Leases", &leases)) {
		r = -ENOMEM;
		goto out;
	}
	if (json_object_object_get_ex(leases, in->node_id, &lv) && json_object_is_type(lv, json_type_string))
		cc_parse_ipv4(json_object_get_string(lv), &lease_addr);

	rec.has_key = ob.has_key || prev.has_key;
	memcpy(rec.public_key, ob.has_key ? ob.public_key : prev.public_key, WG_KEY_LEN);
	/* The endpoint: what the node says its underlay is, else the address
	 * it registers with unless that is an overlay address (a node whose
	 * tunnel is up registers with it), else what was known before. */
	if (ob.underlay_ip && !cc_ipv4_in_net(ob.underlay_ip, c.pool.net, c.pool.plen))
		rec.endpoint_ip = ob.underlay_ip;
	else if (!cc_ipv4_in_net(ip, c.pool.net, c.pool.plen))
		rec.endpoint_ip = ip;
	else
		rec.endpoint_ip = prev.endpoint_ip;
	rec.listen_port = ob.listen_port ? ob.listen_port : c.listen_port;
	is_master = rec.has_key && master.has_key && memcmp(rec.public_key, master.public_key, WG_KEY_LEN) == 0;

	if (is_master) {
		/* The master registering as a node: same key, same address. */
		rec.address = master.address ? master.address : wg_pool_master(&c.pool);
		rec.master = true;
	} else {
		int pass;
		/* Taken: the master's address, every other node's record, and
		 * the leases of other nodes; on a full pool, a second pass
		 * forgets leases of nodes the core no longer knows. */
		used = calloc(n_others + json_object_object_length(leases) + 2, sizeof *used);
		if (!used) {
			r = -ENOMEM;
			goto out;
		}
		for (pass = 0; pass < 2; pass++) {
			n_used = 0;
			used[n_used++] = wg_pool_master(&c.pool);
			if (master.address)
				used[n_used++] = master.address;
			for (size_t i = 0; i < n_others; i++)
				if (others[i].valid && others[i].rec.address && strcmp(others[i].node_id, in->node_id))
					used[n_used++] = others[i].rec.address;
			json_object_object_foreach(leases, id, val)
			{
				uint32_t a;
				if (strcmp(id, in->node_id) == 0 || !json_object_is_type(val, json_type_string) ||
				    cc_parse_ipv4(json_object_get_string(val), &a) < 0)
					continue;
				if (pass == 1 && !known_node(others, n_others, id))
					continue;
				used[n_used++] = a;
			}
			r = wg_alloc_pick(&c.pool, prev.address ? prev.address : lease_addr, used, n_used,
					  &rec.address);
			if (r != -ENOSPC)
				break;
		}
		if (r == -ENOSPC) {
			ERR(st, "wireguard: the overlay pool %s/%u is full: no address for node %s (use a larger "
				"pool)", pool_s, c.pool.plen, in->node_id);
			goto out;
		}
		if (r < 0)
			goto out;
		if (pass == 1) {
			/* Forget the leases the second pass did not honour. */
			json_object *keep = json_object_new_object();
			if (!keep) {
				r = -ENOMEM;
				goto out;
			}
			json_object_object_foreach(leases, id2, val2)
			{
				if (known_node(others, n_others, id2) || strcmp(id2, in->node_id) == 0)
					json_object_object_add(keep, id2, json_object_get(val2));
			}
			json_object_object_add(leases_doc, "Leases", keep);
			leases = keep;
			leases_dirty = true;
		}
		if (prev.address && prev.address != rec.address) {
			char old_s[16];
			cc_format_ipv4(prev.address, old_s);
			cc_format_ipv4(rec.address, addr_s);
			LOG(st, CLUSTERCTL_LOG_WARN, "wireguard address of node=%s changed from %s to %s "
						     "(outside the pool or taken)", in->node_id, old_s, addr_s);
		}
	}
	cc_format_ipv4(rec.address, addr_s);
	if (!json_object_object_get_ex(leases, in->node_id, &lv) || !json_object_is_type(lv, json_type_string) ||
	    strcmp(json_object_get_string(lv), addr_s) != 0) {
		json_object_object_add(leases, in->node_id, json_object_new_string(addr_s));
		leases_dirty = true;
	}
	if (leases_dirty) {
		const char *text = json_object_to_json_string_ext(leases_doc, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
		if ((r = cc_write_file_atomic(leases_path, text, strlen(text), 0600)) < 0) {
			ERR(st, "wireguard: cannot write %s: %s", leases_path, strerror(-r));
			goto out;
		}
	}

	/* The payload: this node's address and every other member. */
	strcpy(p.ifname, c.ifname);
	p.address = rec.address;
	p.plen = c.pool.plen;
	p.listen_port = rec.listen_port;
	p.mtu = c.mtu;
	if (!is_master && master.has_key && master.address && (r = add_peer(&p, &master, c.keepalive)) < 0)
		goto out;
	for (size_t i = 0; i < n_others; i++) {
		const struct wg_record *o = &others[i].rec;
		if (!others[i].valid || !o->has_key || !o->address || !strcmp(others[i].node_id, in->node_id) ||
		    o->address == rec.address || !cc_ipv4_in_net(o->address, c.pool.net, c.pool.plen) ||
		    (rec.has_key && memcmp(o->public_key, rec.public_key, WG_KEY_LEN) == 0) ||
		    (master.has_key && memcmp(o->public_key, master.public_key, WG_KEY_LEN) == 0))
			continue;
		if ((r = add_peer(&p, o, c.keepalive)) < 0)
			goto out;
	}
	if (!is_master && rec.has_key)
		sync_master(st, &c, &master, others, n_others, in->node_id, &rec);
	out->payload_json = wg_payload_format(&p);
	out->record_json = wg_record_format(&rec);
	{
		char msg[200];
		if (!rec.has_key)
			snprintf(msg, sizeof msg, "wireguard %s/%u for %s; waiting for the node's public key "
				 "(Observed.Overlay.PublicKey)", addr_s, c.pool.plen, in->node_id);
		else
			snprintf(msg, sizeof msg, "wireguard %s/%u for %s with %zu peers", addr_s, c.pool.plen,
				 in->node_id, p.n_peers);
		out->message = strdup(msg);
	}
	if (!rec.has_key) {
		/* Not a member until the others can know its key. */
		out->waiting = 1;
		out->retry_after = 5;
	}
	if (!out->payload_json || !out->record_json || !out->message) {
		ERR(st, "wireguard: out of memory");
		r = -ENOMEM;
		goto out;
	}
	r = 0;
out:
	if (r == -ENOMEM)
		ERR(st, "wireguard: out of memory");
	free(err);
	free(used);
	free(others);
	free(leases_path);
	wg_payload_free(&p);
	json_object_put(leases_doc);
	json_object_put(cluster);
	return r;
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
};

CLUSTERCTL_PLUGIN_DEFINE(wireguard_plugin)
