#include "autoconfig.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <time.h>

#include <json-c/json.h>

#include "app.h"
#include "cc-buf.h"
#include "cc-time.h"
#include "ctl-client.h"
#include "docker.h"
#include "host-services.h"
#include "join-secret.h"
#include "join-token.h"
#include "log.h"
#include "node-health.h"
#include "node-remove.h"
#include "plan-check.h"
#include "plugin-loader.h"
#include "protocol.h"
#include "state-store.h"
#include "tls.h"

#define REMOVE_TIMEOUT_MS 60000 /* a provider or Docker may take a while */

/* ---- the controller's side ------------------------------------------------ */

struct steps {
	struct cc_buf sb; /* the Steps array's members, comma-separated */
	size_t n;
};

static void step(struct steps *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void step(struct steps *s, const char *fmt, ...)
{
	struct cc_buf line = CC_BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	cc_buf_vprintf(&line, fmt, ap);
	va_end(ap);
	if (line.buf) {
		log_info("node remove: %s", line.buf);
		if (s->n++)
			cc_buf_puts(&s->sb, ",");
		json_append_string(&s->sb, line.buf);
	}
	cc_buf_free(&line);
}

/* The one record `who` names: its key, a NodeID, or a host name (which
 * must then be unique). */
static const struct node_rec *find_node(const struct state_store *st, const char *who, char **err)
{
	const struct node_rec *r = NULL;
	char *k;
	size_t hits = 0;

	for (int i = 0; i < 2 && !r; i++) {
		if (!(k = cc_strdupf("%s:%s", i ? "host" : "id", who)))
			return NULL;
		r = state_store_find(st, k);
		free(k);
	}
	if (r)
		return r;
	for (size_t i = 0; i < state_store_count(st); i++) {
		const struct node_rec *x = state_store_node(st, i);
		if (strcmp(x->hostname, who) == 0) {
			r = x;
			hits++;
		}
	}
	if (hits > 1) {
		*err = cc_strdupf("%zu nodes are called %s: name the one to remove by its NodeID (clusterctl status "
				  "--json lists them)",
				  hits, who);
		return NULL;
	}
	if (!r)
		*err = cc_strdupf("no node %s is registered (clusterctl status lists the nodes)", who);
	return r;
}

struct target {
	char *key, *node_id, *hostname, *ip, *swarm_id, *record[2];
	bool manager, fresh, capable;
};

static void target_free(struct target *t)
{
	free(t->key);
	free(t->node_id);
	free(t->hostname);
	free(t->ip);
	free(t->swarm_id);
	free(t->record[0]);
	free(t->record[1]);
}

static int target_from(const struct node_rec *r, int64_t now, int64_t stale_ms, struct target *t)
{
	memset(t, 0, sizeof *t);
	t->manager = r->assigned_role == PROTO_ROLE_MANAGER;
	t->fresh = now - r->last_seen_ms <= stale_ms;
	t->capable = r->gluster_capable;
	if (!(t->key = strdup(r->key)) || !(t->node_id = strdup(*r->node_id ? r->node_id : r->hostname)) ||
	    !(t->hostname = strdup(r->hostname)) || !(t->ip = strdup(r->ip)) ||
	    !(t->swarm_id = strdup(r->swarm_node_id)))
		return -ENOMEM;
	for (int k = 0; k < STORE_NSLOTS; k++)
		if (r->slot[k].record && !(t->record[k] = strdup(r->slot[k].record)))
			return -ENOMEM;
	return 0;
}

static void node_of(const struct target *t, const struct remove_env *e, int k, struct clusterctl_node *n)
{
	*n = (struct clusterctl_node){
		.struct_size = sizeof *n,
		.node_id = t->node_id,
		.hostname = t->hostname,
		.ip = t->ip,
		.swarm_role = t->manager ? "manager" : "worker",
		.storage_capable = t->capable,
		.record_json = e->plug[k] ? t->record[k] : NULL,
	};
}

/* A provider's forget(): 0 to go on, or the refusal in *err. */
static int ask_provider(const struct remove_env *e, int k, const struct target *t, bool force, struct steps *s,
			char **err)
{
	struct plugin *p = e->plug[k];
	struct clusterctl_node n;
	char *msg = NULL;
	int r;

	if (!p || !p->desc.forget) {
		step(s, "%s provider %s: nothing to forget", k == STORE_SLOT_OVERLAY ? "overlay" : "storage",
		     p ? p->desc.name : "none");
		return 0;
	}
	node_of(t, e, k, &n);
	host_ctx_clear_error(p->hctx);
	r = p->desc.forget(p->state, &n, force ? CLUSTERCTL_FORGET_FORCE : 0, &msg);
	if (r < 0) {
		*err = cc_strdupf("%s%s", plugin_failure(p, r),
				  r == -EPERM && !force ? " (node remove --force goes on anyway)" : "");
		free(msg);
		return r;
	}
	step(s, "%s provider %s: %s", k == STORE_SLOT_OVERLAY ? "overlay" : "storage", p->desc.name,
	     msg && *msg ? msg : "forgotten");
	free(msg);
	return 0;
}

/* Demote and remove the Swarm node; *down says whether it was down or had
 * left (the check already passed when it was up without force). */
static int swarm_remove(const struct remove_env *e, const struct target *t, const struct docker_node *dn, bool force,
			struct steps *s, char **err)
{
	char *derr = NULL;
	int r;

	if (strcmp(dn->role, "manager") == 0) {
		if ((r = docker_node_set_role(e->dk, t->swarm_id, "worker", &derr)) < 0) {
			*err = cc_strdupf("cannot demote the Swarm manager %s: %s", t->hostname, derr ? derr : strerror(-r));
			free(derr);
			return r;
		}
		step(s, "swarm: demoted %s (node %s) to worker", t->hostname, t->swarm_id);
	}
	r = docker_node_remove(e->dk, t->swarm_id, force || strcmp(dn->state, "down") != 0, &derr);
	if (r == -ENOENT) {
		step(s, "swarm: node %s is already gone", t->swarm_id);
		r = 0;
	} else if (r < 0) {
		*err = cc_strdupf("docker node rm %s failed: %s", t->swarm_id, derr ? derr : strerror(-r));
	} else {
		step(s, "swarm: docker node rm %s%s", t->swarm_id, strcmp(dn->state, "down") != 0 ? " --force" : "");
	}
	free(derr);
	return r;
}

static int do_remove(const struct remove_env *e, const char *who, bool force, struct steps *s, char **err)
{
	const struct node_rec *r;
	struct target t;
	struct docker_node dn = {0};
	bool in_swarm = false;
	int64_t now = cc_wall_ms();
	int rc;

	if (!(r = find_node(e->st, who, err)))
		return *err ? -ENOENT : -ENOMEM;
	if ((rc = target_from(r, now, e->stale_after_ms, &t)) < 0)
		goto out;
	step(s, "found %s (%s, %s, last heard from %lld s ago)", t.hostname, t.key, t.manager ? "manager" : "worker",
	     (long long)((now - r->last_seen_ms) / 1000));

	/* Raft needs a majority of the managers: the master's host is one
	 * and is up (its controller answers). */
	if (t.manager) {
		struct health_counts hc;
		unsigned total, fresh, need;
		health_count(e->st, now, e->stale_after_ms, &hc);
		total = hc.managers; /* + the master's host - this one */
		fresh = hc.managers_fresh + 1 - (t.fresh ? 1 : 0);
		need = total / 2 + 1;
		if (fresh < need && !force) {
			*err = cc_strdupf("removing the manager %s would leave %u of %u Swarm managers reachable, below "
					  "their quorum of %u: bring the others back first, or node remove --force",
					  t.hostname, fresh, total, need);
			rc = -EPERM;
			goto out;
		}
		step(s, "quorum: %u of %u managers stay reachable (%u needed)%s", fresh, total, need,
		     fresh < need ? ", past it with --force" : "");
	}

	/* The Swarm's view of it, before anything changes. */
	if (*t.swarm_id) {
		char *derr = NULL;
		if (!e->dk) {
			*err = strdup("the controller cannot reach its Docker engine now, so the node cannot leave the "
				      "Swarm: retry when docker is up");
			rc = -EAGAIN;
			goto out;
		}
		rc = docker_node_inspect(e->dk, t.swarm_id, &dn, &derr);
		if (rc == 0) {
			in_swarm = true;
			if (strcmp(dn.state, "down") != 0 && !force) {
				*err = cc_strdupf("%s is still up in the Swarm (state %s): run 'clusterctl node leave' on it "
						  "first (it drains and leaves), or node remove --force",
						  t.hostname, dn.state);
				rc = -EPERM;
				free(derr);
				goto out;
			}
		} else if (rc != -ENOENT) {
			*err = cc_strdupf("cannot read the Swarm node %s: %s", t.swarm_id, derr ? derr : strerror(-rc));
			free(derr);
			goto out;
		}
		free(derr);
	}

	/* Storage first: its refusal (a brick host) must leave all as it was. */
	if ((rc = ask_provider(e, STORE_SLOT_STORAGE, &t, force, s, err)) < 0)
		goto out;
	if (in_swarm && (rc = swarm_remove(e, &t, &dn, force, s, err)) < 0)
		goto out;
	if (!in_swarm)
		step(s, "swarm: %s", *t.swarm_id ? "not a member any more" : "never reported a Swarm node");
	if ((rc = ask_provider(e, STORE_SLOT_OVERLAY, &t, force, s, err)) < 0)
		goto out;
	if ((rc = state_store_forget_node(e->st, t.key, err)) < 0)
		goto out;
	step(s, "controller: record %s forgotten, durably", t.key);
	for (int k = 0; k < STORE_NSLOTS; k++) {
		struct clusterctl_node n;
		if (!e->plug[k])
			continue;
		node_of(&t, e, k, &n);
		provider_node_event(e->plug[k], CLUSTERCTL_NODE_REMOVED, &n);
	}
	node_health_forget(e->health, t.key);
	rc = 0;
out:
	docker_node_free(&dn);
	target_free(&t);
	return rc;
}

char *node_remove_answer(const struct remove_env *e, const char *who, bool force, size_t *len)
{
	struct steps s = {CC_BUF_INIT, 0};
	struct cc_buf out = CC_BUF_INIT;
	char *err = NULL;
	int r;

	log_info("node remove: node=%s force=%s", who, force ? "yes" : "no");
	r = do_remove(e, who, force, &s, &err);
	if (r < 0) {
		log_warn("node remove: node=%s refused: %s", who, err ? err : strerror(-r));
		cc_buf_puts(&out, "{\"Status\":\"error\",\"Error\":");
		json_append_string(&out, err ? err : strerror(-r));
	} else {
		cc_buf_puts(&out, "{\"Status\":\"ready\",\"Message\":");
		json_append_string(&out, "the node is removed");
	}
	cc_buf_puts(&out, ",\"Steps\":[");
	if (s.sb.buf)
		cc_buf_append(&out, s.sb.buf, s.sb.len);
	cc_buf_puts(&out, "]}\n");
	free(err);
	cc_buf_free(&s.sb);
	if (out.oom) {
		cc_buf_free(&out);
		return NULL;
	}
	*len = out.len;
	return cc_buf_detach(&out);
}

/* ---- the command ------------------------------------------------------------ */

/* The secret as `status` finds it, but on the master the manager token
 * first, which removing a node takes (a state dir from before it has the
 * join token only).  0 (*secret may stay NULL: a controller run without
 * one), or an exit code. */
static int secret_for(const struct config *cfg, char **secret)
{
	static const char *const names[] = {MANAGER_SECRET_FILE, JOIN_SECRET_FILE, NULL};
	char *err = NULL;
	int r = join_secret_find(cfg->join_secret, cfg->join_secret_file, cfg->state_dir, names, secret, &err);

	if (r < 0)
		log_error("cannot use the join secret: %s", err ? err : strerror(-r));
	free(err);
	return r == 0 ? EXIT_OK : r == -ENOMEM ? EXIT_FAILURE_ : EXIT_USAGE;
}

/* {"Query":"remove",...} and "\n". */
static char *remove_query(const char *node, bool force, const char *secret)
{
	struct cc_buf sb = CC_BUF_INIT;
	cc_buf_printf(&sb, "{\"Query\":\"remove\",\"ProtocolVersion\":%d,\"Node\":", PROTOCOL_VERSION);
	json_append_string(&sb, node);
	cc_buf_printf(&sb, ",\"Force\":%s", force ? "true" : "false");
	if (secret) {
		cc_buf_puts(&sb, ",\"JoinSecret\":");
		json_append_string(&sb, secret);
	}
	cc_buf_puts(&sb, "}\n");
	return cc_buf_detach(&sb);
}

/* Print the answer's steps; the answer is the controller's, checked for
 * its types and lengths, printed as plain text. */
static int report(const char *master, const char *text, size_t len)
{
	json_object *o = NULL, *st, *steps, *e;
	json_tokener *tok = json_tokener_new();
	int rc = EXIT_FAILURE_;

	if (tok && len <= 1u << 20)
		o = json_tokener_parse_ex(tok, text, (int)len);
	json_tokener_free(tok);
	if (!o || !json_object_is_type(o, json_type_object) || !json_object_object_get_ex(o, "Status", &st) ||
	    !json_object_is_type(st, json_type_string)) {
		log_error("the controller at %s sent an answer that is not a remove answer", master);
		goto out;
	}
	if (json_object_object_get_ex(o, "Steps", &steps) && json_object_is_type(steps, json_type_array))
		for (size_t i = 0; i < json_object_array_length(steps) && i < 64; i++) {
			json_object *x = json_object_array_get_idx(steps, i);
			if (json_object_is_type(x, json_type_string) && json_object_get_string_len(x) <= 1024) {
				printf("  ");
				for (const char *p = json_object_get_string(x); *p; p++)
					putchar((unsigned char)*p >= 0x20 && (unsigned char)*p < 0x7f ? *p : '?');
				printf("\n");
			}
		}
	if (strcmp(json_object_get_string(st), "ready") == 0) {
		log_info("node removed");
		rc = EXIT_OK;
	} else if (json_object_object_get_ex(o, "Error", &e) && json_object_is_type(e, json_type_string)) {
		log_error("node remove refused: %.1024s", json_object_get_string(e));
	} else {
		log_error("node remove refused by the controller at %s", master);
	}
out:
	json_object_put(o);
	fflush(stdout);
	return rc;
}

int cmd_node_remove(struct app *a)
{
	const struct config *cfg = &a->cfg;
	const char *master = cfg->master && *cfg->master ? cfg->master : "127.0.0.1:7000";
	char *secret = NULL, *req = NULL, *reply = NULL, *err = NULL;
	size_t len = 0;
	int rc;

	if ((rc = secret_for(cfg, &secret)) != EXIT_OK)
		goto out;
	rc = EXIT_FAILURE_;
	ctl_client_set_plaintext(cfg->insecure_plaintext);
	{
		/* On the master the controller's key is beside its state. */
		char pin[TLS_PIN_HEXLEN + 1];
		if (tls_local_pin(cfg->state_dir, pin) == 0)
			ctl_client_set_fallback_pin(pin);
	}
	if (!(req = remove_query(cfg->target_node, cfg->force, secret)))
		goto out;
	/* "waiting": the controller was writing its state; it is brief. */
	for (int i = 0; i < 50; i++) {
		free(reply);
		reply = NULL;
		if (ctl_exchange(master, req, REMOVE_TIMEOUT_MS, &reply, &len, &err) < 0) {
			log_error("%s", err ? err : "cannot reach the controller");
			goto out;
		}
		if (!strstr(reply, "\"Status\":\"waiting\""))
			break;
		nanosleep(&(struct timespec){.tv_nsec = 200 * 1000000L}, NULL);
	}
	rc = report(master, reply, len);
out:
	free(secret);
	free(req);
	free(reply);
	free(err);
	return rc;
}
