/* The wireguard controller, through the plugin descriptor and the node
 * events the core sends: stable addresses, no duplicates, the master's
 * address reserved, pool exhaustion, restart stability (durable leases
 * and versions), the versioned peer list (unchanged / delta / whole list
 * in pages), retired keys, cloned keys, older nodes, and the leases
 * themselves. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cc-buf.h"
#include "cc-file.h"
#include "cc-net.h"
#include "wg-mesh.h"

const struct clusterctl_plugin *clusterctl_plugin_entry(void);

static struct mesh_ctl ctl;

static int restart(struct mnode *nodes, size_t n)
{
	const struct clusterctl_plugin *d = clusterctl_plugin_entry();
	int r;
	if (ctl.state)
		d->fini(ctl.state);
	ctl.state = NULL;
	ctl.plan = d->plan;
	ctl.event = d->node_event;
	mesh_keys = d->config_keys;
	if ((r = d->init(&mesh_host, &ctl.state)) < 0)
		return r;
	mesh_load(&ctl, nodes, n);
	return 0;
}

static void test_leases(void)
{
	struct wg_pool p29 = {0x64600000u, 29}, p30 = {0x64600000u, 30};
	struct wg_leases l;
	uint32_t out = 0;

	ok(wg_leases_init(&l, &p29) == 0, "leases of a /29");
	ok(wg_leases_pick(&l, 0, &out) == 0 && out == 0x64600002u, "first node gets the pool's second host address (.2)");
	ok(wg_pool_master(&p29) == 0x64600001u, "the master holds .1");
	ok(wg_leases_pick(&l, 0x64600005u, &out) == 0 && out == 0x64600005u, "a previous address is kept");
	ok(wg_leases_pick(&l, 0x64600001u, &out) == 0 && out == 0x64600002u,
	   "a previous address equal to the master's is not kept");
	ok(wg_leases_pick(&l, 0x64600007u, &out) == 0 && out == 0x64600002u, "the broadcast address is never handed out");
	ok(wg_leases_pick(&l, 0x64610005u, &out) == 0 && out == 0x64600002u, "an address outside the pool is replaced");
	wg_leases_take(&l, 0x64600002u);
	wg_leases_take(&l, 0x64600004u);
	ok(wg_leases_pick(&l, 0x64600004u, &out) == 0 && out == 0x64600003u,
	   "a previous address leased to another node is not kept; the lowest free instead");
	for (uint32_t a = 0x64600002u; a <= 0x64600006u; a++)
		wg_leases_take(&l, a);
	is_int(wg_leases_pick(&l, 0, &out), -ENOSPC, "full /29 (5 node addresses): -ENOSPC");
	wg_leases_release(&l, 0x64600004u);
	ok(wg_leases_pick(&l, 0, &out) == 0 && out == 0x64600004u, "a released address is handed out again first");
	wg_leases_release(&l, 0x64600001u);
	ok(wg_leases_taken(&l, 0x64600001u), "the master's address is never released");
	wg_leases_free(&l);
	ok(wg_leases_init(&l, &p30) == 0 && wg_leases_pick(&l, 0, &out) == 0 && out == 0x64600002u,
	   "a /30 holds the master and one node");
	wg_leases_take(&l, out);
	is_int(wg_leases_pick(&l, 0, &out), -ENOSPC, "and no second");
	wg_leases_free(&l);
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
}

static void write_master(const struct mnode *m)
{
	struct wg_record rec = {.address = 0x64600001u, .has_key = true, .endpoint_ip = 0xc633640bu,
				.listen_port = 51820, .master = true};
	char path[128], *json;
	memcpy(rec.public_key, m->key, WG_KEY_LEN);
	json = wg_record_format(&rec);
	snprintf(path, sizeof path, "%s/master.json", mesh_data_dir);
	ok(json && cc_write_file_atomic(path, json, strlen(json), 0600) == 0, "master.json written (as master init does)");
	free(json);
}

/* wg_sync_changes: a node applying pages and deltas. */
static void test_node_side(void)
{
	struct mnode n, a, b, c;
	struct wg_payload p = {0};
	struct wg_device set = {0};
	struct wg_peer *pe;
	size_t changes;
	char json[1024];
	const struct mnode *want[2];
	const char *addrs[2] = {"100.96.0.2", "100.96.0.3"};

	mnode_init(&n, "n", "198.51.100.9");
	mnode_init(&a, "a", "198.51.100.2");
	mnode_init(&b, "b", "198.51.100.3");
	mnode_init(&c, "c", "198.51.100.4");
	/* A stale peer c, then a whole list in two pages naming a and b. */
	strcpy(n.dev.ifname, "wg0");
	pe = wg_device_add_peer(&n.dev);
	memcpy(pe->public_key, c.key, WG_KEY_LEN);
	cp_map_put(&n.at, c.key, WG_KEY_LEN, (void *)(uintptr_t)1);
	snprintf(json, sizeof json,
		 "{\"Interface\":\"wg0\",\"Address\":\"100.96.0.9/16\",\"ListenPort\":51820,\"MTU\":1420,"
		 "\"PeerSync\":\"full\",\"PeerVersion\":\"00000000000000aa.1\",\"More\":true,\"Peers\":[{\"PublicKey\":"
		 "\"%s\",\"AllowedIPs\":[\"100.96.0.2/32\"]}]}",
		 a.key64);
	ok(mnode_take(&n, json) == 0 && n.dev.n_peers == 2, "page 1 of a whole list adds a, keeps the rest for now");
	is_str(n.held, "00000000000000aa.1", "the node holds the page's version");
	snprintf(json, sizeof json,
		 "{\"Interface\":\"wg0\",\"Address\":\"100.96.0.9/16\",\"ListenPort\":51820,\"MTU\":1420,"
		 "\"PeerSync\":\"delta\",\"PeerVersion\":\"00000000000000aa.2\",\"More\":false,\"Peers\":[{\"PublicKey\":"
		 "\"%s\",\"AllowedIPs\":[\"100.96.0.3/32\"]}]}",
		 b.key64);
	want[0] = &a;
	want[1] = &b;
	ok(mnode_take(&n, json) == 0 && mnode_holds(&n, want, addrs, 2),
	   "the last page adds b and prunes c, which the walk never named");
	snprintf(json, sizeof json,
		 "{\"Interface\":\"wg0\",\"Address\":\"100.96.0.9/16\",\"ListenPort\":51820,\"MTU\":1420,"
		 "\"PeerSync\":\"delta\",\"PeerVersion\":\"00000000000000aa.3\",\"More\":false,\"Peers\":[],"
		 "\"RemovedPeers\":[\"%s\"]}",
		 a.key64);
	want[0] = &b;
	addrs[0] = "100.96.0.3";
	ok(mnode_take(&n, json) == 0 && mnode_holds(&n, want, addrs, 1), "a delta removes a retired key");
	snprintf(json, sizeof json,
		 "{\"Interface\":\"wg0\",\"Address\":\"100.96.0.9/16\",\"ListenPort\":51820,\"MTU\":1420,"
		 "\"PeerSync\":\"unchanged\",\"PeerVersion\":\"00000000000000aa.3\"}");
	ok(wg_payload_parse(json, &p, (char *[]){NULL}) == 0 && p.sync == WG_SYNC_UNCHANGED && p.n_peers == 0,
	   "an unchanged answer needs no Peers");
	ok(wg_sync_changes(&n.dev, &p, &n.walk, &set, &changes) == 0 && changes == 0, "and changes nothing");
	wg_payload_free(&p);
	wg_device_free(&set);
	snprintf(json, sizeof json,
		 "{\"Interface\":\"wg0\",\"Address\":\"100.96.0.9/16\",\"ListenPort\":51820,\"MTU\":1420,"
		 "\"Peers\":[{\"PublicKey\":\"%s\",\"AllowedIPs\":[\"100.96.0.2/32\"]}]}",
		 a.key64);
	want[0] = &a;
	addrs[0] = "100.96.0.2";
	ok(mnode_take(&n, json) == 0 && mnode_holds(&n, want, addrs, 1) && n.sync == WG_SYNC_COMPLETE,
	   "an older controller's payload (no PeerSync) is the whole set: b is pruned");
	{
		char *err = NULL;
		ok(wg_payload_parse("{\"Interface\":\"wg0\",\"Address\":\"100.96.0.9/16\",\"ListenPort\":1,\"MTU\":1420,"
				    "\"PeerSync\":\"sideways\",\"Peers\":[]}",
				    &p, &err) < 0 && err && strstr(err, "PeerSync"),
		   "an unknown PeerSync is refused");
		free(err);
		err = NULL;
		ok(wg_payload_parse("{\"Interface\":\"wg0\",\"Address\":\"100.96.0.9/16\",\"ListenPort\":1,\"MTU\":1420,"
				    "\"PeerSync\":\"delta\",\"PeerVersion\":\"x; rm\",\"Peers\":[]}",
				    &p, &err) < 0 && err && strstr(err, "PeerVersion"),
		   "a PeerVersion that is no version is refused");
		free(err);
	}
	mnode_free(&n);
	mnode_free(&a);
	mnode_free(&b);
	mnode_free(&c);
}

int main(void)
{
	struct mnode nodes[10];
	struct mnode *m = &nodes[0], *a = &nodes[1], *b = &nodes[2], *c = &nodes[3], *f = &nodes[6], *g = &nodes[7];
	const char *ids[10] = {"master", "a", "b", "c", "d", "e", "f", "g", "x", "clone"};
	char path[160];

	for (int i = 0; i < 10; i++) {
		static char ip[10][16];
		snprintf(ip[i], sizeof ip[i], "198.51.100.%d", 11 + i);
		mnode_init(&nodes[i], ids[i], ip[i]);
	}
	test_leases();
	test_node_side();

	snprintf(mesh_data_dir, sizeof mesh_data_dir, "/tmp/test-wg-plan.XXXXXX");
	if (!mkdtemp(mesh_data_dir))
		return 1;
	ok(restart(nodes, 0) == 0, "controller starts with pool %s and no nodes", mesh_pool);

	/* No master.json yet: .1 is reserved all the same. */
	ok(mesh_register(&ctl, a) == 0 && strcmp(a->addr, "100.96.0.2") == 0,
	   "before master init, the first node still gets .2, not the master's .1");
	ok(a->dev.n_peers == 0 && a->sync == WG_SYNC_FULL && !a->more, "a whole list with no peers yet");

	write_master(m);
	ok(restart(nodes, 10) == 0, "controller restart: the store's records come back as LOADED events");
	m->held[0] = '\0';
	ok(mesh_register(&ctl, a) == 0 && strcmp(a->addr, "100.96.0.2") == 0, "a keeps .2");
	ok(a->sync == WG_SYNC_FULL && a->dev.n_peers == 1,
	   "the master entered the peer epoch: a gets the whole list again, the master in it");
	{
		const struct wg_peer *p = mnode_peer(a, m->key);
		ok(p && p->n_allowed == 1 && p->allowed[0].addr.v4 == 0x64600001u && p->endpoint.addr.v4 == 0xc633640bu &&
			   p->endpoint.port == 51820 && p->keepalive == 25,
		   "a's peer is the master at .1/32, reached at its underlay address and port, keepalive 25");
	}
	like(a->payload, "\"Address\":\"100.96.0.2/29\"", "Address carries the pool's prefix length");
	like(a->payload, "\"MTU\":1420", "MTU 1420");
	like(a->payload, "\"Interface\":\"wg0\"", "on wg0");
	like(a->record, "\"Endpoint\":\"198.51.100.12:51820\"", "the record keeps the node's endpoint");
	like(a->record, "\"Ver\":", "and the version of its change");

	ok(mesh_register(&ctl, b) == 0 && strcmp(b->addr, "100.96.0.3") == 0, "node b gets .3");
	{
		const struct mnode *w[2] = {m, a};
		const char *ad[2] = {"100.96.0.1", "100.96.0.2"};
		ok(mnode_holds(b, w, ad, 2), "b's peers: the master and a");
	}
	ok(mesh_register(&ctl, a) == 0 && a->sync == WG_SYNC_DELTA && a->page_peers == 1 && mnode_peer(a, b->key),
	   "a, one version behind, gets a delta: b");
	ok(mesh_register(&ctl, a) == 0 && a->sync == WG_SYNC_UNCHANGED && a->dev.n_peers == 2,
	   "a, at the current version, gets \"unchanged\"");
	ok(a->payload_len < 1024, "an unchanged answer is small (%zu bytes)", a->payload_len);
	{
		char *before = a->record ? strdup(a->record) : NULL;
		ok(mesh_register(&ctl, a) == 0 && before && a->record && strcmp(before, a->record) == 0,
		   "a heartbeat leaves a's record as it was");
		free(before);
	}

	ok(restart(nodes, 10) == 0, "controller restart");
	ok(mesh_register(&ctl, b) == 0 && strcmp(b->addr, "100.96.0.3") == 0, "b keeps .3 after a restart");
	ok(mesh_register(&ctl, a) == 0 && a->sync == WG_SYNC_UNCHANGED,
	   "a's version survives the restart (versions are durable): unchanged");

	/* A node whose record claims an address another node holds. */
	c->stored = true;
	c->record = strdup("{\"Address\":\"100.96.0.2\"}");
	ok(mesh_register(&ctl, c) == 0 && strcmp(c->addr, "100.96.0.4") == 0,
	   "a record claiming a's address does not produce a duplicate: c gets .4");

	/* The master registering as a node: same key -> .1, everyone else as peers. */
	ok(mesh_register(&ctl, m) == 0 && strcmp(m->addr, "100.96.0.1") == 0, "the master registering as a node gets .1");
	{
		const struct mnode *w[3] = {a, b, c};
		const char *ad[3] = {"100.96.0.2", "100.96.0.3", "100.96.0.4"};
		ok(mnode_holds(m, w, ad, 3), "the master's peers are the nodes, not itself");
	}
	like(m->record, "\"Master\":true", "its record says Master");

	/* Endpoints: once its tunnel is up a node registers with its overlay
	 * address, which no peer can use to reach it. */
	a->ip = "100.96.0.2";
	ok(mesh_register(&ctl, a) == 0 && strcmp(a->addr, "100.96.0.2") == 0, "a registers with its own overlay address");
	like(a->record, "\"Endpoint\":\"198.51.100.12:51820\"", "without UnderlayIP the known endpoint is kept");
	a->underlay = "198.51.100.40";
	ok(mesh_register(&ctl, a) == 0, "a reports UnderlayIP 198.51.100.40");
	like(a->record, "\"Endpoint\":\"198.51.100.40:51820\"", "the endpoint follows the node's UnderlayIP");
	ok(mesh_register(&ctl, b) == 0 && b->sync == WG_SYNC_DELTA, "b gets a delta");
	{
		const struct wg_peer *pa = mnode_peer(b, a->key);
		ok(pa && pa->endpoint.addr.v4 == 0xc6336428u && pa->endpoint.port == 51820,
		   "b reaches a at 198.51.100.40:51820");
	}
	a->underlay = "100.96.0.5";
	ok(mesh_register(&ctl, a) == 0 && strstr(a->record, "\"Endpoint\":\"198.51.100.40:51820\""),
	   "an UnderlayIP inside the pool is not an endpoint: the known one is kept");
	a->underlay = NULL;
	a->ip = "198.51.100.12";
	ok(mesh_register(&ctl, a) == 0 && strstr(a->record, "\"Endpoint\":\"198.51.100.12:51820\""),
	   "a LAN registration address is the endpoint again");

	/* Fill the /29: d .5, e .6, then f has no room. */
	ok(mesh_register(&ctl, &nodes[4]) == 0 && !strcmp(nodes[4].addr, "100.96.0.5") &&
		   mesh_register(&ctl, &nodes[5]) == 0 && !strcmp(nodes[5].addr, "100.96.0.6"),
	   "d, e get .5, .6");
	ok(mesh_register(&ctl, f) == -ENOSPC && strstr(mesh_last_error, "full"), "the next node finds the pool full (-ENOSPC)");
	diag("%s", mesh_last_error);
	ok(!f->stored, "and nothing is stored for it");

	/* c is removed: its lease frees, its key is retired. */
	mesh_remove(&ctl, c);
	ok(mesh_register(&ctl, f) == 0 && !strcmp(f->addr, "100.96.0.4"), "after c is removed, f gets c's .4");
	ok(!mnode_peer(f, c->key), "f never hears of c");
	ok(mesh_register(&ctl, a) == 0 && a->sync == WG_SYNC_DELTA && !mnode_peer(a, c->key) && mnode_peer(a, f->key),
	   "a's delta removes c's key and adds f");

	/* clusterctl node remove d (ABI 1.1 forget, then REMOVED): its peer
	 * goes, its address is kept from new nodes for the grace period. */
	{
		const struct clusterctl_plugin *dsc = clusterctl_plugin_entry();
		struct mnode *d = &nodes[4], *x = &nodes[8];
		struct clusterctl_node nd = {.struct_size = sizeof nd, .node_id = d->id, .hostname = d->id, .ip = d->ip,
					     .swarm_role = "worker", .record_json = d->record};
		char *msg = NULL;

		mesh_forget_grace = "1";
		ok(restart(nodes, 10) == 0, "the controller restarts with forget-grace 1 s");
		ok(dsc->struct_size > offsetof(struct clusterctl_plugin, forget) && dsc->forget,
		   "the wireguard plugin has the ABI 1.1 forget operation");
		ok(dsc->forget(ctl.state, &nd, 0, &msg) == 0, "forget d");
		like(msg, "(100.96.0.5) leaves the master's wg0 now", "it says the peer leaves at once");
		like(msg, "100.96.0.5 is not handed out again for 1 s", "and how long the address is kept");
		free(msg);
		mesh_remove(&ctl, d);
		ok(mesh_register(&ctl, x) == -ENOSPC, "a new node cannot have d's .5 during the grace period");
		ok(mesh_sync(&ctl, a, 8) == 0 && !mnode_peer(a, d->key) && mnode_peer(a, b->key),
		   "a's next heartbeat drops d's peer, keeps the others");
		usleep(1100 * 1000);
		ok(mesh_register(&ctl, x) == 0 && !strcmp(x->addr, "100.96.0.5"), "after the grace, .5 is free: x gets it");
		mesh_remove(&ctl, x);
		d->stored = false;
	}

	/* Bad input from a node. */
	{
		struct mnode *x = &nodes[8];
		struct clusterctl_node nd = {.struct_size = sizeof nd, .node_id = "x", .hostname = "x", .ip = "198.51.100.30",
					     .swarm_role = "worker"};
		struct clusterctl_plan_in in = {.struct_size = sizeof in, .node = &nd,
						.observed_json = "{\"PublicKey\":\"short\"}", .options_json = "{}"};
		struct clusterctl_plan_out o = {.struct_size = sizeof o};
		ok(ctl.plan(ctl.state, &in, &o) == -EINVAL && strstr(mesh_last_error, "PublicKey"),
		   "an Observed PublicKey that is not a key is refused");
		in.observed_json = "{\"ListenPort\":70000}";
		ok(ctl.plan(ctl.state, &in, &o) == -EINVAL && strstr(mesh_last_error, "ListenPort"), "ListenPort 70000 refused");
		in.observed_json = "{\"PeerVersion\":\"../..\"}";
		ok(ctl.plan(ctl.state, &in, &o) == -EINVAL && strstr(mesh_last_error, "PeerVersion"), "a bad PeerVersion refused");
		(void)x;
	}

	/* A cloned machine: another node with a's key. */
	{
		struct mnode *k = &nodes[9];
		memcpy(k->key, a->key, WG_KEY_LEN);
		memcpy(k->key64, a->key64, sizeof k->key64);
		mesh_remove(&ctl, &nodes[5]); /* room in the pool */
		ok(mesh_register(&ctl, k) == -EEXIST && strstr(mesh_last_error, "public key of node a"),
		   "a node with another node's public key is refused, naming both: %s", mesh_last_error);
	}

	g->no_key = true;
	ok(mesh_register(&ctl, g) == 0 && g->waiting == 1, "a node without a public key yet is told to wait");

	/* An older node (no PeerVersion) takes Peers as the whole set. */
	b->legacy = true;
	ok(mesh_register(&ctl, b) == 0 && b->sync == WG_SYNC_COMPLETE && !strstr(b->payload, "PeerSync"),
	   "an older node gets the whole list without PeerSync");
	b->legacy = false;

	/* History lost: a retired key cannot be told after a restart, so the
	 * next start takes a new epoch and nodes fetch the whole list once. */
	ok(restart(nodes, 10) == 0, "controller restart after removals");
	ok(mesh_register(&ctl, a) == 0 && a->sync == WG_SYNC_FULL, "the epoch changed: a gets the whole list once");
	ok(mesh_register(&ctl, a) == 0 && a->sync == WG_SYNC_UNCHANGED, "then unchanged again");

	/* On the master host (the data dir holds the key master.json names)
	 * the controller keeps the master's own interface; with it gone it
	 * says so once, from its thread, and nodes are still answered. */
	{
		uint8_t priv[WG_KEY_LEN];
		struct wg_record rec = {.address = 0x64600001u, .has_key = true, .endpoint_ip = 0xc633640bu,
					.listen_port = 51820, .master = true};
		char b64[WG_KEY_B64_LEN + 2], mpath[160], *json;
		int w = mesh_n_warn;
		mesh_ifname = "wgunit0";
		wg_key_generate(priv);
		wg_key_public(priv, rec.public_key);
		wg_key_to_base64(priv, b64);
		b64[WG_KEY_B64_LEN] = '\n';
		b64[WG_KEY_B64_LEN + 1] = '\0';
		snprintf(path, sizeof path, "%s/private.key", mesh_data_dir);
		snprintf(mpath, sizeof mpath, "%s/master.json", mesh_data_dir);
		json = wg_record_format(&rec);
		ok(cc_write_file_atomic(path, b64, strlen(b64), 0600) == 0 && json &&
			   cc_write_file_atomic(mpath, json, strlen(json), 0600) == 0,
		   "this data dir is the master's: private.key and master.json");
		wg_key_wipe(b64, sizeof b64);
		free(json);
		ok(restart(nodes, 10) == 0, "controller restart on the master host, interface wgunit0 (absent)");
		for (int i = 0; i < 500 && __atomic_load_n(&mesh_n_warn, __ATOMIC_SEQ_CST) == w; i++)
			usleep(10000);
		ok(__atomic_load_n(&mesh_n_warn, __ATOMIC_SEQ_CST) == w + 1 && strstr(mesh_last_log, "master's wgunit0") &&
			   strstr(mesh_last_log, "not up"),
		   "its thread warns that the master's interface is not up: %s", mesh_last_log);
		ok(mesh_register(&ctl, a) == 0 && mesh_register(&ctl, b) == 0 &&
			   __atomic_load_n(&mesh_n_warn, __ATOMIC_SEQ_CST) == w + 1,
		   "nodes are answered, and the warning is not repeated per registration");
		unlink(path);
		mesh_ifname = "wg0";
	}
	{
		const struct clusterctl_plugin *d = clusterctl_plugin_entry();
		d->fini(ctl.state);
		ctl.state = NULL;
		mesh_options = "{\"Pool\":\"192.168.0.0/16\"}";
		ok(d->init(&mesh_host, &ctl.state) == -EINVAL && strstr(mesh_last_error, "100.64.0.0/10"),
		   "--overlay-config Pool outside CGNAT is refused at start: %s", mesh_last_error);
		mesh_options = "{}";
		mesh_pool = "100.96.0.0/99";
		ok(d->init(&mesh_host, &ctl.state) == -EINVAL && strstr(mesh_last_error, "pool"),
		   "init refuses a malformed pool: %s", mesh_last_error);
	}

	for (size_t i = 0; i < 10; i++)
		mnode_free(&nodes[i]);
	for (const char *const *fn = (const char *const[]){"master.json", "peer-epoch", "master-peers.json", NULL}; *fn;
	     fn++) {
		snprintf(path, sizeof path, "%s/%s", mesh_data_dir, *fn);
		unlink(path);
	}
	rmdir(mesh_data_dir);
	return done_testing();
}
