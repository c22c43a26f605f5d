/* `clusterctl master serve`: the controller.
 *
 * One thread, one epoll loop.  A connection is read incrementally (the
 * end of the first JSON object ends the request), bounded in size and in
 * time, and answered once:
 *   - invalid, unauthorised or read-only requests are answered at once;
 *   - a registration changes the in-memory state and queues a log record;
 *     its answer waits until the end of the loop iteration, when one
 *     fdatasync() makes the whole batch durable, and is written then.
 * A connection that is slow or hostile only ever costs its own slot
 * (--max-connections) until its deadline (--request-timeout).
 *
 * Join tokens come from the local Docker engine, cached and refreshed on
 * a timer (or, when missing, at most every few seconds): no registration
 * waits for a Docker call of its own. */
#include "autoconfig.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "app.h"
#include "cc-buf.h"
#include "cc-file.h"
#include "cc-net.h"
#include "cc-time.h"
#include "docker.h"
#include "host-services.h"
#include "join-secret.h"
#include "log.h"
#include "policy.h"
#include "protocol.h"
#include "sd-notify.h"
#include "state-store.h"
#include "sync-worker.h"
#include "util.h"

#define READ_CHUNK 16384
#define MAX_PLUGIN_PAYLOAD (256u * 1024)
#define MAX_PLUGIN_MESSAGE 1024
#define TOKEN_REFRESH_MS (60 * 1000)
#define TOKEN_RETRY_MS (5 * 1000)
#define SWARM_PORT 2377

enum conn_state { C_READING = 0, C_SYNC_WAIT, C_WRITING };

struct conn {
	int fd;
	int state;
	struct framer fr;
	int64_t deadline;               /* monotonic ms */
	struct conn *tprev, *tnext;     /* deadline list, earliest first */
	struct conn *snext;             /* waiting for the batch fsync */
	char *out;
	size_t out_len, out_off;
	char peer[32];
};

/* What each plugin sees of the other nodes, kept as JSON text so that a
 * registration costs at most one copy, not a rebuild: the array of every
 * node's fragment in store order, offs[i] where node i's starts.  A new
 * node is handed the text itself; a known one a copy without its own. */
struct cluster_cache {
	struct cc_buf text;
	size_t *offs;
	size_t n, cap;
	bool valid;
};

struct ctl {
	struct app *a;
	const struct config *cfg;
	int ep, lfd, sfd;
	bool accepting, draining, failed;
	int64_t resume_accept_at;
	size_t nconns;
	struct conn *thead, *ttail;
	struct conn *shead, *stail;     /* decided, waiting for the next sync */
	struct conn *fhead;             /* their records being fdatasync'd now */
	struct sync_worker *sw;
	struct state_store *st;
	char *secret;
	struct policy_cfg pol;
	char *overlay_options;
	struct plugin *plug[STORE_NSLOTS];
	struct cluster_cache cache[STORE_NSLOTS];
	struct cc_buf scratch;          /* reused for cluster_json copies */
	/* Docker */
	struct docker *dk;
	char *worker_token, *manager_token, *manager_addr;
	char *docker_err;
	int64_t next_refresh;
	struct notify_watchdog wd;      /* systemd's WatchdogSec, when set */
};

/* ---- shared helpers ---------------------------------------------------- */

/* ---- Docker: join tokens and the manager address ---------------------- */

static void set_docker_err(struct ctl *c, const char *what, char *err)
{
	struct cc_buf sb = CC_BUF_INIT;
	cc_buf_printf(&sb, "%s: %s", what, err ? err : "unknown error");
	free(err);
	if (!c->docker_err || strcmp(c->docker_err, sb.buf ? sb.buf : "") != 0)
		log_warn("cannot read the Swarm join tokens from the local Docker engine (%s); nodes are "
			 "answered \"waiting\" until it works",
			 sb.buf ? sb.buf : "out of memory");
	free(c->docker_err);
	c->docker_err = cc_buf_detach(&sb);
}

static char *manager_addr_from(const struct config *cfg, const struct docker_info *info)
{
	struct cc_buf sb = CC_BUF_INIT;
	if (cfg->advertise_addr && *cfg->advertise_addr) {
		if (strchr(cfg->advertise_addr, ':'))
			cc_buf_puts(&sb, cfg->advertise_addr);
		else
			cc_buf_printf(&sb, "%s:%d", cfg->advertise_addr, SWARM_PORT);
		return cc_buf_detach(&sb);
	}
	if (info && info->node_addr && *info->node_addr) {
		cc_buf_printf(&sb, "%s:%d", info->node_addr, SWARM_PORT);
		return cc_buf_detach(&sb);
	}
	return NULL;
}

static void refresh_tokens(struct ctl *c)
{
	struct docker_swarm sw = {0};
	struct docker_info info = {0};
	char *err = NULL, *addr;
	bool had = c->manager_token != NULL;

	c->next_refresh = cc_mono_ms() + TOKEN_RETRY_MS;
	if (!c->dk && docker_open(c->cfg->docker_socket, &c->dk, &err) < 0) {
		set_docker_err(c, "Docker engine unavailable", err);
		return;
	}
	if (docker_swarm_inspect(c->dk, &sw, &err) < 0) {
		/* The daemon may have restarted: reconnect next time. */
		docker_close(c->dk);
		c->dk = NULL;
		set_docker_err(c, "this host is not a Swarm manager (run 'clusterctl master init')", err);
		return;
	}
	if (!c->cfg->advertise_addr || !*c->cfg->advertise_addr) {
		if (docker_get_info(c->dk, &info, &err) < 0) {
			docker_swarm_free(&sw);
			set_docker_err(c, "cannot read the engine's Swarm address", err);
			return;
		}
	}
	addr = manager_addr_from(c->cfg, &info);
	docker_info_free(&info);
	if (!addr || !sw.worker_token || !*sw.worker_token || !sw.manager_token || !*sw.manager_token) {
		docker_swarm_free(&sw);
		free(addr);
		set_docker_err(c, "incomplete Swarm information",
			       strdup("no join tokens or manager address; pass --advertise-addr"));
		return;
	}
	free(c->worker_token);
	free(c->manager_token);
	free(c->manager_addr);
	c->worker_token = sw.worker_token;
	c->manager_token = sw.manager_token;
	sw.worker_token = sw.manager_token = NULL;
	c->manager_addr = addr;
	if (!had || c->docker_err)
		log_info("Swarm join tokens cached swarm=%s manager_addr=%s", sw.id ? sw.id : "?",
			 c->manager_addr);
	docker_swarm_free(&sw);
	free(c->docker_err);
	c->docker_err = NULL;
	c->next_refresh = cc_mono_ms() + TOKEN_REFRESH_MS;
}

/* ---- connections ------------------------------------------------------- */

static void timer_unlink(struct ctl *c, struct conn *cn)
{
	if (cn->tprev)
		cn->tprev->tnext = cn->tnext;
	else if (c->thead == cn)
		c->thead = cn->tnext;
	if (cn->tnext)
		cn->tnext->tprev = cn->tprev;
	else if (c->ttail == cn)
		c->ttail = cn->tprev;
	cn->tprev = cn->tnext = NULL;
}

/* Every deadline is "now + the same timeout", so appending keeps the
 * list sorted: the head is always the next to expire. */
static void timer_arm(struct ctl *c, struct conn *cn)
{
	timer_unlink(c, cn);
	cn->deadline = cc_mono_ms() + c->cfg->request_timeout * 1000;
	cn->tprev = c->ttail;
	if (c->ttail)
		c->ttail->tnext = cn;
	else
		c->thead = cn;
	c->ttail = cn;
}

static void listen_enable(struct ctl *c, bool on)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
	if (c->lfd < 0 || c->accepting == on)
		return;
	if (epoll_ctl(c->ep, on ? EPOLL_CTL_ADD : EPOLL_CTL_DEL, c->lfd, &ev) == 0)
		c->accepting = on;
}

static void conn_close(struct ctl *c, struct conn *cn)
{
	char sink[4096];
	timer_unlink(c, cn);
	/* Read what the client still sent, so close() does not turn into a
	 * reset that could destroy the answer before the client reads it. */
	shutdown(cn->fd, SHUT_WR);
	for (int i = 0; i < 16 && read(cn->fd, sink, sizeof sink) > 0; i++)
		;
	epoll_ctl(c->ep, EPOLL_CTL_DEL, cn->fd, NULL);
	close(cn->fd);
	framer_free(&cn->fr);
	free(cn->out);
	free(cn);
	c->nconns--;
	if (!c->draining && c->nconns < (size_t)c->cfg->max_connections)
		listen_enable(c, true);
}

static void conn_events(struct ctl *c, struct conn *cn, uint32_t events)
{
	struct epoll_event ev = {.events = events, .data.ptr = cn};
	epoll_ctl(c->ep, EPOLL_CTL_MOD, cn->fd, &ev);
}

static void conn_write(struct ctl *c, struct conn *cn)
{
	while (cn->out_off < cn->out_len) {
		ssize_t n = send(cn->fd, cn->out + cn->out_off, cn->out_len - cn->out_off, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				if (cn->state != C_WRITING) {
					cn->state = C_WRITING;
					timer_arm(c, cn);
					conn_events(c, cn, EPOLLOUT);
				}
				return;
			}
			log_debug("client %s went away before reading its answer: %s", cn->peer,
				  strerror(errno));
			break;
		}
		cn->out_off += (size_t)n;
	}
	conn_close(c, cn);
}

/* Send now (an answer that changes no state). */
static void respond_now(struct ctl *c, struct conn *cn, char *text, size_t len)
{
	if (!text) {
		conn_close(c, cn);
		return;
	}
	cn->out = text;
	cn->out_len = len;
	cn->state = C_WRITING;
	conn_events(c, cn, 0);
	conn_write(c, cn);
}

static void respond_error(struct ctl *c, struct conn *cn, const char *error)
{
	size_t len;
	char *t = protocol_encode_error(error, &len);
	log_warn("refused request from %s: %s", cn->peer, error);
	respond_now(c, cn, t, len);
}

/* Answer after the batch is durable. */
static void respond_after_sync(struct ctl *c, struct conn *cn, char *text, size_t len)
{
	if (!text) {
		conn_close(c, cn);
		return;
	}
	cn->out = text;
	cn->out_len = len;
	cn->state = C_SYNC_WAIT;
	conn_events(c, cn, 0);
	/* The wait is the disk's, not the client's: no deadline may close a
	 * connection that a batch list still holds. */
	timer_unlink(c, cn);
	cn->snext = NULL;
	if (c->stail)
		c->stail->snext = cn;
	else
		c->shead = cn;
	c->stail = cn;
}

/* ---- plugins ----------------------------------------------------------- */

static const char *slot_kind(int k) { return k == STORE_SLOT_OVERLAY ? "overlay" : "storage"; }

static void cluster_fragment(struct cc_buf *sb, const struct node_rec *r, int k, const char *plugin)
{
	const char *rec = r->slot[k].plugin && strcmp(r->slot[k].plugin, plugin) == 0 ? r->slot[k].record : NULL;
	cc_buf_puts(sb, "{\"NodeID\":");
	json_append_string(sb, *r->node_id ? r->node_id : r->hostname);
	cc_buf_puts(sb, ",\"Hostname\":");
	json_append_string(sb, r->hostname);
	cc_buf_puts(sb, ",\"IP\":");
	json_append_string(sb, r->ip);
	cc_buf_printf(sb, ",\"Role\":\"%s\",\"Record\":%s}", proto_role_name(r->assigned_role),
		      rec ? rec : "null");
}

static int cache_reserve(struct cluster_cache *cc, size_t n)
{
	size_t *o;
	if (n <= cc->cap)
		return 0;
	n = n < 64 ? 64 : n + n / 2;
	if (!(o = realloc(cc->offs, n * sizeof *o)))
		return -ENOMEM;
	cc->offs = o;
	cc->cap = n;
	return 0;
}

static int cache_rebuild(struct ctl *c, int k)
{
	struct cluster_cache *cc = &c->cache[k];
	size_t n = state_store_count(c->st);

	cc->text.len = 0;
	cc->valid = false;
	if (cache_reserve(cc, n) < 0)
		return -ENOMEM;
	cc_buf_puts(&cc->text, "[");
	for (size_t i = 0; i < n; i++) {
		if (i)
			cc_buf_puts(&cc->text, ",");
		cc->offs[i] = cc->text.len;
		cluster_fragment(&cc->text, state_store_node(c->st, i), k, c->plug[k]->desc.name);
	}
	cc_buf_puts(&cc->text, "]");
	cc->n = n;
	cc->valid = !cc->text.oom;
	return cc->valid ? 0 : -ENOMEM;
}

/* The other nodes as a JSON array; self (store index, or -1) left out.
 * Valid until the next call. */
static const char *cluster_json(struct ctl *c, int k, ssize_t self)
{
	struct cluster_cache *cc = &c->cache[k];
	size_t a, b;

	if (!cc->valid && cache_rebuild(c, k) < 0)
		return NULL;
	if (self < 0 || (size_t)self >= cc->n)
		return cc->text.buf;
	/* Cut node self's fragment and one comma next to it, into a buffer
	 * kept between calls (no allocation, no page faults per request). */
	a = cc->offs[self];
	b = (size_t)self + 1 < cc->n ? cc->offs[self + 1] : cc->text.len - 1;
	if ((size_t)self + 1 == cc->n && self > 0)
		a--; /* the last one: drop the comma before it */
	c->scratch.len = 0;
	cc_buf_append(&c->scratch, cc->text.buf, a);
	cc_buf_append(&c->scratch, cc->text.buf + b, cc->text.len - b);
	if (c->scratch.oom) {
		cc_buf_free(&c->scratch);
		return NULL;
	}
	return c->scratch.buf;
}

/* After node idx was written: extend or invalidate each cache. */
static void cache_note(struct ctl *c, size_t idx, const struct node_rec *old, bool rekeyed)
{
	for (int k = 0; k < STORE_NSLOTS; k++) {
		struct cluster_cache *cc = &c->cache[k];
		const struct node_rec *now = state_store_node(c->st, idx);
		struct cc_buf a = CC_BUF_INIT, b = CC_BUF_INIT;
		if (!c->plug[k] || !cc->valid)
			continue;
		if (rekeyed || !now) {
			cc->valid = false;
			continue;
		}
		if (!old) {
			if (idx == cc->n && cache_reserve(cc, cc->n + 1) == 0) {
				cc->text.len--; /* the closing bracket */
				if (cc->n)
					cc_buf_puts(&cc->text, ",");
				cc->offs[cc->n++] = cc->text.len;
				cluster_fragment(&cc->text, now, k, c->plug[k]->desc.name);
				cc_buf_puts(&cc->text, "]");
				if (cc->text.oom)
					cc->valid = false;
			} else {
				cc->valid = false;
			}
			continue;
		}
		cluster_fragment(&a, old, k, c->plug[k]->desc.name);
		cluster_fragment(&b, now, k, c->plug[k]->desc.name);
		if (a.oom || b.oom || a.len != b.len || memcmp(a.buf, b.buf, a.len) != 0)
			cc->valid = false;
		cc_buf_free(&a);
		cc_buf_free(&b);
	}
}

struct plan_result {
	bool called;
	char *payload;    /* JSON object text */
	char *record;     /* NULL: keep the previous one */
	bool waiting;
	unsigned retry_after;
	char *message;
	bool storage_enabled;
	char *volume, *mount, *brick;
};

static void plan_result_free(struct plan_result *p)
{
	free(p->payload);
	free(p->record);
	free(p->message);
	free(p->volume);
	free(p->mount);
	free(p->brick);
	memset(p, 0, sizeof *p);
}

static bool json_text_is(const char *s, size_t max, bool object)
{
	struct json_tokener *tok;
	struct json_object *o;
	size_t n = strlen(s);
	bool good;
	if (n > max)
		return false;
	tok = json_tokener_new();
	if (!tok)
		return false;
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	o = json_tokener_parse_ex(tok, s, (int)n);
	good = o && json_tokener_get_parse_end(tok) == n && (!object || json_object_is_type(o, json_type_object));
	json_object_put(o);
	json_tokener_free(tok);
	return good;
}

static int plan_fail(char **err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int plan_fail(char **err, const char *fmt, ...)
{
	struct cc_buf sb = CC_BUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	cc_buf_vprintf(&sb, fmt, ap);
	va_end(ap);
	*err = cc_buf_detach(&sb);
	return -EINVAL;
}

static int run_plan(struct ctl *c, int k, const struct registration *reg, const struct node_rec *prev,
		    ssize_t self, int role, struct plan_result *res, char **err)
{
	struct plugin *p = c->plug[k];
	struct clusterctl_plan_in in = {0};
	struct clusterctl_plan_out out = {0};
	const char *name = p->desc.name, *kind = slot_kind(k), *cj;
	int r;

	memset(res, 0, sizeof *res);
	if (!p->desc.plan) {
		res->payload = strdup("{}");
		return res->payload ? 0 : -ENOMEM;
	}
	if (!(cj = cluster_json(c, k, self)))
		return plan_fail(err, "out of memory");
	in.struct_size = sizeof in;
	in.node_id = reg->node_id ? reg->node_id : reg->hostname;
	in.hostname = reg->hostname;
	in.ip = reg->ip;
	in.swarm_role = proto_role_name(role);
	in.gluster_capable = reg->gluster_capable;
	in.observed_json = k == STORE_SLOT_OVERLAY ? reg->observed_overlay : reg->observed_storage;
	if (!in.observed_json)
		in.observed_json = "{}";
	in.record_json = prev && prev->slot[k].plugin && strcmp(prev->slot[k].plugin, name) == 0
				 ? prev->slot[k].record
				 : NULL;
	in.cluster_json = cj;
	/* --overlay-config holds the overlay's options (and maybe its
	 * secrets): the storage plugin is not handed them. */
	in.options_json = k == STORE_SLOT_OVERLAY && c->overlay_options ? c->overlay_options : "{}";
	out.struct_size = sizeof out;
	host_ctx_clear_error(p->hctx);
	r = p->desc.plan(p->state, &in, &out);
	res->called = true;
	res->payload = out.payload_json;
	res->record = out.record_json;
	res->message = out.message;
	res->volume = out.storage_volume;
	res->mount = out.storage_mount;
	res->brick = out.storage_brick;
	res->waiting = out.waiting;
	res->retry_after = out.retry_after;
	res->storage_enabled = out.storage_enabled;
	if (r < 0) {
		const char *why = plugin_last_error(p);
		return plan_fail(err, "%s plugin \"%s\" could not plan node %s: %s", kind, name, reg->hostname,
				 why && *why ? why : strerror(-r));
	}
	/* A plugin's output is input like any other. */
	if (!res->payload && !(res->payload = strdup("{}")))
		return plan_fail(err, "out of memory");
	if (!json_text_is(res->payload, MAX_PLUGIN_PAYLOAD, true))
		return plan_fail(err, "%s plugin \"%s\" returned a payload that is not a JSON object of at "
				      "most %u bytes",
				 kind, name, MAX_PLUGIN_PAYLOAD);
	if (res->record && !json_text_is(res->record, STORE_MAX_PLUGIN_RECORD, false))
		return plan_fail(err, "%s plugin \"%s\" returned a record that is not JSON of at most %u bytes",
				 kind, name, STORE_MAX_PLUGIN_RECORD);
	if (res->message && strlen(res->message) > MAX_PLUGIN_MESSAGE)
		res->message[MAX_PLUGIN_MESSAGE] = '\0';
	if (k == STORE_SLOT_STORAGE && res->storage_enabled) {
		if (!res->volume || !*res->volume || strlen(res->volume) > 256 || !res->mount ||
		    res->mount[0] != '/' || strlen(res->mount) > 4096 ||
		    (res->brick && *res->brick && (res->brick[0] != '/' || strlen(res->brick) > 4096)))
			return plan_fail(err, "storage plugin \"%s\" returned an unusable plan (volume name, "
					      "absolute mount and brick paths are required)",
					 name);
	}
	if (res->retry_after > 3600)
		res->retry_after = 3600;
	return 0;
}

/* ---- requests ---------------------------------------------------------- */

static char *key_of(const char *prefix, const char *v)
{
	struct cc_buf sb = CC_BUF_INIT;
	cc_buf_printf(&sb, "%s:%s", prefix, v);
	return cc_buf_detach(&sb);
}

static char *dup_or_empty(const char *s) { return strdup(s ? s : ""); }

static void log_registration(const struct registration *reg, const char *key,
			     const struct policy_decision *d, int status, bool is_new)
{
	log_info("registration node=%s hostname=%s ip=%s asked=%s role=%s status=%s new=%s "
		 "managers=%u workers=%u",
		 key, reg->hostname, reg->ip, proto_role_name(reg->role), proto_role_name(d->assigned_role),
		 proto_status_name(status), is_new ? "yes" : "no", d->managers, d->workers);
}

/* A node in our swarm whose role differs from the decision: only a
 * manager can change it, and the controller runs on one.  Rare (a role
 * change), so the Docker call in the loop is acceptable; a failure is
 * logged and the node, still seeing the old role, asks again. */
static void reconcile_role(struct ctl *c, const struct registration *reg, int role)
{
	const struct observed_swarm *sw = &reg->swarm;
	bool want_mgr = role == PROTO_ROLE_MANAGER;
	char *err = NULL;
	int r;

	if (!sw->present || !sw->node_id || !*sw->node_id || !sw->local_state ||
	    strcmp(sw->local_state, "active") != 0 || sw->control_available == want_mgr || !c->dk)
		return;
	r = docker_node_set_role(c->dk, sw->node_id, want_mgr ? "manager" : "worker", &err);
	if (r < 0)
		log_warn("could not %s node=%s swarm_node=%s: %s", want_mgr ? "promote" : "demote", reg->hostname,
			 sw->node_id, err ? err : strerror(-r));
	else
		log_info("%s node=%s swarm_node=%s as decided", want_mgr ? "promoted" : "demoted", reg->hostname,
			 sw->node_id);
	free(err);
}

static void handle_registration(struct ctl *c, struct conn *cn, struct registration *reg)
{
	struct policy_view view = {0};
	struct policy_node pn = {0};
	struct policy_input in = {0};
	struct policy_decision d;
	struct plan_result pr[STORE_NSLOTS] = {{0}};
	struct node_rec rec = {0};
	struct response resp = {0};
	const struct node_rec *prev;
	const struct cluster_meta *meta = state_store_meta(c->st);
	char *key = NULL, *replaces = NULL, *err = NULL, *text = NULL, *msg = NULL;
	ssize_t self = -1;
	int64_t now = cc_wall_ms();
	int status, r;
	bool grant = false, is_new, was_holder;
	char *old_holder = NULL;
	size_t len;

	key = reg->node_id ? key_of("id", reg->node_id) : key_of("host", reg->hostname);
	if (!key)
		goto oom;
	prev = state_store_find(c->st, key);
	if (!prev && reg->node_id) {
		/* The same machine registered before without a NodeID (a
		 * minimal client, then the agent): one node, not two. */
		char *hk = key_of("host", reg->hostname);
		const struct node_rec *h = hk ? state_store_find(c->st, hk) : NULL;
		if (h && !*h->node_id) {
			prev = h;
			replaces = hk;
		} else {
			free(hk);
		}
	}
	is_new = prev == NULL;
	if (prev)
		self = state_store_index(c->st, prev->key);

	state_store_counts(c->st, &view.managers, &view.workers);
	if (prev) {
		if (prev->assigned_role == PROTO_ROLE_MANAGER)
			view.managers--;
		else
			view.workers--;
		pn.known = true;
		pn.requested_role = prev->requested_role;
		pn.assigned_role = prev->assigned_role;
	}
	view.formed = meta->formed;
	view.slot_holder = meta->slot_holder;
	view.slot_granted_ms = meta->slot_granted_ms;
	in.key = replaces ? replaces : key;
	in.requested_role = reg->role;
	in.reachable_manager = reg->swarm.present && reg->swarm.control_available && reg->swarm.local_state &&
			       strcmp(reg->swarm.local_state, "active") == 0;
	in.now_ms = now;
	policy_decide(&c->pol, &view, &pn, &in, &d);

	for (int k = 0; k < STORE_NSLOTS; k++) {
		if (!c->plug[k])
			continue;
		if ((r = run_plan(c, k, reg, prev, self, d.assigned_role, &pr[k], &err)) < 0) {
			respond_error(c, cn, err ? err : "out of memory");
			goto out;
		}
	}

	/* The answer: policy first, then plugins, then tokens. */
	status = d.status;
	resp.retry_after = d.retry_after;
	if (d.message[0])
		resp.message = d.message;
	for (int k = 0; status == PROTO_READY && k < STORE_NSLOTS; k++)
		if (c->plug[k] && pr[k].waiting) {
			status = PROTO_WAITING;
			resp.retry_after = pr[k].retry_after ? pr[k].retry_after : 5;
			resp.message = pr[k].message ? pr[k].message : "waiting for the provider";
		}
	if (status == PROTO_READY && !c->manager_token) {
		if (cc_mono_ms() >= c->next_refresh)
			refresh_tokens(c);
		if (!c->manager_token) {
			status = PROTO_WAITING;
			resp.retry_after = TOKEN_RETRY_MS / 1000;
			msg = key_of("the controller cannot hand out Swarm join tokens yet (retrying)",
				     c->docker_err ? c->docker_err : "Docker engine unavailable");
			resp.message = msg;
		}
	}
	if (!resp.message && status == PROTO_READY) {
		for (int k = 0; k < STORE_NSLOTS; k++)
			if (c->plug[k] && pr[k].message)
				resp.message = pr[k].message;
	}
	grant = status == PROTO_READY && d.slot == SLOT_GRANT;
	/* The meta record is replaced below: keep what the log lines need. */
	was_holder = meta->slot_holder && strcmp(meta->slot_holder, in.key) == 0;
	if (meta->slot_holder && !(old_holder = strdup(meta->slot_holder)))
		goto oom;

	/* The node's record. */
	rec.key = key;
	rec.node_id = dup_or_empty(reg->node_id);
	rec.hostname = dup_or_empty(reg->hostname);
	rec.ip = dup_or_empty(reg->ip);
	rec.os = dup_or_empty(reg->os);
	rec.docker_version = dup_or_empty(reg->docker_version);
	rec.timestamp = dup_or_empty(reg->timestamp);
	rec.cpu = reg->cpu;
	rec.memory = reg->memory;
	rec.requested_role = (uint8_t)reg->role;
	rec.assigned_role = (uint8_t)d.assigned_role;
	rec.last_status = (uint8_t)status;
	rec.gluster_capable = reg->gluster_capable;
	rec.swarm_reported = reg->swarm.present;
	rec.swarm_control_available = reg->swarm.control_available;
	rec.swarm_node_id = dup_or_empty(reg->swarm.node_id);
	rec.swarm_state = dup_or_empty(reg->swarm.local_state);
	rec.swarm_cluster_id = dup_or_empty(reg->swarm.cluster_id);
	rec.first_seen_ms = prev ? prev->first_seen_ms : now;
	rec.last_seen_ms = now;
	for (int k = 0; k < STORE_NSLOTS; k++) {
		if (!c->plug[k])
			continue;
		rec.slot[k].plugin = strdup(c->plug[k]->desc.name);
		if (pr[k].record)
			rec.slot[k].record = strdup(pr[k].record);
		else if (prev && prev->slot[k].plugin && prev->slot[k].record &&
			 strcmp(prev->slot[k].plugin, c->plug[k]->desc.name) == 0)
			rec.slot[k].record = strdup(prev->slot[k].record);
	}
	if (!rec.node_id || !rec.hostname || !rec.ip || !rec.os || !rec.docker_version || !rec.timestamp ||
	    !rec.swarm_node_id || !rec.swarm_state || !rec.swarm_cluster_id)
		goto oom_rec;

	{
		/* prev points into the store: copy what the cache check needs
		 * before the put replaces it. */
		struct node_rec old = {0};
		bool have_old = prev && node_rec_copy(&old, prev) == 0;
		if ((r = state_store_put_node(c->st, &rec, replaces)) < 0) {
			node_rec_free(&old);
			respond_error(c, cn, "the controller could not record the registration");
			goto out_rec;
		}
		cache_note(c, (size_t)state_store_index(c->st, key), have_old ? &old : NULL,
			   replaces != NULL);
		node_rec_free(&old);
	}
	if (d.formed_now || grant || d.slot == SLOT_RELEASE) {
		struct cluster_meta m = {.formed = d.formed,
					 .slot_holder = meta->slot_holder,
					 .slot_granted_ms = meta->slot_granted_ms};
		char *holder = meta->slot_holder ? strdup(meta->slot_holder) : NULL;
		m.slot_holder = holder;
		if (grant) {
			m.slot_holder = key;
			m.slot_granted_ms = d.slot_granted_ms;
		} else if (d.slot == SLOT_RELEASE) {
			m.slot_holder = NULL;
			m.slot_granted_ms = 0;
		}
		r = state_store_put_meta(c->st, &m);
		free(holder);
		if (r < 0) {
			respond_error(c, cn, "the controller could not record the cluster state");
			goto out_rec;
		}
	} else if (replaces && meta->slot_holder && strcmp(meta->slot_holder, replaces) == 0) {
		struct cluster_meta m = {.formed = meta->formed, .slot_holder = key,
					 .slot_granted_ms = meta->slot_granted_ms};
		state_store_put_meta(c->st, &m);
	}

	log_registration(reg, key, &d, status, is_new);
	if (c->pol.wait_for_minimum) {
		if (d.formed_now)
			log_info("gating: cluster formed managers=%u/%u workers=%u/%u; every node is ready "
				 "from now on",
				 d.managers, c->pol.min_managers, d.workers, c->pol.min_workers);
		else if (d.reason == POLICY_WAIT_MINIMUM)
			log_info("gating: waiting node=%s managers=%u/%u workers=%u/%u", key, d.managers,
				 c->pol.min_managers, d.workers, c->pol.min_workers);
	}
	if (d.capped)
		log_info("manager cap: node=%s asked for manager, answered worker (max-managers=%u)", key,
			 c->pol.max_managers);
	if (grant && !was_holder)
		log_info("manager slot: handed to node=%s; the next manager waits until it reports a "
			 "reachable manager or %lld s pass",
			 key, (long long)(c->pol.manager_join_timeout_ms / 1000));
	if (d.slot == SLOT_RELEASE)
		log_info("manager slot: released, node=%s reports a reachable manager", key);
	if (d.reason == POLICY_WAIT_MANAGER_SLOT)
		log_info("manager slot: node=%s waits, held by node=%s", key, old_holder ? old_holder : "?");
	if (status == PROTO_WAITING && d.status == PROTO_READY)
		log_info("node=%s waits: %s", key, resp.message ? resp.message : "");

	resp.status = status;
	resp.have_counts = true;
	resp.registered_managers = d.managers;
	resp.registered_workers = d.workers;
	resp.min_managers = c->pol.min_managers;
	resp.min_workers = c->pol.min_workers;
	if (status == PROTO_READY) {
		resp.swarm_role = d.assigned_role;
		resp.swarm_join_token = d.assigned_role == PROTO_ROLE_MANAGER ? c->manager_token : c->worker_token;
		resp.swarm_manager_addr = c->manager_addr;
		resp.overlay_type = c->plug[STORE_SLOT_OVERLAY] ? c->plug[STORE_SLOT_OVERLAY]->desc.name : "none";
		resp.overlay_payload = pr[STORE_SLOT_OVERLAY].payload;
		if (c->plug[STORE_SLOT_STORAGE]) {
			struct plan_result *s = &pr[STORE_SLOT_STORAGE];
			resp.gluster_enabled = s->storage_enabled;
			resp.gluster_volume = s->volume;
			resp.gluster_mount = s->mount;
			resp.gluster_brick = s->brick ? s->brick : "";
			resp.storage_payload = s->payload;
		}
	}
	if (status == PROTO_READY)
		reconcile_role(c, reg, d.assigned_role);
	text = protocol_encode_response(&resp, &len);
	respond_after_sync(c, cn, text, len);
out_rec:
	rec.key = NULL; /* owned by `key` */
	node_rec_free(&rec);
	goto out;
oom_rec:
	rec.key = NULL;
	node_rec_free(&rec);
oom:
	respond_error(c, cn, "the controller is out of memory");
out:
	for (int k = 0; k < STORE_NSLOTS; k++)
		plan_result_free(&pr[k]);
	free(msg);
	free(err);
	free(key);
	free(replaces);
	free(old_holder);
}

static void rfc3339(char out[32], int64_t ms)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* {"Query":"status"}: the cluster as this controller knows it.  Read
 * only: answered at once, no token in it. */
static void handle_status(struct ctl *c, struct conn *cn)
{
	struct cc_buf sb = CC_BUF_INIT;
	const struct cluster_meta *m = state_store_meta(c->st);
	unsigned mg, wk;
	char ts[32];
	size_t len;

	state_store_counts(c->st, &mg, &wk);
	cc_buf_printf(&sb, "{\"Status\":\"ready\",\"RegisteredManagers\":%u,\"RegisteredWorkers\":%u,"
			   "\"MinManagers\":%u,\"MinWorkers\":%u,\"MaxManagers\":%u,\"WaitForMinimum\":%s,"
			   "\"ClusterFormed\":%s,\"Gating\":\"%s\",\"TokensAvailable\":%s",
		      mg, wk, c->pol.min_managers, c->pol.min_workers, c->pol.max_managers,
		      c->pol.wait_for_minimum ? "true" : "false", m->formed ? "true" : "false",
		      !c->pol.wait_for_minimum || m->formed ? "ready" : "waiting",
		      c->manager_token ? "true" : "false");
	cc_buf_puts(&sb, ",\"OverlayType\":");
	json_append_string(&sb, c->plug[0] ? c->plug[0]->desc.name : "none");
	cc_buf_puts(&sb, ",\"StorageType\":");
	json_append_string(&sb, c->plug[1] ? c->plug[1]->desc.name : "none");
	if (c->manager_addr) {
		cc_buf_puts(&sb, ",\"SwarmManagerAddr\":");
		json_append_string(&sb, c->manager_addr);
	}
	if (m->slot_holder && policy_slot_busy(&c->pol, &(struct policy_view){.slot_holder = m->slot_holder,
									       .slot_granted_ms = m->slot_granted_ms},
					       "", cc_wall_ms())) {
		cc_buf_puts(&sb, ",\"ManagerJoining\":");
		json_append_string(&sb, m->slot_holder);
	}
	cc_buf_puts(&sb, ",\"Nodes\":[");
	for (size_t i = 0; i < state_store_count(c->st); i++) {
		const struct node_rec *r = state_store_node(c->st, i);
		cc_buf_puts(&sb, i ? ",{\"NodeID\":" : "{\"NodeID\":");
		json_append_string(&sb, r->node_id);
		cc_buf_puts(&sb, ",\"Hostname\":");
		json_append_string(&sb, r->hostname);
		cc_buf_puts(&sb, ",\"IP\":");
		json_append_string(&sb, r->ip);
		cc_buf_printf(&sb, ",\"Role\":\"%s\",\"RequestedRole\":\"%s\",\"Status\":\"%s\"",
			      proto_role_name(r->assigned_role), proto_role_name(r->requested_role),
			      proto_status_name(r->last_status));
		cc_buf_puts(&sb, ",\"OS\":");
		json_append_string(&sb, r->os);
		cc_buf_puts(&sb, ",\"DockerVersion\":");
		json_append_string(&sb, r->docker_version);
		if (r->cpu >= 0)
			cc_buf_printf(&sb, ",\"CPU\":%lld", (long long)r->cpu);
		if (r->memory >= 0)
			cc_buf_printf(&sb, ",\"Memory\":%lld", (long long)r->memory);
		cc_buf_printf(&sb, ",\"GlusterCapable\":%s", r->gluster_capable ? "true" : "false");
		rfc3339(ts, r->first_seen_ms);
		cc_buf_printf(&sb, ",\"FirstSeen\":\"%s\"", ts);
		rfc3339(ts, r->last_seen_ms);
		cc_buf_printf(&sb, ",\"LastSeen\":\"%s\"", ts);
		if (r->swarm_reported) {
			cc_buf_puts(&sb, ",\"Swarm\":{\"NodeID\":");
			json_append_string(&sb, r->swarm_node_id);
			cc_buf_puts(&sb, ",\"LocalNodeState\":");
			json_append_string(&sb, r->swarm_state);
			cc_buf_printf(&sb, ",\"ControlAvailable\":%s}",
				      r->swarm_control_available ? "true" : "false");
		}
		cc_buf_puts(&sb, "}");
	}
	cc_buf_puts(&sb, "]}\n");
	len = sb.len;
	respond_now(c, cn, cc_buf_detach(&sb), len);
}

static void handle_request(struct ctl *c, struct conn *cn)
{
	struct json_object *obj = framer_take(&cn->fr);
	struct request rq;
	char *err = NULL;

	if (protocol_decode(obj, &rq, &err) < 0) {
		json_object_put(obj);
		respond_error(c, cn, err ? err : "out of memory");
		free(err);
		return;
	}
	json_object_put(obj);
	if (c->secret && !rq.join_secret) {
		respond_error(c, cn, "JoinSecret is missing: this controller requires the cluster's join "
				     "secret (printed by 'clusterctl master init', stored in its state directory)");
		goto out;
	}
	if (c->secret && !join_secret_equal(c->secret, rq.join_secret)) {
		respond_error(c, cn, "JoinSecret is wrong: it does not match this controller's join secret");
		goto out;
	}
	if (c->failed) {
		respond_error(c, cn, "the controller cannot write its state and is shutting down");
		goto out;
	}
	if (rq.kind == REQ_STATUS)
		handle_status(c, cn);
	else
		handle_registration(c, cn, &rq.reg);
out:
	request_free(&rq);
}

static void conn_readable(struct ctl *c, struct conn *cn)
{
	char buf[READ_CHUNK];
	size_t after = 0;

	for (;;) {
		ssize_t n = read(cn->fd, buf, sizeof buf);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			log_debug("client %s: read error: %s", cn->peer, strerror(errno));
			conn_close(c, cn);
			return;
		}
		if (n == 0) {
			framer_eof(&cn->fr);
			break;
		}
		if (cn->fr.state == FRAME_DONE)
			after += (size_t)n;
		framer_feed(&cn->fr, buf, (size_t)n);
		if (cn->fr.state == FRAME_ERROR)
			break;
		/* Done: look at what already arrived behind the object (it
		 * must be whitespace), but never read on for ever. */
		if (cn->fr.state == FRAME_DONE && after > (size_t)c->cfg->max_request_bytes)
			break;
	}
	if (cn->fr.state == FRAME_ERROR)
		respond_error(c, cn, cn->fr.err ? cn->fr.err : "invalid request");
	else if (cn->fr.state == FRAME_DONE)
		handle_request(c, cn);
}

static void on_accept(struct ctl *c)
{
	while (c->accepting && c->nconns < (size_t)c->cfg->max_connections) {
		struct sockaddr_in sa;
		socklen_t sl = sizeof sa;
		struct epoll_event ev;
		struct conn *cn;
		int fd = accept4(c->lfd, (struct sockaddr *)&sa, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
				/* Out of descriptors: stop accepting for a moment
				 * instead of spinning on the ready socket. */
				log_warn("cannot accept connections: %s (open connections=%zu)", strerror(errno),
					 c->nconns);
				listen_enable(c, false);
				c->resume_accept_at = cc_mono_ms() + 200;
			}
			return;
		}
		cn = calloc(1, sizeof *cn);
		if (!cn || framer_init(&cn->fr, (size_t)c->cfg->max_request_bytes) < 0) {
			free(cn);
			close(fd);
			continue;
		}
		cn->fd = fd;
		if (sa.sin_family == AF_INET)
			snprintf(cn->peer, sizeof cn->peer, "%s:%u", inet_ntoa(sa.sin_addr), ntohs(sa.sin_port));
		else
			snprintf(cn->peer, sizeof cn->peer, "?");
		ev.events = EPOLLIN;
		ev.data.ptr = cn;
		if (epoll_ctl(c->ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
			framer_free(&cn->fr);
			free(cn);
			close(fd);
			continue;
		}
		c->nconns++;
		timer_arm(c, cn);
	}
	if (c->nconns >= (size_t)c->cfg->max_connections) {
		log_warn("connection limit reached (max-connections=%lld): new clients wait in the backlog",
			 c->cfg->max_connections);
		listen_enable(c, false);
	}
}

static void expire(struct ctl *c)
{
	int64_t now = cc_mono_ms();
	while (c->thead && c->thead->deadline <= now) {
		struct conn *cn = c->thead;
		if (cn->state == C_READING) {
			char msg[128];
			snprintf(msg, sizeof msg, "request not complete within %lld s (request-timeout)",
				 c->cfg->request_timeout);
			timer_unlink(c, cn);
			respond_error(c, cn, msg);
		} else {
			log_warn("client %s did not read its answer within %lld s; closing", cn->peer,
				 c->cfg->request_timeout);
			conn_close(c, cn);
		}
	}
}

/* Answer a batch whose records are durable, or refuse it when they
 * could not be made so. */
static void answer_batch(struct ctl *c, struct conn *head, bool durable)
{
	struct conn *cn, *next;

	for (cn = head; cn; cn = next) {
		next = cn->snext;
		if (durable) {
			cn->state = C_WRITING;
			timer_arm(c, cn);
			conn_write(c, cn);
			continue;
		}
		free(cn->out);
		cn->out = NULL;
		cn->state = C_READING;
		timer_arm(c, cn);
		respond_error(c, cn, "the controller could not store the registration durably; retry later");
	}
}

static void store_failed(struct ctl *c, struct conn *head, const char *err)
{
	log_error("cannot make registrations durable: %s; refusing further registrations and stopping",
		  err ? err : "?");
	c->failed = true;
	answer_batch(c, head, false);
}

/* End of a loop iteration: write the batch's records and have the sync
 * worker make them durable, unless it is still busy with the previous
 * batch (then this one grows until it is done: group commit). */
static void flush_batch(struct ctl *c)
{
	struct conn *head = c->shead;
	char *err = NULL;
	int fd, r;

	if (!head || sync_worker_busy(c->sw))
		return;
	c->shead = c->stail = NULL;
	r = state_store_write_queue(c->st, &fd, &err);
	if (r < 0)
		store_failed(c, head, err);
	else if (r == 0)
		answer_batch(c, head, true); /* nothing new to store */
	else {
		c->fhead = head;
		sync_worker_request(c->sw, fd);
	}
	free(err);
}

/* The sync worker finished: answer its batch, then compact while no
 * sync is in flight (compaction replaces the log file). */
static void sync_done(struct ctl *c)
{
	struct conn *head = c->fhead;
	char *err = NULL;
	int res;

	if (sync_worker_collect(c->sw, &res) <= 0)
		return;
	c->fhead = NULL;
	if (state_store_synced(c->st, res, &err) < 0) {
		store_failed(c, head, err);
		free(err);
		return;
	}
	answer_batch(c, head, true);
	if (state_store_compact(c->st, false, &err) < 0) {
		log_error("cannot write the state image: %s; stopping", err ? err : "?");
		c->failed = true;
	}
	free(err);
}

static void start_drain(struct ctl *c, const char *why)
{
	if (c->draining)
		return;
	c->draining = true;
	log_info("%s: no new connections; finishing %zu in-flight request(s)", why, c->nconns);
	notify_statef("STOPPING=1\nSTATUS=stopping (%s): finishing %zu request(s)", why, c->nconns);
	listen_enable(c, false);
	if (c->lfd >= 0) {
		close(c->lfd);
		c->lfd = -1;
	}
}

static int loop(struct ctl *c)
{
	struct epoll_event evs[256];

	while (!(c->draining && c->nconns == 0)) {
		int64_t now = cc_mono_ms(), wake = now + 60000;
		int n, timeout;

		if (c->thead && c->thead->deadline < wake)
			wake = c->thead->deadline;
		if (!c->manager_token && !c->draining && c->next_refresh < wake)
			wake = c->next_refresh;
		if (!c->accepting && !c->draining && c->resume_accept_at && c->resume_accept_at < wake)
			wake = c->resume_accept_at;
		if (notify_watchdog_due(&c->wd) < wake)
			wake = notify_watchdog_due(&c->wd);
		timeout = wake > now ? (int)(wake - now) : 0;
		n = epoll_wait(c->ep, evs, (int)ARRAY_SIZE(evs), timeout);
		if (n < 0 && errno != EINTR) {
			log_error("epoll_wait: %s", strerror(errno));
			return -errno;
		}
		for (int i = 0; i < n; i++) {
			struct conn *cn = evs[i].data.ptr;
			if (cn == NULL) {
				on_accept(c);
			} else if ((void *)cn == (void *)c->sw) {
				sync_done(c);
			} else if ((void *)cn == (void *)c) {
				struct signalfd_siginfo si;
				if (read(c->sfd, &si, sizeof si) == (ssize_t)sizeof si)
					start_drain(c, si.ssi_signo == SIGINT ? "SIGINT" : "SIGTERM");
			} else if (cn->state == C_SYNC_WAIT) {
				/* Hang-up is reported whatever the mask: stop it
				 * waking the loop until the batch is answered (the
				 * send then fails and closes the connection). */
				epoll_ctl(c->ep, EPOLL_CTL_DEL, cn->fd, NULL);
			} else if (cn->state == C_READING) {
				conn_readable(c, cn);
			} else if (cn->state == C_WRITING) {
				conn_write(c, cn);
			}
		}
		flush_batch(c);
		expire(c);
		now = cc_mono_ms();
		if (c->resume_accept_at && now >= c->resume_accept_at && !c->draining) {
			c->resume_accept_at = 0;
			if (c->nconns < (size_t)c->cfg->max_connections)
				listen_enable(c, true);
		}
		if (!c->draining && now >= c->next_refresh)
			refresh_tokens(c);
		if (c->failed)
			start_drain(c, "state store failure");
		notify_watchdog_tick(&c->wd, now);
	}
	return c->failed ? -EIO : 0;
}

/* ---- start-up ---------------------------------------------------------- */

static int open_listener(struct ctl *c)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	uint32_t ip;
	uint16_t port;
	socklen_t sl = sizeof sa;
	int one = 1;

	if (cc_parse_ipv4_port(c->cfg->listen, CC_PORT_ZERO_OK, &ip, &port) < 0) {
		log_error("--listen \"%s\" is not an IPv4 address and port like 0.0.0.0:7000", c->cfg->listen);
		return -EINVAL;
	}
	sa.sin_addr.s_addr = htonl(ip);
	sa.sin_port = htons(port);
	c->lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->lfd < 0) {
		log_error("socket: %s", strerror(errno));
		return -errno;
	}
	setsockopt(c->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (bind(c->lfd, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(c->lfd, 1024) < 0) {
		int e = errno;
		log_error("cannot listen on %s: %s", c->cfg->listen, strerror(e));
		return -e;
	}
	getsockname(c->lfd, (struct sockaddr *)&sa, &sl);
	{
		char shown[CC_IPV4_STRLEN];
		cc_format_ipv4(ip, shown);
		log_info("controller listening on %s:%u", shown, ntohs(sa.sin_port));
	}
	return 0;
}

static int load_secret(struct ctl *c)
{
	struct cc_buf sb = CC_BUF_INIT;
	char *err = NULL;
	int r;

	cc_buf_printf(&sb, "%s/%s", c->cfg->state_dir, JOIN_SECRET_FILE);
	if (sb.oom)
		return -ENOMEM;
	if (c->cfg->insecure_no_join_secret) {
		log_warn("INSECURE: --insecure-no-join-secret: serving WITHOUT a join secret; anyone who can "
			 "reach %s gets Swarm join tokens, including the manager token that controls the "
			 "whole swarm",
			 c->cfg->listen);
		cc_buf_free(&sb);
		return 0;
	}
	r = join_secret_read(sb.buf, &c->secret, &err);
	if (r == -ENOENT)
		log_error("no join secret at %s: run 'clusterctl master init' first (it creates one), or pass "
			  "--insecure-no-join-secret to serve without one",
			  sb.buf);
	else if (r < 0)
		log_error("cannot use the join secret: %s", err ? err : strerror(-r));
	else {
		struct stat st;
		if (stat(sb.buf, &st) == 0 && (st.st_mode & 077))
			log_warn("join secret %s is readable by other users (mode %03o); chmod 600 it",
				 sb.buf, st.st_mode & 0777);
	}
	free(err);
	cc_buf_free(&sb);
	return r;
}

static int load_overlay_options(struct ctl *c)
{
	struct json_object *o;
	enum json_tokener_error jerr;
	char *text = NULL;
	int r;

	if (!c->cfg->overlay_config || !*c->cfg->overlay_config)
		return 0;
	r = cc_read_file(c->cfg->overlay_config, 1 << 20, &text, NULL);
	if (r < 0) {
		log_error("cannot read --overlay-config %s: %s", c->cfg->overlay_config,
			  r == -EFBIG ? "larger than 1 MiB" : strerror(-r));
		return r;
	}
	o = json_tokener_parse_verbose(text, &jerr);
	free(text);
	if (!o || !json_object_is_type(o, json_type_object)) {
		log_error("--overlay-config %s must hold one JSON object: %s", c->cfg->overlay_config,
			  o ? "it holds another JSON value" : json_tokener_error_desc(jerr));
		json_object_put(o);
		return -EINVAL;
	}
	c->overlay_options = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	return c->overlay_options ? 0 : -ENOMEM;
}

static int setup_signals(struct ctl *c)
{
	sigset_t set;
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};

	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -errno;
	c->sfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (c->sfd < 0 || epoll_ctl(c->ep, EPOLL_CTL_ADD, c->sfd, &ev) < 0)
		return -errno;
	return 0;
}

int cmd_master_serve(struct app *a)
{
	struct ctl c = {0};
	const struct config *cfg = &a->cfg;
	char *err = NULL;
	int rc = EXIT_FAILURE_, r;

	/* Big transient buffers (a plugin's view of 10,000 nodes, a status
	 * answer) go back to the system when freed: a fixed mmap threshold
	 * stops glibc from raising it and keeping them in the heap. */
	mallopt(M_MMAP_THRESHOLD, 128 * 1024);
	c.a = a;
	c.cfg = cfg;
	c.ep = c.lfd = c.sfd = -1;
	c.pol.wait_for_minimum = cfg->wait_for_minimum;
	c.pol.min_managers = (unsigned)cfg->min_managers;
	c.pol.min_workers = (unsigned)cfg->min_workers;
	c.pol.max_managers = (unsigned)cfg->max_managers;
	c.pol.manager_join_timeout_ms = cfg->manager_join_timeout * 1000;

	if (cfg->wait_for_minimum && cfg->min_managers > cfg->max_managers) {
		log_error("--min-managers %lld is more than --max-managers %lld: the cluster could never form",
			  cfg->min_managers, cfg->max_managers);
		return EXIT_USAGE;
	}
	if (load_secret(&c) < 0)
		goto out;
	if (load_overlay_options(&c) < 0) {
		rc = EXIT_USAGE;
		goto out;
	}
	if ((r = app_providers(a, true, true)) < 0) {
		rc = r == -ENOENT ? EXIT_USAGE : EXIT_FAILURE_;
		goto out;
	}
	c.plug[STORE_SLOT_OVERLAY] = a->overlay;
	c.plug[STORE_SLOT_STORAGE] = a->storage;
	/* The lock first: a second controller stops here, before touching
	 * the state files or the port. */
	if (state_store_open(cfg->state_dir, &c.st, &err) < 0) {
		log_error("cannot open the controller state: %s", err ? err : "?");
		goto out;
	}
	{
		unsigned mg, wk;
		state_store_counts(c.st, &mg, &wk);
		log_info("state loaded dir=%s nodes=%zu managers=%u workers=%u formed=%s", cfg->state_dir,
			 state_store_count(c.st), mg, wk, state_store_meta(c.st)->formed ? "yes" : "no");
	}
	c.ep = epoll_create1(EPOLL_CLOEXEC);
	if (c.ep < 0 || setup_signals(&c) < 0) {
		log_error("cannot set up the event loop: %s", strerror(errno));
		goto out;
	}
	if ((r = sync_worker_start(&c.sw)) < 0 ||
	    epoll_ctl(c.ep, EPOLL_CTL_ADD, sync_worker_fd(c.sw),
		      &(struct epoll_event){.events = EPOLLIN, .data.ptr = c.sw}) < 0) {
		log_error("cannot start the state sync thread: %s", strerror(r < 0 ? -r : errno));
		goto out;
	}
	if (open_listener(&c) < 0)
		goto out;
	listen_enable(&c, true);
	refresh_tokens(&c);
	log_info("serving overlay=%s storage=%s wait-for-minimum=%s min-managers=%u min-workers=%u "
		 "max-managers=%u join-secret=%s",
		 a->overlay->desc.name, a->storage->desc.name, cfg->wait_for_minimum ? "yes" : "no",
		 c.pol.min_managers, c.pol.min_workers, c.pol.max_managers, c.secret ? "required" : "NONE");
	/* Listening: a Type=notify unit is started now, not at exec. */
	notify_watchdog_init(&c.wd, cc_mono_ms());
	notify_statef("READY=1\nSTATUS=serving on %s overlay=%s storage=%s", cfg->listen, a->overlay->desc.name,
		      a->storage->desc.name);
	r = loop(&c);
	/* The loop ends with no connection left, so no batch is in flight. */
	sync_worker_stop(c.sw);
	c.sw = NULL;
	if (state_store_close(c.st, !c.failed, &err) < 0) {
		log_error("cannot flush the controller state: %s", err ? err : "?");
		c.st = NULL;
		goto out;
	}
	c.st = NULL;
	if (r == 0) {
		log_info("controller stopped; state flushed to %s", cfg->state_dir);
		rc = EXIT_OK;
	}
out:
	sync_worker_stop(c.sw);
	if (c.st)
		state_store_close(c.st, false, NULL);
	if (c.lfd >= 0)
		close(c.lfd);
	if (c.sfd >= 0)
		close(c.sfd);
	if (c.ep >= 0)
		close(c.ep);
	if (c.dk)
		docker_close(c.dk);
	cc_buf_free(&c.scratch);
	for (int k = 0; k < STORE_NSLOTS; k++) {
		cc_buf_free(&c.cache[k].text);
		free(c.cache[k].offs);
	}
	free(c.worker_token);
	free(c.manager_token);
	free(c.manager_addr);
	free(c.docker_err);
	free(c.overlay_options);
	free(c.secret);
	free(err);
	return rc;
}
