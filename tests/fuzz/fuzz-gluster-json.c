/* The gluster plugin's JSON (plugins/storage/gluster/): Observed.Storage
 * and the per-node record the controller reads (gp_obs_parse,
 * gp_record_parse; the other nodes' records reach the controller's index
 * the same way, one node event at a time), and the StoragePayload a node
 * reads (payload_parse, static in gluster.c, which is compiled into this
 * target for it).
 *
 * What must hold: nothing unchecked comes out (paths pass gn_path_ok,
 * texts hold no control bytes, roles are known); a record survives being
 * written and read back; and whatever a node reported, the payload the
 * controller then writes (gp_decide, gp_payload_json) is one the node
 * accepts. */
#include "gluster.c"

#include "fuzz.h"

/* What jstr() promises: no byte below 0x20 (DEL passes). */
static bool no_c0(const char *s)
{
	if (!s)
		return true;
	for (; *s; s++)
		if ((unsigned char)*s < 0x20)
			return false;
	return true;
}

static void check_record(const struct gp_record *r)
{
	char *text;
	struct gp_record back;

	fuzz_require(!r->role || !strcmp(r->role, GP_ROLE_BRICK) || !strcmp(r->role, GP_ROLE_CLIENT),
		     "a record's role is brick, client or none");
	fuzz_require(!r->brick || gn_path_ok(r->brick), "a record's brick is a sane path");
	fuzz_require(no_c0(r->host), "a record's host is clean");
	text = gp_record_json(r);
	fuzz_require(text != NULL, "a record is written");
	gp_record_parse(text, &back);
	fuzz_require(fuzz_same(back.role, r->role) && fuzz_same(back.brick, r->brick) && fuzz_same(back.host, r->host) &&
			     back.ready == r->ready && back.on_root == r->on_root,
		     "a record reads back as it was written");
	gp_record_free(&back);
	free(text);
}

/* A node with these facts registers with a controller whose volume does
 * not exist yet, beside the others (brick nodes of the controller's
 * index); the node must take the answer. */
static void controller_answers(const struct gp_obs *obs, const struct gp_record *rec,
			       const struct gp_other *others, size_t n_others)
{
	static const struct gp_cfg cfg = {.volume = "clusterctl", .mount = "/data/GlusterFS/0001",
					  .replica = 3, .brick_dir = "/data/glusterfs/bricks"};
	struct gp_view view = {.loaded = true};
	struct gp_node node = {.node_id = "n1", .ip = "192.0.2.5", .capable = true, .obs = *obs, .rec = *rec,
			       .others = others, .n_others = n_others};
	struct gp_answer ans;
	struct payload p;
	char *payload, *err = NULL;

	fuzz_require(gp_decide(&cfg, &view, &node, &ans) == 0, "the controller decides");
	payload = gp_payload_json(&cfg, NULL, &ans);
	fuzz_require(payload != NULL, "the payload is written");
	if (payload_parse(payload, &p, &err) < 0)
		fuzz_fail(__FILE__, __LINE__, err ? err : "the node refuses the controller's payload");
	payload_free(&p);
	free(payload);
	gp_answer_free(&ans);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *json = fuzz_strdup(data, size), *err = NULL;
	struct gp_obs obs;
	struct gp_record rec;
	struct gp_other other;
	struct payload p;

	if (gp_obs_parse(json, &obs, &err) < 0) {
		fuzz_require(err != NULL, "a refused Observed.Storage has a message");
		free(err);
		gp_obs_parse("{}", &obs, &err);
	}
	fuzz_require(!obs.brick_dir || gn_path_ok(obs.brick_dir), "an observed brick-dir is a sane path");
	fuzz_require(no_c0(obs.brick) && no_c0(obs.brick_volume_id) && no_c0(obs.error), "observed texts are clean");

	gp_record_parse(json, &rec);
	check_record(&rec);

	/* The same record as another node's, which the index holds when it
	 * names a brick (gluster-ctl.c keeps no client in it). */
	other = (struct gp_other){.node_id = "n2", .ip = "192.0.2.6", .rec = rec};
	controller_answers(&obs, &rec, &other,
			   rec.role && !strcmp(rec.role, GP_ROLE_BRICK) ? 1 : 0);

	err = NULL;
	if (payload_parse(json, &p, &err) < 0) {
		fuzz_require(err != NULL, "a refused payload has a message");
	} else if (strcmp(p.step, "error") != 0) {
		fuzz_require(gn_volume_name_ok(p.volume) && gn_path_ok(p.mount) && strcmp(p.mount, "/") != 0,
			     "an accepted payload names a volume and a mount point");
		fuzz_require(!*p.brick || gn_path_ok(p.brick), "an accepted payload's brick is a sane path");
		for (size_t i = 0; i < p.n_servers; i++)
			fuzz_require(gn_host_ok(p.servers[i]), "an accepted payload's servers are hosts");
	}
	free(err);
	payload_free(&p);

	gp_record_free(&rec);
	gp_obs_free(&obs);
	free(json);
	return 0;
}
