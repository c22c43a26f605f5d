/* The controller's per-node decisions and the JSON they travel in; see
 * gluster-plan.h and the contract at the top of gluster.c. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

#include "cc-buf.h"
#include "gluster-node.h"
#include "gluster-plan.h"
#include "plugin-json.h"

const char *gp_step_name(enum gp_step s)
{
	switch (s) {
	case GP_PREPARE: return "prepare-brick";
	case GP_WAIT: return "wait";
	case GP_MOUNT: return "mount";
	default: return "error";
	}
}

const char *gp_layout_problem(const struct gx_volume *v, int replica)
{
	int rc = v->replica_count < 1 ? 1 : v->replica_count;

	if (v->disperse_count > 0)
		return "it is a dispersed (erasure-coded) volume";
	if (v->arbiter_count > 0)
		return "it has arbiter bricks";
	if (v->n_bricks == 0)
		return "it has no bricks";
	if (rc > replica)
		return "its replica count is higher than --gluster-replica";
	if (v->n_bricks % (size_t)rc)
		return "its brick count is not a multiple of its replica count";
	if (v->n_bricks > (size_t)rc && rc != replica)
		return "it is distributed over several replica sets smaller than --gluster-replica";
	return NULL;
}

static bool host_in_volume(const struct gx_volume *v, const char *host)
{
	return gx_volume_find_brick(v, host, NULL) != NULL;
}

static int add_str(char ***v, size_t *n, const char *s)
{
	char **nv = realloc(*v, (*n + 1) * sizeof *nv);
	if (!nv)
		return -ENOMEM;
	*v = nv;
	if (!(nv[*n] = strdup(s)))
		return -ENOMEM;
	(*n)++;
	return 0;
}

static int set_servers(const struct gx_volume *v, struct gp_answer *a)
{
	if (v->status != 1) /* only a started volume can be mounted */
		return 0;
	for (size_t i = 0; i < v->n_bricks; i++) {
		bool seen = false;
		for (size_t j = 0; j < a->n_servers && !seen; j++)
			seen = strcmp(a->servers[j], v->bricks[i].host) == 0;
		if (!seen && add_str(&a->servers, &a->n_servers, v->bricks[i].host) < 0)
			return -ENOMEM;
	}
	return 0;
}

struct cand {
	const char *node_id, *host, *brick;
	bool on_root;
};

static int cand_cmp(const void *a, const void *b)
{
	return strcmp(((const struct cand *)a)->node_id, ((const struct cand *)b)->node_id);
}

#define SETMSG(...)                                                                                \
	do {                                                                                       \
		free(a->message);                                                                  \
		if (!(a->message = cc_strdupf(__VA_ARGS__)))                                              \
			goto oom;                                                                  \
	} while (0)
#define SETERR(...)                                                                                \
	do {                                                                                       \
		free(a->error);                                                                    \
		if (!(a->error = cc_strdupf(__VA_ARGS__)))                                                \
			goto oom;                                                                  \
	} while (0)

int gp_decide(const struct gp_cfg *cfg, const struct gp_view *view, const struct gp_node *node,
	      struct gp_answer *a)
{
	const struct gx_volume *vol = view->vol;
	const struct gp_record *rec = &node->rec;
	const struct gx_brick *mine;
	const struct gx_peer *peer;
	const char *why;
	bool brick_role;
	char *path = NULL;
	struct cand *cands = NULL;
	int rc;

	memset(a, 0, sizeof *a);
	a->role = GP_ROLE_CLIENT;

	if (!view->loaded) {
		a->step = GP_WAIT;
		a->waiting = true;
		a->retry_after = 2;
		a->action = GP_REFRESH;
		SETMSG("reading the GlusterFS state on the controller");
		return 0;
	}
	if (view->error) {
		a->step = GP_WAIT;
		a->waiting = true;
		a->retry_after = 5;
		a->action = GP_REFRESH;
		SETERR("the controller cannot read the GlusterFS state: %s", view->error);
		SETMSG("%s", a->error);
		return 0;
	}
	if (!view->vol_exists || !vol) {
		a->step = GP_ERROR;
		a->waiting = true;
		a->retry_after = 30;
		a->action = GP_REFRESH;
		SETERR("GlusterFS volume %s does not exist on the controller: run `clusterctl master "
		       "init --enable-glusterfs` on the master first (it creates, starts and mounts "
		       "the volume)",
		       cfg->volume);
		SETMSG("%s", a->error);
		return 0;
	}
	if ((why = gp_layout_problem(vol, cfg->replica))) {
		a->step = GP_ERROR;
		a->waiting = true;
		a->retry_after = 30;
		SETERR("GlusterFS volume %s exists with a layout clusterctl cannot manage: %s (%s, %zu "
		       "bricks, replica %d, wanted replica %d). clusterctl never reshapes or deletes "
		       "an existing volume: choose another --gluster-volume, or set --gluster-replica "
		       "to match it",
		       vol->name, why, vol->type_str, vol->n_bricks, vol->replica_count, cfg->replica);
		SETMSG("%s", a->error);
		return 0;
	}
	rc = vol->replica_count < 1 ? 1 : vol->replica_count;
	if (set_servers(vol, a) < 0)
		goto oom;

	/* Bricks are named by address: a node that comes back from another
	 * address cannot serve its old brick. */
	if (rec->role && strcmp(rec->role, GP_ROLE_BRICK) == 0 && rec->host && rec->brick &&
	    strcmp(rec->host, node->ip) != 0 && gx_volume_find_brick(vol, rec->host, rec->brick)) {
		a->step = GP_ERROR;
		a->waiting = true;
		a->retry_after = 30;
		SETERR("this node's brick is %s:%s in volume %s, but the node now registers from %s. "
		       "GlusterFS names bricks by address: give the node its old address back (or "
		       "register it with --ip %s)",
		       rec->host, rec->brick, vol->name, node->ip, rec->host);
		SETMSG("%s", a->error);
		return 0;
	}

	/* Who gets a brick: what the volume already holds, then what was
	 * decided before (stable across restarts), then a new decision.  A
	 * stored "client" binds only while the node cannot host a brick: a
	 * node that joined with glusterd stopped and has it running now is
	 * decided again, and gets a brick if the volume still lacks one. */
	mine = gx_volume_find_brick(vol, node->ip, NULL);
	if (mine) {
		brick_role = true;
		path = strdup(mine->path);
	} else if (rec->role && ((strcmp(rec->role, GP_ROLE_CLIENT) == 0 && !node->capable) ||
				 (strcmp(rec->role, GP_ROLE_BRICK) == 0 && rec->brick))) {
		brick_role = strcmp(rec->role, GP_ROLE_BRICK) == 0;
		path = brick_role ? strdup(rec->brick) : NULL;
	} else if (!node->capable) {
		brick_role = false;
	} else {
		size_t hosts = 0;
		for (size_t i = 0; i < vol->n_bricks; i++) {
			bool seen = false;
			for (size_t j = 0; j < i && !seen; j++)
				seen = strcmp(vol->bricks[j].host, vol->bricks[i].host) == 0;
			hosts += !seen;
		}
		for (size_t i = 0; i < node->n_others; i++) {
			const struct gp_record *o = &node->others[i].rec;
			if (o->role && strcmp(o->role, GP_ROLE_BRICK) == 0 && o->host &&
			    strcmp(o->host, node->ip) != 0 && !host_in_volume(vol, o->host))
				hosts++;
		}
		if (hosts < (size_t)cfg->replica || cfg->extra_bricks) {
			const char *dir = node->obs.brick_dir && gn_path_ok(node->obs.brick_dir)
						  ? node->obs.brick_dir
						  : cfg->brick_dir;
			brick_role = true;
			path = cc_strdupf("%s/%s", strcmp(dir, "/") == 0 ? "" : dir, cfg->volume);
		} else {
			brick_role = false;
		}
	}
	if (brick_role && !path)
		goto oom;
	a->role = brick_role ? GP_ROLE_BRICK : GP_ROLE_CLIENT;
	a->brick = path;
	path = NULL;
	if (!(a->rec.role = strdup(a->role)) || !(a->rec.host = strdup(node->ip)) ||
	    (a->brick && !(a->rec.brick = strdup(a->brick))))
		goto oom;
	a->rec.on_root = node->obs.brick_on_root;

	if (!brick_role) {
		a->step = vol->status == 1 ? GP_MOUNT : GP_WAIT;
		if (vol->status != 1) {
			a->action = GP_START;
			a->waiting = true;
			a->retry_after = 2;
			SETMSG("starting volume %s", vol->name);
		} else {
			SETMSG("client of GlusterFS volume %s (no brick: %s)", vol->name,
			       node->capable ? "the volume has its bricks" : "the node is not GlusterCapable");
		}
		return 0;
	}
	if (mine) {
		a->brick_in_volume = true;
		a->rec.ready = true;
		if (vol->status != 1) {
			a->step = GP_WAIT;
			a->action = GP_START;
			a->waiting = true;
			a->retry_after = 2;
			SETMSG("starting volume %s", vol->name);
		} else {
			a->step = GP_MOUNT;
			SETMSG("brick %s:%s is in volume %s", node->ip, a->brick, vol->name);
		}
		return 0;
	}

	/* A brick that is not in the volume yet. */
	if (node->obs.brick_volume_id && strcasecmp(node->obs.brick_volume_id, vol->id) != 0) {
		a->step = GP_ERROR;
		a->waiting = true;
		a->retry_after = 30;
		SETERR("the brick %s on %s already belongs to another GlusterFS volume (volume-id %s, "
		       "volume %s is %s). clusterctl never deletes bricks: clear it by hand (see "
		       "clusterctl-gluster(7), RECOVERY) or give the node another --gluster-brick-dir",
		       a->brick, node->ip, node->obs.brick_volume_id, vol->name, vol->id);
		SETMSG("%s", a->error);
		return 0;
	}
	if (node->obs.brick_volume_id && !view->busy) {
		/* The volume's own id on a brick not in it: a failed add-brick
		 * left it, and every add-brick would fail on it.  The node
		 * clears it while preparing, if the brick never served.  Never
		 * while a change runs: an add-brick in flight tags the brick
		 * before the volume lists it. */
		a->step = GP_PREPARE;
		bool last = node->obs.error && *node->obs.error;
		SETMSG("the brick %s carries volume %s's id from a failed add-brick: prepare it again%s%s%s", a->brick,
		       vol->name, last ? " (last attempt: " : "", last ? node->obs.error : "", last ? ")" : "");
		return 0;
	}
	if (!node->obs.brick || strcmp(node->obs.brick, a->brick) != 0) {
		a->step = GP_PREPARE;
		if (node->obs.error && *node->obs.error)
			SETMSG("prepare the brick %s (last attempt: %s)", a->brick, node->obs.error);
		else
			SETMSG("prepare the brick %s, then register again", a->brick);
		return 0;
	}
	if (!node->obs.glusterd) {
		a->step = GP_PREPARE;
		SETMSG("glusterd must run on brick node %s before it can join the pool "
		       "(systemctl enable --now glusterd)", node->ip);
		return 0;
	}
	peer = gx_peers_find(view->peers, node->ip);
	if (!peer) {
		a->step = GP_WAIT;
		a->waiting = true;
		a->retry_after = 2;
		if (view->probe_error) {
			bool fatal = view->probe_errno == EEXIST;
			a->step = fatal ? GP_ERROR : GP_WAIT;
			a->retry_after = fatal ? 30 : 5;
			SETERR("%s", view->probe_error);
			SETMSG("%s", view->probe_error);
		} else {
			SETMSG("adding %s to the trusted storage pool", node->ip);
		}
		if (!view->probing && (!view->probe_error || view->probe_errno != EEXIST)) {
			a->action = GP_PROBE;
			if (!(a->peer = strdup(node->ip)))
				goto oom;
		} else if (view->probe_error && view->probe_errno == EEXIST) {
			/* a person must act; look again now and then */
			a->action = GP_PROBE;
			if (!(a->peer = strdup(node->ip)))
				goto oom;
		}
		return 0;
	}
	if (peer->state != 3 || !peer->connected) {
		a->step = GP_WAIT;
		a->waiting = true;
		a->retry_after = 2;
		a->action = GP_REFRESH;
		SETMSG("waiting for %s to reach 'Peer in Cluster' (now '%s', %s)", node->ip,
		       *peer->state_str ? peer->state_str : "unknown",
		       peer->connected ? "connected" : "disconnected");
		return 0;
	}
	a->rec.ready = true;
	if (view->busy) {
		a->step = GP_WAIT;
		a->waiting = true;
		a->retry_after = 2;
		SETMSG("waiting for another change of volume %s to finish", vol->name);
		return 0;
	}
	if (vol->status != 1) {
		a->step = GP_WAIT;
		a->action = GP_START;
		a->waiting = true;
		a->retry_after = 2;
		SETMSG("starting volume %s", vol->name);
		return 0;
	}
	if (vol->n_bricks == (size_t)rc && rc < cfg->replica) {
		/* growing the single replica set by one: add-brick replica N+1 */
		char *b = cc_strdupf("%s:%s", node->ip, a->brick);
		if (!b || add_str(&a->bricks, &a->n_bricks, b) < 0) {
			free(b);
			goto oom;
		}
		free(b);
		a->action = GP_ADD_BRICK;
		a->replica = rc + 1;
		a->expect_bricks = (int)vol->n_bricks;
		a->force = node->obs.brick_on_root;
		a->step = GP_WAIT;
		a->waiting = true;
		a->retry_after = 2;
		if (view->change_error)
			SETERR("%s", view->change_error);
		SETMSG("adding brick %s:%s to volume %s (replica %d)%s%s", node->ip, a->brick, vol->name,
		       rc + 1, view->change_error ? "; last attempt: " : "",
		       view->change_error ? view->change_error : "");
		return 0;
	}
	if (!cfg->extra_bricks) {
		/* The volume reached its replica count through other nodes since
		 * this one was picked: it becomes a client, for good. */
		free(a->rec.role);
		free(a->rec.brick);
		a->rec.brick = NULL;
		a->rec.ready = false;
		if (!(a->rec.role = strdup(GP_ROLE_CLIENT)))
			goto oom;
		free(a->brick);
		a->brick = NULL;
		a->role = GP_ROLE_CLIENT;
		a->step = GP_MOUNT;
		SETMSG("client of GlusterFS volume %s (it already has its %d replicas; the prepared "
		       "brick directory is left unused)", vol->name, cfg->replica);
		return 0;
	}
	/* Whole replica sets: wait until `replica` brick nodes are ready. */
	{
		size_t n = 0;
		cands = calloc(node->n_others + 1, sizeof *cands);
		if (!cands)
			goto oom;
		cands[n++] = (struct cand){node->node_id, node->ip, a->brick, node->obs.brick_on_root};
		for (size_t i = 0; i < node->n_others; i++) {
			const struct gp_other *o = &node->others[i];
			if (o->rec.role && strcmp(o->rec.role, GP_ROLE_BRICK) == 0 && o->rec.ready &&
			    o->rec.host && o->rec.brick && o->node_id && strcmp(o->rec.host, node->ip) &&
			    !host_in_volume(vol, o->rec.host) && gx_peers_find(view->peers, o->rec.host))
				cands[n++] = (struct cand){o->node_id, o->rec.host, o->rec.brick, o->rec.on_root};
		}
		if (n < (size_t)cfg->replica) {
			a->step = GP_MOUNT;
			SETMSG("brick %s is ready and joins volume %s when %zu more brick node(s) are "
			       "ready (bricks are added in sets of %d); a client meanwhile",
			       a->brick, vol->name, (size_t)cfg->replica - n, cfg->replica);
			free(cands);
			return 0;
		}
		qsort(cands, n, sizeof *cands, cand_cmp);
		for (size_t i = 0; i < (size_t)cfg->replica; i++) {
			char *b = cc_strdupf("%s:%s", cands[i].host, cands[i].brick);
			if (!b || add_str(&a->bricks, &a->n_bricks, b) < 0) {
				free(b);
				goto oom;
			}
			free(b);
			a->force |= cands[i].on_root;
		}
		free(cands);
		cands = NULL;
		a->action = GP_ADD_BRICK;
		a->replica = 0;
		a->expect_bricks = (int)vol->n_bricks;
		a->step = GP_WAIT;
		a->waiting = true;
		a->retry_after = 2;
		if (view->change_error)
			SETERR("%s", view->change_error);
		SETMSG("adding a replica set of %d bricks to volume %s%s%s", cfg->replica, vol->name,
		       view->change_error ? "; last attempt: " : "",
		       view->change_error ? view->change_error : "");
	}
	return 0;
oom:
	free(path);
	free(cands);
	gp_answer_free(a);
	return -ENOMEM;
}

void gp_record_free(struct gp_record *r)
{
	free(r->role);
	free(r->brick);
	free(r->host);
	memset(r, 0, sizeof *r);
}

void gp_answer_free(struct gp_answer *a)
{
	free(a->message);
	free(a->error);
	free(a->brick);
	gp_record_free(&a->rec);
	for (size_t i = 0; i < a->n_servers; i++)
		free(a->servers[i]);
	free(a->servers);
	free(a->peer);
	for (size_t i = 0; i < a->n_bricks; i++)
		free(a->bricks[i]);
	free(a->bricks);
	memset(a, 0, sizeof *a);
}

/* ---- JSON --------------------------------------------------------- */

/* Key lookup that ignores case, as the wire protocol does. */
static json_object *jget(json_object *o, const char *key)
{
	if (!o || !json_object_is_type(o, json_type_object))
		return NULL;
	json_object_object_foreach(o, k, v)
	{
		if (strcasecmp(k, key) == 0)
			return v;
	}
	return NULL;
}

/* A string field: NULL when absent, null or not a string, or not sane. */
static char *jstr(json_object *o, const char *key, size_t max)
{
	json_object *v = jget(o, key);
	const char *s;
	if (!v || !json_object_is_type(v, json_type_string))
		return NULL;
	s = json_object_get_string(v);
	if (!*s || strlen(s) > max)
		return NULL;
	for (const char *c = s; *c; c++)
		if ((unsigned char)*c < 0x20)
			return NULL;
	return strdup(s);
}

static bool jbool(json_object *o, const char *key)
{
	json_object *v = jget(o, key);
	return v && json_object_is_type(v, json_type_boolean) && json_object_get_boolean(v);
}

static json_object *parse_obj(const char *json)
{
	json_object *o;
	if (!json)
		return NULL;
	o = json_tokener_parse(json);
	if (o && !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

int gp_obs_parse(const char *json, struct gp_obs *ob, char **err)
{
	json_object *o = parse_obj(json && *json ? json : "{}");

	memset(ob, 0, sizeof *ob);
	*err = NULL;
	if (!o) {
		*err = strdup("Observed.Storage is not a JSON object");
		return -EINVAL;
	}
	ob->glusterd = jbool(o, "Glusterd");
	ob->brick_on_root = jbool(o, "BrickOnRoot");
	ob->mounted = jbool(o, "Mounted");
	ob->brick_dir = jstr(o, "BrickDir", 1024);
	ob->brick = jstr(o, "Brick", 1024);
	ob->brick_volume_id = jstr(o, "BrickVolumeId", 64);
	ob->error = jstr(o, "Error", 2048);
	if (ob->brick_dir && !gn_path_ok(ob->brick_dir)) {
		free(ob->brick_dir);
		ob->brick_dir = NULL;
	}
	json_object_put(o);
	return 0;
}

void gp_obs_free(struct gp_obs *o)
{
	free(o->brick_dir);
	free(o->brick);
	free(o->brick_volume_id);
	free(o->error);
	memset(o, 0, sizeof *o);
}

static void record_from(json_object *o, struct gp_record *r)
{
	memset(r, 0, sizeof *r);
	r->role = jstr(o, "Role", 16);
	if (r->role && strcmp(r->role, GP_ROLE_BRICK) && strcmp(r->role, GP_ROLE_CLIENT)) {
		free(r->role);
		r->role = NULL;
	}
	r->brick = jstr(o, "Brick", 1024);
	if (r->brick && !gn_path_ok(r->brick)) {
		free(r->brick);
		r->brick = NULL;
	}
	r->host = jstr(o, "Host", 253);
	r->ready = jbool(o, "Ready");
	r->on_root = jbool(o, "OnRoot");
}

int gp_record_parse(const char *json, struct gp_record *r)
{
	json_object *o = parse_obj(json);
	record_from(o, r);
	json_object_put(o);
	return 0;
}

static int add_s(json_object *o, const char *k, const char *v)
{
	json_object *s = json_object_new_string(v ? v : "");
	if (!s)
		return -ENOMEM;
	json_object_object_add(o, k, s);
	return 0;
}

static char *dump(json_object *o)
{
	char *s = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	return s;
}

char *gp_record_json(const struct gp_record *r)
{
	json_object *o = json_object_new_object();
	if (!o)
		return NULL;
	if (add_s(o, "Role", r->role) < 0 || add_s(o, "Brick", r->brick) < 0 ||
	    add_s(o, "Host", r->host) < 0) {
		json_object_put(o);
		return NULL;
	}
	json_object_object_add(o, "Ready", json_object_new_boolean(r->ready));
	json_object_object_add(o, "OnRoot", json_object_new_boolean(r->on_root));
	return dump(o);
}

int gp_cluster_parse(const char *json, struct gp_other **out, size_t *n)
{
	json_object *a = json ? json_tokener_parse(json) : NULL;
	size_t len;

	*out = NULL;
	*n = 0;
	if (!a || !json_object_is_type(a, json_type_array)) {
		json_object_put(a);
		return 0; /* nothing known about the others */
	}
	len = json_object_array_length(a);
	if (len) {
		*out = calloc(len, sizeof **out);
		if (!*out) {
			json_object_put(a);
			return -ENOMEM;
		}
	}
	for (size_t i = 0; i < len; i++) {
		json_object *e = json_object_array_get_idx(a, i), *rec = jget(e, "Record");
		struct gp_other *o = &(*out)[*n];
		json_object *parsed = NULL;
		if (!json_object_is_type(e, json_type_object))
			continue;
		if (rec && json_object_is_type(rec, json_type_string))
			rec = parsed = parse_obj(json_object_get_string(rec));
		o->node_id = jstr(e, "NodeID", 256);
		o->ip = jstr(e, "IP", 64);
		record_from(rec && json_object_is_type(rec, json_type_object) ? rec : NULL, &o->rec);
		json_object_put(parsed);
		if (!o->node_id)
			o->node_id = jstr(e, "Hostname", 256);
		(*n)++;
	}
	json_object_put(a);
	return 0;
}

void gp_cluster_free(struct gp_other *o, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(o[i].node_id);
		free(o[i].ip);
		gp_record_free(&o[i].rec);
	}
	free(o);
}

char *gp_payload_json(const struct gp_cfg *cfg, const struct gx_volume *vol, const struct gp_answer *a)
{
	json_object *o = json_object_new_object(), *srv = json_object_new_array();
	if (!o || !srv)
		goto oom;
	json_object_object_add(o, "Version", json_object_new_int(1));
	if (add_s(o, "Volume", cfg->volume) < 0 || add_s(o, "VolumeId", vol ? vol->id : "") < 0 ||
	    add_s(o, "Mount", cfg->mount) < 0 ||
	    add_s(o, "Brick", a->brick) < 0 || add_s(o, "Step", gp_step_name(a->step)) < 0 ||
	    add_s(o, "Error", a->error) < 0)
		goto oom;
	json_object_object_add(o, "BrickInVolume", json_object_new_boolean(a->brick_in_volume));
	for (size_t i = 0; i < a->n_servers; i++)
		json_object_array_add(srv, json_object_new_string(a->servers[i]));
	json_object_object_add(o, "Servers", srv);
	return dump(o);
oom:
	json_object_put(o);
	json_object_put(srv);
	return NULL;
}
