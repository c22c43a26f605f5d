/* What `gluster --mode=script --xml` prints (plugins/storage/gluster/
 * gluster-xml.c), read as each answer the plugin parses: the envelope,
 * `peer status` / `pool list`, `volume info`, the volume id of
 * `volume create` / `volume start`, and what `clusterctl status` reads of
 * a brick host: `volume status` and `volume heal ... info summary`.
 *
 * What must hold: every answer is classified (GX_OK or a refusal with
 * a message); text taken from it holds no control bytes (it is quoted in
 * logs and answers); an accepted volume lists as many bricks as it says,
 * each "host:/path"; the copies and look-ups the controller makes of
 * what it read work on anything the parser accepted. */
#include <string.h>

#include "fuzz.h"
#include "gluster-plan.h"
#include "gluster-xml.h"

static void classified(int r, const struct gx_result *res, char *err)
{
	fuzz_require(r == GX_OK || r == GX_NOT_XML || r == GX_NO_GLUSTERD || r == GX_BAD_XML,
		     "an answer is classified");
	if (r == GX_OK)
		fuzz_require(fuzz_clean(res->op_errstr) && fuzz_clean(res->output), "envelope texts are clean");
	else
		fuzz_require(!err || fuzz_clean(err), "a refusal's message is clean");
	free(err);
}

static void peers(const char *text, size_t len)
{
	struct gx_result res;
	struct gx_peers p, copy;
	char *err = NULL;
	int r = gx_parse_peers(text, len, &res, &p, &err);

	classified(r, &res, err);
	if (r != GX_OK)
		return;
	for (size_t i = 0; i < p.n; i++) {
		fuzz_require(*p.v[i].hostname && fuzz_clean(p.v[i].hostname), "a peer has a clean hostname");
		fuzz_require(fuzz_clean(p.v[i].uuid) && fuzz_clean(p.v[i].state_str), "peer texts are clean");
		for (size_t j = 0; j < p.v[i].n_hostnames; j++)
			fuzz_require(fuzz_clean(p.v[i].hostnames[j]), "every hostname is clean");
		fuzz_require(gx_peers_find(&p, p.v[i].hostname) != NULL, "a peer is found by its hostname");
	}
	fuzz_require(gx_peers_copy(&copy, &p) == 0 && copy.n == p.n, "a peer list copies whole");
	gx_peers_free(&copy);
	gx_peers_free(&p);
	gx_result_free(&res);
}

static void volumes(const char *text, size_t len)
{
	struct gx_result res;
	struct gx_volumes vs;
	char *err = NULL;
	int r = gx_parse_volumes(text, len, &res, &vs, &err);

	classified(r, &res, err);
	if (r != GX_OK)
		return;
	for (size_t i = 0; i < vs.n; i++) {
		const struct gx_volume *v = &vs.v[i];
		struct gx_volume copy;
		fuzz_require(*v->name && *v->id && fuzz_clean(v->name) && fuzz_clean(v->id), "a volume has a name and id");
		fuzz_require(v->brick_count >= 0 && (size_t)v->brick_count == v->n_bricks,
			     "a volume lists the bricks it counts");
		for (size_t b = 0; b < v->n_bricks; b++) {
			const struct gx_brick *k = &v->bricks[b];
			fuzz_require(*k->host && k->path[0] == '/', "a brick is host:/path");
			fuzz_require(gx_volume_find_brick(v, k->host, k->path) != NULL, "a brick is found");
		}
		(void)gp_layout_problem(v, 3);
		fuzz_require(gx_volume_copy(&copy, v) == 0 && copy.n_bricks == v->n_bricks, "a volume copies whole");
		gx_volume_free(&copy);
	}
	gx_volumes_free(&vs);
	gx_result_free(&res);
}

static void volume_id(const char *text, size_t len)
{
	struct gx_result res;
	char *id = NULL, *err = NULL;
	int r = gx_parse_volume_id(text, len, &res, &id, &err);

	classified(r, &res, err);
	if (r != GX_OK)
		return;
	fuzz_require(!id || fuzz_clean(id), "a volume id is clean");
	free(id);
	gx_result_free(&res);
}

static void health(const char *text, size_t len)
{
	struct gx_result res;
	struct gx_brick_states bs;
	struct gx_heal h;
	char *err = NULL;
	int r = gx_parse_volume_status(text, len, &res, &bs, &err);

	classified(r, &res, err);
	if (r == GX_OK) {
		for (size_t i = 0; i < bs.n; i++)
			fuzz_require(bs.v[i].path[0] == '/' && fuzz_clean(bs.v[i].host) && fuzz_clean(bs.v[i].peer_id) &&
					     (bs.v[i].online == 0 || bs.v[i].online == 1),
				     "a brick's state is a path, clean texts and online 0 or 1");
		gx_brick_states_free(&bs);
		gx_result_free(&res);
	}
	err = NULL;
	r = gx_parse_heal_summary(text, len, &res, &h, &err);
	classified(r, &res, err);
	if (r == GX_OK) {
		for (size_t i = 0; i < h.n; i++)
			fuzz_require(fuzz_clean(h.v[i].name) && fuzz_clean(h.v[i].host_uuid) && h.v[i].pending >= -1 &&
					     h.v[i].split_brain >= -1,
				     "a heal count is -1 (not reported) or a count, its texts clean");
		gx_heal_free(&h);
		gx_result_free(&res);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_memdup(data, size), *name = fuzz_strdup(data, size), *host, *path;
	struct gx_result res;
	char *err = NULL;
	int r = gx_parse_result(text, size, &res, &err);

	classified(r, &res, err);
	if (r == GX_OK)
		gx_result_free(&res);
	peers(text, size);
	volumes(text, size);
	volume_id(text, size);
	health(text, size);
	/* Brick names come from the same answers. */
	if (gx_split_brick(name, &host, &path) == 0) {
		fuzz_require(*host && path[0] == '/', "a split brick is host and /path");
		free(host);
		free(path);
	}
	free(text);
	free(name);
	return 0;
}
