/* Address allocation and the controller's plan(): stable addresses, no
 * duplicates, the master's address reserved, pool exhaustion, restart
 * stability, and a payload every node would accept.  plan() is driven
 * through the plugin descriptor with a small host table (plan does no
 * I/O beyond its data dir). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <clusterctl/plugin.h>

#include "cc-buf.h"
#include "cc-file.h"
#include "cc-net.h"
#include "tap.h"
#include "wg.h"

const struct clusterctl_plugin *clusterctl_plugin_entry(void);

static char data_dir[64];
static char last_error[1024];
static const char *pool = "100.96.0.0/29";
static const char *ifname = "wg0";
static char last_log[1024];
static int n_warn;

static void h_log(void *ctx, int level, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(last_log, sizeof last_log, fmt, ap);
	va_end(ap);
	printf("# log: %s\n", last_log);
	if (level == CLUSTERCTL_LOG_WARN)
		n_warn++;
}

/* No interface exists here: the master's own link is "down". */
static int h_link_get(void *ctx, const char *name, struct clusterctl_link *out) { return -ENODEV; }

static void h_error(void *ctx, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(last_error, sizeof last_error, fmt, ap);
	va_end(ap);
}

static const char *h_config_get(void *ctx, const char *key)
{
	const struct clusterctl_plugin *d = clusterctl_plugin_entry();
	if (strcmp(key, "pool") == 0)
		return pool;
	if (strcmp(key, "interface") == 0)
		return ifname;
	for (const struct clusterctl_config_key *k = d->config_keys; k && k->name; k++)
		if (strcmp(k->name, key) == 0)
			return k->default_value;
	return NULL;
}

static const char *h_data_dir(void *ctx) { return data_dir; }

static const struct clusterctl_host host = {
	.struct_size = sizeof(struct clusterctl_host),
	.abi_major = CLUSTERCTL_PLUGIN_ABI_MAJOR,
	.log = h_log,
	.error = h_error,
	.config_get = h_config_get,
	.data_dir = h_data_dir,
	.link_get = h_link_get,
};

struct node {
	const char *id, *ip, *underlay;
	char key[WG_KEY_B64_LEN + 1];
	char *record;
	char addr[16];
	struct wg_payload payload;
	int waiting;
};

static void make_key(char out[WG_KEY_B64_LEN + 1])
{
	uint8_t priv[WG_KEY_LEN], pub[WG_KEY_LEN];
	wg_key_generate(priv);
	wg_key_public(priv, pub);
	wg_key_to_base64(pub, out);
}

/* cluster_json the way the core builds it: every other known node. */
static char *cluster_of(struct node *nodes, size_t n, const struct node *self, bool record_as_string)
{
	struct cc_buf b = CC_BUF_INIT;
	bool first = true;
	cc_buf_puts(&b, "[");
	for (size_t i = 0; i < n; i++) {
		if (&nodes[i] == self || !nodes[i].id)
			continue;
		cc_buf_printf(&b, "%s{\"NodeID\":\"%s\",\"Hostname\":\"%s\",\"IP\":\"%s\",\"Role\":\"worker\",\"Record\":",
			      first ? "" : ",", nodes[i].id, nodes[i].id, nodes[i].ip);
		if (!nodes[i].record) {
			cc_buf_puts(&b, "null}");
		} else if (record_as_string) {
			cc_buf_puts(&b, "\"");
			for (const char *c = nodes[i].record; *c; c++)
				cc_buf_printf(&b, *c == '"' ? "\\\"" : "%c", *c);
			cc_buf_puts(&b, "\"}");
		} else {
			cc_buf_printf(&b, "%s}", nodes[i].record);
		}
		first = false;
	}
	cc_buf_puts(&b, "]");
	return cc_buf_detach(&b);
}

static void *state;

static int do_plan(struct node *nodes, size_t n, struct node *self, bool with_record, bool as_string)
{
	const struct clusterctl_plugin *d = clusterctl_plugin_entry();
	struct clusterctl_plan_in in = {.struct_size = sizeof in};
	struct clusterctl_plan_out out = {.struct_size = sizeof out};
	char observed[192], *cluster = cluster_of(nodes, n, self, as_string), *err = NULL;
	int r;

	snprintf(observed, sizeof observed, "{\"PublicKey\":\"%s\",\"ListenPort\":51820%s%s%s}", self->key,
		 self->underlay ? ",\"UnderlayIP\":\"" : "", self->underlay ? self->underlay : "",
		 self->underlay ? "\"" : "");
	in.node_id = self->id;
	in.hostname = self->id;
	in.ip = self->ip;
	in.swarm_role = "worker";
	in.observed_json = self->key[0] ? observed : "{}";
	in.record_json = with_record ? self->record : NULL;
	in.cluster_json = cluster;
	in.options_json = "{}";
	last_error[0] = '\0';
	r = d->plan(state, &in, &out);
	free(cluster);
	if (r == 0) {
		struct wg_record rec;
		wg_payload_free(&self->payload);
		if (wg_payload_parse(out.payload_json, &self->payload, &err) < 0) {
			diag("payload refused: %s: %s", err, out.payload_json);
			r = -EPROTO;
		}
		free(err);
		err = NULL;
		if (wg_record_parse(out.record_json, &rec, &err) == 0)
			cc_format_ipv4(rec.address, self->addr);
		free(err);
		free(self->record);
		self->record = out.record_json;
		self->waiting = out.waiting;
		out.record_json = NULL;
	}
	free(out.payload_json);
	free(out.record_json);
	free(out.message);
	return r;
}

static bool payload_has_peer(const struct node *self, const struct node *peer, const char *allowed)
{
	uint8_t k[WG_KEY_LEN];
	struct wg_device d = {.peers = self->payload.peers, .n_peers = self->payload.n_peers};
	struct wg_peer *p;
	uint32_t a;
	wg_key_from_base64(peer->key, k);
	p = wg_device_find_peer(&d, k);
	if (!p || p->n_allowed != 1 || cc_parse_ipv4(allowed, &a) < 0)
		return false;
	return p->allowed[0].addr.v4 == a && p->allowed[0].cidr == 32 && p->keepalive == 25;
}

static int restart(void)
{
	const struct clusterctl_plugin *d = clusterctl_plugin_entry();
	if (state)
		d->fini(state);
	state = NULL;
	return d->init(&host, &state);
}

int main(void)
{
	const struct clusterctl_plugin *d = clusterctl_plugin_entry();
	struct wg_pool p29 = {0x64600000u, 29};
	uint32_t out = 0, used[8];
	struct node nodes[8] = {
		{.id = "master", .ip = "198.51.100.11"}, {.id = "a", .ip = "198.51.100.12"},
		{.id = "b", .ip = "198.51.100.13"},      {.id = "c", .ip = "198.51.100.14"},
		{.id = "d", .ip = "198.51.100.15"},      {.id = "e", .ip = "198.51.100.16"},
		{.id = "f", .ip = "198.51.100.17"},      {.id = "g", .ip = "198.51.100.18"},
	};
	struct node *m = &nodes[0], *a = &nodes[1], *b = &nodes[2], *f = &nodes[6], *g = &nodes[7];
	char path[128];

	plan(58);

	/* --- wg_alloc_pick on its own --------------------------------- */
	ok(wg_alloc_pick(&p29, 0, NULL, 0, &out) == 0 && out == 0x64600002u,
	   "first node gets the pool's second host address (.2)");
	ok(wg_pool_master(&p29) == 0x64600001u, "the master holds .1");
	ok(wg_alloc_pick(&p29, 0x64600005u, NULL, 0, &out) == 0 && out == 0x64600005u,
	   "a previous address is kept");
	ok(wg_alloc_pick(&p29, 0x64600001u, NULL, 0, &out) == 0 && out == 0x64600002u,
	   "a previous address equal to the master's is not kept");
	ok(wg_alloc_pick(&p29, 0x64600007u, NULL, 0, &out) == 0 && out == 0x64600002u,
	   "the broadcast address is never handed out");
	ok(wg_alloc_pick(&p29, 0x64610005u, NULL, 0, &out) == 0 && out == 0x64600002u,
	   "an address outside the pool is replaced");
	used[0] = 0x64600002u;
	used[1] = 0x64600004u;
	ok(wg_alloc_pick(&p29, 0x64600004u, used, 2, &out) == 0 && out == 0x64600003u,
	   "a previous address taken by another node is not kept; lowest free instead");
	for (int i = 0; i < 5; i++)
		used[i] = 0x64600002u + (uint32_t)i;
	is_int(wg_alloc_pick(&p29, 0, used, 5, &out), -ENOSPC, "full /29 (5 node addresses): -ENOSPC");
	{
		struct wg_pool p30 = {0x64600000u, 30};
		ok(wg_alloc_pick(&p30, 0, NULL, 0, &out) == 0 && out == 0x64600002u &&
			   wg_alloc_pick(&p30, 0, &out, 1, &out) == -ENOSPC,
		   "a /30 holds the master and exactly one node");
	}
	{
		uint32_t net;
		uint8_t plen;
		const char *why;
		ok(wg_parse_pool("100.96.0.0/16", &net, &plen, &why) == 0 && net == 0x64600000u && plen == 16,
		   "default pool parses");
		ok(wg_parse_pool("10.0.0.0/16", &net, &plen, &why) < 0, "a pool outside 100.64.0.0/10 is refused");
		ok(wg_parse_pool("100.96.0.1/16", &net, &plen, &why) < 0, "a pool with host bits is refused");
		ok(wg_parse_pool("100.96.0.0/31", &net, &plen, &why) < 0, "a /31 pool is refused");
		ok(wg_parse_pool("100.96.0.0/08", &net, &plen, &why) < 0, "a non-canonical prefix is refused");
	}

	/* --- plan() ----------------------------------------------------- */
	snprintf(data_dir, sizeof data_dir, "/tmp/test-wg-plan.XXXXXX");
	if (!mkdtemp(data_dir))
		return 1;
	ok(restart() == 0, "plugin init with pool %s", pool);
	for (size_t i = 0; i < 8; i++)
		make_key(nodes[i].key);

	/* No master.json yet: .1 is reserved all the same. */
	ok(do_plan(nodes, 2, a, true, false) == 0 && strcmp(a->addr, "100.96.0.2") == 0,
	   "before master init, the first node still gets .2, not the master's .1");
	ok(a->payload.n_peers == 0, "no peers yet");

	/* master.json as master_prepare writes it. */
	{
		struct wg_record rec = {.address = 0x64600001u, .has_key = true, .endpoint_ip = 0xc633640bu,
					.listen_port = 51820, .master = true};
		char *json;
		wg_key_from_base64(m->key, rec.public_key);
		json = wg_record_format(&rec);
		snprintf(path, sizeof path, "%s/master.json", data_dir);
		ok(json && cc_write_file_atomic(path, json, strlen(json), 0600) == 0, "master.json written");
		free(json);
	}
	nodes[0].id = NULL; /* the master is not a registered node (yet) */
	ok(do_plan(nodes, 2, a, true, false) == 0 && strcmp(a->addr, "100.96.0.2") == 0,
	   "re-plan keeps .2 for node a");
	ok(a->payload.n_peers == 1 && payload_has_peer(a, m, "100.96.0.1"), "node a's only peer is the master (.1/32)");
	ok(a->payload.peers[0].endpoint.family && a->payload.peers[0].endpoint.addr.v4 == 0xc633640bu &&
		   a->payload.peers[0].endpoint.port == 51820,
	   "the master's endpoint is its underlay address and listen port");
	is_int(a->payload.plen, 16 + 13, "Address carries the pool's prefix length");
	ok(a->payload.mtu == 1420 && a->payload.listen_port == 51820 && !strcmp(a->payload.ifname, "wg0"),
	   "payload has MTU 1420, port 51820, wg0");
	like(a->record, "\"Endpoint\":\"198.51.100.12:51820\"", "record keeps the node's endpoint");

	ok(do_plan(nodes, 3, b, true, false) == 0 && strcmp(b->addr, "100.96.0.3") == 0, "node b gets .3");
	ok(b->payload.n_peers == 2 && payload_has_peer(b, m, "100.96.0.1") && payload_has_peer(b, a, "100.96.0.2"),
	   "node b's peers: master and a");
	ok(do_plan(nodes, 3, a, true, true) == 0 && strcmp(a->addr, "100.96.0.2") == 0 && a->payload.n_peers == 2 &&
		   payload_has_peer(a, b, "100.96.0.3"),
	   "re-plan of a (records as JSON strings) keeps .2 and adds b");

	ok(restart() == 0, "controller restart");
	ok(do_plan(nodes, 3, b, true, false) == 0 && strcmp(b->addr, "100.96.0.3") == 0, "b keeps .3 after a restart");
	free(b->record);
	b->record = NULL;
	ok(do_plan(nodes, 3, b, true, false) == 0 && strcmp(b->addr, "100.96.0.3") == 0,
	   "b keeps .3 even when its record is lost (lease file)");

	/* A node whose stored record claims an address another node holds. */
	{
		char *saved = b->record;
		b->record = strdup("{\"Address\":\"100.96.0.2\"}");
		ok(do_plan(nodes, 3, b, true, false) == 0 && strcmp(b->addr, "100.96.0.3") == 0,
		   "a record claiming a's address does not produce a duplicate");
		free(saved);
	}

	/* The master registering as a node: same key -> .1, everyone else as peers. */
	nodes[0].id = "master";
	ok(do_plan(nodes, 3, m, true, false) == 0 && strcmp(m->addr, "100.96.0.1") == 0,
	   "the master registering as a node gets .1");
	ok(m->payload.n_peers == 2 && payload_has_peer(m, a, "100.96.0.2") && payload_has_peer(m, b, "100.96.0.3"),
	   "the master's peers are the nodes, not itself");
	like(m->record, "\"Master\":true", "its record says Master");
	ok(do_plan(nodes, 3, a, true, false) == 0 && a->payload.n_peers == 2, "a's peers: master once, b");

	/* Endpoints: once its tunnel is up a node registers with its overlay
	 * address, which no peer can use to reach it. */
	a->ip = "100.96.0.2";
	ok(do_plan(nodes, 3, a, true, false) == 0 && strcmp(a->addr, "100.96.0.2") == 0,
	   "a registers with its own overlay address");
	like(a->record, "\"Endpoint\":\"198.51.100.12:51820\"", "without UnderlayIP the known endpoint is kept");
	a->underlay = "198.51.100.40";
	ok(do_plan(nodes, 3, a, true, false) == 0, "a reports UnderlayIP 198.51.100.40");
	like(a->record, "\"Endpoint\":\"198.51.100.40:51820\"", "the endpoint follows the node's UnderlayIP");
	ok(do_plan(nodes, 3, b, true, false) == 0 && b->payload.n_peers == 2, "b re-planned");
	{
		uint8_t k[WG_KEY_LEN];
		struct wg_device dev = {.peers = b->payload.peers, .n_peers = b->payload.n_peers};
		const struct wg_peer *pa;
		wg_key_from_base64(a->key, k);
		pa = wg_device_find_peer(&dev, k);
		ok(pa && pa->endpoint.addr.v4 == 0xc6336428u && pa->endpoint.port == 51820,
		   "b reaches a at 198.51.100.40:51820");
	}
	a->underlay = "100.96.0.5";
	ok(do_plan(nodes, 3, a, true, false) == 0 && strstr(a->record, "\"Endpoint\":\"198.51.100.40:51820\""),
	   "an UnderlayIP inside the pool is not an endpoint: the known one is kept");
	a->underlay = NULL;
	a->ip = "198.51.100.12";
	ok(do_plan(nodes, 3, a, true, false) == 0 && strstr(a->record, "\"Endpoint\":\"198.51.100.12:51820\""),
	   "a LAN registration address is the endpoint again");

	/* Fill the /29: c .4, d .5, e .6, then f has no room. */
	ok(do_plan(nodes, 4, &nodes[3], true, false) == 0 && !strcmp(nodes[3].addr, "100.96.0.4") &&
		   do_plan(nodes, 5, &nodes[4], true, false) == 0 && !strcmp(nodes[4].addr, "100.96.0.5") &&
		   do_plan(nodes, 6, &nodes[5], true, false) == 0 && !strcmp(nodes[5].addr, "100.96.0.6"),
	   "c, d, e get .4, .5, .6");
	ok(do_plan(nodes, 7, f, true, false) == -ENOSPC && strstr(last_error, "full"),
	   "the seventh member finds the pool full (-ENOSPC)");
	diag("%s", last_error);
	{
		/* c departs: the core forgets it; its lease is reclaimed on a full pool. */
		const char *c_id = nodes[3].id;
		nodes[3].id = NULL;
		ok(do_plan(nodes, 7, f, true, false) == 0 && !strcmp(f->addr, "100.96.0.4"),
		   "after c departs, f gets c's old .4");
		ok(f->payload.n_peers == 5, "f's peers: master, a, b, d, e (c gone)");
		ok(do_plan(nodes, 7, a, true, false) == 0 && a->payload.n_peers == 5,
		   "a re-planned: c is no longer a peer, f is");
		nodes[3].id = c_id;
	}

	/* Bad input from the node. */
	{
		struct clusterctl_plan_in in = {.struct_size = sizeof in, .node_id = "x", .hostname = "x",
						.ip = "198.51.100.30", .swarm_role = "worker",
						.observed_json = "{\"PublicKey\":\"short\"}", .cluster_json = "[]",
						.options_json = "{}"};
		struct clusterctl_plan_out o = {.struct_size = sizeof o};
		ok(d->plan(state, &in, &o) == -EINVAL && strstr(last_error, "PublicKey"),
		   "an Observed PublicKey that is not a key is refused");
		in.observed_json = "{\"ListenPort\":70000}";
		ok(d->plan(state, &in, &o) == -EINVAL && strstr(last_error, "ListenPort"), "ListenPort 70000 refused");
		in.observed_json = "{}";
		in.options_json = "{\"Pool\":\"192.168.0.0/16\"}";
		ok(d->plan(state, &in, &o) == -EINVAL && strstr(last_error, "100.64.0.0/10"),
		   "--overlay-config Pool outside CGNAT refused");
	}
	g->key[0] = '\0';
	nodes[5].id = NULL; /* e departs, making room */
	ok(do_plan(nodes, 8, g, false, false) == 0 && g->waiting == 1 && !strcmp(g->addr, "100.96.0.6"),
	   "a node without a public key yet is told to wait");

	/* On the master host (the data dir holds the key master.json names)
	 * plan also puts the node on the master's own interface; with the
	 * interface gone it says so once, and the node still gets its plan. */
	{
		uint8_t priv[WG_KEY_LEN];
		struct wg_record rec = {.address = 0x64600001u, .has_key = true, .endpoint_ip = 0xc633640bu,
					.listen_port = 51820, .master = true};
		char b64[WG_KEY_B64_LEN + 2], *json;
		int w;
		ifname = "wgunit0";
		ok(restart() == 0, "controller restart, interface wgunit0 (absent)");
		wg_key_generate(priv);
		wg_key_public(priv, rec.public_key);
		wg_key_to_base64(priv, b64);
		b64[WG_KEY_B64_LEN] = '\n';
		b64[WG_KEY_B64_LEN + 1] = '\0';
		char mpath[128];
		snprintf(path, sizeof path, "%s/private.key", data_dir);
		snprintf(mpath, sizeof mpath, "%s/master.json", data_dir);
		json = wg_record_format(&rec);
		ok(cc_write_file_atomic(path, b64, strlen(b64), 0600) == 0 && json &&
			   cc_write_file_atomic(mpath, json, strlen(json), 0600) == 0,
		   "this data dir is the master's: private.key and master.json");
		wg_key_wipe(b64, sizeof b64);
		free(json);
		w = n_warn;
		ok(do_plan(nodes, 3, a, true, false) == 0 && a->payload.n_peers >= 1,
		   "a node is planned while the master's interface is down");
		ok(n_warn == w + 1 && strstr(last_log, "master's wgunit0") && strstr(last_log, "not up"),
		   "the controller warns that the master's interface is not up: %s", last_log);
		ok(do_plan(nodes, 3, b, true, false) == 0 && n_warn == w + 1, "and says it once, not per registration");
		snprintf(path, sizeof path, "%s/private.key", data_dir);
		unlink(path);
		ifname = "wg0";
	}
	pool = "100.96.0.0/99";
	ok(restart() == -EINVAL && strstr(last_error, "pool"), "init refuses a malformed pool: %s", last_error);

	for (size_t i = 0; i < 8; i++) {
		free(nodes[i].record);
		wg_payload_free(&nodes[i].payload);
	}
	snprintf(path, sizeof path, "%s/master.json", data_dir);
	unlink(path);
	snprintf(path, sizeof path, "%s/leases.json", data_dir);
	unlink(path);
	rmdir(data_dir);
	return done_testing();
}
