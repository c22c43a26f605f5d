/* storage "gluster": one replicated GlusterFS volume for the cluster,
 * driven through the real gluster CLI (`gluster --mode=script --xml`,
 * read with libxml2) and mount(8), only through the host services.
 *
 * ---- Contract with the core (StoragePayload / Observed.Storage) -------
 *
 * Who does what
 *   master init    master_prepare(): glusterd must answer; the master's
 *                  brick <brick-dir>/<volume> is prepared; the volume is
 *                  created with that one brick (if missing), started, and
 *                  mounted at <mount>.  Its bricks are named by the
 *                  master's address: the host key "node-ip" (--ip), else
 *                  the first CGNAT, then RFC 1918, then other address.
 *   master serve   plan() per registration, answers in well under 100 ms
 *                  from a snapshot; a background thread runs probe,
 *                  add-brick and start and refreshes the snapshot.
 *   node join      observe() before the first registration, then ensure()
 *                  on each StoragePayload; ensure()'s observed_json is
 *                  the next Observed.Storage.  Repeat until converged.
 *
 * Decisions (plan): a node whose address already names a brick of the
 * volume keeps it; otherwise the stored record decides (stable across
 * restarts); otherwise a GlusterCapable node gets a brick while the
 * volume plus the bricks already promised hold fewer than `replica`
 * hosts (or always, with extra-bricks); every other node is a client.
 * A brick joins only after the node reports it prepared (Observed.Brick
 * equal to the assigned path) and its glusterd running; the controller
 * then probes the node and waits for "Peer in Cluster" before
 * `add-brick replica N+1` (growing the single replica set up to
 * `replica`) or, with extra-bricks, before adding `replica` ready bricks
 * at once as a new replica set.
 *
 * StoragePayload (controller -> node; plan_out.payload_json), JSON object:
 *   Version        1
 *   Volume         volume name                         ("clusterctl")
 *   VolumeId       the volume's UUID ("" before it exists)
 *   Mount          where to mount it                   ("/data/GlusterFS/0001")
 *   Brick          this node's brick directory, "" for a client
 *   BrickInVolume  true once that brick is part of the volume
 *   Servers        volfile servers, primary first; [] until the volume is
 *                  started (then the node does not mount yet)
 *   Step           "prepare-brick": make Brick ready, report, come back
 *                  "wait":  the controller is working (probe, add-brick,
 *                           start) or waits for the peer; mount meanwhile
 *                  "mount": nothing left on the controller's side: mount
 *                           (and persist); converged once mounted
 *                  "error": the controller cannot go on; Error says why
 *                           and what to do; ensure() fails with it.
 *                           plan() itself returns -EIO with that text
 *                           (the core answers Status "error"), so a node
 *                           sees this step only from another controller
 *   Error          "" or the reason (also set on a "wait" after a failure)
 *
 * Observed.Storage (node -> controller; ensure_out.observed_json and
 * observe()), JSON object:
 *   Version        1
 *   Capable        the node can host a brick now: glusterd answers and
 *                  BrickDir exists, off the root file system unless
 *                  allow-root-brick (the agent sends it as GlusterCapable)
 *   Glusterd       the local glusterd answered `gluster pool list`
 *   BrickDir       the node's --gluster-brick-dir (the controller puts
 *                  the node's brick at BrickDir/<volume>)
 *   BrickOnRoot    BrickDir is on the root file system
 *   Brick          the brick directory the node has prepared ("" none)
 *   BrickVolumeId  its trusted.glusterfs.volume-id, "" when unset
 *   Mounted        the volume is mounted at Mount (fuse.glusterfs)
 *   Mount          the path that was checked
 *   MountPersisted the persistent mount entry is in place (persist-mount)
 *   Error          "" or why the last ensure() failed
 *
 * Record (plan_out.record_json, stored by the core per node and handed
 * back in plan_in.node and in node events, which keep the controller's
 * index of the brick nodes):
 *   {"Role":"brick"|"client","Brick":path,"Host":address the brick is
 *    named by,"Ready":brick prepared and peer in cluster,"OnRoot":bool}
 *
 * plan_out: storage_enabled 1; storage_volume/mount = the keys below;
 * storage_brick = Brick; waiting while the controller works for the
 * node, with retry_after (s); message says what is happening.
 *
 * Nothing here deletes a brick, a volume or a file.  Conflicts (a brick
 * of another volume, another mount at the path, a foreign volume layout,
 * a peer of another pool) are errors that name the cause and the fix.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <json-c/json.h>
#include <libxml/parser.h>

#include <clusterctl/plugin.h>

#include "cc-buf.h"
#include "cc-file.h"
#include "cc-net.h"
#include "gluster-cli.h"
#include "gluster-ctl.h"
#include "gluster-node.h"
#include "gluster-plan.h"
#include "plugin-json.h"

#define DEFAULT_VOLUME "clusterctl"
#define DEFAULT_BRICK_DIR "/data/glusterfs/bricks"
#define DEFAULT_MOUNT "/data/GlusterFS/0001"

static const struct clusterctl_config_key gluster_keys[] = {
	{"volume", CLUSTERCTL_CONFIG_STRING, DEFAULT_VOLUME, 0, 0,
	 "name of the GlusterFS volume (master)", 0},
	{"replica", CLUSTERCTL_CONFIG_INT, "3", 1, 8,
	 "replica count the volume grows to as brick nodes join (master)", 0},
	{"extra-bricks", CLUSTERCTL_CONFIG_BOOL, "false", 0, 0,
	 "beyond the replica count, add capable nodes' bricks in whole replica sets (master)", 0},
	{"brick-dir", CLUSTERCTL_CONFIG_STRING, DEFAULT_BRICK_DIR, 0, 0,
	 "mounted file system for bricks; the brick is <brick-dir>/<volume>", 0},
	{"allow-root-brick", CLUSTERCTL_CONFIG_BOOL, "false", 0, 0,
	 "accept a brick on the root file system", 0},
	{"mount", CLUSTERCTL_CONFIG_STRING, DEFAULT_MOUNT, 0, 0,
	 "where every node mounts the volume (master decides)", 0},
	{"persist-mount", CLUSTERCTL_CONFIG_BOOL, "false", 0, 0,
	 "write a persistent mount entry (fstab, _netdev, after glusterd)", 0},
	{"fstab", CLUSTERCTL_CONFIG_STRING, "/etc/fstab", 0, 0,
	 "file that receives the persistent mount entry", 0},
	{NULL, 0, NULL, 0, 0, NULL, 0},
};

struct gluster_state {
	const struct clusterctl_host *host;
	const char *volume, *brick_dir, *mount, *fstab;
	int replica;
	bool allow_root, persist, extra_bricks;
	bool told_not_capable; /* observe() explains it once per run */
	struct gp_cfg cfg;
	struct gl_ctl *ctl; /* controller side, created on the first plan() */
};

static const char *cfg_str(const struct clusterctl_host *h, const char *key, const char *dflt)
{
	const char *v = h->config_get(h->ctx, key);
	return v && *v ? v : dflt;
}

static bool cfg_bool(const struct clusterctl_host *h, const char *key)
{
	const char *v = h->config_get(h->ctx, key);
	return v && (strcmp(v, "true") == 0 || strcmp(v, "yes") == 0 || strcmp(v, "on") == 0 ||
		     strcmp(v, "1") == 0);
}

static int gluster_init(const struct clusterctl_host *host, void **state)
{
	struct gluster_state *st;
	const char *rep;
	char *end;
	long r;

	st = calloc(1, sizeof *st);
	if (!st)
		return -ENOMEM;
	st->host = host;
	st->volume = cfg_str(host, "volume", DEFAULT_VOLUME);
	st->brick_dir = cfg_str(host, "brick-dir", DEFAULT_BRICK_DIR);
	st->mount = cfg_str(host, "mount", DEFAULT_MOUNT);
	st->fstab = cfg_str(host, "fstab", "/etc/fstab");
	st->allow_root = cfg_bool(host, "allow-root-brick");
	st->persist = cfg_bool(host, "persist-mount");
	st->extra_bricks = cfg_bool(host, "extra-bricks");
	rep = cfg_str(host, "replica", "3");
	r = strtol(rep, &end, 10);
	if (*end || r < 1 || r > 8) {
		host->error(host->ctx, "--gluster-replica wants 1..8, got \"%s\"", rep);
		goto bad;
	}
	st->replica = (int)r;
	if (!gn_volume_name_ok(st->volume)) {
		host->error(host->ctx, "--gluster-volume \"%s\" is not a volume name (letters, "
				       "digits, '_' and '-', at most 64, not starting with '-')",
			    st->volume);
		goto bad;
	}
	if (!gn_path_ok(st->brick_dir) || strcmp(st->brick_dir, "/") == 0) {
		host->error(host->ctx, "--gluster-brick-dir \"%s\" must be an absolute path "
				       "other than / without blanks, '.' or '..'", st->brick_dir);
		goto bad;
	}
	if (!gn_path_ok(st->mount) || strcmp(st->mount, "/") == 0) {
		host->error(host->ctx, "--gluster-mount \"%s\" must be an absolute path other "
				       "than / without blanks, '.' or '..'", st->mount);
		goto bad;
	}
	if (!gn_path_ok(st->fstab)) {
		host->error(host->ctx, "--gluster-fstab \"%s\" must be an absolute path", st->fstab);
		goto bad;
	}
	st->cfg = (struct gp_cfg){.volume = st->volume,
				  .mount = st->mount,
				  .replica = st->replica,
				  .brick_dir = st->brick_dir,
				  .extra_bricks = st->extra_bricks};
	/* libxml2 must be initialised once before threads use it. */
	xmlInitParser();
	*state = st;
	return 0;
bad:
	free(st);
	return -EINVAL;
}

static void gluster_fini(void *state)
{
	struct gluster_state *st = state;
	if (!st)
		return;
	gl_ctl_free(st->ctl);
	free(st);
}

/* ---- node facts (Observed.Storage) ---------------------------------- */

struct facts {
	bool capable, glusterd, on_root, mounted, persisted;
	const char *brick;     /* borrowed */
	char *volume_id;
	const char *mount;
	const char *error;
};

static char *facts_json(const struct gluster_state *st, const struct facts *f)
{
	json_object *o = json_object_new_object();
	const char *s;
	char *out;
	if (!o)
		return NULL;
	json_object_object_add(o, "Version", json_object_new_int(1));
	json_object_object_add(o, "Capable", json_object_new_boolean(f->capable));
	json_object_object_add(o, "Glusterd", json_object_new_boolean(f->glusterd));
	json_object_object_add(o, "BrickDir", json_object_new_string(st->brick_dir));
	json_object_object_add(o, "BrickOnRoot", json_object_new_boolean(f->on_root));
	json_object_object_add(o, "Brick", json_object_new_string(f->brick ? f->brick : ""));
	json_object_object_add(o, "BrickVolumeId", json_object_new_string(f->volume_id ? f->volume_id : ""));
	json_object_object_add(o, "Mounted", json_object_new_boolean(f->mounted));
	json_object_object_add(o, "Mount", json_object_new_string(f->mount ? f->mount : ""));
	json_object_object_add(o, "MountPersisted", json_object_new_boolean(f->persisted));
	json_object_object_add(o, "Error", json_object_new_string(f->error ? f->error : ""));
	s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	out = s ? strdup(s) : NULL;
	json_object_put(o);
	return out;
}

static bool glusterd_up(const struct gluster_state *st, char **err)
{
	struct gx_peers p;
	char *e = NULL;
	int r = gcli_pool_list(st->host, &p, &e);
	if (r == 0)
		gx_peers_free(&p);
	if (err)
		*err = e;
	else
		free(e);
	return r == 0;
}

static bool is_mounted(const char *path, const char *volume)
{
	struct gn_mount m;
	bool found, ours;
	if (gn_mount_lookup("/proc/self/mountinfo", path, &m, &found) < 0 || !found)
		return false;
	ours = gn_mount_is_volume(&m, volume);
	gn_mount_free(&m);
	return ours;
}

/* ---- master address ------------------------------------------------- */

/* The address this host's brick is named by; malloc'd.  The host key
 * node-ip (--ip, else the core's own IP detection), else the best address
 * by the same ranking (host->ip_rank). */
static char *own_address(const struct gluster_state *st)
{
	const struct clusterctl_host *h = st->host;
	const char *ip = h->config_get(h->ctx, "node-ip");
	struct clusterctl_ifaddr *v = NULL;
	size_t n = 0;
	char *out = NULL;

	if (ip && *ip)
		return strdup(ip);
	if (h->ip_rank(h->ctx, NULL, &v, &n) == 0 && n)
		out = strdup(v[0].addr);
	free(v);
	return out;
}

/* ---- master init ---------------------------------------------------- */

/* Record the message (borrowed) as the op's error and return r. */
static int fail(const struct gluster_state *st, int r, const char *msg)
{
	st->host->error(st->host->ctx, "%s", msg ? msg : strerror(-r));
	return r;
}

static char **servers_of(const struct gx_volume *v, size_t *n)
{
	char **s = calloc(v->n_bricks + 1, sizeof *s);
	*n = 0;
	if (!s)
		return NULL;
	for (size_t i = 0; i < v->n_bricks; i++) {
		bool seen = false;
		for (size_t j = 0; j < *n && !seen; j++)
			seen = strcmp(s[j], v->bricks[i].host) == 0;
		if (!seen)
			s[(*n)++] = v->bricks[i].host; /* borrowed from v */
	}
	return s;
}

/* Mount (and persist when asked).  On failure *emsg says why. */
static int mount_and_persist(const struct gluster_state *st, const char *volume, const char *mount,
			     const char *const *servers, size_t n, bool holds_brick, bool *persisted,
			     char **emsg)
{
	char *opts, *source = NULL;
	bool changed;
	int r;

	*persisted = false;
	*emsg = NULL;
	if ((r = gn_mount_volume(st->host, volume, servers, n, mount, emsg)) < 0)
		return r;
	if (!st->persist)
		return 0;
	opts = gn_fstab_options(servers, n, holds_brick);
	if (!opts || asprintf(&source, "%s:/%s", servers[0], volume) < 0) {
		free(opts);
		*emsg = strdup("out of memory");
		return -ENOMEM;
	}
	r = gn_fstab_ensure(st->fstab, volume, source, mount, opts, &changed, emsg);
	free(opts);
	free(source);
	if (r < 0)
		return r;
	if (changed)
		st->host->log(st->host->ctx, CLUSTERCTL_LOG_INFO, "persistent mount entry written file=%s mount=%s",
			      st->fstab, mount);
	*persisted = true;
	return 0;
}

static int gluster_master_prepare(void *state, const char *options_json, struct clusterctl_ensure_out *out)
{
	struct gluster_state *st = state;
	const struct clusterctl_host *h = st->host;
	struct gx_volume vol;
	struct facts f = {.mount = st->mount};
	const struct gx_brick *mine = NULL;
	char *err = NULL, *addr = NULL, *brick = NULL, *bname = NULL, **servers = NULL;
	bool exists, created = false;
	size_t ns;
	int r;

	(void)options_json;
	memset(&vol, 0, sizeof vol);
	if (!glusterd_up(st, &err)) {
		r = fail(st, -ECONNREFUSED, err);
		goto out;
	}
	f.glusterd = true;
	free(err);
	err = NULL;
	addr = own_address(st);
	if (!addr || !gn_host_ok(addr)) {
		r = fail(st, -EADDRNOTAVAIL, "cannot tell which address names this host's brick: "
					     "pass --ip with the address every node reaches");
		goto out;
	}
	if ((r = gcli_volume_info(h, st->volume, &vol, &exists, &err)) < 0) {
		r = fail(st, r, err);
		goto out;
	}
	if (exists) {
		const char *why = gp_layout_problem(&vol, st->replica);
		if (why) {
			r = fail(st, -EEXIST, NULL);
			h->error(h->ctx, "volume %s already exists with a layout clusterctl cannot "
					 "manage: %s (%s, %zu bricks, replica %d; --gluster-replica is %d). "
					 "clusterctl never reshapes or deletes an existing volume: choose "
					 "another --gluster-volume, or set --gluster-replica to match",
				 vol.name, why, vol.type_str, vol.n_bricks, vol.replica_count, st->replica);
			goto out;
		}
		mine = gx_volume_find_brick(&vol, addr, NULL);
		if (mine) {
			/* our brick: its attribute must be this volume's */
			char *id = NULL;
			if ((r = gn_read_volume_id(mine->path, &id, &err)) < 0) {
				r = fail(st, r, err);
				goto out;
			}
			if (id && strcasecmp(id, vol.id) != 0) {
				r = fail(st, -EEXIST, NULL);
				h->error(h->ctx, "the brick %s carries volume-id %s, but volume %s "
						 "is %s: the brick directory was replaced; see "
						 "clusterctl-gluster(7), RECOVERY", mine->path, id, vol.name, vol.id);
				free(id);
				goto out;
			}
			if (!id)
				h->log(h->ctx, CLUSTERCTL_LOG_WARN, "brick %s has no volume-id attribute: is "
					    "its file system mounted? (gluster volume status %s)",
				       mine->path, vol.name);
			f.brick = mine->path;
			f.volume_id = id;
		} else {
			h->log(h->ctx, CLUSTERCTL_LOG_WARN, "volume %s exists and has no brick on %s: this "
				    "host is a client of it", vol.name, addr);
		}
	} else {
		if (asprintf(&brick, "%s/%s", st->brick_dir, st->volume) < 0) {
			r = fail(st, -ENOMEM, NULL);
			goto out;
		}
		/* A brick of a volume that does not exist is another volume's. */
		r = gn_brick_prepare(st->brick_dir, brick, st->allow_root, NULL, st->volume,
				     &f.volume_id, &f.on_root, &err);
		if (r < 0) {
			r = fail(st, r, err);
			goto out;
		}
		if (f.volume_id) {
			r = fail(st, -EEXIST, NULL);
			h->error(h->ctx, "the brick %s carries the trusted.glusterfs.volume-id %s of a volume this pool "
					 "does not have (a deleted volume, or a failed create). clusterctl "
					 "never wipes a brick: if its data is not needed, clear it by hand "
					 "(see clusterctl-gluster(7), RECOVERY), or use another "
					 "--gluster-brick-dir", brick, f.volume_id);
			goto out;
		}
		if (asprintf(&bname, "%s:%s", addr, brick) < 0) {
			r = fail(st, -ENOMEM, NULL);
			goto out;
		}
		h->log(h->ctx, CLUSTERCTL_LOG_INFO, "gluster volume create volume=%s brick=%s", st->volume, bname);
		r = gcli_volume_create(h, st->volume, 1, (const char *const *)&bname, 1,
				       f.on_root && st->allow_root, NULL, &err);
		if (r < 0 && r != -EEXIST) {
			r = fail(st, r, err);
			goto out;
		}
		free(err);
		err = NULL;
		created = r == 0;
		if ((r = gcli_volume_info(h, st->volume, &vol, &exists, &err)) < 0 || !exists) {
			r = fail(st, r < 0 ? r : -ENOENT, err ? err : "the volume vanished after create");
			goto out;
		}
		mine = gx_volume_find_brick(&vol, addr, NULL);
		f.brick = mine ? mine->path : NULL;
		free(f.volume_id);
		f.volume_id = NULL;
		if (mine)
			gn_read_volume_id(mine->path, &f.volume_id, &err);
		free(err);
		err = NULL;
	}
	if (vol.status != 1) {
		h->log(h->ctx, CLUSTERCTL_LOG_INFO, "gluster volume start volume=%s", st->volume);
		if ((r = gcli_volume_start(h, st->volume, &err)) < 0) {
			r = fail(st, r, err);
			goto out;
		}
	}
	servers = servers_of(&vol, &ns);
	if (!servers) {
		r = fail(st, -ENOMEM, NULL);
		goto out;
	}
	/* this host first: the master serves its own volfile */
	for (size_t i = 1; i < ns; i++) {
		if (strcmp(servers[i], addr) == 0) {
			char *t = servers[0];
			servers[0] = servers[i];
			servers[i] = t;
		}
	}
	if ((r = mount_and_persist(st, st->volume, st->mount, (const char *const *)servers, ns,
				   mine != NULL, &f.persisted, &err)) < 0) {
		r = fail(st, r, err);
		goto out;
	}
	f.mounted = true;
	f.capable = f.brick != NULL;
	out->converged = 1;
	out->observed_json = facts_json(st, &f);
	if (asprintf(&out->message, "GlusterFS volume %s %s (%s, %zu brick(s), growing to replica %d), "
				    "mounted at %s", st->volume, created ? "created and started" : "started",
		     vol.type_str, vol.n_bricks, st->replica, st->mount) < 0)
		out->message = NULL;
	h->log(h->ctx, CLUSTERCTL_LOG_INFO, "%s", out->message ? out->message : "gluster ready");
	r = 0;
out:
	free(err);
	free(addr);
	free(brick);
	free(bname);
	free(servers);
	free(f.volume_id);
	gx_volume_free(&vol);
	return r;
}

/* ---- controller ------------------------------------------------------- */

static int ctl_of(struct gluster_state *st)
{
	if (!st->ctl && gl_ctl_new(st->host, &st->cfg, &st->ctl) < 0) {
		st->host->error(st->host->ctx, "out of memory");
		return -ENOMEM;
	}
	return 0;
}

static int gluster_plan(void *state, const struct clusterctl_plan_in *in, struct clusterctl_plan_out *out)
{
	struct gluster_state *st = state;
	int r = ctl_of(st);
	return r < 0 ? r : gl_ctl_plan(st->ctl, in, out);
}

static int gluster_node_event(void *state, int kind, const struct clusterctl_node *node)
{
	struct gluster_state *st = state;
	int r = ctl_of(st);
	return r < 0 ? r : gl_ctl_event(st->ctl, kind, node);
}

static int gluster_forget(void *state, const struct clusterctl_node *node, uint32_t flags, char **message)
{
	struct gluster_state *st = state;
	int r = ctl_of(st);
	return r < 0 ? r : gl_ctl_forget(st->ctl, node, flags, message);
}

/* ---- node ------------------------------------------------------------- */

struct payload {
	char *volume, *volume_id, *mount, *brick, *step, *error;
	bool brick_in_volume;
	char **servers;
	size_t n_servers;
};

static void payload_free(struct payload *p)
{
	free(p->volume);
	free(p->volume_id);
	free(p->mount);
	free(p->brick);
	free(p->step);
	free(p->error);
	for (size_t i = 0; i < p->n_servers; i++)
		free(p->servers[i]);
	free(p->servers);
	memset(p, 0, sizeof *p);
}

static json_object *jget(json_object *o, const char *key)
{
	json_object_object_foreach(o, k, v)
	{
		if (strcasecmp(k, key) == 0)
			return v;
	}
	return NULL;
}

static char *jstr(json_object *o, const char *key)
{
	json_object *v = jget(o, key);
	if (!v || !json_object_is_type(v, json_type_string))
		return strdup("");
	return strdup(json_object_get_string(v));
}

/* Every field is checked: the payload decides paths we create and mount. */
static int payload_parse(const char *json, struct payload *p, char **err)
{
	json_object *o = json ? json_tokener_parse(json) : NULL, *srv, *b;
	int r = -EINVAL;

	memset(p, 0, sizeof *p);
	*err = NULL;
	if (!o || !json_object_is_type(o, json_type_object)) {
		*err = strdup("the StoragePayload is not a JSON object");
		goto out;
	}
	p->volume = jstr(o, "Volume");
	p->volume_id = jstr(o, "VolumeId");
	p->mount = jstr(o, "Mount");
	p->brick = jstr(o, "Brick");
	p->step = jstr(o, "Step");
	p->error = jstr(o, "Error");
	b = jget(o, "BrickInVolume");
	p->brick_in_volume = b && json_object_is_type(b, json_type_boolean) && json_object_get_boolean(b);
	if (!p->volume || !p->volume_id || !p->mount || !p->brick || !p->step || !p->error) {
		r = -ENOMEM;
		goto out;
	}
	if (strcmp(p->step, "error") == 0) {
		r = 0; /* only Error matters */
		goto out;
	}
	if (!gn_volume_name_ok(p->volume) || !gn_path_ok(p->mount) || strcmp(p->mount, "/") == 0 ||
	    (*p->brick && !gn_path_ok(p->brick)) || strlen(p->volume_id) > 64 ||
	    (strcmp(p->step, "prepare-brick") && strcmp(p->step, "wait") && strcmp(p->step, "mount"))) {
		if (asprintf(err, "the StoragePayload is invalid (Volume \"%.64s\", Mount \"%.256s\", "
				  "Brick \"%.256s\", Step \"%.32s\")", p->volume, p->mount, p->brick, p->step) < 0)
			*err = NULL;
		goto out;
	}
	for (const char *c = p->volume_id; *c; c++)
		if (!strchr("0123456789abcdefABCDEF-", *c)) {
			*err = strdup("the StoragePayload's VolumeId is not a UUID");
			goto out;
		}
	srv = jget(o, "Servers");
	if (srv && json_object_is_type(srv, json_type_array)) {
		size_t n = json_object_array_length(srv);
		if (n > 64) {
			*err = strdup("the StoragePayload lists more than 64 servers");
			goto out;
		}
		p->servers = calloc(n + 1, sizeof *p->servers);
		if (!p->servers) {
			r = -ENOMEM;
			goto out;
		}
		for (size_t i = 0; i < n; i++) {
			json_object *e = json_object_array_get_idx(srv, i);
			const char *s = json_object_is_type(e, json_type_string) ? json_object_get_string(e) : NULL;
			if (!gn_host_ok(s)) {
				*err = strdup("the StoragePayload lists an invalid server address");
				goto out;
			}
			if (!(p->servers[p->n_servers] = strdup(s))) {
				r = -ENOMEM;
				goto out;
			}
			p->n_servers++;
		}
	}
	r = 0;
out:
	json_object_put(o);
	if (r < 0 && !*err)
		*err = strdup(r == -ENOMEM ? "out of memory" : "the StoragePayload is invalid");
	return r;
}

/* The last payload, so observe() after a restart reports the brick. */
static void payload_save(const struct gluster_state *st, const char *json)
{
	const char *dir = st->host->data_dir(st->host->ctx);
	char *path = dir ? cc_strdupf("%s/payload.json", dir) : NULL;
	int r;

	if (!path)
		return;
	/* A cache: observe() without it reports no brick until the next
	 * plan, so a failed write is a warning, not a failed ensure. */
	r = cc_write_file_atomic(path, json, strlen(json), 0600);
	if (r < 0)
		st->host->log(st->host->ctx, CLUSTERCTL_LOG_WARN, "cannot save %s: %s", path, strerror(-r));
	free(path);
}

static char *payload_load(const struct gluster_state *st)
{
	const char *dir = st->host->data_dir(st->host->ctx);
	char *path = NULL, *buf = NULL;
	FILE *f;
	size_t n;
	if (!dir || asprintf(&path, "%s/payload.json", dir) < 0)
		return NULL;
	f = fopen(path, "re");
	free(path);
	if (!f)
		return NULL;
	buf = calloc(1, 65537);
	if (buf) {
		n = fread(buf, 1, 65536, f);
		buf[n] = '\0';
	}
	fclose(f);
	return buf;
}

static int gluster_observe(void *state, char **observed_json)
{
	struct gluster_state *st = state;
	struct facts f = {.mount = st->mount};
	struct payload p;
	char *saved = payload_load(st), *err = NULL;
	const char *volume = st->volume;
	bool exists;

	memset(&p, 0, sizeof p);
	f.glusterd = glusterd_up(st, NULL);
	gn_brick_dir_state(st->brick_dir, &exists, &f.on_root, &err);
	free(err);
	err = NULL;
	/* GlusterCapable: this node can host a brick right now.  Without a
	 * provisioned brick file system it is a client, which is no error. */
	f.capable = f.glusterd && exists && (!f.on_root || st->allow_root);
	if (!f.capable && !st->told_not_capable) {
		st->told_not_capable = true;
		/* A brick file system without glusterd looks like a brick node
		 * whose daemon is down: say so louder than for a plain client. */
		if (exists && !f.glusterd)
			st->host->log(st->host->ctx, CLUSTERCTL_LOG_WARN,
				      "glusterd is not running, so this node cannot host a brick although "
				      "%s exists: start it (systemctl enable --now glusterd) and run node "
				      "join again; until then this node is a GlusterFS client only",
				      st->brick_dir);
		else
			st->host->log(st->host->ctx, CLUSTERCTL_LOG_INFO,
				      "this node can be a GlusterFS client only: %s",
				      !f.glusterd ? "glusterd is not running (systemctl enable --now glusterd)"
				      : !exists   ? "the brick directory (--gluster-brick-dir) does not exist; "
						    "mount a disk there to host a brick"
						  : "the brick directory is on the root file system "
						    "(--gluster-allow-root-brick accepts it)");
	}
	if (saved && payload_parse(saved, &p, &err) == 0 && strcmp(p.step, "error") != 0) {
		struct stat sb;
		volume = p.volume;
		f.mount = p.mount;
		if (*p.brick && stat(p.brick, &sb) == 0 && S_ISDIR(sb.st_mode) &&
		    (!f.on_root || st->allow_root)) {
			f.brick = p.brick;
			gn_read_volume_id(p.brick, &f.volume_id, &err);
		}
	}
	free(err);
	f.mounted = is_mounted(f.mount, volume);
	*observed_json = facts_json(st, &f);
	free(f.volume_id);
	payload_free(&p);
	free(saved);
	return *observed_json ? 0 : -ENOMEM;
}

/* Does this host's glusterd list `path` as one of its own bricks of
 * `volume`?  1 yes, 0 no, <0 it cannot tell (*err says why).  Bricks are
 * matched by the host UUID, so the address the brick is named by does not
 * matter.  The node asks before it clears a volume-id: the controller's
 * word that the brick is not in the volume is only as fresh as its last
 * read, and clearing the tag of a brick that is in stops its brick
 * process for good. */
static int brick_listed_here(const struct gluster_state *st, const char *volume, const char *path, char **err)
{
	struct gx_peers p;
	struct gx_volume v;
	const struct gx_peer *self;
	bool exists = false;
	int r, found = 0;

	if ((r = gcli_pool_list(st->host, &p, err)) < 0)
		return r;
	if (!(self = gx_peers_find(&p, "localhost"))) {
		gx_peers_free(&p);
		*err = strdup("glusterd's pool list has no local entry");
		return -EPROTO;
	}
	r = gcli_volume_info(st->host, volume, &v, &exists, err);
	for (size_t i = 0; r == 0 && exists && i < v.n_bricks && !found; i++)
		found = v.bricks[i].host_uuid && v.bricks[i].path &&
			strcasecmp(v.bricks[i].host_uuid, self->uuid) == 0 && strcmp(v.bricks[i].path, path) == 0;
	gx_volume_free(&v);
	gx_peers_free(&p);
	return r < 0 ? r : found;
}

/* The controller sends back a brick that carries the volume's own id but
 * is not in the volume: a failed add-brick's tag.  Clear it when this
 * host's glusterd agrees the brick is not in and it never served (see
 * gn_brick_clear_unserved); *volume_id follows what is on the brick. */
static int drop_failed_add_tag(const struct gluster_state *st, const struct payload *p, char **volume_id,
			       char **err)
{
	int r = brick_listed_here(st, p->volume, p->brick, err);

	if (r < 0) {
		char *why = *err;
		*err = cc_strdupf("the brick %s carries volume %s's id and the controller says it is not in the "
			      "volume, but this host's glusterd cannot confirm that (%s); the id stays and the "
			      "next run asks again",
			      p->brick, p->volume, why ? why : "no answer");
		free(why);
		return r;
	}
	if (r == 1) {
		/* in after all: keep the tag, the next plan sees it */
		st->host->log(st->host->ctx, CLUSTERCTL_LOG_INFO,
			      "gluster brick %s is in volume %s here: its volume-id stays", p->brick, p->volume);
		return 0;
	}
	if ((r = gn_brick_clear_unserved(p->brick, p->volume_id, err)) != 1)
		return r;
	st->host->log(st->host->ctx, CLUSTERCTL_LOG_WARN,
		      "gluster cleared the volume-id %s a failed add-brick left on the brick %s (it never served)",
		      *volume_id, p->brick);
	free(*volume_id);
	*volume_id = NULL;
	return 0;
}

static int gluster_ensure(void *state, const char *payload_json, struct clusterctl_ensure_out *out)
{
	struct gluster_state *st = state;
	const struct clusterctl_host *h = st->host;
	struct facts f = {.mount = st->mount};
	struct payload p;
	char *err = NULL;
	bool exists;
	int r;

	memset(&p, 0, sizeof p);
	if ((r = payload_parse(payload_json, &p, &err)) < 0) {
		r = fail(st, r, err);
		goto out;
	}
	if (strcmp(p.step, "error") == 0) {
		h->error(h->ctx, "the controller cannot go on: %s",
			 *p.error ? p.error : "no reason given");
		r = -EIO;
		goto out;
	}
	payload_save(st, payload_json);
	f.mount = p.mount;
	f.glusterd = glusterd_up(st, *p.brick ? &err : NULL);
	{
		char *e = NULL;
		gn_brick_dir_state(st->brick_dir, &exists, &f.on_root, &e);
		free(e);
		f.capable = f.glusterd && exists && (!f.on_root || st->allow_root);
	}
	if (*p.brick) {
		/* A brick node serves its brick through its own glusterd. */
		if (!f.glusterd) {
			f.error = err;
			r = fail(st, -ECONNREFUSED, err ? err : "glusterd is not running");
			goto out;
		}
		free(err);
		err = NULL;
		r = gn_brick_prepare(st->brick_dir, p.brick, st->allow_root,
				     *p.volume_id ? p.volume_id : NULL, p.volume, &f.volume_id,
				     &f.on_root, &err);
		if (r == 0 && f.volume_id && *p.volume_id && !p.brick_in_volume &&
		    strcmp(p.step, "prepare-brick") == 0)
			r = drop_failed_add_tag(st, &p, &f.volume_id, &err);
		if (r < 0) {
			f.error = err;
			r = fail(st, r, err);
			goto out;
		}
		f.brick = p.brick;
	}
	free(err);
	err = NULL;
	if (p.n_servers) {
		if ((r = mount_and_persist(st, p.volume, p.mount, (const char *const *)p.servers,
					   p.n_servers, *p.brick != '\0', &f.persisted, &err)) < 0) {
			f.error = err;
			r = fail(st, r, err ? err : "mount failed");
			goto out;
		}
		f.mounted = true;
	} else {
		f.mounted = is_mounted(p.mount, p.volume);
	}
	out->converged = strcmp(p.step, "mount") == 0 && f.mounted;
	/* Not there yet: the controller works on it (its answers pace the
	 * node with RetryAfter), so register again at once. */
	if (!out->converged)
		out->flags |= CLUSTERCTL_ENSURE_MORE;
	if (out->converged)
		r = asprintf(&out->message, "GlusterFS volume %s mounted at %s%s%s%s", p.volume, p.mount,
			     *p.brick ? (p.brick_in_volume ? "; brick " : "; brick (waiting for a replica set) ") : "",
			     p.brick, f.persisted ? "; persistent mount entry in place" : "");
	else
		r = asprintf(&out->message, "GlusterFS: %s%s%s", strcmp(p.step, "prepare-brick") == 0
								  ? "brick prepared at "
								  : "waiting for the controller; brick ",
			     *p.brick ? p.brick : "(none)", f.mounted ? ", volume mounted" : "");
	if (r < 0)
		out->message = NULL;
	r = 0;
out:
	out->observed_json = facts_json(st, &f);
	free(err);
	free(f.volume_id);
	payload_free(&p);
	return r;
}

/* This host's bricks of the volume: whether their processes run, and
 * the entries the self-heal daemon still has to copy to or from them
 * (clusterctl status, via the heartbeat).  Only where glusterd runs; a
 * failing query leaves its keys out rather than fail the status. */
static void local_brick_health(const struct gluster_state *st, json_object *o)
{
	struct gx_peers peers;
	struct gx_brick_states bs = {0};
	struct gx_heal heal = {0};
	const char *self = NULL;
	char *err = NULL;
	int n = 0, online = 0;
	long long pending = 0, split = 0;
	bool counted = false;

	if (gcli_pool_list(st->host, &peers, &err) < 0)
		goto out;
	for (size_t i = 0; i < peers.n && !self; i++)
		if (strcmp(peers.v[i].hostname, "localhost") == 0)
			self = peers.v[i].uuid;
	if (!self || gcli_volume_status(st->host, st->volume, &bs, &err) < 0)
		goto out_peers;
	for (size_t i = 0; i < bs.n; i++)
		if (strcmp(bs.v[i].peer_id, self) == 0) {
			n++;
			online += bs.v[i].online;
		}
	json_object_object_add(o, "Bricks", json_object_new_int(n));
	json_object_object_add(o, "BricksOnline", json_object_new_int(online));
	if (!n || gcli_heal_summary(st->host, st->volume, &heal, &err) < 0)
		goto out_peers;
	for (size_t i = 0; i < heal.n; i++) {
		if (strcmp(heal.v[i].host_uuid, self) != 0 || heal.v[i].pending < 0)
			continue;
		pending += heal.v[i].pending;
		split += heal.v[i].split_brain > 0 ? heal.v[i].split_brain : 0;
		counted = true;
	}
	if (counted) {
		json_object_object_add(o, "HealPending", json_object_new_int64(pending));
		json_object_object_add(o, "SplitBrain", json_object_new_int64(split));
	}
out_peers:
	gx_peers_free(&peers);
out:
	gx_brick_states_free(&bs);
	gx_heal_free(&heal);
	free(err);
}

static int gluster_status(void *state, char **status_json)
{
	struct gluster_state *st = state;
	json_object *o = json_object_new_object();
	const char *s;
	bool up;

	if (!o)
		return -ENOMEM;
	json_object_object_add(o, "Storage", json_object_new_string("gluster"));
	json_object_object_add(o, "Volume", json_object_new_string(st->volume));
	json_object_object_add(o, "Mount", json_object_new_string(st->mount));
	json_object_object_add(o, "Mounted", json_object_new_boolean(is_mounted(st->mount, st->volume)));
	up = glusterd_up(st, NULL);
	json_object_object_add(o, "Glusterd", json_object_new_boolean(up));
	if (up && !st->ctl)
		local_brick_health(st, o);
	json_object_object_add(o, "BrickDir", json_object_new_string(st->brick_dir));
	json_object_object_add(o, "Replica", json_object_new_int(st->replica));
	/* jobs of the controller still queued or running (0 on a node) */
	json_object_object_add(o, "Busy", json_object_new_int(st->ctl ? gl_ctl_busy(st->ctl) : 0));
	s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	*status_json = s ? strdup(s) : NULL;
	json_object_put(o);
	return *status_json ? 0 : -ENOMEM;
}

static const struct clusterctl_plugin gluster_plugin = {
	CLUSTERCTL_PLUGIN_HEADER(CLUSTERCTL_PLUGIN_STORAGE, "gluster", "1.0",
				 "GlusterFS replicated volume (gluster CLI, FUSE mount)"),
	.config_keys = gluster_keys,
	.init = gluster_init,
	.fini = gluster_fini,
	.master_prepare = gluster_master_prepare,
	.plan = gluster_plan,
	.observe = gluster_observe,
	.ensure = gluster_ensure,
	.status = gluster_status,
	.node_event = gluster_node_event,
	.forget = gluster_forget,
};

CLUSTERCTL_PLUGIN_DEFINE(gluster_plugin)
