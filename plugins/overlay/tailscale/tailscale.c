/* overlay "tailscale": Tailscale through tailscaled's LocalAPI, plain
 * HTTP/1.1 over its unix socket (host->http_unix), never the CLI: the auth
 * key travels in a request body, so it is in no process's argv and in no
 * log line.
 *
 * Options (the master's --overlay-config, checked by plan() and
 * master_prepare(); unknown keys are errors):
 *     {"AuthKey": "tskey-auth-...",          optional: log logged-out nodes in
 *      "ControlURL": "https://headscale.example"}   optional: default control
 *
 * OverlayPayload (plan() -> node, only in "ready" answers):
 *     {"AuthKey": "...", "ControlURL": "...", "Hostname": "<node's name>"}
 *     every key optional; Hostname is the name the controller registered.
 *
 * Observed.Overlay (ensure()/observe() -> controller):
 *     {"Provider": "tailscale", "BackendState": "Running",
 *      "Address": "100.x.y.z", "Interface": "tailscale0",
 *      "HostName": "...", "DNSName": "node.tailnet.ts.net."}
 * Record kept by the controller per node: {"Address": "100.x.y.z"} once
 * the node has reported one.
 *
 * LocalAPI facts (tailscale/tailscale HEAD, read in source; nothing was
 * run, there is no tailscaled on the build machine):
 *  - Host must be "local-tailscaled.sock" (or empty), no Referer/Origin,
 *    or the answer is 403 "invalid localapi request".  libcurl sends the
 *    URL's host as Host and neither of the others.
 *    [src ipn/localapi/localapi.go ServeHTTP/validHost]
 *  - Errors are http.Error: text/plain "<message>\n".  Writes need root
 *    or the operator user (403 "access denied").  [src localapi.go]
 *  - `tailscale up --auth-key` does: GET status, POST start with
 *    {"AuthKey", "UpdatePrefs"} (204), then POST login-interactive (204)
 *    when !HaveNodeKey, then waits for Running.  We do the same and poll
 *    GET status instead of streaming watch-ipn-bus (host->http_unix reads
 *    whole replies).  [src cmd/tailscale/cli/up.go runUp]
 *  - A Stopped (logged-in, WantRunning=false) node is brought up with
 *    PATCH prefs {"WantRunning": true, "WantRunningSet": true}, which is
 *    what a bare `tailscale up` does.  [src up.go simpleUp]
 *  - TUN=false means userspace networking: the Tailscale address is on no
 *    interface, so Swarm could not use it; that is an error here.
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
#include "plugin-host.h"
#include "plugin-json.h"
#include "tailscale-json.h"

#define TS_DEFAULT_SOCKET "/var/run/tailscale/tailscaled.sock"
#define TS_URL_BASE "http://local-tailscaled.sock/localapi/v0/"
#define TS_POLL_MS 250
#define TS_REQUEST_MS 5000

struct ts {
	const struct clusterctl_host *h;
	const char *socket;
	int timeout_s;
};

static const struct clusterctl_config_key ts_keys[] = {
	{"socket", CLUSTERCTL_CONFIG_STRING, TS_DEFAULT_SOCKET, 0, 0,
	 "tailscaled's LocalAPI unix socket", 0},
	{"timeout", CLUSTERCTL_CONFIG_INT, "60", 1, 3600,
	 "seconds to wait for tailscaled to run with its address on the interface", 0},
	{NULL, 0, NULL, 0, 0, NULL, 0},
};

#define ERR(t, ...) (t)->h->error((t)->h->ctx, __VA_ARGS__)
#define LOG(t, lvl, ...) (t)->h->log((t)->h->ctx, (lvl), __VA_ARGS__)

static int ts_init(const struct clusterctl_host *host, void **state)
{
	struct ts *t = calloc(1, sizeof *t);

	if (!t)
		return -ENOMEM;
	t->h = host;
	t->socket = cp_config_str(host, "socket", TS_DEFAULT_SOCKET);
	t->timeout_s = cp_config_positive(host, "timeout", 60);
	*state = t;
	return 0;
}

static void ts_fini(void *state) { free(state); }

/* One LocalAPI call.  A failure to get any answer is explained here, in
 * the terms a person needs ("is tailscaled running?"). */
static int ts_call(struct ts *t, const char *method, const char *route, const char *body,
		   int timeout_ms, struct clusterctl_http_response *resp)
{
	const char *json_hdr[] = {"Content-Type: application/json", NULL};
	char url[128];
	int r;

	snprintf(url, sizeof url, TS_URL_BASE "%s", route);
	if (timeout_ms < 200)
		timeout_ms = 200;
	r = t->h->http_unix(t->h->ctx, t->socket, method, url, body ? json_hdr : NULL, body,
			    body ? strlen(body) : 0, timeout_ms, resp);
	switch (r) {
	case 0:
		return 0;
	case -ENOENT:
		ERR(t, "tailscaled is not running: no LocalAPI socket at %s (start tailscaled, or point "
		       "--tailscale-socket at it)", t->socket);
		break;
	case -ECONNREFUSED:
		ERR(t, "tailscaled is not running: its socket %s refuses connections (a stale socket "
		       "from a stopped daemon?)", t->socket);
		break;
	case -EACCES:
		ERR(t, "cannot talk to tailscaled: permission denied on %s (run clusterctl as root)",
		    t->socket);
		break;
	case -ETIMEDOUT:
		ERR(t, "tailscaled did not answer %s /localapi/v0/%s within %d ms (is it hung?)", method,
		    route, timeout_ms);
		break;
	case -ENAMETOOLONG:
		ERR(t, "tailscale socket path is too long for a unix socket (max 107 bytes): %s",
		    t->socket);
		break;
	default:
		ERR(t, "LocalAPI %s /localapi/v0/%s over %s failed: %s", method, route, t->socket,
		    strerror(-r));
	}
	t->h->http_response_free(resp);
	return r;
}

/* Quote a daemon's error body, bounded, with the key (if any) blanked. */
static char *quote_body(const struct clusterctl_http_response *resp, const char *secret)
{
	return cp_quote(resp->body, resp->body_len, secret, "(empty body)");
}

static int ts_get_status(struct ts *t, int timeout_ms, struct ts_status *st)
{
	struct clusterctl_http_response resp = CLUSTERCTL_HTTP_RESPONSE_INIT;
	char *err = NULL, *q;
	int r;

	memset(st, 0, sizeof *st);
	r = ts_call(t, "GET", "status?peers=false", NULL, timeout_ms > TS_REQUEST_MS ? TS_REQUEST_MS : timeout_ms,
		    &resp);
	if (r < 0)
		return r;
	if (resp.status != 200) {
		q = quote_body(&resp, NULL);
		if (resp.status == 403)
			ERR(t, "tailscaled refused the LocalAPI status request (HTTP 403: %s)", q ? q : "");
		else
			ERR(t, "tailscaled answered HTTP %ld to GET /localapi/v0/status: %s", resp.status,
			    q ? q : "");
		free(q);
		r = resp.status == 403 ? -EACCES : -EPROTO;
		goto out;
	}
	r = ts_status_parse(resp.body, resp.body_len, st, &err);
	if (r < 0)
		ERR(t, "tailscaled's status reply is unusable: %s", err ? err : strerror(-r));
	free(err);
out:
	t->h->http_response_free(&resp);
	return r;
}

/* A write call that must answer 2xx; `what` names it for the message. */
static int ts_write(struct ts *t, const char *method, const char *route, const char *body,
		    const char *secret, int64_t deadline, const char *what)
{
	struct clusterctl_http_response resp = CLUSTERCTL_HTTP_RESPONSE_INIT;
	int r, left = cc_remaining_ms(deadline);
	char *q;

	r = ts_call(t, method, route, body, left > TS_REQUEST_MS * 2 ? TS_REQUEST_MS * 2 : left, &resp);
	if (r < 0)
		return r;
	if (resp.status >= 200 && resp.status < 300) {
		t->h->http_response_free(&resp);
		return 0;
	}
	q = quote_body(&resp, secret);
	if (resp.status == 403) {
		ERR(t, "tailscaled refused to %s (HTTP 403: %s): changing tailscaled needs root or its "
		       "operator user", what, q ? q : "");
		r = -EACCES;
	} else {
		ERR(t, "tailscaled refused to %s (HTTP %ld: %s)", what, resp.status, q ? q : "");
		r = -EPROTO;
	}
	free(q);
	t->h->http_response_free(&resp);
	return r;
}

static int ts_login(struct ts *t, const struct ts_options *o, const char *hostname,
		    const struct ts_status *st, int64_t deadline)
{
	char *body = ts_start_body(o, hostname);
	int r;

	if (!body)
		return -ENOMEM;
	LOG(t, CLUSTERCTL_LOG_INFO, "logging tailscaled in with the controller's auth key hostname=%s "
				    "control_url=%s state=%s",
	    hostname, o->control_url ? o->control_url : "default", st->backend_state);
	r = ts_write(t, "POST", "start", body, o->auth_key, deadline, "start with the auth key");
	explicit_bzero(body, strlen(body));
	free(body);
	if (r < 0)
		return r;
	/* What `tailscale up` does next for a node without a node key. */
	if (!st->have_node_key)
		r = ts_write(t, "POST", "login-interactive", NULL, NULL, deadline, "start the login");
	return r;
}

/* The host could not list its addresses: say what we were checking. */
static int ts_addr_list_failed(struct ts *t, const char *ip, int r)
{
	ERR(t, "cannot list this host's addresses to check the Tailscale address %s is on its "
	       "interface: %s", ip, strerror(-r));
	return r;
}

/* Where is `ip`?  1: on an up link (w->up_if), 0: not present (or only
 * on a down link: w->down_if says where), -errno: cannot tell. */
static int ts_find_addr(struct ts *t, const char *ip, struct cp_addr_where *w)
{
	int r = cp_addr_find(t->h, ip, NULL, w);
	return r < 0 ? ts_addr_list_failed(t, ip, r) : r;
}

static char *ts_observed(const struct ts_status *st, const char *addr, const char *ifname)
{
	json_object *o = json_object_new_object();

	if (!o)
		return NULL;
	cp_json_add_str(o, "Provider", "tailscale");
	cp_json_add_str(o, "BackendState", st->backend_state);
	cp_json_add_str(o, "Address", addr && *addr ? addr : NULL);
	cp_json_add_str(o, "Interface", ifname && *ifname ? ifname : NULL);
	cp_json_add_str(o, "HostName", st->host_name);
	cp_json_add_str(o, "DNSName", st->dns_name);
	return cp_json_render(o);
}

static const char *or_none(const char *s) { return s && *s ? s : "none"; }

/* The node side: bring tailscaled to Running (logging in with the auth key
 * when it is logged out and one was given), then wait, bounded, until its
 * IPv4 is on an up interface.  Advertising before that would hand Swarm
 * an address nobody can reach. */
static int ts_converge(struct ts *t, const struct ts_options *o, const char *hostname,
		       struct clusterctl_ensure_out *out)
{
	int64_t deadline = cc_mono_ms() + (int64_t)t->timeout_s * 1000;
	struct ts_status st = {0};
	char *pre_login_error = NULL;
	bool login_sent = false, prefs_sent = false;
	struct cp_addr_where w;
	int r;

	for (;;) {
		ts_status_free(&st);
		r = ts_get_status(t, cc_remaining_ms(deadline) + 200, &st);
		if (r < 0)
			goto out;
		LOG(t, CLUSTERCTL_LOG_DEBUG, "tailscaled state=%s ipv4=%s", st.backend_state, or_none(st.ipv4));

		switch (st.state) {
		case TS_STATE_RUNNING:
			if (!st.tun) {
				ERR(t, "tailscaled runs with userspace networking (TUN false): its address %s is "
				       "on no interface, so Swarm cannot use it; run tailscaled with a TUN device",
				    or_none(st.ipv4));
				r = -EOPNOTSUPP;
				goto out;
			}
			if (st.ipv4[0])
				goto have_ip;
			break; /* Running without an IPv4 yet: netmap still arriving */
		case TS_STATE_NEEDS_LOGIN:
			if (!o->auth_key) {
				ERR(t, "tailscaled is logged out (NeedsLogin) and the controller sent no AuthKey: "
				       "put \"AuthKey\" in the master's --overlay-config, or run `tailscale up` "
				       "on this node%s%s",
				    st.health ? "; tailscaled says: " : "", st.health ? st.health : "");
				r = -ENOTCONN;
				goto out;
			}
			if (!login_sent) {
				if (st.login_error && !(pre_login_error = strdup(st.login_error))) {
					r = -ENOMEM;
					goto out;
				}
				r = ts_login(t, o, hostname, &st, deadline);
				if (r < 0)
					goto out;
				login_sent = true;
				break;
			}
			/* A login error that was not there before our attempt is the
			 * verdict on our key. */
			if (st.login_error && (!pre_login_error || strcmp(st.login_error, pre_login_error))) {
				ERR(t, "tailscaled did not accept the auth key from the controller: %s "
				       "(check AuthKey in the master's --overlay-config: expired, revoked or "
				       "already used?)", st.login_error);
				r = -EACCES;
				goto out;
			}
			break;
		case TS_STATE_STOPPED:
			if (!prefs_sent) {
				LOG(t, CLUSTERCTL_LOG_INFO, "tailscaled is logged in but stopped: setting WantRunning");
				r = ts_write(t, "PATCH", "prefs", "{\"WantRunning\":true,\"WantRunningSet\":true}",
					     NULL, deadline, "set WantRunning");
				if (r < 0)
					goto out;
				prefs_sent = true;
			}
			break;
		case TS_STATE_IN_USE_OTHER_USER:
			ERR(t, "tailscaled is in use by another user (InUseOtherUser): log that user out or "
			       "run clusterctl as the operator");
			r = -EBUSY;
			goto out;
		case TS_STATE_NEEDS_MACHINE_AUTH:
		case TS_STATE_STARTING:
		case TS_STATE_NO_STATE:
			break;
		case TS_STATE_UNKNOWN:
			ERR(t, "tailscaled reports an unknown BackendState \"%s\"", st.backend_state);
			r = -EPROTO;
			goto out;
		}
		if (cc_remaining_ms(deadline) == 0) {
			if (st.state == TS_STATE_NEEDS_MACHINE_AUTH)
				ERR(t, "this node waits for an admin to approve it in the Tailscale admin console "
				       "(NeedsMachineAuth) after %d s", t->timeout_s);
			else if (st.state == TS_STATE_RUNNING)
				ERR(t, "tailscaled is Running but reported no Tailscale IPv4 within %d s",
				    t->timeout_s);
			else
				ERR(t, "tailscaled did not reach Running within %d s (state %s%s%s%s)",
				    t->timeout_s, st.backend_state, login_sent ? ", after logging in with the auth key" : "",
				    st.health ? "; health: " : "", st.health ? st.health : "");
			r = -ETIMEDOUT;
			goto out;
		}
		cp_poll_sleep(deadline, TS_POLL_MS);
	}

have_ip:
	r = cp_addr_wait(t->h, st.ipv4, NULL, deadline, TS_POLL_MS, &w);
	if (r < 0) {
		ts_addr_list_failed(t, st.ipv4, r);
		goto out;
	}
	if (r == 0) {
		if (w.down_if[0])
			ERR(t, "tailscale address %s is on %s, but that link is down (waited %d s)", st.ipv4,
			    w.down_if, t->timeout_s);
		else
			ERR(t, "tailscaled is Running with %s, but no interface holds that address after "
			       "%d s (tailscale0 up without its address?); refusing to advertise another "
			       "address", st.ipv4, t->timeout_s);
		r = -EADDRNOTAVAIL;
		goto out;
	}
	r = cp_ensure_out_set(t->h, out, st.ipv4, w.up_if, ts_observed(&st, st.ipv4, w.up_if),
			      "tailscale running: %s on %s", st.ipv4, w.up_if);
	if (r < 0)
		goto out;
	LOG(t, CLUSTERCTL_LOG_INFO, "tailscale overlay ready address=%s interface=%s mtu=%u", st.ipv4,
	    w.up_if, out->mtu);
out:
	ts_status_free(&st);
	free(pre_login_error);
	return r;
}

/* The node's name for Tailscale: the payload's, else our own. */
static int ts_hostname(struct ts *t, const char *given, char *buf, size_t len)
{
	return cp_node_hostname(t->h, given, "Tailscale", buf, len);
}

static int ts_ensure(void *state, const char *payload_json, struct clusterctl_ensure_out *out)
{
	struct ts *t = state;
	struct ts_options o;
	char *err = NULL, host[TS_MAX_HOSTNAME + 1];
	int r;

	r = ts_options_parse(payload_json, false, &o, &err);
	if (r < 0)
		return cp_fail(t->h, r, err);
	r = ts_hostname(t, o.hostname, host, sizeof host);
	if (r == 0)
		r = ts_converge(t, &o, host, out);
	ts_options_free(&o);
	return r;
}

static int ts_master_prepare(void *state, const char *options_json, struct clusterctl_ensure_out *out)
{
	struct ts *t = state;
	struct ts_options o;
	char *err = NULL, host[TS_MAX_HOSTNAME + 1];
	int r;

	r = ts_options_parse(options_json, true, &o, &err);
	if (r < 0)
		return cp_fail(t->h, r, err);
	r = ts_hostname(t, NULL, host, sizeof host);
	if (r == 0)
		r = ts_converge(t, &o, host, out);
	ts_options_free(&o);
	return r;
}

/* Controller side, on the event loop: no I/O, only validation and
 * copying the options into the node's payload. */
static int ts_plan(void *state, const struct clusterctl_plan_in *in, struct clusterctl_plan_out *out)
{
	struct ts *t = state;
	struct ts_options o;
	char *err = NULL;
	int r;

	r = ts_options_parse(in->options_json, true, &o, &err);
	if (r < 0)
		return cp_fail(t->h, r, err);
	if (in->node->hostname && !cc_hostname_valid(in->node->hostname)) {
		ERR(t, "node host name \"%.64s\" cannot be a Tailscale host name", in->node->hostname);
		ts_options_free(&o);
		return -EINVAL;
	}
	/* The auth key only to a node about to log in: a heartbeat of a
	 * node already in the tailnet does not carry it (issue 11). */
	if (cp_observed_up(in->observed_json, "BackendState", "Running")) {
		cp_wipe_free(o.auth_key);
		o.auth_key = NULL;
	}
	out->payload_json = ts_payload_build(&o, in->node->hostname);
	ts_options_free(&o);
	if (!out->payload_json)
		return -ENOMEM;
	return cp_plan_record(in->observed_json, &out->record_json);
}

static int ts_observe(void *state, char **observed_json)
{
	struct ts *t = state;
	struct ts_status st;

	if (ts_get_status(t, 3000, &st) < 0) {
		/* Not fatal before registering: ensure() explains it properly. */
		*observed_json = strdup("{\"Provider\":\"tailscale\",\"BackendState\":\"Unreachable\"}");
		return *observed_json ? 0 : -ENOMEM;
	}
	*observed_json = ts_observed(&st, st.ipv4, NULL);
	ts_status_free(&st);
	return *observed_json ? 0 : -ENOMEM;
}

static int ts_status_op(void *state, char **status_json)
{
	struct ts *t = state;
	struct ts_status st;
	struct cp_addr_where w;
	json_object *o = json_object_new_object();

	if (!o)
		return -ENOMEM;
	json_object_object_add(o, "Overlay", json_object_new_string("tailscale"));
	json_object_object_add(o, "Socket", json_object_new_string(t->socket));
	if (ts_get_status(t, 3000, &st) < 0) {
		/* The message host->error just recorded is the useful part. */
		json_object_object_add(o, "BackendState", json_object_new_string("Unreachable"));
	} else {
		json_object_object_add(o, "BackendState", json_object_new_string(st.backend_state));
		if (st.ipv4[0]) {
			int f = ts_find_addr(t, st.ipv4, &w);
			json_object_object_add(o, "Address", json_object_new_string(st.ipv4));
			if (f >= 0)
				json_object_object_add(o, "AddressPresent", json_object_new_boolean(f == 1));
			if (f == 1)
				json_object_object_add(o, "Interface", json_object_new_string(w.up_if));
		}
		if (st.health)
			json_object_object_add(o, "Health", json_object_new_string(st.health));
		ts_status_free(&st);
	}
	*status_json = cp_json_render(o);
	return *status_json ? 0 : -ENOMEM;
}

static const struct clusterctl_plugin tailscale_plugin = {
	CLUSTERCTL_PLUGIN_HEADER(CLUSTERCTL_PLUGIN_OVERLAY, "tailscale", "1.0",
				 "Tailscale through tailscaled's LocalAPI"),
	.config_keys = ts_keys,
	.init = ts_init,
	.fini = ts_fini,
	.master_prepare = ts_master_prepare,
	.plan = ts_plan,
	.observe = ts_observe,
	.ensure = ts_ensure,
	.status = ts_status_op,
};

CLUSTERCTL_PLUGIN_DEFINE(tailscale_plugin)
