/* clusterctl node join / agent: register with the controller and
 * converge, in this order, overlay -> Swarm -> storage.
 *
 * One "round" is: observe, register, act on the answer.  Rounds repeat
 * until a round changes nothing (converged), the controller refuses
 * (exit 4), or the deadline passes (exit 3).  The agent keeps doing
 * rounds every heartbeat, so a node that joined first learns the peers
 * and role changes that come later. */
#include "autoconfig.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <time.h>

#include <json-c/json.h>

#include "app.h"
#include "backoff.h"
#include "cc-buf.h"
#include "cc-net.h"
#include "cc-time.h"
#include "ctl-client.h"
#include "docker.h"
#include "host-services.h"
#include "join-secret.h"
#include "tls.h"
#include "log.h"
#include "mtu-probe.h"
#include "node-health.h"
#include "node-identity.h"
#include "sd-notify.h"
#include "swarm-converge.h"
#include "swarm-mtu.h"
#include "util.h"

#define EXCHANGE_TIMEOUT_MS 15000
#define MTU_PROBE_TIMEOUT_MS 500

static volatile sig_atomic_t stop_requested, reopen_requested;
/* systemd's WatchdogSec: pinged while napping, so a round that blocks
 * longer than WatchdogSec/2 is what the watchdog catches. */
static struct notify_watchdog watchdog;

static void on_signal(int sig) { stop_requested = sig; }
static void on_hup(int sig) { reopen_requested = sig; }

struct agent {
	struct app *a;
	struct node_identity id;
	struct docker *docker;
	char *secret;
	char *docker_version;
	char role[8];         /* the role the controller gave, once ready */
	bool mtu_probed;      /* once per run, not every heartbeat */
	bool swarm_mtu_checked;
	int swarm_mtu_tries;  /* a node without ingress yet: a few heartbeats, not every one */
	/* What each provider's last ensure() said to send as its Observed
	 * next time (in place of observe()); [0] overlay, [1] storage. */
	char *next_observed[2];
};

enum round_result { ROUND_CONVERGED, ROUND_AGAIN, ROUND_WAIT };

/* Sleep ms, waking early on SIGTERM/SIGINT. */
static void nap(int64_t ms)
{
	int64_t end = cc_mono_ms() + ms;
	while (!stop_requested && cc_mono_ms() < end) {
		int64_t left = end - cc_mono_ms();
		if (reopen_requested) {
			reopen_requested = 0;
			log_reopen();
		}
		notify_watchdog_tick(&watchdog, cc_mono_ms());
		struct timespec ts = {.tv_sec = 0, .tv_nsec = (left > 200 ? 200 : left) * 1000000L};
		nanosleep(&ts, NULL);
	}
}

/* Observed JSON from a plugin is input like any other: one object. */
static char *checked_observed(struct plugin *p, char *obs, const char *op)
{
	json_object *o;
	if (!obs)
		return NULL;
	o = json_tokener_parse(obs);
	if (!o || !json_object_is_type(o, json_type_object) || strlen(obs) > 64 * 1024) {
		log_warn("%s: %s returned Observed text that is not a JSON object of at most 64 KiB; the "
			 "registration goes without it",
			 host_ctx_label(p->hctx), op);
		free(obs);
		obs = NULL;
	}
	json_object_put(o);
	return obs;
}

/* This round's Observed.<Kind>: what the last ensure() handed over, else
 * what observe() says now. */
static char *observed_for(struct agent *g, struct plugin *p, int slot)
{
	char *obs = g->next_observed[slot];
	int r;

	g->next_observed[slot] = NULL;
	if (obs || !p || !p->desc.observe)
		return obs;
	host_ctx_clear_error(p->hctx);
	if ((r = p->desc.observe(p->state, &obs)) < 0) {
		log_warn("%s (observe; the registration goes without it)", plugin_failure(p, r));
		free(obs);
		return NULL;
	}
	return checked_observed(p, obs, "observe");
}

/* A provider's status() cut down for the heartbeat (node-health.h), so
 * the master can show every node's tunnel and storage; NULL when it has
 * none or it failed (logged at debug level: health is not worth a warning
 * every heartbeat). */
static char *health_for(struct plugin *p)
{
	char *st = NULL, *sum;
	int r;

	if (!p || !p->desc.status)
		return NULL;
	host_ctx_clear_error(p->hctx);
	if ((r = p->desc.status(p->state, &st)) < 0) {
		log_debug("%s (status; the heartbeat goes without it)", plugin_failure(p, r));
		free(st);
		return NULL;
	}
	sum = health_summary(st);
	free(st);
	return sum;
}

/* A storage provider that can host a brick says so in Observed.Storage
 * {"Capable": true}; that is GlusterCapable on the wire. */
static bool storage_capable(const char *observed)
{
	return observed && strstr(observed, "\"Capable\":true");
}

static int load_secret(struct agent *g, char **err)
{
	const struct config *c = &g->a->cfg;
	if (c->join_secret) {
		g->secret = strdup(c->join_secret);
		return g->secret ? 0 : -ENOMEM;
	}
	if (c->join_secret_file) {
		int r = join_secret_read(c->join_secret_file, &g->secret, err);
		if (r == -ENOENT) {
			struct cc_buf sb = CC_BUF_INIT;
			cc_buf_printf(&sb, "join secret file %s does not exist", c->join_secret_file);
			*err = cc_buf_detach(&sb);
		}
		return r;
	}
	return 0; /* a controller run with --insecure-no-join-secret */
}

/* TLS to the controller unless --insecure-plaintext (WARNed at every
 * start, as the controller does). */
static int choose_channel(const struct config *c, char **err)
{
	ctl_client_set_plaintext(c->insecure_plaintext);
	if (c->insecure_plaintext) {
		log_warn("INSECURE: --insecure-plaintext: talking to the controller %s over plain TCP; the join "
			 "secret and the Swarm token it answers cross the network readable by anyone on the path",
			 c->master ? c->master : "?");
		return 0;
	}
	/* This node's own key: the controller pins its NodeID to it.  A dry
	 * run creates nothing: it shows the key only when there is one. */
	if (c->dry_run) {
		struct cc_buf kp = CC_BUF_INIT;
		bool have;
		cc_buf_printf(&kp, "%s/%s", c->node_state_dir, TLS_NODE_KEY_FILE);
		have = kp.buf && access(kp.buf, F_OK) == 0;
		cc_buf_free(&kp);
		if (!have)
			return 0;
	}
	return ctl_client_set_identity(c->node_state_dir, err);
}

/* A negative return is fatal (a person must act: node join stops);
 * converged = 0 is "not yet".  The observed_json it hands over goes with
 * the next registration. */
static int run_plugin_ensure(struct agent *g, struct plugin *p, int slot, const char *payload,
			     struct clusterctl_ensure_out *out)
{
	int r;
	memset(out, 0, sizeof *out);
	out->struct_size = sizeof *out;
	host_ctx_clear_error(p->hctx);
	r = p->desc.ensure(p->state, payload, out);
	if (r < 0)
		log_error("%s", plugin_failure(p, r));
	free(g->next_observed[slot]);
	g->next_observed[slot] = checked_observed(p, out->observed_json, "ensure");
	out->observed_json = NULL;
	return r;
}

/* How a provider that is not there yet wants the next round: at once
 * (it has more to fetch), after its retry_after, or on the backoff. */
static int not_yet(const struct clusterctl_ensure_out *o, unsigned *retry_after)
{
	if (o->flags & CLUSTERCTL_ENSURE_MORE)
		return ROUND_AGAIN;
	*retry_after = o->retry_after;
	return ROUND_WAIT;
}

/* Swarm's VXLAN adds 50 bytes inside the overlay, and master init
 * --swarm-mtu auto sizes the ingress network as the overlay link MTU less
 * those 50: that holds only if the path to the manager carries whole
 * packets of the link MTU.  Measure it with don't-fragment echoes before
 * joining, and say plainly when it falls short.  A probe that cannot run
 * or gets no answer is a warning, never a failed join. */
static void probe_overlay_mtu(const char *manager_addr, uint32_t link_mtu)
{
	int hi = link_mtu ? (int)link_mtu : 1500, lo = hi < MTU_FLOOR ? hi : MTU_FLOOR, mtu = 0;
	char host[CC_IPV4_STRLEN], *err = NULL;
	uint32_t ip;
	uint16_t port;

	if (cc_parse_ipv4_port(manager_addr, 0, &ip, &port) < 0) {
		log_warn("overlay path MTU not measured: manager address \"%s\" is not IPv4:port",
			 manager_addr ? manager_addr : "");
		return;
	}
	cc_format_ipv4(ip, host);
	if (mtu_probe(host, lo, hi, MTU_PROBE_TIMEOUT_MS, &mtu, &err) < 0) {
		log_warn("overlay path MTU not measured manager=%s: %s (joining anyway)", host,
			 err ? err : "probe failed");
		free(err);
		return;
	}
	if (mtu < hi)
		log_warn("overlay path mtu=%d manager=%s is below the overlay link MTU %d: Swarm's VXLAN packets "
			 "above %d bytes will be lost (an ingress MTU of %d from --swarm-mtu auto is too large); "
			 "give master init --swarm-mtu %d, or lower the overlay MTU to %d",
			 mtu, host, hi, mtu, hi - SWARM_VXLAN_OVERHEAD, mtu - SWARM_VXLAN_OVERHEAD, mtu);
	else
		log_info("overlay path mtu=%d manager=%s link_mtu=%d swarm_vxlan_mtu=%d", mtu, host, hi,
			 mtu - SWARM_VXLAN_OVERHEAD);
}

/* One round.  Returns a round_result, or -errno / -EX for the exit code
 * (stored in *exit_code). */
static int round_once(struct agent *g, unsigned *retry_after, int *exit_code)
{
	struct app *a = g->a;
	struct docker_info info = {0};
	struct controller_answer ans = {0};
	struct clusterctl_ensure_out ov = {0}, st = {0};
	char *obs_overlay = observed_for(g, a->overlay, 0), *obs_storage = observed_for(g, a->storage, 1);
	char *obs_swarm = NULL, *req = NULL, *text = NULL, *err = NULL;
	char *health_ov = health_for(a->overlay), *health_st = health_for(a->storage);
	size_t text_len = 0;
	int res = ROUND_WAIT, r;

	*retry_after = 0;
	if (docker_get_info(g->docker, &info, &err) == 0)
		obs_swarm = swarm_observed_json(&info);
	free(err);
	err = NULL;
	{
		struct node_report rep = {
			.id = &g->id, .role = a->cfg.role == ROLE_MANAGER ? "manager" : "worker",
			.join_secret = g->secret, .docker_version = g->docker_version,
			.gluster_capable = storage_capable(obs_storage), .observed_overlay = obs_overlay,
			.observed_storage = obs_storage, .observed_swarm = obs_swarm,
			.overlay_type = a->overlay->desc.name, .storage_type = a->storage->desc.name,
			.health_overlay = health_ov, .health_storage = health_st};
		req = ctl_build_registration(&rep);
	}
	if (!req) {
		res = -ENOMEM;
		goto out;
	}
	log_info("registering master=%s hostname=%s ip=%s role=%s node_id=%s", a->cfg.master, g->id.hostname,
		 g->id.ip, a->cfg.role == ROLE_MANAGER ? "manager" : "worker", g->id.node_id);
	r = ctl_exchange(a->cfg.master, req, EXCHANGE_TIMEOUT_MS, &text, &text_len, &err);
	if (r == -EKEYREJECTED) {
		/* Not the controller the token pins (or no pin at all): a
		 * person must act, and nothing secret was sent. */
		log_error("%s", err);
		*exit_code = EXIT_REFUSED;
		res = -EPERM;
		goto out;
	}
	if (r < 0) {
		log_warn("controller not reachable, will retry: %s", err);
		goto out;
	}
	if ((r = ctl_decode_answer(a->cfg.master, text, text_len, &ans, &err)) < 0) {
		log_warn("bad answer from the controller, will retry: %s", err);
		goto out;
	}
	if (ans.status == ANSWER_ERROR) {
		log_error("controller refused this node: %s", ans.error ? ans.error : "no reason given");
		*exit_code = EXIT_REFUSED;
		res = -EPERM;
		goto out;
	}
	if (ans.status == ANSWER_WAITING) {
		log_info("controller says wait managers=%lld/%lld workers=%lld/%lld retry_after=%u%s%s",
			 ans.registered_managers, ans.min_managers, ans.registered_workers, ans.min_workers,
			 ans.retry_after, ans.message ? " message=" : "", ans.message ? ans.message : "");
		*retry_after = ans.retry_after;
		goto out;
	}
	if (ans.message)
		log_info("controller note: %s", ans.message);
	snprintf(g->role, sizeof g->role, "%s", ans.swarm_role);
	log_info("controller says ready role=%s manager=%s overlay=%s gluster=%s", ans.swarm_role,
		 ans.manager_addr, ans.overlay_type ? ans.overlay_type : "none",
		 ans.gluster_enabled ? "on" : "off");

	/* 1. Overlay.  Once up, its address wins: register again with it
	 * before anything advertises the LAN address. */
	if (ans.overlay_type && strcmp(ans.overlay_type, a->overlay->desc.name) != 0) {
		log_error("the controller uses overlay %s but this node runs --overlay-provider %s: use the same "
			  "provider on both",
			  ans.overlay_type, a->overlay->desc.name);
		res = -EINVAL;
		goto out;
	}
	if (run_plugin_ensure(g, a->overlay, 0, ans.overlay_payload, &ov) < 0) {
		res = -EIO;
		goto out;
	}
	if (!ov.converged) {
		log_info("overlay not ready yet%s%s", ov.message ? ": " : "", ov.message ? ov.message : "");
		res = not_yet(&ov, retry_after);
		goto out;
	}
	if (ov.address && !a->cfg.ip && strcmp(ov.address, g->id.ip) != 0) {
		if (!cc_ipv4_valid(ov.address)) {
			log_error("overlay provider reported an invalid address \"%.64s\"", ov.address);
			res = -EINVAL;
			goto out;
		}
		log_info("overlay ready, registering again with its address overlay_ip=%s interface=%s was=%s",
			 ov.address, ov.ifname ? ov.ifname : "?", g->id.ip);
		snprintf(g->id.ip, sizeof g->id.ip, "%s", ov.address);
		res = ROUND_AGAIN;
		goto out;
	}

	if (ov.address && !g->mtu_probed) {
		probe_overlay_mtu(ans.manager_addr, ov.mtu);
		g->mtu_probed = true;
	}

	/* 2. Swarm. */
	{
		struct swarm_target t = {.role = ans.swarm_role, .token = ans.join_token,
					 .manager_addr = ans.manager_addr, .advertise = g->id.ip,
					 .force = a->cfg.force};
		r = swarm_converge(g->docker, &t, &err);
		if (r < 0) {
			log_error("%s", err ? err : strerror(-r));
			res = r;
			goto out;
		}
		if (r == SWARM_RETRY)
			goto out;
		if (r == SWARM_CHANGED)
			res = ROUND_AGAIN; /* report the new membership */
		else if (!g->swarm_mtu_checked && g->swarm_mtu_tries++ < 3)
			g->swarm_mtu_checked = swarm_mtu_check_node(g->docker, ov.mtu);
	}

	/* 3. Storage. */
	if (run_plugin_ensure(g, a->storage, 1, ans.storage_payload, &st) < 0) {
		res = -EIO;
		goto out;
	}
	if (!st.converged) {
		log_info("storage not ready yet%s%s", st.message ? ": " : "", st.message ? st.message : "");
		if (res != ROUND_AGAIN)
			res = not_yet(&st, retry_after);
		goto out;
	}
	if (res != ROUND_AGAIN)
		res = ROUND_CONVERGED;
out:
	free(health_ov);
	free(health_st);
	free(obs_overlay);
	free(obs_storage);
	free(obs_swarm);
	free(req);
	free(text);
	free(err);
	plugin_ensure_out_free(&ov);
	plugin_ensure_out_free(&st);
	controller_answer_free(&ans);
	docker_info_free(&info);
	return res;
}

static int setup(struct agent *g, struct app *a)
{
	struct docker_info info = {0};
	char *err = NULL;
	int r;

	memset(g, 0, sizeof *g);
	g->a = a;
	if ((r = node_identity_load(&a->cfg, a->cfg.dry_run, &g->id, &err)) < 0 ||
	    (r = node_identity_detect_ip(&a->cfg, &g->id, &err)) < 0 || (r = load_secret(g, &err)) < 0 ||
	    (r = choose_channel(&a->cfg, &err)) < 0) {
		log_error("%s", err ? err : strerror(-r));
		free(err);
		return r;
	}
	if ((r = docker_open(a->cfg.docker_socket, &g->docker, &err)) < 0 ||
	    (r = docker_get_info(g->docker, &info, &err)) < 0) {
		log_error("docker check failed: %s", err ? err : strerror(-r));
		free(err);
		return r;
	}
	g->docker_version = info.server_version ? strdup(info.server_version) : NULL;
	log_info("node identity hostname=%s node_id=%s ip=%s interface=%s os=\"%s\" cpu=%lld memory=%lld "
		 "docker=%s swarm=%s",
		 g->id.hostname, g->id.node_id, g->id.ip, g->id.ifname, g->id.os ? g->id.os : "",
		 (long long)g->id.cpu, (long long)g->id.memory, g->docker_version ? g->docker_version : "?",
		 info.local_state);
	if (a->cfg.dry_run) {
		struct swarm_target t = {.role = a->cfg.role == ROLE_MANAGER ? "manager" : "worker",
					 .manager_addr = a->cfg.master ? a->cfg.master : "the controller's manager",
					 .advertise = g->id.ip, .force = a->cfg.force};
		char *plan = NULL;
		swarm_plan(&info, &t, &plan);
		printf("plan: register with %s as %s (%s, %s)\n", a->cfg.master ? a->cfg.master : "(no --master)",
		       t.role, g->id.hostname, g->id.ip);
		printf("plan: bring up overlay %s, then register again with its address if it has one\n",
		       a->cfg.overlay_provider);
		printf("plan: swarm: %s\n", plan ? plan : "?");
		printf("plan: storage %s as the controller directs\n", a->cfg.storage_provider);
		free(plan);
	}
	docker_info_free(&info);
	return 0;
}

static void teardown(struct agent *g)
{
	free(g->next_observed[0]);
	free(g->next_observed[1]);
	node_identity_free(&g->id);
	docker_close(g->docker);
	free(g->secret);
	free(g->docker_version);
}

/* Rounds until converged; returns an exit code. */
static int converge(struct agent *g, int64_t deadline)
{
	struct backoff bo;
	backoff_init(&bo, 500, 30000);
	for (;;) {
		unsigned retry_after = 0;
		int exit_code = EXIT_FAILURE_;
		int r = round_once(g, &retry_after, &exit_code);
		int64_t delay;

		if (r == ROUND_CONVERGED)
			return EXIT_OK;
		if (r < 0)
			return exit_code;
		if (stop_requested)
			return EXIT_FAILURE_;
		notify_watchdog_tick(&watchdog, cc_mono_ms());
		if (r == ROUND_AGAIN) {
			backoff_reset(&bo);
			if (cc_mono_ms() < deadline)
				continue;
		}
		delay = backoff_next(&bo, retry_after, cc_mono_ms(), deadline);
		if (delay < 0) {
			log_error("gave up after --join-deadline %lld s: the cluster did not become ready for this node "
				  "(see the lines above; raise --join-deadline to wait longer)",
				  g->a->cfg.join_deadline);
			return EXIT_GAVE_UP;
		}
		log_debug("next registration in %lld ms", (long long)delay);
		nap(delay);
	}
}

static int agent_loop(struct agent *g)
{
	log_info("agent running heartbeat=%llds (SIGTERM stops it)", g->a->cfg.heartbeat_interval);
	while (!stop_requested) {
		int rc;
		nap(g->a->cfg.heartbeat_interval * 1000);
		if (stop_requested)
			break;
		rc = converge(g, cc_mono_ms() + g->a->cfg.heartbeat_interval * 1000);
		if (rc != EXIT_OK && !stop_requested)
			log_warn("heartbeat round did not converge (exit %d), will try again", rc);
	}
	log_info("agent stopping signal=%d", (int)stop_requested);
	notify_statef("STOPPING=1\nSTATUS=stopping (signal %d)", (int)stop_requested);
	return EXIT_OK;
}

static int run(struct app *a, bool watch)
{
	struct sigaction sa = {.sa_handler = on_signal};
	struct agent g;
	int rc;

	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &(struct sigaction){.sa_handler = on_hup}, NULL);
	if (setup(&g, a) < 0) {
		teardown(&g);
		return EXIT_FAILURE_;
	}
	if (a->cfg.dry_run) {
		teardown(&g);
		log_info("node join plan printed, nothing changed");
		return EXIT_OK;
	}
	notify_watchdog_init(&watchdog, cc_mono_ms());
	/* A Type=notify agent is "starting" until its first join converges,
	 * which may take the whole --join-deadline: tell systemd so, rather
	 * than have its start timeout kill a join that is still waiting. */
	if (watch)
		notify_statef("EXTEND_TIMEOUT_USEC=%lld\nSTATUS=joining the cluster through %s",
			      (a->cfg.join_deadline + 60) * 1000000LL, a->cfg.master ? a->cfg.master : "?");
	rc = converge(&g, cc_mono_ms() + a->cfg.join_deadline * 1000);
	if (rc == EXIT_OK)
		log_info("node join done: converged hostname=%s ip=%s role=%s", g.id.hostname, g.id.ip, g.role);
	else
		log_error("node join failed exit=%d", rc);
	if (rc == EXIT_OK && watch) {
		notify_statef("READY=1\nSTATUS=converged as %s; heartbeat every %llds", g.role,
			      a->cfg.heartbeat_interval);
		rc = agent_loop(&g);
	} else if (watch) {
		notify_statef("STOPPING=1\nSTATUS=node join failed (exit %d)", rc);
	}
	teardown(&g);
	return rc;
}

int cmd_node_join(struct app *a) { return run(a, a->cfg.watch); }
int cmd_agent(struct app *a) { return run(a, true); }
