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

/* Replace a->message (or a->error) with a formatted text; -ENOMEM. */
static int set_text(char **dst, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int set_text(char **dst, const char *fmt, ...)
{
	char *t = NULL;
	va_list ap;
	va_start(ap, fmt);
	if (vasprintf(&t, fmt, ap) < 0)
		t = NULL;
	va_end(ap);
	if (!t)
		return -ENOMEM;
	free(*dst);
	*dst = t;
	return 0;
}

/* The node waits for the controller: come back after `retry` seconds. */
static void wait_for(struct gp_answer *a, enum gp_step step, int retry, enum gp_action action)
{
	a->step = step;
	a->waiting = true;
	a->retry_after = retry;
	a->action = action;
}

/* A stop a person must clear: the text is both the error and the message. */
static int refuse(struct gp_answer *a, enum gp_action action)
{
	wait_for(a, GP_ERROR, 30, action);
	return (a->message = strdup(a->error)) ? 1 : -ENOMEM;
}

/* Step 1: what stops every decision (no state yet, glusterd unreadable,
 * no volume, a layout we cannot grow, a brick named by an address the
 * node no longer has).  1: answered, 0: go on, -ENOMEM. */
static int decide_preconditions(const struct gp_cfg *cfg, const struct gp_view *view, const struct gp_node *node,
				struct gp_answer *a)
{
	const struct gx_volume *vol = view->vol;
	const struct gp_record *rec = &node->rec;
	const char *why;

	if (!view->loaded) {
		wait_for(a, GP_WAIT, 2, GP_REFRESH);
		return set_text(&a->message, "reading the GlusterFS state on the controller") < 0 ? -ENOMEM : 1;
	}
	if (view->error) {
		wait_for(a, GP_WAIT, 5, GP_REFRESH);
		if (set_text(&a->error, "the controller cannot read the GlusterFS state: %s", view->error) < 0 ||
		    set_text(&a->message, "%s", a->error) < 0)
			return -ENOMEM;
		return 1;
	}
	if (!view->vol_exists || !vol) {
		if (set_text(&a->error, "GlusterFS volume %s does not exist on the controller: run `clusterctl master "
					"init --enable-glusterfs` on the master first (it creates, starts and mounts "
					"the volume)",
			     cfg->volume) < 0)
			return -ENOMEM;
		return refuse(a, GP_REFRESH);
	}
	if ((why = gp_layout_problem(vol, cfg->replica))) {
		if (set_text(&a->error, "GlusterFS volume %s exists with a layout clusterctl cannot manage: %s (%s, %zu "
					"bricks, replica %d, wanted replica %d). clusterctl never reshapes or deletes "
					"an existing volume: choose another --gluster-volume, or set --gluster-replica "
					"to match it",
			     vol->name, why, vol->type_str, vol->n_bricks, vol->replica_count, cfg->replica) < 0)
			return -ENOMEM;
		return refuse(a, GP_NONE);
	}
	/* Bricks are named by address: a node that comes back from another
	 * address cannot serve its old brick. */
	if (rec->role && strcmp(rec->role, GP_ROLE_BRICK) == 0 && rec->host && rec->brick &&
	    strcmp(rec->host, node->ip) != 0 && gx_volume_find_brick(vol, rec->host, rec->brick)) {
		if (set_text(&a->error, "this node's brick is %s:%s in volume %s, but the node now registers from %s. "
					"GlusterFS names bricks by address: give the node its old address back (or "
					"register it with --ip %s)",
			     rec->host, rec->brick, vol->name, node->ip, rec->host) < 0)
			return -ENOMEM;
		return refuse(a, GP_NONE);
	}
	return 0;
}

/* Hosts that hold a brick of the volume or were promised one. */
static size_t brick_hosts(const struct gx_volume *vol, const struct gp_node *node)
{
	size_t hosts = 0;
	for (size_t i = 0; i < vol->n_bricks; i++) {
		bool seen = false;
		for (size_t j = 0; j < i && !seen; j++)
			seen = strcmp(vol->bricks[j].host, vol->bricks[i].host) == 0;
		hosts += !seen;
	}
	for (size_t i = 0; i < node->n_others; i++) {
		const struct gp_record *o = &node->others[i].rec;
		if (o->role && strcmp(o->role, GP_ROLE_BRICK) == 0 && o->host && strcmp(o->host, node->ip) != 0 &&
		    !host_in_volume(vol, o->host))
			hosts++;
	}
	return hosts;
}

/* Step 2: brick or client.  What the volume already holds, then what was
 * decided before (stable across restarts), then a new decision.  A
 * stored "client" binds only while the node cannot host a brick: a node
 * that joined with glusterd stopped and has it running now is decided
 * again, and gets a brick if the volume still lacks one.  Sets a->role,
 * a->brick and the record; *mine is the node's brick in the volume. */
static int choose_role(const struct gp_cfg *cfg, const struct gx_volume *vol, const struct gp_node *node,
		       struct gp_answer *a, const struct gx_brick **mine)
{
	const struct gp_record *rec = &node->rec;
	bool brick_role = false;
	char *path = NULL;

	*mine = gx_volume_find_brick(vol, node->ip, NULL);
	if (*mine) {
		brick_role = true;
		path = strdup((*mine)->path);
	} else if (rec->role && ((strcmp(rec->role, GP_ROLE_CLIENT) == 0 && !node->capable) ||
				 (strcmp(rec->role, GP_ROLE_BRICK) == 0 && rec->brick))) {
		brick_role = strcmp(rec->role, GP_ROLE_BRICK) == 0;
		path = brick_role ? strdup(rec->brick) : NULL;
	} else if (node->capable && (brick_hosts(vol, node) < (size_t)cfg->replica || cfg->extra_bricks)) {
		const char *dir = node->obs.brick_dir && gn_path_ok(node->obs.brick_dir) ? node->obs.brick_dir
											  : cfg->brick_dir;
		brick_role = true;
		path = cc_strdupf("%s/%s", strcmp(dir, "/") == 0 ? "" : dir, cfg->volume);
	}
	if (brick_role && !path)
		return -ENOMEM;
	a->role = brick_role ? GP_ROLE_BRICK : GP_ROLE_CLIENT;
	a->brick = path;
	if (!(a->rec.role = strdup(a->role)) || !(a->rec.host = strdup(node->ip)) ||
	    (a->brick && !(a->rec.brick = strdup(a->brick))))
		return -ENOMEM;
	a->rec.on_root = node->obs.brick_on_root;
	return 0;
}

/* A stopped volume is started before anything is mounted.  1: it is
 * (the answer says so), 0: it runs, -ENOMEM. */
static int answer_start(const struct gx_volume *vol, struct gp_answer *a)
{
	if (vol->status == 1)
		return 0;
	wait_for(a, GP_WAIT, 2, GP_START);
	return set_text(&a->message, "starting volume %s", vol->name) < 0 ? -ENOMEM : 1;
}

/* Step 3a: a brick that is not in the volume yet: prepared by the node,
 * its glusterd up, its host probed into the pool. 1: answered (the node
 * or the pool is not there yet), 0: ready to be added, -ENOMEM. */
static int answer_brick_readiness(const struct gp_view *view, const struct gp_node *node, struct gp_answer *a)
{
	const struct gx_volume *vol = view->vol;
	const struct gx_peer *peer;
	const char *last = node->obs.error && *node->obs.error ? node->obs.error : NULL;

	if (node->obs.brick_volume_id && strcasecmp(node->obs.brick_volume_id, vol->id) != 0) {
		if (set_text(&a->error, "the brick %s on %s already belongs to another GlusterFS volume (volume-id %s, "
					"volume %s is %s). clusterctl never deletes bricks: clear it by hand (see "
					"clusterctl-gluster(7), RECOVERY) or give the node another --gluster-brick-dir",
			     a->brick, node->ip, node->obs.brick_volume_id, vol->name, vol->id) < 0)
			return -ENOMEM;
		return refuse(a, GP_NONE);
	}
	if (node->obs.brick_volume_id && !view->busy) {
		/* The volume's own id on a brick not in it: a failed add-brick
		 * left it, and every add-brick would fail on it.  The node
		 * clears it while preparing, if the brick never served.  Never
		 * while a change runs: an add-brick in flight tags the brick
		 * before the volume lists it. */
		a->step = GP_PREPARE;
		return set_text(&a->message, "the brick %s carries volume %s's id from a failed add-brick: prepare "
					     "it again%s%s%s",
				a->brick, vol->name, last ? " (last attempt: " : "", last ? last : "", last ? ")" : "") < 0
			       ? -ENOMEM
			       : 1;
	}
	if (!node->obs.brick || strcmp(node->obs.brick, a->brick) != 0) {
		a->step = GP_PREPARE;
		if (last)
			return set_text(&a->message, "prepare the brick %s (last attempt: %s)", a->brick, last) < 0 ? -ENOMEM : 1;
		return set_text(&a->message, "prepare the brick %s, then register again", a->brick) < 0 ? -ENOMEM : 1;
	}
	if (!node->obs.glusterd) {
		a->step = GP_PREPARE;
		return set_text(&a->message, "glusterd must run on brick node %s before it can join the pool "
					     "(systemctl enable --now glusterd)",
				node->ip) < 0
			       ? -ENOMEM
			       : 1;
	}
	peer = gx_peers_find(view->peers, node->ip);
	if (!peer) {
		bool fatal = view->probe_error && view->probe_errno == EEXIST;
		wait_for(a, fatal ? GP_ERROR : GP_WAIT, fatal ? 30 : view->probe_error ? 5 : 2, GP_NONE);
		if (view->probe_error) {
			if (set_text(&a->error, "%s", view->probe_error) < 0 ||
			    set_text(&a->message, "%s", view->probe_error) < 0)
				return -ENOMEM;
		} else if (set_text(&a->message, "adding %s to the trusted storage pool", node->ip) < 0) {
			return -ENOMEM;
		}
		/* Probe unless one runs; after a refusal a person must act, and
		 * the probe only looks again now and then. */
		if (!view->probing || fatal) {
			a->action = GP_PROBE;
			if (!(a->peer = strdup(node->ip)))
				return -ENOMEM;
		}
		return 1;
	}
	if (peer->state != 3 || !peer->connected) {
		wait_for(a, GP_WAIT, 2, GP_REFRESH);
		return set_text(&a->message, "waiting for %s to reach 'Peer in Cluster' (now '%s', %s)", node->ip,
				*peer->state_str ? peer->state_str : "unknown",
				peer->connected ? "connected" : "disconnected") < 0
			       ? -ENOMEM
			       : 1;
	}
	a->rec.ready = true;
	if (view->busy) {
		wait_for(a, GP_WAIT, 2, GP_NONE);
		return set_text(&a->message, "waiting for another change of volume %s to finish", vol->name) < 0 ? -ENOMEM : 1;
	}
	return answer_start(vol, a);
}

/* The add-brick job: which bricks, the replica count, force for a root fs. */
static int plan_add_brick(const struct gp_view *view, struct gp_answer *a, int replica)
{
	wait_for(a, GP_WAIT, 2, GP_ADD_BRICK);
	a->replica = replica;
	a->expect_bricks = (int)view->vol->n_bricks;
	if (view->change_error && set_text(&a->error, "%s", view->change_error) < 0)
		return -ENOMEM;
	return 0;
}

static int add_brick_name(struct gp_answer *a, const char *host, const char *path)
{
	char *b = cc_strdupf("%s:%s", host, path);
	int r = b ? add_str(&a->bricks, &a->n_bricks, b) : -ENOMEM;
	free(b);
	return r;
}

/* Step 3b: grow the single replica set by this brick (add-brick replica
 * N+1). */
static int answer_grow_replica(const struct gp_view *view, const struct gp_node *node, struct gp_answer *a, int rc)
{
	const char *last = view->change_error;
	if (add_brick_name(a, node->ip, a->brick) < 0 || plan_add_brick(view, a, rc + 1) < 0)
		return -ENOMEM;
	a->force = node->obs.brick_on_root;
	return set_text(&a->message, "adding brick %s:%s to volume %s (replica %d)%s%s", node->ip, a->brick,
			view->vol->name, rc + 1, last ? "; last attempt: " : "", last ? last : "");
}

/* Step 3c: the volume reached its replica count through other nodes
 * since this one was picked: it becomes a client, for good. */
static int answer_demote_to_client(const struct gp_cfg *cfg, const struct gx_volume *vol, struct gp_answer *a)
{
	free(a->rec.role);
	free(a->rec.brick);
	free(a->brick);
	a->rec.brick = a->brick = NULL;
	a->rec.ready = false;
	a->role = GP_ROLE_CLIENT;
	if (!(a->rec.role = strdup(GP_ROLE_CLIENT)))
		return -ENOMEM;
	a->step = GP_MOUNT;
	return set_text(&a->message, "client of GlusterFS volume %s (it already has its %d replicas; the prepared "
				     "brick directory is left unused)",
			vol->name, cfg->replica);
}

/* Step 3d (extra-bricks): whole replica sets, once `replica` brick nodes
 * are ready; a client meanwhile. */
static int answer_add_set(const struct gp_cfg *cfg, const struct gp_view *view, const struct gp_node *node,
			  struct gp_answer *a)
{
	const struct gx_volume *vol = view->vol;
	struct cand *cands = calloc(node->n_others + 1, sizeof *cands);
	size_t n = 0;
	int r = -ENOMEM;

	if (!cands)
		return -ENOMEM;
	cands[n++] = (struct cand){node->node_id, node->ip, a->brick, node->obs.brick_on_root};
	for (size_t i = 0; i < node->n_others; i++) {
		const struct gp_other *o = &node->others[i];
		if (o->rec.role && strcmp(o->rec.role, GP_ROLE_BRICK) == 0 && o->rec.ready && o->rec.host &&
		    o->rec.brick && o->node_id && strcmp(o->rec.host, node->ip) && !host_in_volume(vol, o->rec.host) &&
		    gx_peers_find(view->peers, o->rec.host))
			cands[n++] = (struct cand){o->node_id, o->rec.host, o->rec.brick, o->rec.on_root};
	}
	if (n < (size_t)cfg->replica) {
		a->step = GP_MOUNT;
		r = set_text(&a->message, "brick %s is ready and joins volume %s when %zu more brick node(s) are "
					  "ready (bricks are added in sets of %d); a client meanwhile",
			     a->brick, vol->name, (size_t)cfg->replica - n, cfg->replica);
		goto out;
	}
	qsort(cands, n, sizeof *cands, cand_cmp);
	for (size_t i = 0; i < (size_t)cfg->replica; i++) {
		if (add_brick_name(a, cands[i].host, cands[i].brick) < 0)
			goto out;
		a->force |= cands[i].on_root;
	}
	if (plan_add_brick(view, a, 0) < 0)
		goto out;
	r = set_text(&a->message, "adding a replica set of %d bricks to volume %s%s%s", cfg->replica, vol->name,
		     view->change_error ? "; last attempt: " : "", view->change_error ? view->change_error : "");
out:
	free(cands);
	return r;
}

/* Steps 3b-3d: a ready brick that is not in the volume. */
static int answer_join_brick(const struct gp_cfg *cfg, const struct gp_view *view, const struct gp_node *node,
			     struct gp_answer *a)
{
	int rc = view->vol->replica_count < 1 ? 1 : view->vol->replica_count;

	if (view->vol->n_bricks == (size_t)rc && rc < cfg->replica)
		return answer_grow_replica(view, node, a, rc);
	if (!cfg->extra_bricks)
		return answer_demote_to_client(cfg, view->vol, a);
	return answer_add_set(cfg, view, node, a);
}

int gp_decide(const struct gp_cfg *cfg, const struct gp_view *view, const struct gp_node *node,
	      struct gp_answer *a)
{
	const struct gx_brick *mine;
	int r;

	memset(a, 0, sizeof *a);
	a->role = GP_ROLE_CLIENT;
	if ((r = decide_preconditions(cfg, view, node, a)) != 0)
		goto done;
	if ((r = set_servers(view->vol, a)) < 0 || (r = choose_role(cfg, view->vol, node, a, &mine)) < 0)
		goto done;
	if (strcmp(a->role, GP_ROLE_CLIENT) == 0) {
		if ((r = answer_start(view->vol, a)) != 0)
			goto done;
		a->step = GP_MOUNT;
		r = set_text(&a->message, "client of GlusterFS volume %s (no brick: %s)", view->vol->name,
			     node->capable ? "the volume has its bricks" : "the node is not GlusterCapable");
		goto done;
	}
	if (mine) {
		a->brick_in_volume = true;
		a->rec.ready = true;
		if ((r = answer_start(view->vol, a)) != 0)
			goto done;
		a->step = GP_MOUNT;
		r = set_text(&a->message, "brick %s:%s is in volume %s", node->ip, a->brick, view->vol->name);
		goto done;
	}
	if ((r = answer_brick_readiness(view, node, a)) != 0)
		goto done;
	r = answer_join_brick(cfg, view, node, a);
done:
	if (r < 0) {
		gp_answer_free(a);
		return -ENOMEM;
	}
	return 0;
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
