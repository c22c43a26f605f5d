/* The controller's decisions (gp_decide) on volumes and pools read from
 * answers recorded from a real glusterd, and the JSON they travel in. */
#include <errno.h>
#include <string.h>

#include <json-c/json.h>

#include "../tap.h"
#include "gluster-fixture.h"
#include "gluster-plan.h"
#include "gluster-xml.h"

static struct gx_peers load_peers(const char *name)
{
	struct gx_peers p;
	struct gx_result res;
	char *err = NULL, *x;
	size_t len;

	memset(&p, 0, sizeof p);
	x = fixture(name, &len);
	if (x && gx_parse_peers(x, len, &res, &p, &err) == GX_OK)
		gx_result_free(&res);
	free(err);
	free(x);
	return p;
}

static struct gp_cfg cfg = {.volume = "gv0", .mount = "/data/GlusterFS/0001", .replica = 3,
			    .brick_dir = "/data/glusterfs/bricks", .extra_bricks = false};

static void obs(struct gp_node *n, const char *json)
{
	char *err = NULL;
	gp_obs_free(&n->obs);
	if (gp_obs_parse(json, &n->obs, &err) < 0)
		printf("# obs parse failed: %s\n", err);
	free(err);
}

/* Decide for `node` while h3 holds a brick promised but not yet added. */
static void decide_with_promise(const struct gp_cfg *c, const struct gp_view *v, struct gp_node *node,
				struct gp_answer *a)
{
	struct gp_other o = {.node_id = "h3", .ip = "198.51.100.63"};
	gp_record_parse("{\"Role\":\"brick\",\"Brick\":\"/data/glusterfs/bricks/gv0\",\"Host\":\"198.51.100.63\"}", &o.rec);
	node->others = &o;
	node->n_others = 1;
	gp_decide(c, v, node, a);
	node->others = NULL;
	node->n_others = 0;
	gp_record_free(&o.rec);
}

int main(void)
{
	/* 1 brick on .61, started: what master init leaves behind */
	struct gx_volume one = fixture_volume("volume-info-started");
	struct gx_volume rep2 = fixture_volume("volume-info-replica2"); /* .61 + .62, Started */
	struct gx_volume dist2 = fixture_volume("volume-info-distribute2");
	struct gx_peers two = load_peers("pool-list-two");             /* .62 Peer in Cluster */
	struct gx_peers alone = load_peers("pool-list-alone");
	struct gp_view view = {.loaded = true, .vol_exists = true, .peers = &two};
	struct gp_node node;
	struct gp_answer a;
	char *j;

	if (!one.name || !rep2.name || !dist2.name || !two.n)
		return skip_all("fixtures missing");

	memset(&node, 0, sizeof node);
	node.node_id = "h2";
	node.ip = "198.51.100.62";
	node.capable = true;
	obs(&node, "{}");

	/* not loaded yet */
	{
		struct gp_view v0 = {0};
		is_int(gp_decide(&cfg, &v0, &node, &a), 0, "decide before the first refresh");
		ok(a.step == GP_WAIT && a.waiting && a.action == GP_REFRESH, "waits and asks for a refresh");
		gp_answer_free(&a);
	}
	/* glusterd down on the controller */
	{
		struct gp_view v0 = {.loaded = true, .error = "glusterd is not running on this host"};
		gp_decide(&cfg, &v0, &node, &a);
		ok(a.step == GP_WAIT && a.waiting, "controller's glusterd down: wait");
		like(a.message, "glusterd is not running", "and say why");
		gp_answer_free(&a);
	}
	/* volume missing */
	{
		struct gp_view v0 = {.loaded = true, .vol_exists = false, .peers = &two};
		gp_decide(&cfg, &v0, &node, &a);
		is_int(a.step, GP_ERROR, "no volume: error");
		like(a.error, "master init", "no volume: run master init");
		gp_answer_free(&a);
	}
	/* incompatible layout */
	view.vol = &dist2;
	gp_decide(&cfg, &view, &node, &a);
	is_int(a.step, GP_ERROR, "plain distribute of 2 with replica 3: error");
	like(a.error, "layout", "names the layout");
	like(a.error, "never reshapes or deletes", "and that nothing is removed");
	gp_answer_free(&a);

	/* a capable node on a one-brick volume gets a brick: prepare it */
	view.vol = &one;
	gp_decide(&cfg, &view, &node, &a);
	is_str(a.role, GP_ROLE_BRICK, "capable node, 1 of 3 bricks: brick");
	is_int(a.step, GP_PREPARE, "first step: prepare the brick");
	is_str(a.brick, "/data/glusterfs/bricks/gv0", "brick under the controller's brick-dir by default");
	ok(!a.waiting, "the node has work: not waiting");
	is_int(a.n_servers, 1, "one volfile server: the master");
	is_str(a.n_servers ? a.servers[0] : NULL, "198.51.100.61", "the master's address");
	is_str(a.rec.role, "brick", "decision recorded");
	gp_answer_free(&a);

	obs(&node, "{\"BrickDir\":\"/srv/bricks\"}");
	gp_decide(&cfg, &view, &node, &a);
	is_str(a.brick, "/srv/bricks/gv0", "brick under the node's reported BrickDir");
	gp_answer_free(&a);
	obs(&node, "{\"BrickDir\":\"relative/../x\"}");
	gp_decide(&cfg, &view, &node, &a);
	is_str(a.brick, "/data/glusterfs/bricks/gv0", "a bad BrickDir is ignored");
	gp_answer_free(&a);

	/* brick prepared, glusterd up, peer in cluster: add-brick replica 2 */
	obs(&node, "{\"Glusterd\":true,\"Brick\":\"/data/glusterfs/bricks/gv0\",\"BrickDir\":\"/data/glusterfs/bricks\"}");
	gp_decide(&cfg, &view, &node, &a);
	is_int(a.action, GP_ADD_BRICK, "ready brick of a peer in cluster: add-brick");
	is_int(a.replica, 2, "replica 1 -> 2");
	is_int(a.expect_bricks, 1, "planned on 1 brick");
	is_int(a.n_bricks, 1, "one brick added");
	is_str(a.n_bricks ? a.bricks[0] : NULL, "198.51.100.62:/data/glusterfs/bricks/gv0", "named by the node's address");
	ok(a.waiting && a.step == GP_WAIT, "the node waits for it");
	ok(a.rec.ready, "record says ready");
	ok(!a.force, "no force for a brick off the root fs");
	gp_answer_free(&a);

	obs(&node, "{\"Glusterd\":true,\"BrickOnRoot\":true,\"Brick\":\"/data/glusterfs/bricks/gv0\"}");
	gp_decide(&cfg, &view, &node, &a);
	ok(a.force, "a brick the node accepted on its root fs is added with force");
	gp_answer_free(&a);

	/* another change in flight: wait, no action */
	view.busy = true;
	gp_decide(&cfg, &view, &node, &a);
	ok(a.action == GP_NONE && a.waiting, "another change running: wait without a new job");
	gp_answer_free(&a);
	view.busy = false;

	/* glusterd down on the node */
	obs(&node, "{\"Glusterd\":false,\"Brick\":\"/data/glusterfs/bricks/gv0\"}");
	gp_decide(&cfg, &view, &node, &a);
	ok(a.action == GP_NONE, "node's glusterd down: no probe");
	like(a.message, "glusterd must run", "node's glusterd down: says so");
	gp_answer_free(&a);

	/* not in the pool yet: probe */
	node.node_id = "h3";
	node.ip = "198.51.100.63";
	obs(&node, "{\"Glusterd\":true,\"Brick\":\"/data/glusterfs/bricks/gv0\"}");
	gp_decide(&cfg, &view, &node, &a);
	is_int(a.action, GP_PROBE, "ready brick, peer unknown: probe");
	is_str(a.peer, "198.51.100.63", "probe by the registered address");
	ok(a.waiting, "and wait");
	gp_answer_free(&a);
	view.probing = true;
	gp_decide(&cfg, &view, &node, &a);
	ok(a.action == GP_NONE && a.waiting, "probe already queued: no second one");
	gp_answer_free(&a);
	view.probing = false;
	view.probe_error = "cannot probe 198.51.100.63: Transport endpoint is not connected";
	view.probe_errno = EHOSTUNREACH;
	gp_decide(&cfg, &view, &node, &a);
	ok(a.step == GP_WAIT && a.action == GP_PROBE, "unreachable peer: wait and probe again");
	like(a.error, "Transport endpoint", "with the probe's reason");
	gp_answer_free(&a);
	view.probe_error = "cannot add 198.51.100.63: another pool";
	view.probe_errno = EEXIST;
	gp_decide(&cfg, &view, &node, &a);
	is_int(a.step, GP_ERROR, "peer of another pool: error the node reports");
	like(a.error, "another pool", "with the reason");
	gp_answer_free(&a);
	view.probe_error = NULL;
	view.probe_errno = 0;

	/* peer not yet in cluster */
	{
		struct gx_peers p = load_peers("pool-list-two");
		free(p.v[0].state_str);
		p.v[0].state_str = strdup("Probe Sent to Peer");
		p.v[0].state = 1;
		view.peers = &p;
		node.node_id = "h2";
		node.ip = "198.51.100.62";
		obs(&node, "{\"Glusterd\":true,\"Brick\":\"/data/glusterfs/bricks/gv0\"}");
		gp_decide(&cfg, &view, &node, &a);
		ok(a.action != GP_ADD_BRICK && a.waiting, "peer not in cluster: no add-brick yet");
		like(a.message, "Probe Sent to Peer", "says which state it waits for");
		gp_answer_free(&a);
		gx_peers_free(&p);
		view.peers = &two;
	}

	/* brick of another volume */
	obs(&node, "{\"Glusterd\":true,\"Brick\":\"/data/glusterfs/bricks/gv0\",\"BrickVolumeId\":\"00000000-0000-0000-0000-000000000001\"}");
	gp_decide(&cfg, &view, &node, &a);
	is_int(a.step, GP_ERROR, "brick carrying another volume's id: error");
	like(a.error, "another GlusterFS volume", "names the conflict");
	like(a.error, "never deletes", "and that clusterctl deletes nothing");
	gp_answer_free(&a);

	/* replica 2 volume, Started: the master's brick, a brick node, clients */
	view.vol = &rep2;
	node.node_id = "h1";
	node.ip = "198.51.100.61";
	obs(&node, "{}");
	gp_decide(&cfg, &view, &node, &a);
	ok(a.brick_in_volume && a.step == GP_MOUNT, "the master's own brick is recognised: mount");
	is_str(a.brick, "/data/glusterfs/bricks/gv0", "with its path");
	is_int(a.n_servers, 2, "two volfile servers");
	gp_answer_free(&a);

	node.node_id = "h4";
	node.ip = "198.51.100.64";
	node.capable = false;
	gp_decide(&cfg, &view, &node, &a);
	ok(!strcmp(a.role, GP_ROLE_CLIENT) && a.step == GP_MOUNT && !a.waiting, "not capable: client, mount");
	ok(a.brick == NULL, "no brick");
	gp_answer_free(&a);

	/* capable, but the third slot is promised to another node */
	node.capable = true;
	decide_with_promise(&cfg, &view, &node, &a);
	is_str(a.role, GP_ROLE_CLIENT, "2 bricks + 1 promised = 3: the next capable node is a client");
	gp_answer_free(&a);
	gp_decide(&cfg, &view, &node, &a);
	is_str(a.role, GP_ROLE_BRICK, "without the promise it gets the third brick");
	gp_answer_free(&a);

	/* records keep decisions stable */
	gp_record_parse("{\"Role\":\"client\"}", &node.rec);
	node.capable = false;
	gp_decide(&cfg, &view, &node, &a);
	is_str(a.role, GP_ROLE_CLIENT, "a stored client decision stands while the node is not capable");
	gp_answer_free(&a);
	/* it joined with glusterd stopped; glusterd runs now, a brick is free */
	node.capable = true;
	gp_decide(&cfg, &view, &node, &a);
	is_str(a.role, GP_ROLE_BRICK, "a client that became capable gets the free brick");
	is_int(a.step, GP_PREPARE, "and is told to prepare it");
	gp_answer_free(&a);
	decide_with_promise(&cfg, &view, &node, &a);
	is_str(a.role, GP_ROLE_CLIENT, "but stays a client when the volume has its bricks");
	gp_answer_free(&a);
	gp_record_free(&node.rec);

	/* the node came back from another address */
	node.node_id = "h2";
	node.ip = "198.51.100.72";
	gp_record_parse("{\"Role\":\"brick\",\"Brick\":\"/data/glusterfs/bricks/gv0\",\"Host\":\"198.51.100.62\"}", &node.rec);
	gp_decide(&cfg, &view, &node, &a);
	is_int(a.step, GP_ERROR, "brick node with a new address: error");
	like(a.error, "--ip 198.51.100.62", "tells how to restore it");
	gp_answer_free(&a);
	gp_record_free(&node.rec);

	/* full at replica 2: a promised brick turns into a client */
	{
		struct gp_cfg c2 = cfg;
		c2.replica = 2;
		node.ip = "198.51.100.63";
		node.node_id = "h3";
		gp_record_parse("{\"Role\":\"brick\",\"Brick\":\"/data/glusterfs/bricks/gv0\",\"Host\":\"198.51.100.63\"}", &node.rec);
		obs(&node, "{\"Glusterd\":true,\"Brick\":\"/data/glusterfs/bricks/gv0\"}");
		{
			struct gx_peers p = load_peers("pool-list-two");
			free(p.v[0].hostname);
			p.v[0].hostname = strdup("198.51.100.63");
			p.v[0].n_hostnames = 0;
			free(p.v[0].hostnames[0]);
			free(p.v[0].hostnames);
			p.v[0].hostnames = NULL;
			view.peers = &p;
			gp_decide(&c2, &view, &node, &a);
			is_str(a.rec.role, "client", "volume already at replica 2: the promised brick node becomes a client");
			is_int(a.step, GP_MOUNT, "and mounts");
			gp_answer_free(&a);

			/* extra-bricks with replica 1: whole sets of one */
			c2.replica = 1;
			c2.extra_bricks = true;
			view.vol = &one;
			gp_record_free(&node.rec);
			gp_decide(&c2, &view, &node, &a);
			is_int(a.action, GP_ADD_BRICK, "extra-bricks: a full set (of 1) is added");
			is_int(a.replica, 0, "without changing the replica count");
			gp_answer_free(&a);
			c2.replica = 2;
			view.vol = &rep2;
			gp_decide(&c2, &view, &node, &a);
			ok(a.action == GP_NONE && a.step == GP_MOUNT, "extra-bricks, set incomplete: client meanwhile");
			like(a.message, "1 more brick node", "says how many are missing");
			gp_answer_free(&a);
			gx_peers_free(&p);
			view.peers = &two;
		}
	}

	/* volume not started: start it first */
	{
		struct gx_volume created = fixture_volume("volume-info-created");
		view.vol = &created;
		node.capable = false;
		gp_decide(&cfg, &view, &node, &a);
		ok(a.action == GP_START && a.n_servers == 0, "created but not started: start, nothing to mount yet");
		gp_answer_free(&a);
		gx_volume_free(&created);
		view.vol = &rep2;
	}

	/* JSON layouts */
	node.node_id = "h1";
	node.ip = "198.51.100.61";
	gp_decide(&cfg, &view, &node, &a);
	j = gp_payload_json(&cfg, &rep2, &a);
	{
		json_object *o = json_tokener_parse(j), *v;
		ok(o != NULL, "payload is JSON");
		ok(json_object_object_get_ex(o, "Step", &v) && !strcmp(json_object_get_string(v), "mount"), "payload Step");
		ok(json_object_object_get_ex(o, "VolumeId", &v) && !strcmp(json_object_get_string(v), rep2.id), "payload VolumeId");
		ok(json_object_object_get_ex(o, "Mount", &v) && !strcmp(json_object_get_string(v), cfg.mount), "payload Mount");
		ok(json_object_object_get_ex(o, "Servers", &v) && json_object_array_length(v) == 2, "payload Servers");
		ok(json_object_object_get_ex(o, "BrickInVolume", &v) && json_object_get_boolean(v), "payload BrickInVolume");
		json_object_put(o);
	}
	free(j);
	j = gp_record_json(&a.rec);
	{
		struct gp_record r;
		gp_record_parse(j, &r);
		ok(r.role && !strcmp(r.role, "brick") && r.brick && r.host && !strcmp(r.host, "198.51.100.61") && r.ready,
		   "record survives a JSON round trip");
		gp_record_free(&r);
	}
	free(j);
	gp_answer_free(&a);
	{
		struct gp_obs ob;
		char *err = NULL;
		ok(gp_obs_parse("[1]", &ob, &err) < 0 && err, "Observed that is not an object is refused");
		free(err);
		err = NULL;
		gp_obs_parse("{\"glusterd\":true,\"BRICK\":\"/x/y\",\"Error\":\"a\\nb\"}", &ob, &err);
		ok(ob.glusterd && ob.brick && !strcmp(ob.brick, "/x/y"), "Observed keys match case-insensitively");
		ok(ob.error == NULL, "a string with a newline is dropped");
		gp_obs_free(&ob);
	}

	gp_obs_free(&node.obs);
	gx_volume_free(&one);
	gx_volume_free(&rep2);
	gx_volume_free(&dist2);
	gx_peers_free(&two);
	gx_peers_free(&alone);
	return done_testing();
}
