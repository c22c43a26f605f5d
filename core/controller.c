/* `clusterctl master serve`: the controller.
 *
 * One event-loop thread (epoll).  A connection is read incrementally (the
 * end of the first JSON object ends the request), bounded in size and in
 * time, and answered once:
 *   - invalid, unauthorised or read-only requests are answered at once,
 *     and so is "waiting" for what passes by itself (a busy provider);
 *   - a registration changes the in-memory state and queues a log record;
 *     its answer waits until the end of the loop iteration, when one
 *     fdatasync() makes the whole batch durable, and is written then.
 * A connection that is slow or hostile only ever costs its own slot
 * (--max-connections) until its deadline (--request-timeout).
 *
 * Join tokens come from the local Docker engine, cached and refreshed on
 * a timer (or, when missing, at most every few seconds) by the Docker
 * worker's thread (docker-worker.c), as are promotions and demotions: no
 * answer waits for the engine.  The disk's slow work (fdatasync, the
 * compaction's image) is the sync worker's (sync-worker.c). */
#include "autoconfig.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
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
#include "conn-limit.h"
#include "docker-worker.h"
#include "host-services.h"
#include "join-secret.h"
#include "join-token.h"
#include "log.h"
#include "metrics.h"
#include "node-auth.h"
#include "node-compat.h"
#include "node-health.h"
#include "node-remove.h"
#include "plan-check.h"
#include "policy.h"
#include "protocol.h"
#include "sd-notify.h"
#include "state-store.h"
#include "sync-worker.h"
#include "tls.h"
#include "util.h"

#define READ_CHUNK 16384
#define TOKEN_REFRESH_MS (60 * 1000)
#define TOKEN_RETRY_MS (5 * 1000)
/* master serve waits this long for the engine's first answer before
 * listening, so the first nodes are not sent away for nothing. */
#define TOKEN_FIRST_WAIT_MS 3000
/* Unfinished requests: 4 KiB each (a registration is 1-3 KiB) whatever
 * others send, and 8 MiB shared beyond that; with 2,048 connections the
 * buffers stay under 16 MiB. */
#define PREAUTH_FREE_EACH (4u << 10)
#define PREAUTH_SHARED_MAX (8u << 20)

/* C_CLOSED: the socket is gone but the memory stays until the end of the
 * loop turn (reap_closed), because events of the same epoll_wait batch
 * may still point at it. */
enum conn_state { C_READING = 0, C_SYNC_WAIT, C_WRITING, C_CLOSED };

struct conn {
	int fd;
	int state;
	struct framer fr;
	int64_t deadline;               /* monotonic ms */
	struct conn *tprev, *tnext;     /* deadline list, earliest first */
	struct conn *snext;             /* waiting for the batch fsync */
	struct conn *dnext;             /* closed, freed at the end of the turn */
	char *out;
	size_t out_len, out_off;
	char peer[32];
	int64_t accepted_ns;            /* for the request latency metric */
	struct tls_stream *tls;         /* NULL with --insecure-plaintext */
	uint32_t src;                   /* source IPv4, for its connection count */
	size_t held;                    /* request bytes buffered (preauth budget) */
	int64_t last_rx;                /* monotonic ms of its last bytes (or accept) */
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
	struct conn *dead;              /* closed in this loop turn */
	struct store_image *img;        /* a compaction the sync worker writes */
	struct sync_worker *sw;
	struct state_store *st;
	char *secret;
	char *manager_secret;           /* NULL: the join secret grants managers */
	struct node_auth *auth;         /* each node's pinned key */
	struct tls_server *tls;         /* NULL with --insecure-plaintext */
	/* What clients hold before their secret is checked. */
	struct source_limit srcs;
	struct preauth_budget pre;
	int64_t next_src_warn;
	struct policy_cfg pol;
	struct plugin *plug[STORE_NSLOTS];
	/* Docker */
	struct docker_worker *dw;
	char *worker_token, *manager_token, *manager_addr;
	char *docker_err;
	int64_t next_refresh;
	struct notify_watchdog wd;      /* systemd's WatchdogSec, when set */
	struct node_health *health;     /* versions and provider health, from heartbeats */
	int64_t next_gauges;            /* when the metrics' store gauges are published next */
};

/* ---- Docker: join tokens and the manager address ---------------------- */

/* Every call to the engine is made by c->dw's thread; the loop asks,
 * and takes the answers when the worker's eventfd says they are there. */

static void set_docker_err(struct ctl *c, char *msg)
{
	if (!c->docker_err || strcmp(c->docker_err, msg ? msg : "") != 0)
		log_warn("cannot read the Swarm join tokens from the local Docker engine (%s); nodes are "
			 "answered \"waiting\" until it works",
			 msg ? msg : "out of memory");
	free(c->docker_err);
	c->docker_err = msg;
}

/* Ask for the tokens when they are due and no ask is out: a hung engine
 * holds one ask, never the loop. */
static void tokens_due(struct ctl *c, int64_t now)
{
	if (c->draining || now < c->next_refresh || docker_worker_tokens_pending(c->dw))
		return;
	if (docker_worker_tokens(c->dw) < 0)
		c->next_refresh = now + TOKEN_RETRY_MS;
}

static void tokens_result(struct ctl *c, struct docker_result *res)
{
	bool had = c->manager_token != NULL;

	if (res->r < 0) {
		c->next_refresh = cc_mono_ms() + TOKEN_RETRY_MS;
		set_docker_err(c, res->err);
		res->err = NULL;
		return;
	}
	free(c->worker_token);
	free(c->manager_token);
	free(c->manager_addr);
	c->worker_token = res->worker_token;
	c->manager_token = res->manager_token;
	c->manager_addr = res->manager_addr;
	res->worker_token = res->manager_token = res->manager_addr = NULL;
	if (!had || c->docker_err)
		log_info("Swarm join tokens cached swarm=%s manager_addr=%s", res->swarm_id ? res->swarm_id : "?",
			 c->manager_addr);
	free(c->docker_err);
	c->docker_err = NULL;
	c->next_refresh = cc_mono_ms() + TOKEN_REFRESH_MS;
}

/* A role change failed: logged; the node, still seeing its old role,
 * asks again and the change is asked again. */
static void role_result(const struct docker_result *res)
{
	bool mgr = strcmp(res->role, "manager") == 0;
	if (res->r < 0)
		log_warn("could not %s node=%s swarm_node=%s: %s", mgr ? "promote" : "demote", res->hostname,
			 res->node_id, res->err ? res->err : strerror(-res->r));
	else
		log_info("%s node=%s swarm_node=%s as decided", mgr ? "promoted" : "demoted", res->hostname,
			 res->node_id);
}

static void docker_done(struct ctl *c);

/* Before listening: the engine's first answer, so that the first nodes
 * are not sent away for nothing.  Bounded: a hung engine delays the start
 * by TOKEN_FIRST_WAIT_MS, and the loop takes the answer when it comes. */
static void first_tokens(struct ctl *c)
{
	struct pollfd pf = {.fd = docker_worker_fd(c->dw), .events = POLLIN};
	int64_t end = cc_mono_ms() + TOKEN_FIRST_WAIT_MS;

	tokens_due(c, cc_mono_ms());
	while (docker_worker_tokens_pending(c->dw)) {
		int64_t left = end - cc_mono_ms();
		if (left <= 0) {
			log_warn("the local Docker engine at %s has not answered within %d s; serving, and nodes "
				 "are answered \"waiting\" until it does",
				 c->cfg->docker_socket && *c->cfg->docker_socket ? c->cfg->docker_socket
										: "/var/run/docker.sock",
				 TOKEN_FIRST_WAIT_MS / 1000);
			return;
		}
		if (poll(&pf, 1, (int)left) > 0)
			docker_done(c);
	}
}

static void docker_done(struct ctl *c)
{
	struct docker_result *all = docker_worker_collect(c->dw);
	for (struct docker_result *res = all; res; res = res->next) {
		if (res->kind == DOCKER_JOB_TOKENS)
			tokens_result(c, res);
		else
			role_result(res);
	}
	docker_result_free(all);
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
	if (cn->state == C_CLOSED)
		return;
	timer_unlink(c, cn);
	/* TLS's close_notify goes before the socket's own end. */
	tls_stream_free(cn->tls);
	cn->tls = NULL;
	/* Read what the client still sent, so close() does not turn into a
	 * reset that could destroy the answer before the client reads it. */
	shutdown(cn->fd, SHUT_WR);
	for (int i = 0; i < 16 && read(cn->fd, sink, sizeof sink) > 0; i++)
		;
	epoll_ctl(c->ep, EPOLL_CTL_DEL, cn->fd, NULL);
	close(cn->fd);
	cn->fd = -1;
	metrics_request_seconds((double)(cc_mono_ns() - cn->accepted_ns) / 1e9);
	source_limit_put(&c->srcs, cn->src);
	preauth_release(&c->pre, &cn->held);
	framer_free(&cn->fr);
	free(cn->out);
	cn->out = NULL;
	cn->state = C_CLOSED;
	/* Not freed yet: a connection answered by a batch (answer_batch) may
	 * also have a hang-up further down the same epoll_wait result. */
	cn->dnext = c->dead;
	c->dead = cn;
	c->nconns--;
	if (!c->draining && c->nconns < (size_t)c->cfg->max_connections)
		listen_enable(c, true);
}

/* End of a loop turn: no event of the batch can name these any more. */
static void reap_closed(struct ctl *c)
{
	while (c->dead) {
		struct conn *cn = c->dead;
		c->dead = cn->dnext;
		free(cn);
	}
}

static void conn_events(struct ctl *c, struct conn *cn, uint32_t events)
{
	struct epoll_event ev = {.events = events, .data.ptr = cn};
	/* A parked connection that hung up was taken out of the set (see
	 * loop); put it back if it still has something to wait for. */
	if (epoll_ctl(c->ep, EPOLL_CTL_MOD, cn->fd, &ev) < 0 && errno == ENOENT)
		epoll_ctl(c->ep, EPOLL_CTL_ADD, cn->fd, &ev);
}

static void conn_write(struct ctl *c, struct conn *cn)
{
	while (cn->out_off < cn->out_len) {
		ssize_t n = tls_io_write(cn->tls, cn->fd, cn->out + cn->out_off, cn->out_len - cn->out_off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				if (cn->state != C_WRITING) {
					cn->state = C_WRITING;
					timer_arm(c, cn);
				}
				/* TLS may need to read before it can write. */
				conn_events(c, cn, cn->tls && !tls_stream_wants_write(cn->tls) ? EPOLLIN : EPOLLOUT);
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
	metrics_invalid(error);
	respond_now(c, cn, t, len);
}

/* Seconds a node waits after a failure that passes by itself. */
#define RETRY_TRANSIENT_S 5

/* "waiting" at once, nothing stored: what failed will pass by itself (a
 * busy provider, a store that cannot write, a controller stopping), so
 * the node asks again rather than give up.  "error" is kept for what a
 * person must fix. */
static void respond_waiting(struct ctl *c, struct conn *cn, const char *message)
{
	struct response resp = {.status = PROTO_WAITING, .retry_after = RETRY_TRANSIENT_S, .message = message,
				.have_counts = true, .min_managers = c->pol.min_managers,
				.min_workers = c->pol.min_workers};
	size_t len;
	char *t;

	state_store_counts(c->st, &resp.registered_managers, &resp.registered_workers);
	t = protocol_encode_response(&resp, &len);
	log_warn("asked %s to retry in %d s: %s", cn->peer, RETRY_TRANSIENT_S, message);
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


/* A stored node as plugin k sees it: its own record only. */
static void node_view(const struct node_rec *r, int k, const char *plugin, struct clusterctl_node *out)
{
	*out = (struct clusterctl_node){
		.struct_size = sizeof *out,
		.node_id = *r->node_id ? r->node_id : r->hostname,
		.hostname = r->hostname,
		.ip = r->ip,
		.swarm_role = proto_role_name(r->assigned_role),
		.storage_capable = r->gluster_capable,
		.record_json = r->slot[k].plugin && strcmp(r->slot[k].plugin, plugin) == 0 ? r->slot[k].record
											   : NULL,
	};
}

/* master serve start: each provider builds its index from the store,
 * once, before the first plan. */
static void providers_load(struct ctl *c)
{
	for (int k = 0; k < STORE_NSLOTS; k++) {
		struct plugin *p = c->plug[k];
		if (!p || !p->desc.node_event)
			continue;
		for (size_t i = 0; i < state_store_count(c->st); i++) {
			struct clusterctl_node n;
			node_view(state_store_node(c->st, i), k, p->desc.name, &n);
			provider_node_event(p, CLUSTERCTL_NODE_LOADED, &n);
		}
		provider_node_event(p, CLUSTERCTL_NODE_NODES_READY, NULL);
	}
}

/* ---- registrations ------------------------------------------------------ */

/* One registration on its way through handle_registration's steps; one
 * cleanup (reg_free) whatever step ended it. */
struct reg {
	const struct registration *in;
	char *key;                 /* "id:<NodeID>" or "host:<Hostname>" */
	char *replaces;            /* the NodeID-less record this one takes over */
	const struct node_rec *prev; /* into the store: valid until the put */
	bool is_new;
	const char *policy_key;    /* the key policy and the slot holder speak of */
	struct policy_decision d;
	struct plan_result pr[STORE_NSLOTS];
	int status;                /* what the node is answered */
	unsigned retry_after;
	const char *message;       /* borrowed from d, pr or msg */
	char *msg;
	bool grant, was_holder;
	char *old_holder;          /* the slot holder before this registration */
	struct node_rec rec;       /* the record to store */
	bool stored;               /* the put of rec succeeded */
	char *err;                 /* a refusal for the node */
};

static void reg_free(struct reg *g)
{
	for (int k = 0; k < STORE_NSLOTS; k++)
		plan_result_free(&g->pr[k]);
	g->rec.key = NULL; /* g->key */
	node_rec_free(&g->rec);
	free(g->key);
	free(g->replaces);
	free(g->msg);
	free(g->old_holder);
	free(g->err);
}

static char *key_of(const char *prefix, const char *v) { return cc_strdupf("%s:%s", prefix, v); }

/* 1. Who is it: by NodeID, else by host name; a NodeID-less record of
 * the same host is the same machine (a minimal client, then the agent). */
static int resolve_identity(struct ctl *c, struct reg *g)
{
	const struct registration *reg = g->in;

	if (!(g->key = reg->node_id ? key_of("id", reg->node_id) : key_of("host", reg->hostname)))
		return -ENOMEM;
	g->prev = state_store_find(c->st, g->key);
	if (!g->prev && reg->node_id) {
		char *hk = key_of("host", reg->hostname);
		const struct node_rec *h = hk ? state_store_find(c->st, hk) : NULL;
		if (!hk)
			return -ENOMEM;
		if (h && !*h->node_id) {
			g->prev = h;
			g->replaces = hk;
		} else {
			free(hk);
		}
	}
	g->is_new = g->prev == NULL;
	g->policy_key = g->replaces ? g->replaces : g->key;
	return 0;
}

/* 2. Policy: the role and whether the node may go on. */
static void decide(struct ctl *c, struct reg *g)
{
	const struct registration *reg = g->in;
	const struct cluster_meta *meta = state_store_meta(c->st);
	struct policy_view view = {0};
	struct policy_node pn = {0};
	struct policy_input in = {0};

	state_store_counts(c->st, &view.managers, &view.workers);
	if (g->prev) {
		if (g->prev->assigned_role == PROTO_ROLE_MANAGER)
			view.managers--;
		else
			view.workers--;
		pn.known = true;
		pn.requested_role = g->prev->requested_role;
		pn.assigned_role = g->prev->assigned_role;
	}
	view.formed = meta->formed;
	view.slot_holder = meta->slot_holder;
	view.slot_granted_ms = meta->slot_granted_ms;
	in.key = g->policy_key;
	in.requested_role = reg->role;
	in.reachable_manager = reg->swarm.present && reg->swarm.control_available && reg->swarm.local_state &&
			       strcmp(reg->swarm.local_state, "active") == 0;
	in.now_ms = cc_wall_ms();
	policy_decide(&c->pol, &view, &pn, &in, &g->d);
}

/* 3. Each provider's plan for the node. */
static int plan_providers(struct ctl *c, struct reg *g)
{
	const struct registration *reg = g->in;

	for (int k = 0; k < STORE_NSLOTS; k++) {
		struct plugin *p = c->plug[k];
		const struct node_rec *prev = g->prev;
		struct clusterctl_node node;
		struct clusterctl_plan_in in = {.struct_size = sizeof in};
		const char *obs;
		int r;

		if (!p)
			continue;
		node = (struct clusterctl_node){
			.struct_size = sizeof node,
			.node_id = reg->node_id ? reg->node_id : reg->hostname,
			.hostname = reg->hostname,
			.ip = reg->ip,
			.swarm_role = proto_role_name(g->d.assigned_role),
			.storage_capable = reg->gluster_capable,
			.record_json = prev && prev->slot[k].plugin && strcmp(prev->slot[k].plugin, p->desc.name) == 0
					       ? prev->slot[k].record
					       : NULL,
		};
		obs = k == STORE_SLOT_OVERLAY ? reg->observed_overlay : reg->observed_storage;
		in.node = &node;
		in.observed_json = obs ? obs : "{}";
		/* --overlay-config holds the overlay's options (and maybe its
		 * secrets): the storage plugin is not handed them. */
		in.options_json = k == STORE_SLOT_OVERLAY && c->a->overlay_options ? c->a->overlay_options : "{}";
		in.flags = g->is_new ? CLUSTERCTL_PLAN_NEW_NODE : 0;
		if ((r = provider_plan(p, k == STORE_SLOT_STORAGE, &in, &g->pr[k], &g->err)) < 0)
			return r;
	}
	return 0;
}

/* 4. The answer's status: policy first, then the providers, then the
 * join tokens. */
static int compose_status(struct ctl *c, struct reg *g)
{
	g->status = g->d.status;
	g->retry_after = g->d.retry_after;
	g->message = g->d.message[0] ? g->d.message : NULL;
	for (int k = 0; g->status == PROTO_READY && k < STORE_NSLOTS; k++)
		if (c->plug[k] && g->pr[k].waiting) {
			g->status = PROTO_WAITING;
			g->retry_after = g->pr[k].retry_after ? g->pr[k].retry_after : 5;
			g->message = g->pr[k].message ? g->pr[k].message : "waiting for the provider";
		}
	if (g->status == PROTO_READY && !c->manager_token) {
		g->status = PROTO_WAITING;
		g->retry_after = TOKEN_RETRY_MS / 1000;
		g->msg = cc_strdupf("the controller cannot hand out Swarm join tokens yet (retrying): %s",
				 c->docker_err ? c->docker_err : "the local Docker engine has not answered yet");
		if (!g->msg)
			return -ENOMEM;
		g->message = g->msg;
	}
	if (!g->message && g->in->manager_denied)
		g->message = "asked for the manager role with the join token: only the manager token "
			     "(manager-secret on the master) grants it; registered as a worker";
	if (!g->message && g->status == PROTO_READY)
		for (int k = 0; k < STORE_NSLOTS; k++)
			if (c->plug[k] && g->pr[k].message)
				g->message = g->pr[k].message;
	g->grant = g->status == PROTO_READY && g->d.slot == SLOT_GRANT;
	return 0;
}

static int dup_field(char **dst, const char *s) { return (*dst = strdup(s ? s : "")) ? 0 : -ENOMEM; }

/* 5. The node's record: what it reported, what it was given, and each
 * provider's record (a plan without one keeps the stored one). */
static int build_record(struct ctl *c, struct reg *g)
{
	const struct registration *reg = g->in;
	struct node_rec *rec = &g->rec;
	int64_t now = cc_wall_ms();

	rec->key = g->key;
	if (dup_field(&rec->node_id, reg->node_id) < 0 || dup_field(&rec->hostname, reg->hostname) < 0 ||
	    dup_field(&rec->ip, reg->ip) < 0 || dup_field(&rec->os, reg->os) < 0 ||
	    dup_field(&rec->docker_version, reg->docker_version) < 0 ||
	    dup_field(&rec->timestamp, reg->timestamp) < 0 ||
	    dup_field(&rec->swarm_node_id, reg->swarm.node_id) < 0 ||
	    dup_field(&rec->swarm_state, reg->swarm.local_state) < 0 ||
	    dup_field(&rec->swarm_cluster_id, reg->swarm.cluster_id) < 0)
		return -ENOMEM;
	rec->cpu = reg->cpu;
	rec->memory = reg->memory;
	rec->requested_role = (uint8_t)reg->role;
	rec->assigned_role = (uint8_t)g->d.assigned_role;
	rec->last_status = (uint8_t)g->status;
	rec->gluster_capable = reg->gluster_capable;
	rec->swarm_reported = reg->swarm.present;
	rec->swarm_control_available = reg->swarm.control_available;
	rec->first_seen_ms = g->prev ? g->prev->first_seen_ms : now;
	rec->last_seen_ms = now;
	for (int k = 0; k < STORE_NSLOTS; k++) {
		const char *name, *keep;
		if (!c->plug[k])
			continue;
		name = c->plug[k]->desc.name;
		keep = g->prev && g->prev->slot[k].plugin && strcmp(g->prev->slot[k].plugin, name) == 0
			       ? g->prev->slot[k].record
			       : NULL;
		if (!(rec->slot[k].plugin = strdup(name)))
			return -ENOMEM;
		if (g->pr[k].record) {
			rec->slot[k].record = g->pr[k].record;
			g->pr[k].record = NULL;
		} else if (keep && !(rec->slot[k].record = strdup(keep))) {
			return -ENOMEM;
		}
	}
	return 0;
}

/* 6. Persist the node, then the cluster record when this registration
 * changed it.  g->stored tells whether the node's put went in, which
 * decides the STORED events even when the cluster record then fails. */
static int persist(struct ctl *c, struct reg *g)
{
	const struct cluster_meta *meta = state_store_meta(c->st);
	struct cluster_meta m = {.formed = meta->formed, .slot_holder = NULL,
				 .slot_granted_ms = meta->slot_granted_ms};
	bool holder_moves = g->replaces && meta->slot_holder && strcmp(meta->slot_holder, g->replaces) == 0;
	int r;

	g->was_holder = meta->slot_holder && strcmp(meta->slot_holder, g->policy_key) == 0;
	if (meta->slot_holder && !(g->old_holder = strdup(meta->slot_holder)))
		return -ENOMEM;
	if ((r = state_store_put_node(c->st, &g->rec, g->replaces)) < 0) {
		g->err = strdup("the controller could not record the registration");
		return r;
	}
	g->stored = true;
	g->prev = NULL; /* the put replaced what it pointed to */
	if (!g->d.formed_now && !g->grant && g->d.slot != SLOT_RELEASE && !holder_moves)
		return 0;
	m.formed = g->d.formed_now ? g->d.formed : meta->formed;
	m.slot_holder = g->old_holder;
	if (g->grant) {
		m.slot_holder = g->key;
		m.slot_granted_ms = g->d.slot_granted_ms;
	} else if (g->d.slot == SLOT_RELEASE) {
		m.slot_holder = NULL;
		m.slot_granted_ms = 0;
	} else if (holder_moves) {
		m.slot_holder = g->key; /* the slot follows the node to its new key */
	}
	if ((r = state_store_put_meta(c->st, &m)) < 0)
		g->err = strdup("the controller could not record the cluster state");
	return r;
}

/* 7. Tell each provider what is stored now (in this loop turn, before
 * anything else is planned). */
static void notify_stored(struct ctl *c, struct reg *g)
{
	const struct node_rec *now = state_store_find(c->st, g->key);

	for (int k = 0; now && k < STORE_NSLOTS; k++) {
		struct plugin *p = c->plug[k];
		struct clusterctl_node n;
		if (!p || !p->desc.node_event)
			continue;
		if (g->replaces) {
			/* The old identity is gone from the store. */
			struct clusterctl_node old = {.struct_size = sizeof old, .node_id = g->in->hostname,
						      .hostname = g->in->hostname, .ip = g->in->ip,
						      .swarm_role = proto_role_name(g->d.assigned_role)};
			provider_node_event(p, CLUSTERCTL_NODE_REMOVED, &old);
		}
		node_view(now, k, p->desc.name, &n);
		provider_node_event(p, CLUSTERCTL_NODE_STORED, &n);
	}
}

/* 8. The log lines an admin follows a cluster's formation by. */
static void log_outcome(struct ctl *c, const struct reg *g)
{
	const struct registration *reg = g->in;
	const struct policy_decision *d = &g->d;
	const char *key = g->key;

	log_info("registration node=%s hostname=%s ip=%s asked=%s role=%s status=%s new=%s "
		 "managers=%u workers=%u",
		 key, reg->hostname, reg->ip, proto_role_name(reg->role), proto_role_name(d->assigned_role),
		 proto_status_name(g->status), g->is_new ? "yes" : "no", d->managers, d->workers);
	if (c->pol.wait_for_minimum) {
		if (d->formed_now)
			log_info("gating: cluster formed managers=%u/%u workers=%u/%u; every node is ready "
				 "from now on",
				 d->managers, c->pol.min_managers, d->workers, c->pol.min_workers);
		else if (d->reason == POLICY_WAIT_MINIMUM)
			log_info("gating: waiting node=%s managers=%u/%u workers=%u/%u", key, d->managers,
				 c->pol.min_managers, d->workers, c->pol.min_workers);
	}
	if (d->capped)
		log_info("manager cap: node=%s asked for manager, answered worker (max-managers=%u)", key,
			 c->pol.max_managers);
	if (g->grant && !g->was_holder)
		log_info("manager slot: handed to node=%s; the next manager waits until it reports a "
			 "reachable manager or %lld s pass",
			 key, (long long)(c->pol.manager_join_timeout_ms / 1000));
	if (d->slot == SLOT_RELEASE)
		log_info("manager slot: released, node=%s reports a reachable manager", key);
	if (d->reason == POLICY_WAIT_MANAGER_SLOT)
		log_info("manager slot: node=%s waits, held by node=%s", key, g->old_holder ? g->old_holder : "?");
	if (g->status == PROTO_WAITING && d->status == PROTO_READY)
		log_info("node=%s waits: %s", key, g->message ? g->message : "");
}

/* A node in our swarm whose role differs from the decision: only a
 * manager can change it, and the controller runs on one.  The Docker
 * worker makes the change; the answer does not wait for it. */
static void reconcile_role(struct ctl *c, const struct registration *reg, int role)
{
	const struct observed_swarm *sw = &reg->swarm;
	bool want_mgr = role == PROTO_ROLE_MANAGER;

	if (!sw->present || !sw->node_id || !*sw->node_id || !sw->local_state ||
	    strcmp(sw->local_state, "active") != 0 || sw->control_available == want_mgr)
		return;
	if (docker_worker_set_role(c->dw, sw->node_id, want_mgr ? "manager" : "worker", reg->hostname) < 0)
		log_warn("could not ask to %s node=%s swarm_node=%s: out of memory", want_mgr ? "promote" : "demote",
			 reg->hostname, sw->node_id);
}

/* 9. The answer: tokens and provider instructions only when ready. */
static char *encode_answer(struct ctl *c, struct reg *g, size_t *len)
{
	struct response resp = {0};
	const struct policy_decision *d = &g->d;

	resp.status = g->status;
	resp.retry_after = g->retry_after;
	resp.message = g->message;
	resp.have_counts = true;
	resp.registered_managers = d->managers;
	resp.registered_workers = d->workers;
	resp.min_managers = c->pol.min_managers;
	resp.min_workers = c->pol.min_workers;
	if (g->status == PROTO_READY) {
		resp.swarm_role = d->assigned_role;
		resp.swarm_join_token = d->assigned_role == PROTO_ROLE_MANAGER ? c->manager_token : c->worker_token;
		resp.swarm_manager_addr = c->manager_addr;
		resp.overlay_type = c->plug[STORE_SLOT_OVERLAY] ? c->plug[STORE_SLOT_OVERLAY]->desc.name : "none";
		resp.overlay_payload = g->pr[STORE_SLOT_OVERLAY].payload;
		if (c->plug[STORE_SLOT_STORAGE]) {
			/* The core, not the plugin, speaks the wire's Gluster* names. */
			const struct plan_result *s = &g->pr[STORE_SLOT_STORAGE];
			resp.gluster_enabled = s->storage_enabled;
			resp.gluster_volume = s->volume;
			resp.gluster_mount = s->mount;
			resp.gluster_brick = s->brick ? s->brick : "";
			resp.storage_payload = s->payload;
		}
	}
	return protocol_encode_response(&resp, len);
}

static void handle_registration(struct ctl *c, struct conn *cn, struct registration *in)
{
	struct reg g = {.in = in};
	char *text, *why;
	size_t len;
	int r;

	if ((r = node_compat_check(in, c->plug[STORE_SLOT_OVERLAY] ? c->plug[STORE_SLOT_OVERLAY]->desc.name : NULL,
				   c->plug[STORE_SLOT_STORAGE] ? c->plug[STORE_SLOT_STORAGE]->desc.name : NULL,
				   &g.err)) < 0 ||
	    (r = resolve_identity(c, &g)) < 0)
		goto fail;
	decide(c, &g);
	if ((r = plan_providers(c, &g)) < 0 || (r = compose_status(c, &g)) < 0 || (r = build_record(c, &g)) < 0)
		goto fail;
	r = persist(c, &g);
	if (g.stored) {
		notify_stored(c, &g);
		if (node_health_note(c->health, g.key, g.replaces, in) < 0)
			log_warn("out of memory noting the health of node=%s", g.key);
	}
	if (r < 0)
		goto retry;
	log_outcome(c, &g);
	if (g.status == PROTO_READY)
		reconcile_role(c, in, g.d.assigned_role);
	text = encode_answer(c, &g, &len);
	metrics_registration(proto_status_name(g.status));
	respond_after_sync(c, cn, text, len);
	goto out;
fail:
	/* A provider's own failure is the node's answer; a busy daemon's
	 * (or memory short for a moment) passes by itself. */
	if (plan_error_transient(r))
		goto retry;
	metrics_registration("error");
	respond_error(c, cn, g.err ? g.err : strerror(-r));
	goto out;
retry:
	why = r == -ENOMEM && !g.err ? NULL
	      : cc_strdupf("%s; retrying", g.err ? g.err : strerror(-r));
	metrics_registration("waiting");
	respond_waiting(c, cn, why ? why : "the controller is short of memory; retrying");
	free(why);
out:
	reg_free(&g);
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
	int64_t now = cc_wall_ms(), stale_ms = c->cfg->stale_after * 1000;
	struct health_counts hc;
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
	health_count(c->st, now, stale_ms, &hc);
	health_counts_append(&sb, &hc);
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
		node_health_append(c->health, &sb, r->key, r->last_seen_ms, now, stale_ms);
		cc_buf_puts(&sb, "}");
	}
	cc_buf_puts(&sb, "]}\n");
	len = sb.len;
	respond_now(c, cn, cc_buf_detach(&sb), len);
}

/* A registration must come with the key its NodeID was first seen with
 * (node-auth.h): another host that knows the join token cannot take a
 * node's record over.  0 to go on; -1 when refused (answered here). */
static int check_identity(struct ctl *c, struct conn *cn, const struct registration *reg)
{
	char pin[TLS_PIN_HEXLEN + 1], *key, *err = NULL;
	const char *pinned = NULL;
	bool has = tls_stream_peer_pin(cn->tls, pin);
	int r;

	if (!(key = reg->node_id ? key_of("id", reg->node_id) : key_of("host", reg->hostname))) {
		respond_error(c, cn, "out of memory");
		return -1;
	}
	r = node_auth_check(c->auth, key, has ? pin : NULL, &pinned, &err);
	if (r == NODE_AUTH_PINNED)
		log_info("node key pinned node=%s peer=%s pin=sha256:%s", key, cn->peer, pin);
	if (r == NODE_AUTH_MISMATCH) {
		char *msg = cc_strdupf("%s is another node's: it first registered with key sha256:%s, and this request "
				       "%s; nothing was changed (if that host was reinstalled, delete its line from "
				       "%s/%s on the master)",
				       key, pinned, has ? "proves another key" : "proves no key", c->cfg->state_dir,
				       NODE_KEYS_FILE);
		log_warn("refused registration: %s claims %s, pinned to sha256:%s, with %s%s", cn->peer, key, pinned,
			 has ? "key sha256:" : "no key", has ? pin : "");
		respond_error(c, cn, msg ? msg : "this NodeID is another node's");
		free(msg);
	} else if (r < 0) {
		log_error("%s", err ? err : strerror(-r));
		respond_error(c, cn, "the controller cannot record this node's key just now; retry later");
	}
	free(err);
	free(key);
	return r < 0 ? -1 : 0;
}

/* {"Query":"remove"}: node-remove.c does it.  The forget writes a fresh
 * state image, which must not happen while a batch is being synced.  Its
 * few Docker calls (inspect, demote, rm) are made here with a client of
 * its own: an admin's rare act, bounded by the engine client's timeout. */
static void handle_remove(struct ctl *c, struct conn *cn, const struct request *rq)
{
	struct remove_env e = {.st = c->st, .plug = c->plug, .health = c->health,
			       .stale_after_ms = c->cfg->stale_after * 1000};
	struct docker *dk = NULL;
	char *text, *derr = NULL;
	size_t len = 0;

	if (c->fhead || c->img || sync_worker_busy(c->sw)) {
		text = strdup("{\"Status\":\"waiting\",\"RetryAfter\":1,\"Message\":\"the controller is writing its state\"}\n");
		len = text ? strlen(text) : 0;
	} else {
		if (docker_open(c->cfg->docker_socket, &dk, &derr) < 0) {
			log_debug("node remove without the Docker engine: %s", derr ? derr : "?");
			dk = NULL;
		}
		e.dk = dk;
		text = node_remove_answer(&e, rq->remove_node, rq->remove_force, &len);
		docker_close(dk);
		free(derr);
		if (state_store_poisoned(c->st))
			c->failed = true;
	}
	respond_now(c, cn, text, len);
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
	if (c->secret) {
		bool manager = c->manager_secret && tls_join_secret_ok(cn->tls, c->manager_secret, rq.join_secret);
		if (!manager && !tls_join_secret_ok(cn->tls, c->secret, rq.join_secret)) {
			respond_error(c, cn, "JoinSecret is wrong: it does not match this controller's join secret");
			goto out;
		}
		/* Manager rights come from the manager token only: the
		 * join token's holder is answered as a worker, and told why. */
		if (rq.kind == REQ_REGISTER && rq.reg.role == PROTO_ROLE_MANAGER && c->manager_secret && !manager) {
			log_warn("node %s (%s) asked for the manager role with the join token, not the manager token: "
				 "registering it as a worker",
				 rq.reg.hostname, cn->peer);
			rq.reg.role = PROTO_ROLE_WORKER;
			rq.reg.manager_denied = true;
		}
	}
	/* Taking a node out is a manager's right, as making one is. */
	if (rq.kind == REQ_REMOVE && c->secret && c->manager_secret &&
	    !tls_join_secret_ok(cn->tls, c->manager_secret, rq.join_secret)) {
		log_warn("refused node remove from %s: it did not prove the manager token", cn->peer);
		respond_error(c, cn, "removing a node takes the manager token (manager-secret in the state directory "
				     "on the master): the join token only joins nodes");
		goto out;
	}
	if (c->failed && rq.kind != REQ_STATUS) {
		respond_waiting(c, cn, "the controller cannot write its state and is stopping; retrying (it "
				       "answers again once restarted)");
		goto out;
	}
	if (c->failed) {
		respond_error(c, cn, "the controller cannot write its state and is shutting down");
		goto out;
	}
	if (rq.kind == REQ_STATUS)
		handle_status(c, cn);
	else if (rq.kind == REQ_REMOVE)
		handle_remove(c, cn, &rq);
	else if (check_identity(c, cn, &rq.reg) == 0)
		handle_registration(c, cn, &rq.reg);
out:
	request_free(&rq);
}

static void conn_readable(struct ctl *c, struct conn *cn)
{
	char buf[READ_CHUNK];
	size_t after = 0;

	for (;;) {
		ssize_t n = tls_io_read(cn->tls, cn->fd, buf, sizeof buf);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				/* A handshake may wait to write (epoll then says
				 * when; reading resumes it). */
				if (cn->tls)
					conn_events(c, cn, tls_stream_wants_write(cn->tls) ? EPOLLOUT : EPOLLIN);
				break;
			}
			if (cn->tls)
				log_warn("client %s: %s", cn->peer, tls_stream_error(cn->tls));
			else
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
		cn->last_rx = cc_mono_ms();
		framer_feed(&cn->fr, buf, (size_t)n);
		if (!preauth_update(&c->pre, &cn->held, cn->fr.cap_seen)) {
			respond_error(c, cn, "the controller holds too many unfinished requests just now; retry in a "
					     "few seconds");
			return;
		}
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

/* At --max-connections a new client takes the slot of one still sending
 * its request: waiting in the backlog behind clients that never finish
 * would starve every node.  The connection that makes room: among the
 * oldest still sending their request, one that has sent nothing for a
 * while (a client holding its
 * slot, or a slowloris between bytes).  A node sends its request at
 * once, and a slow but steady client keeps sending: neither is taken. */
#define EVICT_IDLE_MS 500
#define EVICT_SCAN 64

static struct conn *evictable(const struct ctl *c)
{
	int64_t now = cc_mono_ms();
	int n = 0;

	for (struct conn *cn = c->thead; cn && n < EVICT_SCAN; cn = cn->tnext, n++)
		if (cn->state == C_READING && now - cn->last_rx >= EVICT_IDLE_MS)
			return cn;
	return NULL;
}

static bool can_evict(const struct ctl *c) { return evictable(c) != NULL; }

static void evict_oldest(struct ctl *c)
{
	struct conn *o = evictable(c);

	if (!o)
		return;
	if (cc_mono_ms() >= c->next_src_warn) {
		log_warn("connection limit reached (max-connections=%lld): closing an idle unfinished request "
			 "(from %s) for a new client",
			 c->cfg->max_connections, o->peer);
		c->next_src_warn = cc_mono_ms() + 1000;
	}
	conn_close(c, o);
}

static void on_accept(struct ctl *c)
{
	while (c->accepting && (c->nconns < (size_t)c->cfg->max_connections || can_evict(c))) {
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
		if (sa.sin_family != AF_INET || !source_limit_take(&c->srcs, ntohl(sa.sin_addr.s_addr))) {
			/* One address may not hold every slot (slow clients,
			 * unfinished requests): the others' nodes still get in. */
			if (cc_mono_ms() >= c->next_src_warn) {
				log_warn("refusing connections from %s: it holds %u already "
					 "(max-connections-per-source=%lld)",
					 inet_ntoa(sa.sin_addr), source_limit_count(&c->srcs, ntohl(sa.sin_addr.s_addr)),
					 c->cfg->max_connections_per_source);
				c->next_src_warn = cc_mono_ms() + 1000;
			}
			close(fd);
			continue;
		}
		if (c->nconns >= (size_t)c->cfg->max_connections)
			evict_oldest(c); /* the loop's condition says it can */
		cn = calloc(1, sizeof *cn);
		if (!cn || framer_init(&cn->fr, (size_t)c->cfg->max_request_bytes) < 0) {
			source_limit_put(&c->srcs, ntohl(sa.sin_addr.s_addr));
			free(cn);
			close(fd);
			continue;
		}
		cn->fd = fd;
		cn->accepted_ns = cc_mono_ns();
		cn->src = ntohl(sa.sin_addr.s_addr);
		if (c->tls && !(cn->tls = tls_stream_new(c->tls, fd))) {
			source_limit_put(&c->srcs, cn->src);
			framer_free(&cn->fr);
			free(cn);
			close(fd);
			continue;
		}
		if (sa.sin_family == AF_INET)
			snprintf(cn->peer, sizeof cn->peer, "%s:%u", inet_ntoa(sa.sin_addr), ntohs(sa.sin_port));
		else
			snprintf(cn->peer, sizeof cn->peer, "?");
		ev.events = EPOLLIN;
		ev.data.ptr = cn;
		if (epoll_ctl(c->ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
			source_limit_put(&c->srcs, cn->src);
			tls_stream_free(cn->tls);
			framer_free(&cn->fr);
			free(cn);
			close(fd);
			continue;
		}
		c->nconns++;
		timer_arm(c, cn);
		cn->last_rx = cc_mono_ms();
	}
	if (c->nconns >= (size_t)c->cfg->max_connections && !can_evict(c)) {
		log_warn("connection limit reached (max-connections=%lld): new clients wait in the backlog",
			 c->cfg->max_connections);
		listen_enable(c, false);
		/* Look again when an unfinished request may have gone
		 * idle long enough to make room. */
		c->resume_accept_at = cc_mono_ms() + EVICT_IDLE_MS;
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
		respond_waiting(c, cn, "the controller could not store the registration durably and is "
				       "stopping; retrying (it answers again once restarted)");
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

static int image_write_job(void *img) { return state_store_image_write(img); }

/* After a batch: a compaction when the log has grown, its image written
 * by the sync worker (batches grow meanwhile, as behind a slow sync). */
static void compact_start(struct ctl *c)
{
	char *err = NULL;
	int r = state_store_compact_begin(c->st, false, &c->img, &err);

	if (r < 0) {
		log_error("cannot write the state image: %s; stopping", err ? err : "?");
		c->failed = true;
	} else if (r > 0) {
		log_debug("compacting the state log nodes=%zu", state_store_count(c->st));
		sync_worker_call(c->sw, image_write_job, c->img);
	}
	free(err);
}

static void compact_done(struct ctl *c)
{
	struct store_image *img = c->img;
	char *err = NULL;

	c->img = NULL;
	if (state_store_compact_finish(c->st, img, &err) < 0) {
		log_error("cannot write the state image: %s; stopping", err ? err : "?");
		c->failed = true;
	} else {
		log_debug("state log compacted nodes=%zu", state_store_count(c->st));
	}
	free(err);
}

/* The sync worker finished: answer its batch, then compact while no
 * sync is in flight (compaction replaces the log file); or it finished
 * a compaction. */
static void sync_done(struct ctl *c)
{
	struct conn *head = c->fhead;
	char *err = NULL;
	int res;

	if (sync_worker_collect(c->sw, &res) <= 0)
		return;
	if (c->img) {
		compact_done(c);
		return;
	}
	c->fhead = NULL;
	if (state_store_synced(c->st, res, &err) < 0) {
		store_failed(c, head, err);
		free(err);
		return;
	}
	answer_batch(c, head, true);
	compact_start(c);
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

	while (!(c->draining && c->nconns == 0 && !c->img)) {
		int64_t now = cc_mono_ms(), wake = now + 60000;
		int n, timeout;

		if (c->thead && c->thead->deadline < wake)
			wake = c->thead->deadline;
		if (!c->draining && !docker_worker_tokens_pending(c->dw) && c->next_refresh < wake)
			wake = c->next_refresh;
		if (!c->accepting && !c->draining && c->resume_accept_at && c->resume_accept_at < wake)
			wake = c->resume_accept_at;
		if (notify_watchdog_due(&c->wd) < wake)
			wake = notify_watchdog_due(&c->wd);
		if (metrics_on() && c->next_gauges < wake)
			wake = c->next_gauges; /* stale counts change with time alone */
		timeout = wake > now ? (int)(wake - now) : 0;
		n = epoll_wait(c->ep, evs, (int)ARRAY_SIZE(evs), timeout);
		if (n < 0 && errno != EINTR) {
			int e = errno;
			log_error("epoll_wait: %s", strerror(e));
			reap_closed(c);
			return -e;
		}
		for (int i = 0; i < n; i++) {
			struct conn *cn = evs[i].data.ptr;
			if (cn == NULL) {
				on_accept(c);
			} else if ((void *)cn == (void *)c->sw) {
				sync_done(c);
			} else if ((void *)cn == (void *)c->dw) {
				docker_done(c);
			} else if ((void *)cn == (void *)c) {
				struct signalfd_siginfo si;
				if (read(c->sfd, &si, sizeof si) != (ssize_t)sizeof si)
					continue;
				if (si.ssi_signo == SIGHUP)
					log_reopen();
				else
					start_drain(c, si.ssi_signo == SIGINT ? "SIGINT" : "SIGTERM");
			} else if (cn->state == C_CLOSED) {
				log_debug("event for a connection closed earlier in this batch ignored events=0x%x",
					  (unsigned)evs[i].events);
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
		if (metrics_on() && now >= c->next_gauges) {
			struct metrics_nodes mn;
			const struct cluster_meta *meta = state_store_meta(c->st);
			health_metrics(c->st, cc_wall_ms(), c->cfg->stale_after * 1000,
				       !c->pol.wait_for_minimum || meta->formed, c->pol.wait_for_minimum && !meta->formed,
				       &mn);
			metrics_set_nodes(&mn);
			c->next_gauges = now + 1000;
		}
		if (c->resume_accept_at && now >= c->resume_accept_at && !c->draining) {
			c->resume_accept_at = 0;
			if (c->nconns < (size_t)c->cfg->max_connections || can_evict(c))
				listen_enable(c, true);
		}
		tokens_due(c, now);
		if (c->failed)
			start_drain(c, "state store failure");
		notify_watchdog_tick(&c->wd, now);
		reap_closed(c);
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

/* The join-secret file holds a join token (or, written by hand, a bare
 * secret): the controller keeps the secret, and a token must pin this
 * controller's own key, or every node holding it would refuse us. */
static int load_token(struct ctl *c, const char *path, char **secret, char **err)
{
	struct join_token tok;
	char *text = NULL;
	int r = join_secret_read(path, &text, err);

	if (r < 0)
		return r;
	r = join_token_parse(text, &tok, err);
	free(text);
	if (r < 0)
		return r;
	if (c->tls && *tok.pin && strcmp(tok.pin, tls_server_pin(c->tls)) != 0) {
		*err = cc_strdupf("the join token in %s pins TLS key sha256:%s, but this controller's key (%s/%s) is "
				  "sha256:%s; nodes would refuse it. Run 'clusterctl master init' to write the token "
				  "for this key (and hand nodes the new token), or restore the key the token was made "
				  "for",
				  path, tok.pin, c->cfg->state_dir, TLS_KEY_FILE, tls_server_pin(c->tls));
		join_token_free(&tok);
		return -EKEYREJECTED;
	}
	*secret = tok.secret;
	tok.secret = NULL;
	join_token_free(&tok);
	return 0;
}

/* TLS on the port unless --insecure-plaintext: the key and certificate
 * in the state dir, made now when master init has not. */
static int setup_tls(struct ctl *c)
{
	char *err = NULL;
	bool created = false;
	int r;

	if (c->cfg->insecure_plaintext) {
		log_warn("INSECURE: --insecure-plaintext: the controller speaks plain TCP on %s; join secrets and "
			 "Swarm tokens (the manager token controls every host) cross the network readable by "
			 "anyone on the path",
			 c->cfg->listen);
		return 0;
	}
	if (access(c->cfg->state_dir, F_OK) < 0) {
		log_error("no state directory %s: run 'clusterctl master init' first (it creates the state dir, the "
			  "controller's TLS key and the join token)",
			  c->cfg->state_dir);
		return -ENOENT;
	}
	r = tls_server_new(c->cfg->state_dir, &c->tls, &created, &err);
	if (r < 0) {
		log_error("cannot set up TLS: %s", err ? err : strerror(-r));
		free(err);
		return r;
	}
	log_info("TLS 1.3 on the controller port key=%s/%s pin=sha256:%s%s", c->cfg->state_dir, TLS_KEY_FILE,
		 tls_server_pin(c->tls), created ? " (key or certificate created now)" : "");
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
	r = load_token(c, sb.buf, &c->secret, &err);
	if (r == 0) {
		/* The manager token: without it (a state dir from before it,
		 * or made by hand) the join secret still grants managers. */
		struct cc_buf mp = CC_BUF_INIT;
		cc_buf_printf(&mp, "%s/%s", c->cfg->state_dir, MANAGER_SECRET_FILE);
		r = mp.oom ? -ENOMEM : load_token(c, mp.buf, &c->manager_secret, &err);
		if (r == -ENOENT) {
			log_warn("no manager token at %s: the join secret grants the manager role too, so any host "
				 "that can join can become a manager; run 'clusterctl master init' to create one",
				 mp.buf);
			r = 0;
		} else if (r < 0) {
			log_error("cannot use the manager token: %s", err ? err : strerror(-r));
		}
		cc_buf_free(&mp);
		if (r < 0)
			goto out;
	}
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
out:
	free(err);
	cc_buf_free(&sb);
	return r;
}

/* The signals the loop reads from its signalfd.  Blocked before any
 * plugin starts a thread: a thread inherits the mask, and one that did
 * not block SIGTERM would take it with the default action and end the
 * controller without flushing its state. */
static int block_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGHUP);
	return sigprocmask(SIG_BLOCK, set, NULL) < 0 ? -errno : 0;
}

static int setup_signals(struct ctl *c)
{
	sigset_t set;
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
	int r;

	signal(SIGPIPE, SIG_IGN);
	if ((r = block_signals(&set)) < 0)
		return r;
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

	/* Big transient buffers (a page of peers, a status answer) go back
	 * to the system when freed: a fixed mmap threshold stops glibc from
	 * raising it and keeping them in the heap. */
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
	{
		sigset_t set;
		if ((r = block_signals(&set)) < 0) {
			log_error("cannot block signals: %s", strerror(-r));
			goto out;
		}
	}
	if (setup_tls(&c) < 0 || load_secret(&c) < 0)
		goto out;
	{
		char *aerr = NULL;
		if (node_auth_open(cfg->state_dir, &c.auth, &aerr) < 0) {
			log_error("cannot read the nodes' pinned keys: %s", aerr ? aerr : "out of memory");
			free(aerr);
			goto out;
		}
	}
	if (source_limit_init(&c.srcs, (unsigned)cfg->max_connections_per_source) < 0) {
		log_error("out of memory");
		goto out;
	}
	c.pre.max = PREAUTH_SHARED_MAX;
	c.pre.free_each = PREAUTH_FREE_EACH;
	if (!(c.health = node_health_new())) {
		log_error("out of memory");
		goto out;
	}
	if ((r = app_providers(a, true, true)) < 0) {
		rc = r == -ENOENT || r == -EINVAL ? EXIT_USAGE : EXIT_FAILURE_;
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
	providers_load(&c);
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
	if ((r = docker_worker_start(cfg->docker_socket, cfg->advertise_addr, &c.dw)) < 0 ||
	    epoll_ctl(c.ep, EPOLL_CTL_ADD, docker_worker_fd(c.dw),
		      &(struct epoll_event){.events = EPOLLIN, .data.ptr = c.dw}) < 0) {
		log_error("cannot start the Docker thread: %s", strerror(r < 0 ? -r : errno));
		goto out;
	}
	first_tokens(&c);
	if (open_listener(&c) < 0)
		goto out;
	if (cfg->metrics_listen && *cfg->metrics_listen && metrics_start(cfg->metrics_listen, &err) < 0) {
		log_error("%s", err);
		goto out;
	}
	listen_enable(&c, true);
	log_info("serving overlay=%s storage=%s wait-for-minimum=%s min-managers=%u min-workers=%u "
		 "max-managers=%u join-secret=%s",
		 a->overlay->desc.name, a->storage->desc.name, cfg->wait_for_minimum ? "yes" : "no",
		 c.pol.min_managers, c.pol.min_workers, c.pol.max_managers, c.secret ? "required" : "NONE");
	/* Listening: a Type=notify unit is started now, not at exec. */
	notify_watchdog_init(&c.wd, cc_mono_ms());
	notify_statef("READY=1\nSTATUS=serving on %s overlay=%s storage=%s", cfg->listen, a->overlay->desc.name,
		      a->storage->desc.name);
	r = loop(&c);
	/* The loop ends with no connection left, so no batch is in flight;
	 * a Docker call still out is given up. */
	sync_worker_stop(c.sw);
	c.sw = NULL;
	if (c.img)
		compact_done(&c);
	docker_worker_stop(c.dw);
	c.dw = NULL;
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
	metrics_stop();
	sync_worker_stop(c.sw);
	if (c.img)
		compact_done(&c);
	if (c.st)
		state_store_close(c.st, false, NULL);
	if (c.lfd >= 0)
		close(c.lfd);
	if (c.sfd >= 0)
		close(c.sfd);
	if (c.ep >= 0)
		close(c.ep);
	docker_worker_stop(c.dw);
	free(c.worker_token);
	free(c.manager_token);
	free(c.manager_addr);
	free(c.docker_err);
	free(c.secret);
	node_health_free(c.health);
	free(c.manager_secret);
	tls_server_free(c.tls);
	source_limit_free(&c.srcs);
	node_auth_free(c.auth);
	free(err);
	return rc;
}
