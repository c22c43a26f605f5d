/* overlay "netbird": Netbird through the netbird CLI, run by argv
 * (host->run).  The daemon speaks gRPC over /var/run/netbird.sock; the CLI
 * is the supported client, so we exec it rather than speak HTTP/2 +
 * protobuf ourselves.
 *
 * Options (the master's --overlay-config, checked by plan() and
 * master_prepare(); unknown keys are errors):
 *     {"SetupKey": "A1B2C3D4-...",                 optional: log logged-out nodes in
 *      "ManagementURL": "https://netbird.example:443"}   optional: CLI's default
 *
 * OverlayPayload (plan() -> node, only in "ready" answers):
 *     {"SetupKey": "...", "ManagementURL": "...", "Hostname": "<node's name>"}
 *     every key optional.
 *
 * Observed.Overlay (ensure()/observe() -> controller):
 *     {"Provider": "netbird", "DaemonStatus": "Connected",
 *      "Address": "100.x.y.z", "Interface": "wt0", "FQDN": "..."}
 * Record kept by the controller per node: {"Address": "100.x.y.z"}.
 *
 * The setup key never goes into argv (world-readable in /proc): it is
 * handed to `netbird up` as NB_SETUP_KEY in the child's environment.  The
 * CLI maps every root persistent flag FLAG to NB_<FLAG> (and the older
 * WT_<FLAG>) in SetFlagsFromEnvVars, and --setup-key is one [src
 * client/cmd/root.go]; netbird's docs name NB_SETUP_KEY and
 * --setup-key-file for exactly this [doc docs.netbird.io/get-started/cli].
 * The management URL and host name are not secrets and go in argv
 * (--management-url, --hostname: root persistent flags [src root.go]).
 *
 * CLI behaviour relied on [src client/cmd/up.go runInDaemonMode,
 * status.go]: `up` exits 0 printing "Already connected" when the daemon is
 * Connected, else logs in and calls Up; `status --json` output is parsed
 * by netbird-json.c.  None of this was run (no netbird here): the test
 * fake tests/fakes/fake-netbird.sh reproduces the documented behaviour.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include <clusterctl/plugin.h>

#include "cc-net.h"
#include "cc-time.h"
#include "netbird-json.h"
#include "plugin-host.h"
#include "plugin-json.h"

#define NB_DEFAULT_COMMAND "netbird"
#define NB_DEFAULT_IFNAME "wt0"
#define NB_POLL_MS 250
#define NB_STATUS_MS 15000

struct nb {
	const struct clusterctl_host *h;
	const char *command;
	const char *ifname;
	int timeout_s;
};

static const struct clusterctl_config_key nb_keys[] = {
	{"command", CLUSTERCTL_CONFIG_STRING, NB_DEFAULT_COMMAND, 0, 0,
	 "the netbird CLI (searched in PATH unless it holds a '/')", 0},
	{"interface", CLUSTERCTL_CONFIG_STRING, NB_DEFAULT_IFNAME, 0, 0,
	 "the WireGuard interface netbird puts its address on", 0},
	{"timeout", CLUSTERCTL_CONFIG_INT, "60", 1, 3600,
	 "seconds to wait for netbird to connect with its address on the interface", 0},
	{NULL, 0, NULL, 0, 0, NULL, 0},
};

#define ERR(n, ...) (n)->h->error((n)->h->ctx, __VA_ARGS__)
#define LOG(n, lvl, ...) (n)->h->log((n)->h->ctx, (lvl), __VA_ARGS__)

static int nb_init(const struct clusterctl_host *host, void **state)
{
	struct nb *n = calloc(1, sizeof *n);

	if (!n)
		return -ENOMEM;
	n->h = host;
	n->command = cp_config_str(host, "command", NB_DEFAULT_COMMAND);
	n->ifname = cp_config_str(host, "interface", NB_DEFAULT_IFNAME);
	if (!nb_ifname_valid(n->ifname)) {
		host->error(host->ctx, "--netbird-interface \"%.32s\" is not a valid interface name "
				       "(1-15 characters, no '/', ':' or blanks)", n->ifname);
		free(n);
		return -EINVAL;
	}
	n->timeout_s = cp_config_positive(host, "timeout", 60);
	*state = n;
	return 0;
}

static void nb_fini(void *state) { free(state); }

/* The CLI's own words, bounded: stderr, or stdout when stderr is empty. */
static char *nb_quote(const struct clusterctl_run_result *res, const char *secret)
{
	const char *s = res->err_len ? res->err : res->out;
	size_t len = res->err_len ? res->err_len : res->out_len;
	return cp_quote(s, len, secret, "(no output)");
}

static int nb_run(struct nb *n, const char *const argv[], const char *const env[], int timeout_ms,
		  struct clusterctl_run_result *res)
{
	int r;

	if (timeout_ms < 500)
		timeout_ms = 500;
	r = n->h->run(n->h->ctx, argv, env, NULL, timeout_ms, res);
	if (r < 0) {
		if (r == -ENOENT || r == -EACCES)
			ERR(n, "cannot run the netbird CLI \"%s\": %s (install netbird, or set "
			       "--netbird-command)", n->command, strerror(-r));
		else
			ERR(n, "cannot run the netbird CLI \"%s\": %s", n->command, strerror(-r));
		n->h->run_result_free(res);
		return r;
	}
	/* posix_spawn reports a missing program as exit 127 from the child. */
	if (res->exit_status == 127 && !res->out_len && !res->err_len) {
		ERR(n, "cannot run the netbird CLI \"%s\": not found (install netbird, or set "
		       "--netbird-command)", n->command);
		n->h->run_result_free(res);
		return -ENOENT;
	}
	if (res->timed_out) {
		ERR(n, "`%s %s` did not finish within %d ms (is the netbird daemon hung?)", n->command,
		    argv[1], timeout_ms);
		n->h->run_result_free(res);
		return -ETIMEDOUT;
	}
	return 0;
}

static int nb_daemon_down(struct nb *n, const char *what, const char *quote)
{
	ERR(n, "the netbird daemon is not running (`netbird %s` said: %s); start it with `netbird "
	       "service install && netbird service start`", what, quote ? quote : "");
	return -ECONNREFUSED;
}

static int nb_get_status(struct nb *n, int64_t deadline, struct nb_status *st)
{
	const char *argv[] = {n->command, "status", "--json", NULL};
	struct clusterctl_run_result res = CLUSTERCTL_RUN_RESULT_INIT;
	int left = cc_remaining_ms(deadline) + 1000;
	char *err = NULL, *q;
	int r;

	memset(st, 0, sizeof *st);
	r = nb_run(n, argv, NULL, left > NB_STATUS_MS ? NB_STATUS_MS : left, &res);
	if (r < 0)
		return r;
	if (res.exit_status != 0) {
		q = nb_quote(&res, NULL);
		if (nb_classify_error(res.err, res.err_len) == NB_ERR_DAEMON_DOWN ||
		    nb_classify_error(res.out, res.out_len) == NB_ERR_DAEMON_DOWN) {
			r = nb_daemon_down(n, "status", q);
		} else {
			ERR(n, "`netbird status --json` failed (exit %d): %s", res.exit_status, q ? q : "");
			r = -EIO;
		}
		free(q);
		goto out;
	}
	r = nb_status_parse(res.out, res.out_len, st, &err);
	if (r < 0)
		ERR(n, "`netbird status --json` printed something unusable: %s", err ? err : strerror(-r));
	free(err);
out:
	n->h->run_result_free(&res);
	return r;
}

/* `netbird up`, with the setup key in the environment only. */
static int nb_up(struct nb *n, const struct nb_options *o, const char *hostname, int64_t deadline)
{
	const char *argv[12];
	const char *env[2] = {NULL, NULL};
	char *key_env = NULL, *q;
	struct clusterctl_run_result res = CLUSTERCTL_RUN_RESULT_INIT;
	size_t a = 0;
	int r;

	argv[a++] = n->command;
	argv[a++] = "up";
	if (o->management_url) {
		argv[a++] = "--management-url";
		argv[a++] = o->management_url;
	}
	if (hostname) {
		argv[a++] = "--hostname";
		argv[a++] = hostname;
	}
	/* Only when it differs from the CLI's default, to need as little of
	 * the CLI as possible. */
	if (strcmp(n->ifname, NB_DEFAULT_IFNAME) != 0) {
		argv[a++] = "--interface-name";
		argv[a++] = n->ifname;
	}
	argv[a] = NULL;
	if (o->setup_key) {
		if (asprintf(&key_env, "NB_SETUP_KEY=%s", o->setup_key) < 0)
			return -ENOMEM;
		env[0] = key_env;
	}
	LOG(n, CLUSTERCTL_LOG_INFO, "running netbird up hostname=%s management_url=%s setup_key=%s",
	    hostname ? hostname : "", o->management_url ? o->management_url : "default",
	    o->setup_key ? "from-controller" : "none");
	r = nb_run(n, argv, env, cc_remaining_ms(deadline), &res);
	if (key_env) {
		explicit_bzero(key_env, strlen(key_env));
		free(key_env);
	}
	if (r < 0)
		return r;
	if (res.exit_status == 0) {
		n->h->run_result_free(&res);
		return 0;
	}
	q = nb_quote(&res, o->setup_key);
	switch (nb_classify_error(res.err_len ? res.err : res.out, res.err_len ? res.err_len : res.out_len)) {
	case NB_ERR_BAD_KEY:
		ERR(n, "netbird rejected the setup key from the controller: %s (check SetupKey in the "
		       "master's --overlay-config: expired, revoked, used up, or for another management "
		       "server?)", q ? q : "");
		r = -EACCES;
		break;
	case NB_ERR_DAEMON_DOWN:
		r = nb_daemon_down(n, "up", q);
		break;
	default:
		ERR(n, "`netbird up` failed (exit %d): %s", res.exit_status, q ? q : "");
		r = -EIO;
	}
	free(q);
	n->h->run_result_free(&res);
	return r;
}

/* The host could not list its addresses: say what we were checking. */
static int nb_addr_list_failed(struct nb *n, const char *ip, int r)
{
	ERR(n, "cannot list this host's addresses to check the netbird address %s is on %s: %s", ip,
	    n->ifname, strerror(-r));
	return r;
}

static char *nb_observed(const struct nb_status *st, const char *addr, const char *ifname)
{
	json_object *o = json_object_new_object();

	if (!o)
		return NULL;
	cp_json_add_str(o, "Provider", "netbird");
	cp_json_add_str(o, "DaemonStatus", st->daemon_status);
	cp_json_add_str(o, "Address", addr && *addr ? addr : NULL);
	cp_json_add_str(o, "Interface", ifname && *ifname ? ifname : NULL);
	cp_json_add_str(o, "FQDN", st->fqdn);
	return cp_json_render(o);
}

/* Node side: connect (running `netbird up` with the setup key when logged
 * out), then wait, bounded, until the netbird IPv4 is on our interface. */
static int nb_converge(struct nb *n, const struct nb_options *o, const char *hostname,
		       struct clusterctl_ensure_out *out)
{
	int64_t deadline = cc_mono_ms() + (int64_t)n->timeout_s * 1000;
	struct nb_status st = {0};
	bool up_sent = false;
	struct cp_addr_where w;
	int r;

	for (;;) {
		nb_status_free(&st);
		r = nb_get_status(n, deadline, &st);
		if (r < 0)
			goto out;
		LOG(n, CLUSTERCTL_LOG_DEBUG, "netbird status=%s ipv4=%s management_connected=%d",
		    st.daemon_status, st.ipv4[0] ? st.ipv4 : "none", st.mgmt_connected);
		switch (st.state) {
		case NB_STATE_CONNECTED:
			if (st.ipv4[0])
				goto have_ip;
			break;
		case NB_STATE_NEEDS_LOGIN:
		case NB_STATE_LOGIN_FAILED:
		case NB_STATE_SESSION_EXPIRED:
			if (!o->setup_key) {
				ERR(n, "netbird is logged out (%s) and the controller sent no SetupKey: put "
				       "\"SetupKey\" in the master's --overlay-config, or run `netbird up` on "
				       "this node", st.daemon_status);
				r = -ENOTCONN;
				goto out;
			}
			/* fallthrough */
		case NB_STATE_IDLE:
			if (!up_sent) {
				r = nb_up(n, o, hostname, deadline);
				if (r < 0)
					goto out;
				up_sent = true;
			}
			break;
		case NB_STATE_CONNECTING:
			break;
		case NB_STATE_UNKNOWN:
			ERR(n, "netbird reports an unknown daemon status \"%s\"", st.daemon_status);
			r = -EPROTO;
			goto out;
		}
		if (cc_remaining_ms(deadline) == 0) {
			ERR(n, "netbird did not connect within %d s (daemon status %s%s%s%s%s)", n->timeout_s,
			    st.daemon_status, up_sent ? ", after `netbird up`" : "",
			    st.ipv4[0] ? "" : ", no netbird IP yet",
			    st.mgmt_error ? "; management: " : "", st.mgmt_error ? st.mgmt_error : "");
			r = -ETIMEDOUT;
			goto out;
		}
		cp_poll_sleep(deadline, NB_POLL_MS);
	}

have_ip:
	r = cp_addr_wait(n->h, st.ipv4, n->ifname, deadline, NB_POLL_MS, &w);
	if (r < 0) {
		nb_addr_list_failed(n, st.ipv4, r);
		goto out;
	}
	if (r == 0) {
		if (w.down_if[0])
			ERR(n, "netbird address %s is on %s, but that link is down (waited %d s)", st.ipv4,
			    n->ifname, n->timeout_s);
		else if (w.any_if[0])
			ERR(n, "netbird address %s is on %s, not on %s (set --netbird-interface?)", st.ipv4,
			    w.any_if, n->ifname);
		else
			ERR(n, "netbird is Connected with %s, but %s does not hold that address after %d s "
			       "(interface up without its address?); refusing to advertise another "
			       "address", st.ipv4, n->ifname, n->timeout_s);
		r = -EADDRNOTAVAIL;
		goto out;
	}
	r = cp_ensure_out_set(n->h, out, st.ipv4, n->ifname, nb_observed(&st, st.ipv4, n->ifname),
			      "netbird connected: %s on %s", st.ipv4, n->ifname);
	if (r < 0)
		goto out;
	LOG(n, CLUSTERCTL_LOG_INFO, "netbird overlay ready address=%s interface=%s mtu=%u", st.ipv4,
	    n->ifname, out->mtu);
out:
	nb_status_free(&st);
	return r;
}

static int nb_hostname(struct nb *n, const char *given, char *buf, size_t len)
{
	return cp_node_hostname(n->h, given, "netbird", buf, len);
}

static int nb_ensure(void *state, const char *payload_json, struct clusterctl_ensure_out *out)
{
	struct nb *n = state;
	struct nb_options o;
	char *err = NULL, host[NB_MAX_HOSTNAME + 1];
	int r;

	r = nb_options_parse(payload_json, false, &o, &err);
	if (r < 0)
		return cp_fail(n->h, r, err);
	r = nb_hostname(n, o.hostname, host, sizeof host);
	if (r == 0)
		r = nb_converge(n, &o, host, out);
	nb_options_free(&o);
	return r;
}

static int nb_master_prepare(void *state, const char *options_json, struct clusterctl_ensure_out *out)
{
	struct nb *n = state;
	struct nb_options o;
	char *err = NULL, host[NB_MAX_HOSTNAME + 1];
	int r;

	r = nb_options_parse(options_json, true, &o, &err);
	if (r < 0)
		return cp_fail(n->h, r, err);
	r = nb_hostname(n, NULL, host, sizeof host);
	if (r == 0)
		r = nb_converge(n, &o, host, out);
	nb_options_free(&o);
	return r;
}

/* Controller side, on the event loop: validation and copying only. */
static int nb_plan(void *state, const struct clusterctl_plan_in *in, struct clusterctl_plan_out *out)
{
	struct nb *n = state;
	struct nb_options o;
	char *err = NULL;
	int r;

	r = nb_options_parse(in->options_json, true, &o, &err);
	if (r < 0)
		return cp_fail(n->h, r, err);
	if (in->node->hostname && !cc_hostname_valid(in->node->hostname)) {
		ERR(n, "node host name \"%.64s\" cannot be a netbird host name", in->node->hostname);
		nb_options_free(&o);
		return -EINVAL;
	}
	/* The setup key only to a node about to log in: a heartbeat of a
	 * node already connected does not carry it (issue 11). */
	if (cp_observed_up(in->observed_json, "DaemonStatus", "Connected")) {
		cp_wipe_free(o.setup_key);
		o.setup_key = NULL;
	}
	out->payload_json = nb_payload_build(&o, in->node->hostname);
	nb_options_free(&o);
	if (!out->payload_json)
		return -ENOMEM;
	return cp_plan_record(in->observed_json, &out->record_json);
}

static int nb_observe(void *state, char **observed_json)
{
	struct nb *n = state;
	struct nb_status st;

	if (nb_get_status(n, cc_mono_ms() + 5000, &st) < 0) {
		*observed_json = strdup("{\"Provider\":\"netbird\",\"DaemonStatus\":\"Unreachable\"}");
		return *observed_json ? 0 : -ENOMEM;
	}
	*observed_json = nb_observed(&st, st.ipv4, NULL);
	nb_status_free(&st);
	return *observed_json ? 0 : -ENOMEM;
}

static int nb_status_op(void *state, char **status_json)
{
	struct nb *n = state;
	struct nb_status st;
	struct cp_addr_where w;
	json_object *o = json_object_new_object();

	if (!o)
		return -ENOMEM;
	json_object_object_add(o, "Overlay", json_object_new_string("netbird"));
	json_object_object_add(o, "Interface", json_object_new_string(n->ifname));
	if (nb_get_status(n, cc_mono_ms() + 5000, &st) < 0) {
		json_object_object_add(o, "DaemonStatus", json_object_new_string("Unreachable"));
	} else {
		json_object_object_add(o, "DaemonStatus", json_object_new_string(st.daemon_status));
		if (st.ipv4[0]) {
			int f = cp_addr_find(n->h, st.ipv4, n->ifname, &w);
			if (f < 0)
				nb_addr_list_failed(n, st.ipv4, f);
			json_object_object_add(o, "Address", json_object_new_string(st.ipv4));
			if (f >= 0)
				json_object_object_add(o, "AddressPresent", json_object_new_boolean(f == 1));
		}
		if (st.mgmt_error)
			json_object_object_add(o, "ManagementError", json_object_new_string(st.mgmt_error));
		nb_status_free(&st);
	}
	*status_json = cp_json_render(o);
	return *status_json ? 0 : -ENOMEM;
}

static const struct clusterctl_plugin netbird_plugin = {
	CLUSTERCTL_PLUGIN_HEADER(CLUSTERCTL_PLUGIN_OVERLAY, "netbird", "1.0",
				 "Netbird through the netbird CLI"),
	.config_keys = nb_keys,
	.init = nb_init,
	.fini = nb_fini,
	.master_prepare = nb_master_prepare,
	.plan = nb_plan,
	.observe = nb_observe,
	.ensure = nb_ensure,
	.status = nb_status_op,
};

CLUSTERCTL_PLUGIN_DEFINE(netbird_plugin)
