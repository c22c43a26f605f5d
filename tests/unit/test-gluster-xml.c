/* gluster --xml parsing, against answers recorded from a real glusterd
 * 10.3 (tests/fixtures/gluster/record.sh), including its error outputs. */
#include <errno.h>
#include <string.h>

#include "../tap.h"
#include "gluster-fixture.h"
#include "gluster-cli.h"
#include "gluster-plan.h"
#include "gluster-xml.h"

static int is_uuid(const char *s)
{
	if (!s || strlen(s) != 36)
		return 0;
	for (int i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return 0;
		} else if (!strchr("0123456789abcdef", s[i])) {
			return 0;
		}
	}
	return 1;
}

/* Parse a fixture's envelope: returns status, fills res. */
static int envelope(const char *name, struct gx_result *res, char **err)
{
	size_t len;
	char *x = fixture(name, &len);
	int st = x ? gx_parse_result(x, len, res, err) : -1;
	free(x);
	return st;
}

static void test_peers(void)
{
	struct gx_result res;
	struct gx_peers p;
	const struct gx_peer *e;
	char *err = NULL, *x;
	size_t len;

	x = fixture("pool-list-alone", &len);
	is_int(gx_parse_peers(x, len, &res, &p, &err), GX_OK, "pool list (alone) parses");
	is_int(res.op_ret, 0, "pool list: opRet 0");
	is_int(p.n, 1, "pool list alone: one entry, the local host");
	is_str(p.n ? p.v[0].hostname : NULL, "localhost", "the local entry is called localhost");
	is_int(p.n ? p.v[0].state : 0, -1, "the local entry has no state");
	ok(p.n && is_uuid(p.v[0].uuid), "the local entry has a UUID");
	gx_peers_free(&p);
	gx_result_free(&res);
	free(x);

	x = fixture("pool-list-two", &len);
	is_int(gx_parse_peers(x, len, &res, &p, &err), GX_OK, "pool list (two) parses");
	is_int(p.n, 2, "pool list two: peer plus localhost");
	e = gx_peers_find(&p, "198.51.100.62");
	ok(e != NULL, "the probed peer is found by its address");
	is_int(e ? e->state : -9, 3, "its state is 3");
	is_str(e ? e->state_str : NULL, "Peer in Cluster", "its stateStr is Peer in Cluster");
	is_int(e ? e->connected : -9, 1, "it is connected");
	is_int(e ? (long long)e->n_hostnames : -1, 1, "one <hostnames> entry");
	ok(gx_peers_find(&p, "198.51.100.99") == NULL, "an unknown address is not found");
	gx_peers_free(&p);
	gx_result_free(&res);
	free(x);

	x = fixture("peer-status-empty", &len);
	is_int(gx_parse_peers(x, len, &res, &p, &err), GX_OK, "empty peer status parses");
	is_int(p.n, 0, "<peerStatus/> means no peers");
	gx_peers_free(&p);
	gx_result_free(&res);
	free(x);

	x = fixture("peer-status-from-probed", &len);
	is_int(gx_parse_peers(x, len, &res, &p, &err), GX_OK, "peer status on the probed host parses");
	ok(gx_peers_find(&p, "198.51.100.61") != NULL, "the probed host knows the prober by its address");
	gx_peers_free(&p);
	gx_result_free(&res);
	free(x);
}

static void test_probe(void)
{
	struct gx_result res;
	char *err = NULL;

	is_int(envelope("probe-new", &res, &err), GX_OK, "probe (new) parses");
	ok(res.op_ret == 0 && res.op_errno == 0, "new peer: opRet 0, opErrno 0");
	is_str(res.output, "success", "new peer: output success");
	gx_result_free(&res);

	is_int(envelope("probe-already", &res, &err), GX_OK, "probe (already) parses");
	ok(res.op_ret == 0 && res.op_errno == 2, "already a peer: opRet 0, opErrno 2 (FRIEND)");
	like(res.output, "already in peer list", "already a peer: said in <output>");
	is_str(res.op_errstr, "", "already a peer: opErrstr is empty");
	gx_result_free(&res);

	is_int(envelope("probe-self", &res, &err), GX_OK, "probe (self) parses");
	ok(res.op_ret == 0 && res.op_errno == 1, "self: opRet 0, opErrno 1 (LOCALHOST)");
	gx_result_free(&res);

	is_int(envelope("probe-unreachable", &res, &err), GX_OK, "probe (unreachable) parses");
	ok(res.op_ret == -1 && res.op_errno == ENOTCONN, "unreachable: opRet -1, opErrno 107");
	like(res.op_errstr, "Transport endpoint is not connected", "unreachable: reason in opErrstr");
	gx_result_free(&res);

	is_int(envelope("probe-unresolvable", &res, &err), GX_OK, "probe (unresolvable name) parses");
	ok(res.op_ret == -1, "unresolvable: opRet -1");
	gx_result_free(&res);

	is_int(envelope("probe-other-cluster", &res, &err), GX_OK, "probe (other pool) parses");
	ok(res.op_ret == -1 && res.op_errno == 3, "other pool: opErrno 3 (ANOTHER_CLUSTER)");
	like(res.op_errstr, "already part of another cluster", "other pool: reason in opErrstr");
	gx_result_free(&res);
}

static void test_volumes(void)
{
	struct gx_result res;
	struct gx_volumes v;
	char *err = NULL, *x, *id = NULL, *id2 = NULL;
	size_t len;

	x = fixture("create-one", &len);
	is_int(gx_parse_volume_id(x, len, &res, &id, &err), GX_OK, "volume create parses");
	ok(is_uuid(id), "volume create: the new volume's UUID");
	gx_result_free(&res);
	free(x);

	x = fixture("volume-info-created", &len);
	is_int(gx_parse_volumes(x, len, &res, &v, &err), GX_OK, "volume info (created) parses");
	is_int(v.n, 1, "one volume");
	if (v.n == 1) {
		struct gx_volume *g = &v.v[0];
		is_str(g->name, "gv0", "name");
		is_str(g->id, id, "id equals the one volume create printed");
		is_int(g->status, 0, "status 0 (Created)");
		is_str(g->status_str, "Created", "statusStr Created");
		is_str(g->type_str, "Distribute", "a one-brick volume is Distribute");
		is_int(g->replica_count, 1, "replica 1");
		is_int(g->n_bricks, 1, "one brick");
		is_str(g->bricks[0].name, "198.51.100.61:/data/glusterfs/bricks/gv0", "brick name from <name>, not the mixed text");
		is_str(g->bricks[0].host, "198.51.100.61", "brick host");
		is_str(g->bricks[0].path, "/data/glusterfs/bricks/gv0", "brick path");
		ok(is_uuid(g->bricks[0].host_uuid), "brick hostUuid");
		ok(gp_layout_problem(g, 3) == NULL, "one brick can grow to replica 3");
	}
	gx_volumes_free(&v);
	gx_result_free(&res);
	free(x);

	x = fixture("start", &len);
	is_int(gx_parse_volume_id(x, len, &res, &id2, &err), GX_OK, "volume start parses");
	is_str(id2, id, "volume start names the same volume id");
	gx_result_free(&res);
	free(x);

	x = fixture("volume-info-started", &len);
	is_int(gx_parse_volumes(x, len, &res, &v, &err), GX_OK, "volume info (started) parses");
	ok(v.n == 1 && v.v[0].status == 1 && v.v[0].n_bricks == 1, "one brick, status 1 (Started)");
	is_str(v.n ? v.v[0].id : NULL, id, "the same volume id once started");
	gx_volumes_free(&v);
	gx_result_free(&res);
	free(x);
	free(id);
	free(id2);

	x = fixture("volume-info-replica2", &len);
	is_int(gx_parse_volumes(x, len, &res, &v, &err), GX_OK, "volume info (replica 2) parses");
	if (v.n == 1) {
		struct gx_volume *g = &v.v[0];
		is_int(g->status, 1, "status 1 (Started)");
		is_str(g->type_str, "Replicate", "add-brick replica 2 made it Replicate");
		is_int(g->replica_count, 2, "replica 2");
		is_int(g->dist_count, 1, "one replica set");
		is_int(g->n_bricks, 2, "two bricks");
		ok(gx_volume_find_brick(g, "198.51.100.62", "/data/glusterfs/bricks/gv0") != NULL,
		   "the added brick is found by host and path");
		ok(gx_volume_find_brick(g, "198.51.100.62", "/other") == NULL, "another path is not");
		ok(gp_layout_problem(g, 3) == NULL, "replica 2 can grow to 3");
		ok(gp_layout_problem(g, 1) != NULL, "replica 2 is too many for --gluster-replica 1");
	} else {
		ok(0, "one volume expected");
	}
	gx_volumes_free(&v);
	gx_result_free(&res);
	free(x);

	x = fixture("volume-info-distribute2", &len);
	is_int(gx_parse_volumes(x, len, &res, &v, &err), GX_OK, "volume info (distribute 2) parses");
	if (v.n == 1) {
		like(gp_layout_problem(&v.v[0], 3), "distributed", "two plain bricks cannot grow to replica 3");
		ok(gp_layout_problem(&v.v[0], 1) == NULL, "but are fine for replica 1");
	}
	gx_volumes_free(&v);
	gx_result_free(&res);
	free(x);

	x = fixture("volume-info-all", &len);
	is_int(gx_parse_volumes(x, len, &res, &v, &err), GX_OK, "volume info (all) parses");
	ok(v.n >= 1, "at least one volume listed");
	gx_volumes_free(&v);
	gx_result_free(&res);
	free(x);

	x = fixture("volume-info-missing", &len);
	is_int(gx_parse_volumes(x, len, &res, &v, &err), GX_OK, "volume info (missing) parses");
	ok(res.op_ret == -1 && res.op_errno == 30806, "missing volume: opRet -1, opErrno 30806");
	is_str(res.op_errstr, "Volume does not exist", "missing volume: opErrstr");
	is_int(v.n, 0, "no volumes");
	gx_volumes_free(&v);
	gx_result_free(&res);
	free(x);

	is_int(envelope("volume-status", &res, &err), GX_OK, "volume status parses");
	gx_result_free(&res);
	is_int(envelope("volume-status-missing", &res, &err), GX_OK, "volume status (missing) parses");
	like(res.op_errstr, "does not exist", "volume status (missing): reason");
	gx_result_free(&res);
}

static void test_errors(void)
{
	static const struct {
		const char *fixture, *text;
		int advice;
	} cases[] = {
		{"create-root-partition", "root partition", 1},
		{"create-mount-point", "is a mount point", 1},
		{"create-stale-brick", "already part of a volume", 1},
		{"create-brick-in-use", "not available", 1},
		{"create-not-in-cluster", "not in 'Peer in Cluster' state", 1},
		{"create-exists", "already exists", 0},
		{"create-replica-too-few", "Failed to create volume files", 0},
		{"start-again", "already started", 0},
		{"add-brick-wrong-count", "Incorrect number of bricks", 1},
	};
	struct gx_result res;
	char *err = NULL;

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		is_int(envelope(cases[i].fixture, &res, &err), GX_OK, "%s parses", cases[i].fixture);
		is_int(res.op_ret, -1, "%s: opRet -1 (the exit status was 0)", cases[i].fixture);
		like(res.op_errstr, cases[i].text, "%s: opErrstr says why", cases[i].fixture);
		ok(!!*gcli_brick_advice(res.op_errstr) == cases[i].advice, "%s: advice %s",
		   cases[i].fixture, cases[i].advice ? "given" : "not needed");
		gx_result_free(&res);
	}

	is_int(envelope("add-brick-replica2", &res, &err), GX_OK, "add-brick parses");
	is_str(res.output, "Add Brick successful", "add-brick: output");
	gx_result_free(&res);

	/* Not XML at all. */
	is_int(envelope("glusterd-down", &res, &err), GX_NO_GLUSTERD, "glusterd down: recognised");
	like(err, "Connection failed", "glusterd down: the CLI's words kept");
	free(err);
	err = NULL;
	is_int(envelope("usage-error", &res, &err), GX_NOT_XML, "usage error: not XML");
	like(err, "unrecognized word", "usage error: first line kept");
	ok(err && !strchr(err, '\n'), "usage error: one line");
	free(err);
	err = NULL;
	is_int(gx_parse_result("", 0, &res, &err), GX_NOT_XML, "empty output: not XML");
	free(err);
	err = NULL;
}

static void test_malformed(void)
{
	struct gx_result res;
	struct gx_volumes v;
	char *err = NULL, *x, *p;
	size_t len;

	/* A real answer cut short. */
	x = fixture("volume-info-replica2", &len);
	is_int(gx_parse_volumes(x, len / 2, &res, &v, &err), GX_BAD_XML, "truncated XML is refused");
	ok(err != NULL, "with a message");
	free(err);
	err = NULL;
	/* A brick count that does not match the bricks listed. */
	p = strstr(x, "<brickCount>2<");
	if (p)
		p[12] = '7';
	is_int(gx_parse_volumes(x, len, &res, &v, &err), GX_BAD_XML, "brickCount 7 with 2 bricks is refused");
	free(err);
	err = NULL;
	free(x);

	x = fixture("probe-new", &len);
	p = strstr(x, "<opRet>0<");
	if (p)
		p[7] = 'x';
	is_int(gx_parse_result(x, len, &res, &err), GX_BAD_XML, "a non-numeric opRet is refused");
	free(err);
	err = NULL;
	free(x);

	is_int(gx_parse_result("<other><opRet>0</opRet></other>", 32, &res, &err), GX_BAD_XML,
	       "another root element is refused");
	free(err);
	err = NULL;
	{
		static const char ent[] = "<?xml version=\"1.0\"?><!DOCTYPE c [<!ENTITY e SYSTEM "
					  "\"file:///etc/passwd\">]><cliOutput><opRet>0</opRet>"
					  "<opErrstr>&e;</opErrstr></cliOutput>";
		int st = gx_parse_result(ent, sizeof ent - 1, &res, &err);
		ok(st != GX_OK || !strstr(res.op_errstr, "root:"), "external entities are not expanded");
		if (st == GX_OK)
			gx_result_free(&res);
		free(err);
		err = NULL;
	}
	{
		static const char ctl[] = "<cliOutput><opRet>-1</opRet><opErrstr>bad\nline\tx</opErrstr></cliOutput>";
		static const char esc[] = "<cliOutput><opRet>-1</opRet><opErrstr>a\x1b[31m</opErrstr></cliOutput>";
		is_int(gx_parse_result(ctl, sizeof ctl - 1, &res, &err), GX_OK, "newlines and tabs in text parse");
		ok(res.op_errstr && !strchr(res.op_errstr, '\n') && !strchr(res.op_errstr, '\t'),
		   "and become spaces, so they cannot forge log lines");
		gx_result_free(&res);
		is_int(gx_parse_result(esc, sizeof esc - 1, &res, &err), GX_BAD_XML,
		       "an escape byte (not allowed in XML 1.0) is refused");
		free(err);
		err = NULL;
	}
}

static void test_split(void)
{
	char *h, *p;
	is_int(gx_split_brick("198.51.100.61:/data/b", &h, &p), 0, "split host:/path");
	is_str(h, "198.51.100.61", "host part");
	is_str(p, "/data/b", "path part");
	free(h);
	free(p);
	is_int(gx_split_brick("node-1.example:/b:c/d", &h, &p), 0, "a ':' inside the path stays in the path");
	is_str(p, "/b:c/d", "path keeps its ':'");
	free(h);
	free(p);
	ok(gx_split_brick("/data/b", &h, &p) < 0, "no host is refused");
	ok(gx_split_brick("host:data", &h, &p) < 0, "a relative path is refused");
	ok(gx_split_brick(":/data", &h, &p) < 0, "an empty host is refused");
}

/* What `clusterctl status` shows of a brick host: its bricks online and
 * the entries still to heal (record-health.sh recorded these). */
static void test_health(void)
{
	struct gx_result res;
	struct gx_brick_states bs;
	struct gx_heal h;
	char *x, *err = NULL;
	size_t len;

	x = fixture("volume-status-replica2", &len);
	is_int(gx_parse_volume_status(x, len, &res, &bs, &err), GX_OK, "volume status parses");
	is_int(bs.n, 2, "two bricks; the self-heal daemon's line is not one");
	ok(bs.n == 2 && bs.v[0].online && bs.v[1].online, "both online");
	ok(bs.n == 2 && strcmp(bs.v[1].path, "/b/b") == 0 && strcmp(bs.v[1].host, "198.51.100.121") == 0,
	   "with host and path");
	gx_brick_states_free(&bs);
	gx_result_free(&res);
	free(x);

	x = fixture("volume-status-brick-down", &len);
	is_int(gx_parse_volume_status(x, len, &res, &bs, &err), GX_OK, "volume status with a brick down parses");
	ok(bs.n == 2 && bs.v[0].online && !bs.v[1].online, "the killed brick is offline");
	ok(bs.n == 2 && strcmp(bs.v[1].peer_id, "653c16c8-a8db-489a-b83c-7939c83535f7") == 0, "its peer id");
	gx_brick_states_free(&bs);
	gx_result_free(&res);
	free(x);

	x = fixture("volume-status-no-volume", &len);
	is_int(gx_parse_volume_status(x, len, &res, &bs, &err), GX_OK, "an unknown volume is an envelope");
	ok(res.op_ret == -1 && bs.n == 0, "with opRet -1 and no bricks");
	gx_result_free(&res);
	free(x);

	x = fixture("heal-summary-clean", &len);
	is_int(gx_parse_heal_summary(x, len, &res, &h, &err), GX_OK, "heal info summary parses");
	ok(h.n == 2 && h.v[0].connected && h.v[0].pending == 0 && h.v[1].split_brain == 0, "nothing to heal");
	ok(h.n == 2 && strcmp(h.v[0].host_uuid, "653c16c8-a8db-489a-b83c-7939c83535f7") == 0,
	   "the brick's host uuid, from its attribute");
	gx_heal_free(&h);
	gx_result_free(&res);
	free(x);

	x = fixture("heal-summary-pending", &len);
	is_int(gx_parse_heal_summary(x, len, &res, &h, &err), GX_OK, "heal info summary with a brick down parses");
	ok(h.n == 2 && h.v[0].pending == 4, "4 entries wait for the brick that was down");
	ok(h.n == 2 && !h.v[1].connected && h.v[1].pending == -1, "the unreachable brick has no counts");
	gx_heal_free(&h);
	gx_result_free(&res);
	free(x);

	x = fixture("volume-info-started", &len);
	is_int(gx_parse_heal_summary(x, len, &res, &h, &err), GX_BAD_XML, "another command's answer is refused");
	like(err, "no <healInfo><bricks>", "saying what is missing");
	free(err);
	err = NULL;
	free(x);
}

int main(void)
{
	test_peers();
	test_probe();
	test_volumes();
	test_errors();
	test_malformed();
	test_split();
	test_health();
	return done_testing();
}
