/* A small stand-in for the core and the nodes around the wireguard
 * controller (tests only): the core's store of records, its node events
 * (LOADED, NODES_READY, STORED, REMOVED) in the core's order, and nodes
 * that apply each answer to a peer set the way ensure() does
 * (wg_payload_parse + wg_sync_changes) and send back the version they
 * hold.  The controller is driven through its real entry points: the
 * plugin descriptor (test-wg-plan) or wg_ctl (test-wg-scale). */
#ifndef CLUSTERCTL_TEST_WG_MESH_H
#define CLUSTERCTL_TEST_WG_MESH_H

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <clusterctl/plugin.h>

#include "tap.h"
#include "wg.h"

/* ---- the host ------------------------------------------------------------ */

static char mesh_data_dir[64];
static char mesh_last_error[1024];
static char mesh_last_log[1024];
static int mesh_n_warn;
static const char *mesh_pool = "100.96.0.0/29";
static const char *mesh_ifname = "wg0";
static const char *mesh_options = "{}";
static const struct clusterctl_config_key *mesh_keys;
static const char *mesh_forget_grace; /* NULL: the key's default */

static inline void mesh_log(void *ctx, int level, const char *fmt, ...)
{
	va_list ap;
	(void)ctx;
	va_start(ap, fmt);
	vsnprintf(mesh_last_log, sizeof mesh_last_log, fmt, ap);
	va_end(ap);
	if (level >= CLUSTERCTL_LOG_INFO)
		printf("# log: %s\n", mesh_last_log);
	if (level == CLUSTERCTL_LOG_WARN)
		__atomic_add_fetch(&mesh_n_warn, 1, __ATOMIC_SEQ_CST);
}

static inline void mesh_error(void *ctx, const char *fmt, ...)
{
	va_list ap;
	(void)ctx;
	va_start(ap, fmt);
	vsnprintf(mesh_last_error, sizeof mesh_last_error, fmt, ap);
	va_end(ap);
}

/* No interface exists here: the master's own link is "down". */
static inline int mesh_link_get(void *ctx, const char *name, struct clusterctl_link *out)
{
	(void)ctx, (void)name, (void)out;
	return -ENODEV;
}

static inline int mesh_genl_family(void *ctx, const char *name, uint16_t *id)
{
	(void)ctx, (void)name, (void)id;
	return -ENOENT;
}

static const char *mesh_config_get(void *ctx, const char *key)
{
	(void)ctx;
	if (strcmp(key, "pool") == 0)
		return mesh_pool;
	if (strcmp(key, "interface") == 0)
		return mesh_ifname;
	if (strcmp(key, "command") == 0)
		return "master serve";
	if (strcmp(key, "options") == 0)
		return mesh_options;
	if (strcmp(key, "forget-grace") == 0 && mesh_forget_grace)
		return mesh_forget_grace;
	for (const struct clusterctl_config_key *k = mesh_keys; k && k->name; k++)
		if (strcmp(k->name, key) == 0)
			return k->default_value;
	return NULL;
}

static const char *mesh_data_dir_get(void *ctx)
{
	(void)ctx;
	return mesh_data_dir;
}

static const struct clusterctl_host mesh_host = {
	.struct_size = sizeof(struct clusterctl_host),
	.abi_major = CLUSTERCTL_PLUGIN_ABI_MAJOR,
	.log = mesh_log,
	.error = mesh_error,
	.config_get = mesh_config_get,
	.data_dir = mesh_data_dir_get,
	.link_get = mesh_link_get,
	.genl_family = mesh_genl_family,
};

/* ---- the controller's entry points --------------------------------------- */

struct mesh_ctl {
	int (*plan)(void *state, const struct clusterctl_plan_in *in, struct clusterctl_plan_out *out);
	int (*event)(void *state, int kind, const struct clusterctl_node *node);
	void *state;
};

/* ---- nodes -------------------------------------------------------------- */

struct mnode {
	const char *id, *ip, *underlay;
	uint8_t key[WG_KEY_LEN];
	char key64[WG_KEY_B64_LEN + 1];
	bool no_key;             /* has not reported a key yet */
	bool legacy;             /* an older node: no PeerVersion */
	bool stored;             /* the core has its record */
	char *record;            /* what the core stores for it */
	/* the node's side */
	char held[WG_VERSION_MAX];
	struct wg_device dev;    /* its peers */
	struct cp_map at;        /* key -> index + 1 in dev.peers */
	struct wg_walk_state walk;
	char addr[16];
	int waiting, rc;
	bool more;
	int sync;                /* the last payload's */
	size_t payload_len, page_peers, page_removed;
	char *payload;           /* the last one, JSON */
};

static inline void mnode_init(struct mnode *n, const char *id, const char *ip)
{
	uint8_t priv[WG_KEY_LEN];
	memset(n, 0, sizeof *n);
	n->id = id;
	n->ip = ip;
	wg_key_generate(priv);
	wg_key_public(priv, n->key);
	wg_key_wipe(priv, sizeof priv);
	wg_key_to_base64(n->key, n->key64);
	cp_map_init(&n->at);
	wg_walk_state_init(&n->walk);
}

static inline void mnode_free(struct mnode *n)
{
	free(n->record);
	free(n->payload);
	wg_device_free(&n->dev);
	cp_map_free(&n->at, NULL);
	wg_walk_state_free(&n->walk);
	n->record = n->payload = NULL;
}

static inline struct wg_peer *mnode_peer(const struct mnode *n, const uint8_t *key)
{
	size_t i = (size_t)(uintptr_t)cp_map_get(&n->at, key, WG_KEY_LEN);
	return i ? &n->dev.peers[i - 1] : NULL;
}

/* A change set onto the node's peers, as the device would take it. */
static inline int mnode_apply(struct mnode *n, const struct wg_device *set)
{
	for (size_t i = 0; i < set->n_peers; i++) {
		const struct wg_peer *s = &set->peers[i];
		struct wg_peer *p = mnode_peer(n, s->public_key);
		if (s->flags & WG_PEER_REMOVE) {
			size_t at, last = n->dev.n_peers - 1;
			if (!p)
				continue;
			at = (size_t)(p - n->dev.peers);
			free(p->allowed);
			cp_map_del(&n->at, s->public_key, WG_KEY_LEN);
			if (at != last) {
				n->dev.peers[at] = n->dev.peers[last];
				cp_map_put(&n->at, n->dev.peers[at].public_key, WG_KEY_LEN, (void *)(uintptr_t)(at + 1));
			}
			n->dev.n_peers--;
			continue;
		}
		if (!p) {
			if (!(p = wg_device_add_peer(&n->dev)))
				return -ENOMEM;
			memcpy(p->public_key, s->public_key, WG_KEY_LEN);
			if (cp_map_put(&n->at, s->public_key, WG_KEY_LEN, (void *)(uintptr_t)n->dev.n_peers) < 0)
				return -ENOMEM;
		}
		if (s->flags & WG_PEER_SET_ENDPOINT)
			p->endpoint = s->endpoint;
		if (s->flags & WG_PEER_SET_KEEPALIVE)
			p->keepalive = s->keepalive;
		if (s->flags & WG_PEER_REPLACE_ALLOWED_IPS) {
			p->n_allowed = 0;
			for (size_t j = 0; j < s->n_allowed; j++)
				if (wg_peer_add_allowed(p, &s->allowed[j]) < 0)
					return -ENOMEM;
		}
	}
	return 0;
}

/* The node's answer applied the way ensure() applies it. */
static inline int mnode_take(struct mnode *n, const char *payload)
{
	struct wg_payload p;
	struct wg_device set = {0};
	size_t changes = 0;
	char *err = NULL;
	int r = wg_payload_parse(payload, &p, &err);

	if (r < 0) {
		diag("node %s refused its payload: %s", n->id, err ? err : "?");
		free(err);
		return r;
	}
	n->more = p.more;
	n->sync = p.sync;
	n->page_peers = p.n_peers;
	n->page_removed = p.n_removed;
	cc_format_ipv4(p.address, n->addr);
	if ((r = wg_sync_changes(&n->dev, &p, &n->walk, &set, &changes)) == 0 && (r = mnode_apply(n, &set)) == 0 &&
	    *p.version)
		snprintf(n->held, sizeof n->held, "%s", p.version);
	wg_device_free(&set);
	wg_payload_free(&p);
	return r;
}

static inline void mnode_observed(const struct mnode *n, char *buf, size_t size)
{
	snprintf(buf, size, "{%s%s%s\"ListenPort\":51820%s%s%s%s%s%s}", n->no_key ? "" : "\"PublicKey\":\"",
		 n->no_key ? "" : n->key64, n->no_key ? "" : "\",", n->underlay ? ",\"UnderlayIP\":\"" : "",
		 n->underlay ? n->underlay : "", n->underlay ? "\"" : "", n->legacy ? "" : ",\"PeerVersion\":\"",
		 n->legacy ? "" : n->held, n->legacy ? "" : "\"");
}

/* One registration, the core's way: plan; when the plan is good the
 * record is stored (the plan's, or the old one kept) and STORED follows
 * in the same turn; then the node applies its answer. */
static inline int mesh_register(const struct mesh_ctl *c, struct mnode *n)
{
	struct clusterctl_node node = {.struct_size = sizeof node, .node_id = n->id, .hostname = n->id, .ip = n->ip,
				       .swarm_role = "worker", .record_json = n->stored ? n->record : NULL};
	struct clusterctl_plan_in in = {.struct_size = sizeof in, .node = &node, .options_json = mesh_options,
					.flags = n->stored ? 0 : CLUSTERCTL_PLAN_NEW_NODE};
	struct clusterctl_plan_out out = {.struct_size = sizeof out};
	char observed[256];

	mnode_observed(n, observed, sizeof observed);
	in.observed_json = observed;
	mesh_last_error[0] = '\0';
	n->rc = c->plan(c->state, &in, &out);
	if (n->rc == 0) {
		if (out.record_json) {
			free(n->record);
			n->record = out.record_json;
			out.record_json = NULL;
		}
		n->stored = true;
		node.record_json = n->record;
		c->event(c->state, CLUSTERCTL_NODE_STORED, &node);
		n->waiting = out.waiting;
		free(n->payload);
		n->payload = out.payload_json;
		n->payload_len = n->payload ? strlen(n->payload) : 0;
		out.payload_json = NULL;
		n->rc = mnode_take(n, n->payload);
	}
	free(out.payload_json);
	free(out.record_json);
	free(out.message);
	return n->rc;
}

/* Register until the node holds the whole list (More false). */
static inline int mesh_sync(const struct mesh_ctl *c, struct mnode *n, int max_rounds)
{
	int r;
	do
		r = mesh_register(c, n);
	while (r == 0 && n->more && --max_rounds > 0);
	return r < 0 ? r : n->more ? -EAGAIN : 0;
}

/* The core's start: every stored record, then NODES_READY. */
static inline void mesh_load(const struct mesh_ctl *c, struct mnode *nodes, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct clusterctl_node node = {.struct_size = sizeof node, .node_id = nodes[i].id,
					       .hostname = nodes[i].id, .ip = nodes[i].ip, .swarm_role = "worker",
					       .record_json = nodes[i].record};
		if (nodes[i].stored && nodes[i].id)
			c->event(c->state, CLUSTERCTL_NODE_LOADED, &node);
	}
	c->event(c->state, CLUSTERCTL_NODE_NODES_READY, NULL);
}

static inline void mesh_remove(const struct mesh_ctl *c, struct mnode *n)
{
	struct clusterctl_node node = {.struct_size = sizeof node, .node_id = n->id, .hostname = n->id, .ip = n->ip,
				       .swarm_role = "worker"};
	c->event(c->state, CLUSTERCTL_NODE_REMOVED, &node);
	n->stored = false;
	free(n->record);
	n->record = NULL;
}

/* Does the node hold exactly these peers (each at its address)? */
static inline bool mnode_holds(const struct mnode *n, const struct mnode *const *peers, const char *const *addrs, size_t k)
{
	if (n->dev.n_peers != k)
		return false;
	for (size_t i = 0; i < k; i++) {
		const struct wg_peer *p = mnode_peer(n, peers[i]->key);
		uint32_t a;
		if (!p || p->n_allowed != 1 || cc_parse_ipv4(addrs[i], &a) < 0 || p->allowed[0].addr.v4 != a ||
		    p->allowed[0].cidr != 32)
			return false;
	}
	return true;
}

#endif
