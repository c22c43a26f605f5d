/* 10,000 WireGuard nodes through the real controller code (wg_ctl: the
 * plan and node events the plugin's descriptor forwards to): every node
 * is registered and gets an address with no refusal, every answer stays
 * under the payload cap, every node ends with the whole peer set, and a
 * steady heartbeat is answered "unchanged" in under 1 KB.
 *
 * Every node's first answer goes through plan() and the node's own
 * parser.  The rest of each node's list is fetched page by page; for 25
 * sampled nodes through plan() and the node's parser into a real peer
 * set checked peer by peer, for all 10,000 through the index walk plan()
 * itself uses (wg_index_walk), checked by a fingerprint of the keys.
 * (Timing belongs to bench/, not here.) */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "wg-mesh.h"

#define NODES 10000
#define SAMPLE 24 /* about: every NODES / SAMPLE-th node */
#define MAX_PAYLOAD (256u * 1024)

static struct wg_ctl *controller;

static int ctl_plan(void *s, const struct clusterctl_plan_in *in, struct clusterctl_plan_out *out)
{
	return wg_ctl_plan(s, in, out);
}

static int ctl_event(void *s, int kind, const struct clusterctl_node *node) { return wg_ctl_event(s, kind, node); }

struct fold {
	struct wg_digest dg;
	const uint8_t *self;
	bool saw_self;
};

static int fold_item(const struct wg_walk_item *it, void *arg)
{
	struct fold *f = arg;
	if (f->self && memcmp(it->key, f->self, WG_KEY_LEN) == 0)
		f->saw_self = true;
	if (it->live)
		wg_digest_flip(&f->dg, it->key, true);
	return 0;
}

int main(void)
{
	struct mesh_ctl ctl = {ctl_plan, ctl_event, NULL};
	struct mnode *nodes = calloc(NODES, sizeof *nodes);
	static char ips[NODES][16];
	struct wg_conf conf = {.ifname = "wg0", .listen_port = 51820, .mtu = 1420,
			       .pool = {0x64600000u, 16}, .keepalive = 25};
	struct wg_digest all = {0}, *first = calloc(NODES, sizeof *first);
	size_t n_sampled = 0, refused = 0, over_cap = 0, bad_first = 0, dup_addr = 0, wrong_sets = 0, not_unchanged = 0;
	size_t max_len = 0, max_unchanged = 0, sampled_ok = 0;
	struct cp_map addrs;
	const struct wg_index *x;
	char path[160];

	if (!nodes || !first)
		return 1;
	snprintf(mesh_data_dir, sizeof mesh_data_dir, "/tmp/test-wg-scale.XXXXXX");
	if (!mkdtemp(mesh_data_dir))
		return 1;
	mesh_pool = "100.96.0.0/16";
	ok(wg_ctl_new(&mesh_host, &conf, "wireguard-go", &controller) == 0, "controller for a /16 pool");
	ctl.state = controller;
	mesh_load(&ctl, nodes, 0);
	x = wg_ctl_index(controller);

	/* --- 10,000 new nodes, each through plan() and STORED ------------- */
	cp_map_init(&addrs);
	for (size_t i = 0; i < NODES; i++) {
		struct mnode *n = &nodes[i];
		static char id[NODES][12];
		uint32_t a;
		snprintf(id[i], sizeof id[i], "n%05zu", i);
		snprintf(ips[i], sizeof ips[i], "10.%zu.%zu.%zu", i >> 16 & 255, i >> 8 & 255, (i & 255) | 1);
		mnode_init(n, id[i], ips[i]);
		wg_digest_flip(&all, n->key, true);
		if (mesh_register(&ctl, n) < 0) {
			refused++;
			continue;
		}
		if (n->payload_len > MAX_PAYLOAD)
			over_cap++;
		if (n->payload_len > max_len)
			max_len = n->payload_len;
		/* The first answer: the first page of the whole list. */
		if (n->sync != WG_SYNC_FULL || n->page_peers > WG_PAGE_FIRST || n->more != (i > WG_PAGE_FIRST))
			bad_first++;
		cc_parse_ipv4(n->addr, &a);
		if (cp_map_get(&addrs, &a, sizeof a))
			dup_addr++;
		cp_map_put(&addrs, &a, sizeof a, n);
		/* Only the sampled nodes keep their peer sets whole (memory):
		 * the others keep the fingerprint of their first page. */
		if (i % (NODES / SAMPLE) != 0) {
			wg_digest_of(&n->dev, &first[i]);
			wg_device_free(&n->dev);
			cp_map_free(&n->at, NULL);
			free(n->payload);
			n->payload = NULL;
		}
	}
	cp_map_free(&addrs, NULL);
	is_int(refused, 0, "10,000 nodes registered with no refusal");
	is_int(dup_addr, 0, "10,000 distinct overlay addresses");
	is_int(over_cap, 0, "no answer over the 256 KiB payload cap (largest %zu bytes)", max_len);
	is_int(bad_first, 0, "every first answer is the first page of the whole list (at most %d peers)", WG_PAGE_FIRST);
	is_int((long long)x->version, NODES, "the peer list is at version 10,000 (one change per node)");

	/* --- the rest of every node's list ------------------------------ */
	for (size_t i = 0; i < NODES; i++) {
		struct mnode *n = &nodes[i];
		uint64_t from = 0, upto;
		struct fold f = {.self = n->key};
		bool more = true;
		const char *dot = strchr(n->held, '.');
		if (i % (NODES / SAMPLE) == 0)
			continue; /* sampled below, through plan() */
		/* What its first page held, then page after page from there. */
		f.dg = first[i];
		/* A heartbeat after everyone joined: from the version it holds
		 * to the end, whatever its first answer said. */
		if (dot)
			from = strtoull(dot + 1, NULL, 10);
		while (more && wg_index_walk(x, from, WG_PAGE, n->key, fold_item, &f, &upto, &more) == 0)
			from = upto;
		wg_digest_flip(&f.dg, n->key, true); /* the set plus itself is the whole mesh */
		if (f.saw_self || f.dg.x != all.x || f.dg.n != all.n)
			wrong_sets++;
	}
	is_int(wrong_sets, 0, "every node's pages add up to every other node, and never itself");

	for (size_t i = 0; i < NODES; i += NODES / SAMPLE) {
		struct mnode *n = &nodes[i];
		struct wg_digest dg;
		n_sampled++;
		if (mesh_sync(&ctl, n, 64) < 0) {
			diag("node %s: sync failed: %s", n->id, mesh_last_error);
			continue;
		}
		wg_digest_of(&n->dev, &dg);
		wg_digest_flip(&dg, n->key, true);
		if (n->dev.n_peers == NODES - 1 && dg.x == all.x && dg.n == all.n && !mnode_peer(n, n->key))
			sampled_ok++;
		else
			diag("node %s holds %zu peers", n->id, n->dev.n_peers);
	}
	is_int(sampled_ok, n_sampled, "%zu sampled nodes, page by page through plan(), hold all 9,999 other peers",
	       n_sampled);
	{
		/* Each sampled node's peers carry the addresses the others hold. */
		struct mnode *n = &nodes[0];
		size_t wrong = 0;
		for (size_t i = 1; i < NODES; i++) {
			const struct wg_peer *p = mnode_peer(n, nodes[i].key);
			uint32_t a;
			cc_parse_ipv4(nodes[i].addr, &a);
			if (!p || p->n_allowed != 1 || p->allowed[0].addr.v4 != a || p->allowed[0].cidr != 32 ||
			    p->endpoint.addr.v4 == 0)
				wrong++;
		}
		is_int(wrong, 0, "node 0 reaches each of the 9,999 at its own /32 and its endpoint");
	}

	/* --- steady state: heartbeats at the current version ---------------- */
	for (size_t i = 0; i < NODES; i += NODES / SAMPLE) {
		struct mnode *n = &nodes[i];
		char *before = n->record ? strdup(n->record) : NULL;
		if (mesh_register(&ctl, n) < 0 || n->sync != WG_SYNC_UNCHANGED || !before || strcmp(before, n->record))
			not_unchanged++;
		if (n->payload_len > max_unchanged)
			max_unchanged = n->payload_len;
		free(before);
	}
	is_int(not_unchanged, 0, "a heartbeat at the current version is \"unchanged\" and keeps the record");
	ok(max_unchanged < 1024, "an unchanged answer is under 1 KB (%zu bytes)", max_unchanged);

	for (size_t i = 0; i < NODES; i++)
		mnode_free(&nodes[i]);
	free(nodes);
	free(first);
	wg_ctl_free(controller);
	snprintf(path, sizeof path, "%s/peer-epoch", mesh_data_dir);
	unlink(path);
	rmdir(mesh_data_dir);
	return done_testing();
}
