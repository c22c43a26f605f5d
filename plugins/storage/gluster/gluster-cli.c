/* Running `gluster --mode=script --xml` and turning its answers into
 * results and messages a person can act on.  See gluster-cli.h. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cc-buf.h"
#include "gluster-cli.h"
#include "plugin-json.h"

#define T_QUERY 30000   /* pool list, volume info: local glusterd only */
#define T_PROBE 60000   /* an unreachable peer takes ~3 s; a slow one more */
#define T_CHANGE 120000 /* create / start / add-brick touch every brick host */

/* glusterd's opErrno for "volume does not exist" (GD_OP_ERRNO_EVOLNOTFOUND). */
#define GD_VOLUME_NOT_FOUND 30806
/* enum gf_probe_resp (rpc/rpc-lib/src/protocol-common.h). */
enum { PROBE_SUCCESS = 0, PROBE_LOCALHOST = 1, PROBE_FRIEND = 2, PROBE_ANOTHER_CLUSTER = 3,
       PROBE_VOLUME_CONFLICT = 4 };

static const char *const NO_GLUSTERD =
	"glusterd is not running on this host (the gluster CLI could not connect to "
	"/var/run/glusterd.socket): start it (systemctl enable --now glusterd) and retry";

/* Run gluster with `args` after "--mode=script" (and "--xml" when xml).
 * 0 and *out (malloc'd) when the program ran to its end, whatever it
 * printed.  With status != NULL, *status is its exit status and *out,
 * when stdout is empty, what it wrote to stderr (a command without an
 * XML form says why it failed there). */
static int gcli_run(const struct clusterctl_host *h, bool xml, const char *const *args, int timeout_ms,
		    char **out, size_t *len, int *status, char **err)
{
	const char *argv[24];
	struct clusterctl_run_result res = CLUSTERCTL_RUN_RESULT_INIT;
	const char *text;
	size_t n = 0, tlen;
	int r;

	*out = NULL;
	*len = 0;
	argv[n++] = "gluster";
	argv[n++] = "--mode=script";
	if (xml)
		argv[n++] = "--xml";
	for (size_t i = 0; args[i]; i++) {
		if (n + 1 >= sizeof argv / sizeof argv[0]) {
			*err = cc_strdupf("internal error: too many gluster arguments");
			return -E2BIG;
		}
		argv[n++] = args[i];
	}
	argv[n] = NULL;

	r = h->run(h->ctx, argv, NULL, NULL, timeout_ms, &res);
	if (r == -ENOENT) {
		*err = cc_strdupf("the gluster command is not installed on this host: install the GlusterFS "
			   "server package (Debian: apt-get install glusterfs-server) and retry");
		goto out;
	}
	if (r < 0) {
		*err = cc_strdupf("cannot run the gluster command: %s", strerror(-r));
		goto out;
	}
	if (res.timed_out) {
		*err = cc_strdupf("gluster %s %s did not finish within %d s: glusterd or a peer is not "
			   "answering; check `gluster peer status` and the glusterd log "
			   "(/var/log/glusterfs/glusterd.log)",
			   args[0], args[1] ? args[1] : "", timeout_ms / 1000);
		r = -ETIMEDOUT;
		goto out;
	}
	text = res.out ? res.out : "";
	tlen = res.out_len;
	if (status) {
		*status = res.exit_status;
		if (!*text && res.err) {
			text = res.err;
			tlen = res.err_len;
		}
	}
	/* Output is captured as a NUL-terminated buffer that may hold NULs;
	 * XML never does, so the first NUL ends what we read. */
	*len = strnlen(text, tlen);
	*out = strndup(text, *len);
	if (!*out) {
		*err = cc_strdupf("out of memory");
		r = -ENOMEM;
		goto out;
	}
	r = 0;
out:
	h->run_result_free(&res);
	return r;
}

static int gcli_exec(const struct clusterctl_host *h, const char *const *args, int timeout_ms,
		     char **out, size_t *len, char **err)
{
	return gcli_run(h, true, args, timeout_ms, out, len, NULL, err);
}

/* Map a parse status to -errno + message. */
static int parse_failure(int st, char *perr, const char *what, char **err)
{
	int r;
	switch (st) {
	case GX_NO_GLUSTERD:
		*err = strdup(NO_GLUSTERD);
		r = -ECONNREFUSED;
		break;
	case GX_NOT_XML:
		*err = cc_strdupf("gluster %s did not answer in XML (\"%s\"): is this GlusterFS 10 or newer?",
			   what, perr ? perr : "");
		r = -EPROTO;
		break;
	default:
		*err = cc_strdupf("gluster %s: %s", what, perr ? perr : "unreadable answer");
		r = -EPROTO;
		break;
	}
	free(perr);
	return r;
}

/* The opErrstr, or <output> when glusterd put the text there instead. */
static const char *why(const struct gx_result *res)
{
	if (res->op_errstr && *res->op_errstr)
		return res->op_errstr;
	if (res->output && *res->output)
		return res->output;
	return "no reason given";
}

int gcli_pool_list(const struct clusterctl_host *h, struct gx_peers *peers, char **err)
{
	static const char *const args[] = {"pool", "list", NULL};
	struct gx_result res;
	char *out, *perr = NULL;
	size_t len;
	int r, st;

	memset(peers, 0, sizeof *peers);
	*err = NULL;
	if ((r = gcli_exec(h, args, T_QUERY, &out, &len, err)) < 0)
		return r;
	st = gx_parse_peers(out, len, &res, peers, &perr);
	free(out);
	if (st != GX_OK)
		return parse_failure(st, perr, "pool list", err);
	if (res.op_ret != 0) {
		*err = cc_strdupf("gluster pool list failed: %s", why(&res));
		gx_peers_free(peers);
		r = -EIO;
	}
	gx_result_free(&res);
	return r;
}

int gcli_volume_info(const struct clusterctl_host *h, const char *name, struct gx_volume *vol,
		     bool *exists, char **err)
{
	const char *args[] = {"volume", "info", name, NULL};
	struct gx_volumes vols;
	struct gx_result res;
	char *out, *perr = NULL;
	size_t len;
	int r, st;

	memset(vol, 0, sizeof *vol);
	*exists = false;
	*err = NULL;
	if ((r = gcli_exec(h, args, T_QUERY, &out, &len, err)) < 0)
		return r;
	st = gx_parse_volumes(out, len, &res, &vols, &perr);
	free(out);
	if (st != GX_OK)
		return parse_failure(st, perr, "volume info", err);
	if (res.op_ret != 0) {
		if (res.op_errno == GD_VOLUME_NOT_FOUND || strstr(why(&res), "does not exist")) {
			r = 0;
		} else {
			*err = cc_strdupf("gluster volume info %s failed: %s", name, why(&res));
			r = -EIO;
		}
		goto out;
	}
	for (size_t i = 0; i < vols.n; i++) {
		if (strcmp(vols.v[i].name, name) == 0) {
			*vol = vols.v[i];
			/* moved out: the rest is freed below */
			memmove(&vols.v[i], &vols.v[vols.n - 1], sizeof vols.v[i]);
			vols.n--;
			*exists = true;
			break;
		}
	}
out:
	gx_volumes_free(&vols);
	gx_result_free(&res);
	return r;
}

int gcli_peer_probe(const struct clusterctl_host *h, const char *peer, char **err)
{
	const char *args[] = {"peer", "probe", peer, NULL};
	struct gx_result res;
	char *out, *perr = NULL;
	size_t len;
	int r, st;

	*err = NULL;
	if ((r = gcli_exec(h, args, T_PROBE, &out, &len, err)) < 0)
		return r;
	st = gx_parse_result(out, len, &res, &perr);
	free(out);
	if (st != GX_OK)
		return parse_failure(st, perr, "peer probe", err);
	if (res.op_ret == 0) {
		/* new peer, "Probe on localhost not needed", "already in peer list" */
		r = 0;
	} else if (res.op_errno == PROBE_ANOTHER_CLUSTER || res.op_errno == PROBE_VOLUME_CONFLICT) {
		*err = cc_strdupf("cannot add %s to the trusted storage pool: glusterd says \"%s\". That host "
			   "belongs to another pool or has volumes of its own; clusterctl never takes "
			   "it over. Detach it from its pool (gluster peer detach, on that pool) or "
			   "run the node with --disable-glusterfs, then retry",
			   peer, why(&res));
		r = -EEXIST;
	} else if (res.op_errno == ENOTCONN || res.op_errno == EHOSTUNREACH ||
		   res.op_errno == ECONNREFUSED) {
		*err = cc_strdupf("cannot probe %s: \"%s\". Check that glusterd runs there (systemctl enable "
			   "--now glusterd) and that TCP 24007-24008 and the brick ports (49152 and up) "
			   "are open between the hosts; clusterctl retries",
			   peer, why(&res));
		r = -EHOSTUNREACH;
	} else {
		*err = cc_strdupf("gluster peer probe %s failed: %s", peer, why(&res));
		r = -EIO;
	}
	gx_result_free(&res);
	return r;
}

const char *gcli_brick_advice(const char *e)
{
	if (!e)
		return "";
	if (strstr(e, "root partition"))
		return " (the brick is on the root file system: mount a disk at the brick directory, "
		       "or allow it with --gluster-allow-root-brick)";
	if (strstr(e, "is a mount point"))
		return " (a brick must be a sub-directory of a mounted file system)";
	if (strstr(e, "already part of a volume"))
		return " (the brick directory carries the trusted.glusterfs.volume-id attribute of "
		       "another or a deleted volume; clusterctl never wipes it: use an empty "
		       "directory, see clusterctl-gluster(7), RECOVERY)";
	if (strstr(e, "not available. Brick may be containing"))
		return " (that path, or one above or below it, is a brick of an existing volume: "
		       "choose another --gluster-brick-dir)";
	if (strstr(e, "not in 'Peer in Cluster' state"))
		return " (the host has not finished joining the trusted pool; clusterctl retries)";
	if (strstr(e, "Incorrect number of bricks") || strstr(e, "replica count"))
		return " (the volume's layout changed under clusterctl: check gluster volume info)";
	return "";
}

static int run_change(const struct clusterctl_host *h, const char *const *args, const char *what,
		      char **id, char **err)
{
	struct gx_result res;
	char *out, *perr = NULL;
	size_t len;
	int r, st;

	*err = NULL;
	if (id)
		*id = NULL;
	if ((r = gcli_exec(h, args, T_CHANGE, &out, &len, err)) < 0)
		return r;
	st = id ? gx_parse_volume_id(out, len, &res, id, &perr) : gx_parse_result(out, len, &res, &perr);
	free(out);
	if (st != GX_OK)
		return parse_failure(st, perr, what, err);
	if (res.op_ret != 0) {
		*err = cc_strdupf("gluster %s failed: %s%s", what, why(&res), gcli_brick_advice(why(&res)));
		r = strstr(why(&res), "already exists")	   ? -EEXIST
		    : strstr(why(&res), "already started") ? -EALREADY
							   : -EIO;
		if (id) {
			free(*id);
			*id = NULL;
		}
	}
	gx_result_free(&res);
	return r;
}

/* argv: fixed words, then "replica N" when asked, the bricks, "force". */
static int build_args(const char **argv, size_t cap, const char *const *head, int replica,
		      char *replica_buf, size_t rbuf_len, const char *const *bricks, size_t n,
		      bool force)
{
	size_t k = 0;
	for (; head[k]; k++)
		argv[k] = head[k];
	if (replica > 1) {
		snprintf(replica_buf, rbuf_len, "%d", replica);
		argv[k++] = "replica";
		argv[k++] = replica_buf;
	}
	if (k + n + 2 > cap)
		return -E2BIG;
	for (size_t i = 0; i < n; i++)
		argv[k++] = bricks[i];
	if (force)
		argv[k++] = "force";
	argv[k] = NULL;
	return 0;
}

int gcli_volume_create(const struct clusterctl_host *h, const char *name, int replica,
		       const char *const *bricks, size_t n, bool force, char **id, char **err)
{
	const char *head[] = {"volume", "create", name, NULL};
	const char *argv[20];
	char rb[16];
	char what[128];

	if (n == 0 || (replica > 1 && n % (size_t)replica) ||
	    build_args(argv, sizeof argv / sizeof argv[0] - 3, head, replica, rb, sizeof rb, bricks, n, force) < 0) {
		/* glusterd leaves brick xattrs behind on a bad count (provider-apis §2.5):
		 * never send one. */
		*err = cc_strdupf("internal error: %zu bricks do not make whole replica-%d sets", n, replica);
		return -EINVAL;
	}
	snprintf(what, sizeof what, "volume create %s", name);
	return run_change(h, argv, what, id, err);
}

int gcli_volume_start(const struct clusterctl_host *h, const char *name, char **err)
{
	const char *args[] = {"volume", "start", name, NULL};
	char what[128];
	int r;

	snprintf(what, sizeof what, "volume start %s", name);
	r = run_change(h, args, what, NULL, err);
	if (r == -EALREADY) {
		free(*err);
		*err = NULL;
		r = 0;
	}
	return r;
}

int gcli_volume_start_force(const struct clusterctl_host *h, const char *name, char **err)
{
	const char *args[] = {"volume", "start", name, "force", NULL};
	char what[128];

	snprintf(what, sizeof what, "volume start %s force", name);
	return run_change(h, args, what, NULL, err);
}

int gcli_volume_add_brick(const struct clusterctl_host *h, const char *name, int replica,
			  const char *const *bricks, size_t n, bool force, char **err)
{
	const char *head[] = {"volume", "add-brick", name, NULL};
	const char *argv[20];
	char rb[16];
	char what[128];

	if (n == 0 || build_args(argv, sizeof argv / sizeof argv[0] - 3, head, replica, rb, sizeof rb, bricks, n, force) < 0) {
		*err = cc_strdupf("internal error: cannot add %zu bricks at once", n);
		return -EINVAL;
	}
	snprintf(what, sizeof what, "volume add-brick %s", name);
	return run_change(h, argv, what, NULL, err);
}

int gcli_volume_heal_full(const struct clusterctl_host *h, const char *name, char **err)
{
	/* `volume heal NAME full` has no XML form in GlusterFS 10: with --xml
	 * it still prints one line of text.  Its exit status is the verdict
	 * and the text is the reason. */
	const char *args[] = {"volume", "heal", name, "full", NULL};
	char *out = NULL;
	size_t len;
	int r, status = 0;

	*err = NULL;
	if ((r = gcli_run(h, false, args, T_CHANGE, &out, &len, &status, err)) < 0)
		return r;
	if (status != 0) {
		/* one line for the log: the CLI splits its reason over two */
		if (len > 512)
			out[512] = '\0';
		for (char *c = out; *c; c++)
			if ((unsigned char)*c < 0x20)
				*c = ' ';
		*err = cc_strdupf("gluster volume heal %s full failed: %s", name, *out ? out : "no reason given");
		r = -EIO;
	}
	free(out);
	return r;
}

int gcli_volume_status(const struct clusterctl_host *h, const char *name, struct gx_brick_states *out, char **err)
{
	const char *args[] = {"volume", "status", name, NULL};
	struct gx_result res;
	char *text, *perr = NULL;
	size_t len;
	int r, st;

	memset(out, 0, sizeof *out);
	*err = NULL;
	if ((r = gcli_exec(h, args, T_QUERY, &text, &len, err)) < 0)
		return r;
	st = gx_parse_volume_status(text, len, &res, out, &perr);
	free(text);
	if (st != GX_OK)
		return parse_failure(st, perr, "volume status", err);
	if (res.op_ret != 0) {
		*err = cc_strdupf("gluster volume status %s failed: %s", name, why(&res));
		gx_brick_states_free(out);
		r = -EIO;
	}
	gx_result_free(&res);
	return r;
}

int gcli_heal_summary(const struct clusterctl_host *h, const char *name, struct gx_heal *out, char **err)
{
	const char *args[] = {"volume", "heal", name, "info", "summary", NULL};
	struct gx_result res;
	char *text, *perr = NULL;
	size_t len;
	int r, st;

	memset(out, 0, sizeof *out);
	*err = NULL;
	if ((r = gcli_exec(h, args, T_QUERY, &text, &len, err)) < 0)
		return r;
	st = gx_parse_heal_summary(text, len, &res, out, &perr);
	free(text);
	if (st != GX_OK)
		return parse_failure(st, perr, "volume heal info summary", err);
	if (res.op_ret != 0) {
		*err = cc_strdupf("gluster volume heal %s info summary failed: %s", name, why(&res));
		gx_heal_free(out);
		r = -EIO;
	}
	gx_result_free(&res);
	return r;
}
