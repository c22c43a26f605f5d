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
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "tailscale-json.h"

/* The status object nests Peer -> PeerStatus -> a few levels; anything
 * deeper than this is not tailscaled talking. */
#define TS_JSON_DEPTH 24

static char *xfmt(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *xfmt(const char *fmt, ...)
{
	char *s = NULL;
	va_list ap;
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	return s;
}

static void wipe_free(char *s)
{
	if (s) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

bool ts_ipv4_valid(const char *s)
{
	struct in_addr a;
	return s && strlen(s) < 16 && inet_pton(AF_INET, s, &a) == 1;
}

bool ts_hostname_valid(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	if (n == 0 || n > TS_MAX_HOSTNAME || s[0] == '-' || s[0] == '.')
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '.' || c == '_'))
			return false;
	}
	return true;
}

char *ts_sanitize(const char *s, size_t len, size_t max, const char *secret)
{
	static const char redacted[] = "[redacted]";
	size_t slen = secret ? strlen(secret) : 0;
	size_t o = 0, i = 0;
	char *out = malloc(max + sizeof redacted + 4);

	if (!out)
		return NULL;
	while (s && i < len && o < max) {
		unsigned char c = (unsigned char)s[i];
		if (slen && len - i >= slen && memcmp(s + i, secret, slen) == 0) {
			memcpy(out + o, redacted, sizeof redacted - 1);
			o += sizeof redacted - 1;
			i += slen;
			continue;
		}
		out[o++] = (c < 0x20 || c == 0x7f) ? (c == '\n' || c == '\t' ? ' ' : '?') : (char)c;
		i++;
	}
	if (s && i < len) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	/* Trailing blanks from a "\n"-terminated daemon message. */
	while (o > 0 && out[o - 1] == ' ')
		o--;
	out[o] = '\0';
	return out;
}

static int parse_json(const char *buf, size_t len, json_object **out, char **err)
{
	json_tokener *tok;
	json_object *o;
	bool consumed_all = false;
	size_t end;

	*out = NULL;
	if (!buf || len == 0) {
		*err = strdup("empty reply");
		return -EINVAL;
	}
	if (len > (size_t)0x7fffffff) {
		*err = strdup("reply too large");
		return -EINVAL;
	}
	tok = json_tokener_new_ex(TS_JSON_DEPTH);
	if (!tok)
		return -ENOMEM;
	o = json_tokener_parse_ex(tok, buf, (int)len);
	if (!o && json_tokener_get_error(tok) == json_tokener_continue) {
		/* The input ended where a value might go on (a bare number):
		 * a blank ends it, an unfinished object stays unfinished. */
		o = json_tokener_parse_ex(tok, " ", 1);
		consumed_all = true;
	}
	if (!o || json_tokener_get_error(tok) != json_tokener_success) {
		enum json_tokener_error e = json_tokener_get_error(tok);
		*err = xfmt("not valid JSON (%s)",
			    e == json_tokener_continue ? "truncated" : json_tokener_error_desc(e));
		json_object_put(o);
		json_tokener_free(tok);
		return -EINVAL;
	}
	end = consumed_all ? len : json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	for (; end < len; end++) {
		char c = buf[end];
		if (c != ' ' && c != '\n' && c != '\r' && c != '\t') {
			*err = strdup("trailing bytes after the JSON value");
			json_object_put(o);
			return -EINVAL;
		}
	}
	*out = o;
	return 0;
}

/* A string member, or NULL when absent or of another type. */
static const char *get_str(json_object *obj, const char *key, size_t *len)
{
	json_object *v;
	if (!json_object_object_get_ex(obj, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	if (len)
		*len = (size_t)json_object_get_string_len(v);
	return json_object_get_string(v);
}

static bool get_bool(json_object *obj, const char *key, bool dflt)
{
	json_object *v;
	if (!json_object_object_get_ex(obj, key, &v) || !json_object_is_type(v, json_type_boolean))
		return dflt;
	return json_object_get_boolean(v);
}

static const struct {
	const char *name;
	enum ts_state st;
} state_names[] = {
	{"NoState", TS_STATE_NO_STATE},
	{"InUseOtherUser", TS_STATE_IN_USE_OTHER_USER},
	{"NeedsLogin", TS_STATE_NEEDS_LOGIN},
	{"NeedsMachineAuth", TS_STATE_NEEDS_MACHINE_AUTH},
	{"Stopped", TS_STATE_STOPPED},
	{"Starting", TS_STATE_STARTING},
	{"Running", TS_STATE_RUNNING},
};

const char *ts_state_name(enum ts_state s)
{
	for (size_t i = 0; i < sizeof state_names / sizeof state_names[0]; i++)
		if (state_names[i].st == s)
			return state_names[i].name;
	return "unknown";
}

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
		if (json_object_get_string_len(e) < 16 && ts_ipv4_valid(s))
			memcpy(out, s, strlen(s) + 1);
	}
}

static int dup_sanitized(json_object *obj, const char *key, size_t max, char **out)
{
	size_t len;
	const char *s = get_str(obj, key, &len);
	*out = NULL;
	if (!s || len == 0)
		return 0;
	*out = ts_sanitize(s, len, max, NULL);
	return *out ? 0 : -ENOMEM;
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
		clean = ts_sanitize(s, len, TS_MAX_QUOTE, NULL);
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
	r = parse_json(body, body_len, &root, err);
	if (r < 0)
		return r;
	if (!json_object_is_type(root, json_type_object)) {
		*err = strdup("status reply is not a JSON object");
		r = -EINVAL;
		goto out;
	}
	bs = get_str(root, "BackendState", &bslen);
	if (!bs) {
		*err = strdup("status reply has no BackendState string");
		r = -EINVAL;
		goto out;
	}
	{
		char *clean = ts_sanitize(bs, bslen, sizeof st->backend_state - 4, NULL);
		if (!clean) {
			r = -ENOMEM;
			goto out;
		}
		snprintf(st->backend_state, sizeof st->backend_state, "%s", clean);
		free(clean);
	}
	st->state = TS_STATE_UNKNOWN;
	for (size_t i = 0; i < sizeof state_names / sizeof state_names[0]; i++)
		if (strlen(state_names[i].name) == bslen && strcmp(bs, state_names[i].name) == 0)
			st->state = state_names[i].st;

	st->have_node_key = get_bool(root, "HaveNodeKey", false);
	st->tun = get_bool(root, "TUN", true);
	{
		size_t ulen = 0;
		st->has_auth_url = get_str(root, "AuthURL", &ulen) && ulen > 0;
	}
	if (json_object_object_get_ex(root, "TailscaleIPs", &v))
		first_ipv4(v, st->ipv4);
	if (json_object_object_get_ex(root, "Self", &self) &&
	    json_object_is_type(self, json_type_object)) {
		if (!st->ipv4[0] && json_object_object_get_ex(self, "TailscaleIPs", &v))
			first_ipv4(v, st->ipv4);
		if ((r = dup_sanitized(self, "HostName", TS_MAX_HOSTNAME, &st->host_name)) < 0 ||
		    (r = dup_sanitized(self, "DNSName", TS_MAX_HOSTNAME, &st->dns_name)) < 0)
			goto out;
	}
	if ((r = dup_sanitized(root, "Version", 64, &st->version)) < 0)
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

/* Printable ASCII without blanks: what an auth key or URL is made of.
 * Anything else (control bytes, spaces, UTF-8) would be a paste error. */
static bool token_valid(const char *s, size_t len, size_t max)
{
	if (len == 0 || len > max || strlen(s) != len)
		return false;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f)
			return false;
	return true;
}

static bool url_valid(const char *s, size_t len)
{
	if (!token_valid(s, len, TS_MAX_URL))
		return false;
	if (strncmp(s, "https://", 8) == 0)
		return len > 8;
	if (strncmp(s, "http://", 7) == 0)
		return len > 7;
	return false;
}

int ts_options_parse(const char *json, bool strict, struct ts_options *o, char **err)
{
	const char *what = strict ? "the tailscale options (--overlay-config)" : "the tailscale OverlayPayload";
	json_object *root = NULL;
	char *perr = NULL;
	int r = 0;

	memset(o, 0, sizeof *o);
	*err = NULL;
	if (!json || !*json)
		return 0;
	r = parse_json(json, strlen(json), &root, &perr);
	if (r < 0) {
		*err = perr ? xfmt("%s: %s", what, perr) : NULL;
		free(perr);
		return r;
	}
	if (!json_object_is_type(root, json_type_object)) {
		*err = xfmt("%s must be a JSON object", what);
		r = -EINVAL;
		goto out;
	}
	json_object_object_foreach(root, key, val)
	{
		bool is_str = json_object_is_type(val, json_type_string);
		const char *s = is_str ? json_object_get_string(val) : NULL;
		size_t len = is_str ? (size_t)json_object_get_string_len(val) : 0;

		if (strcmp(key, "AuthKey") == 0) {
			/* Never quote the value: it is a secret. */
			if (!is_str || !token_valid(s, len, TS_MAX_AUTH_KEY)) {
				*err = xfmt("%s: AuthKey must be a string of 1-%d printable characters "
					    "without spaces",
					    what, TS_MAX_AUTH_KEY);
				r = -EINVAL;
				goto out;
			}
			o->auth_key = strdup(s);
		} else if (strcmp(key, "ControlURL") == 0) {
			if (!is_str || !url_valid(s, len)) {
				*err = xfmt("%s: ControlURL must be an http:// or https:// URL of at most "
					    "%d characters without spaces",
					    what, TS_MAX_URL);
				r = -EINVAL;
				goto out;
			}
			o->control_url = strdup(s);
		} else if (!strict && strcmp(key, "Hostname") == 0) {
			if (!is_str || !ts_hostname_valid(s)) {
				*err = xfmt("%s: Hostname must be a host name of 1-%d letters, digits, "
					    "'-', '.' or '_'",
					    what, TS_MAX_HOSTNAME);
				r = -EINVAL;
				goto out;
			}
			o->hostname = strdup(s);
		} else if (strict) {
			char *k = ts_sanitize(key, strlen(key), 64, NULL);
			*err = xfmt("%s: unknown key \"%s\" (known: AuthKey, ControlURL)", what,
				    k ? k : "?");
			free(k);
			r = -EINVAL;
			goto out;
		} else {
			continue;
		}
		if ((strcmp(key, "AuthKey") == 0 && !o->auth_key) ||
		    (strcmp(key, "ControlURL") == 0 && !o->control_url) ||
		    (strcmp(key, "Hostname") == 0 && !o->hostname)) {
			r = -ENOMEM;
			goto out;
		}
	}
out:
	json_object_put(root);
	if (r < 0)
		ts_options_free(o);
	return r;
}

void ts_options_free(struct ts_options *o)
{
	wipe_free(o->auth_key);
	free(o->control_url);
	free(o->hostname);
	memset(o, 0, sizeof *o);
}

static int add_str(json_object *obj, const char *key, const char *val)
{
	json_object *s;
	if (!val)
		return 0;
	s = json_object_new_string(val);
	if (!s)
		return -ENOMEM;
	if (json_object_object_add(obj, key, s) < 0) {
		json_object_put(s);
		return -ENOMEM;
	}
	return 0;
}

static char *finish(json_object *obj)
{
	const char *s = json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN |
								JSON_C_TO_STRING_NOSLASHESCAPE);
	char *out = s ? strdup(s) : NULL;
	/* json-c keeps the rendered text in the object: wipe it, it may
	 * hold the auth key. */
	if (s)
		explicit_bzero((char *)s, strlen(s));
	json_object_put(obj);
	return out;
}

char *ts_payload_build(const struct ts_options *o, const char *hostname)
{
	json_object *obj = json_object_new_object();
	if (!obj)
		return NULL;
	if (add_str(obj, "AuthKey", o->auth_key) < 0 || add_str(obj, "ControlURL", o->control_url) < 0 ||
	    add_str(obj, "Hostname", hostname) < 0) {
		json_object_put(obj);
		return NULL;
	}
	return finish(obj);
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
	r |= add_str(prefs, "ControlURL", o->control_url ? o->control_url : "");
	r |= json_object_object_add(prefs, "WantRunning", json_object_new_boolean(1));
	r |= json_object_object_add(prefs, "CorpDNS", json_object_new_boolean(1));
	r |= json_object_object_add(prefs, "NetfilterMode", json_object_new_int(2));
	r |= add_str(prefs, "Hostname", hostname ? hostname : "");
	r |= add_str(obj, "AuthKey", o->auth_key ? o->auth_key : "");
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
	return finish(obj);
}

char *ts_observed_address(const char *observed_json)
{
	json_object *root = NULL;
	char *err = NULL, *out = NULL;
	const char *a;

	if (!observed_json || parse_json(observed_json, strlen(observed_json), &root, &err) < 0) {
		free(err);
		return NULL;
	}
	if (json_object_is_type(root, json_type_object) && (a = get_str(root, "Address", NULL)) &&
	    ts_ipv4_valid(a))
		out = strdup(a);
	json_object_put(root);
	return out;
}
