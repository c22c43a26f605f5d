/* JSON for the tailscale plugin; see tailscale-json.h.
 *
 * Facts and where they come from (tailscale/tailscale at HEAD, read in
 * source, never run: there is no tailscaled on the build machine):
 *  - ipnstate.Status JSON keys are the Go field names: BackendState,
 *    HaveNodeKey (omitempty), AuthURL, TUN, TailscaleIPs ([]string, v4
 *    and v6), Self (PeerStatus: HostName, DNSName, TailscaleIPs), Health
 *    ([]string), Version.  [src ipn/ipnstate/ipnstate.go]
 *  - BackendState values: NoState, InUseOtherUser, NeedsLogin,
 *    NeedsMachineAuth, Stopped, Starting, Running.  [src ipn/backend.go]
 *  - A failed login (e.g. a rejected auth key) shows in Health as
 *    "You are logged out. The last login error was: <err>" (health
 *    warnable login-state).  [public tailscaled logs and status dumps;
 *    the exact <err> for a bad key, "invalid key: unable to validate API
 *    key", is what `tailscale up` prints as "backend error: ..."]
 *  - POST /localapi/v0/start takes ipn.Options {"AuthKey", "UpdatePrefs"};
 *    UpdatePrefs replaces the prefs (zero = off), so we send the values
 *    `tailscale up` sends by default on Linux: WantRunning, CorpDNS
 *    (--accept-dns=true), NetfilterMode 2 (preftype.NetfilterOn), plus
 *    Hostname and ControlURL.  [src cmd/tailscale/cli/up.go, ipn/prefs.go,
 *    types/preftype/netfiltermode.go]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "cc-net.h"
#include "plugin-json.h"
#include "tailscale-json.h"

/* The status object nests Peer -> PeerStatus -> a few levels; anything
 * deeper than this is not tailscaled talking. */
#define TS_JSON_DEPTH 24

char *ts_sanitize(const char *s, size_t len, size_t max, const char *secret)
{
	return cp_sanitize(s, len, max, secret);
}
char *ts_observed_address(const char *observed_json) { return cp_observed_address(observed_json); }

static const struct cp_name state_names[] = {
	{"NoState", TS_STATE_NO_STATE},
	{"InUseOtherUser", TS_STATE_IN_USE_OTHER_USER},
	{"NeedsLogin", TS_STATE_NEEDS_LOGIN},
	{"NeedsMachineAuth", TS_STATE_NEEDS_MACHINE_AUTH},
	{"Stopped", TS_STATE_STOPPED},
	{"Starting", TS_STATE_STARTING},
	{"Running", TS_STATE_RUNNING},
};

#define N_STATES (sizeof state_names / sizeof state_names[0])

const char *ts_state_name(enum ts_state s) { return cp_name_of(state_names, N_STATES, (int)s, "unknown"); }

/* First valid IPv4 of a []string; wrong-typed entries are skipped. */
static void first_ipv4(json_object *arr, char out[16])
{
	size_t n;
	if (!arr || !json_object_is_type(arr, json_type_array))
		return;
	n = json_object_array_length(arr);
	for (size_t i = 0; i < n && !out[0]; i++) {
		json_object *e = json_object_array_get_idx(arr, i);
		const char *s;
		if (!json_object_is_type(e, json_type_string))
			continue;
		s = json_object_get_string(e);
		if (json_object_get_string_len(e) < 16 && cc_ipv4_valid(s))
			memcpy(out, s, strlen(s) + 1);
	}
}

static int parse_health(json_object *arr, struct ts_status *st)
{
	size_t n, cap = TS_MAX_QUOTE * 2, used = 0;
	char *all;

	if (!arr || !json_object_is_type(arr, json_type_array))
		return 0;
	n = json_object_array_length(arr);
	all = calloc(1, cap + 1);
	if (!all)
		return -ENOMEM;
	for (size_t i = 0; i < n && i < 64; i++) {
		json_object *e = json_object_array_get_idx(arr, i);
		const char *s;
		size_t len;
		char *clean;
		if (!json_object_is_type(e, json_type_string))
			continue;
		s = json_object_get_string(e);
		len = (size_t)json_object_get_string_len(e);
		clean = cp_sanitize(s, len, TS_MAX_QUOTE, NULL);
		if (!clean) {
			free(all);
			return -ENOMEM;
		}
		if (!st->login_error && strstr(clean, "login error"))
			st->login_error = strdup(clean);
		if (*clean && used + strlen(clean) + 2 < cap) {
			if (used) {
				memcpy(all + used, "; ", 2);
				used += 2;
			}
			memcpy(all + used, clean, strlen(clean));
			used += strlen(clean);
			all[used] = '\0';
		}
		free(clean);
	}
	if (used)
		st->health = all;
	else
		free(all);
	return 0;
}

int ts_status_parse(const char *body, size_t body_len, struct ts_status *st, char **err)
{
	json_object *root = NULL, *self = NULL, *v;
	const char *bs;
	size_t bslen;
	int r;

	memset(st, 0, sizeof *st);
	st->tun = true;
	*err = NULL;
	r = cp_json_parse(body, body_len, TS_JSON_DEPTH, "reply", &root, err);
	if (r < 0)
		return r;
	if (!json_object_is_type(root, json_type_object)) {
		*err = strdup("status reply is not a JSON object");
		r = -EINVAL;
		goto out;
	}
	bs = cp_json_get_str(root, "BackendState", &bslen);
	if (!bs) {
		*err = strdup("status reply has no BackendState string");
		r = -EINVAL;
		goto out;
	}
	{
		char *clean = cp_sanitize(bs, bslen, sizeof st->backend_state - 4, NULL);
		if (!clean) {
			r = -ENOMEM;
			goto out;
		}
		snprintf(st->backend_state, sizeof st->backend_state, "%s", clean);
		free(clean);
	}
	st->state = (enum ts_state)cp_name_value(state_names, N_STATES, bs, bslen, TS_STATE_UNKNOWN);

	st->have_node_key = cp_json_get_bool(root, "HaveNodeKey", false);
	st->tun = cp_json_get_bool(root, "TUN", true);
	{
		size_t ulen = 0;
		st->has_auth_url = cp_json_get_str(root, "AuthURL", &ulen) && ulen > 0;
	}
	if (json_object_object_get_ex(root, "TailscaleIPs", &v))
		first_ipv4(v, st->ipv4);
	if (json_object_object_get_ex(root, "Self", &self) &&
	    json_object_is_type(self, json_type_object)) {
		if (!st->ipv4[0] && json_object_object_get_ex(self, "TailscaleIPs", &v))
			first_ipv4(v, st->ipv4);
		if ((r = cp_json_dup_sanitized(self, "HostName", TS_MAX_HOSTNAME, &st->host_name)) < 0 ||
		    (r = cp_json_dup_sanitized(self, "DNSName", TS_MAX_HOSTNAME, &st->dns_name)) < 0)
			goto out;
	}
	if ((r = cp_json_dup_sanitized(root, "Version", 64, &st->version)) < 0)
		goto out;
	if (json_object_object_get_ex(root, "Health", &v) && (r = parse_health(v, st)) < 0)
		goto out;
	r = 0;
out:
	json_object_put(root);
	if (r < 0)
		ts_status_free(st);
	return r;
}

void ts_status_free(struct ts_status *st)
{
	free(st->host_name);
	free(st->dns_name);
	free(st->login_error);
	free(st->health);
	free(st->version);
	st->host_name = st->dns_name = st->login_error = st->health = st->version = NULL;
}

int ts_options_parse(const char *json, bool strict, struct ts_options *o, char **err)
{
	const struct cp_option keys[] = {
		{"AuthKey", CP_OPTION_SECRET, TS_MAX_AUTH_KEY, false, &o->auth_key},
		{"ControlURL", CP_OPTION_URL, TS_MAX_URL, false, &o->control_url},
		{"Hostname", CP_OPTION_HOSTNAME, TS_MAX_HOSTNAME, true, &o->hostname},
	};

	memset(o, 0, sizeof *o);
	return cp_options_parse(json, strict,
				strict ? "the tailscale options (--overlay-config)" : "the tailscale OverlayPayload",
				keys, sizeof keys / sizeof keys[0], err);
}

void ts_options_free(struct ts_options *o)
{
	cp_wipe_free(o->auth_key);
	free(o->control_url);
	free(o->hostname);
	memset(o, 0, sizeof *o);
}

char *ts_payload_build(const struct ts_options *o, const char *hostname)
{
	const char *const keys[] = {"AuthKey", "ControlURL", "Hostname"};
	const char *const vals[] = {o->auth_key, o->control_url, hostname};
	return cp_payload_build(keys, vals, 3);
}

char *ts_start_body(const struct ts_options *o, const char *hostname)
{
	json_object *obj = json_object_new_object(), *prefs = json_object_new_object();
	int r = 0;

	if (!obj || !prefs) {
		json_object_put(obj);
		json_object_put(prefs);
		return NULL;
	}
	r |= cp_json_add_str(prefs, "ControlURL", o->control_url ? o->control_url : "");
	r |= json_object_object_add(prefs, "WantRunning", json_object_new_boolean(1));
	r |= json_object_object_add(prefs, "CorpDNS", json_object_new_boolean(1));
	r |= json_object_object_add(prefs, "NetfilterMode", json_object_new_int(2));
	r |= cp_json_add_str(prefs, "Hostname", hostname ? hostname : "");
	r |= cp_json_add_str(obj, "AuthKey", o->auth_key ? o->auth_key : "");
	if (r) {
		json_object_put(obj);
		json_object_put(prefs);
		return NULL;
	}
	if (json_object_object_add(obj, "UpdatePrefs", prefs) < 0) {
		json_object_put(obj);
		json_object_put(prefs);
		return NULL;
	}
	return cp_json_render(obj);
}
