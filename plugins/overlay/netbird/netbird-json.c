/* Parsing for the netbird plugin; see netbird-json.h.
 *
 * Facts and where they come from (netbirdio/netbird, read in source, not
 * run: there is no netbird binary on the build machine):
 *  - `status --json` prints statusOutputOverview: netbirdIp (local, CIDR
 *    "100.x.y.z/16"), management{url,connected,error}, daemonVersion, fqdn,
 *    and from v0.67.0 daemonStatus.  [src client/cmd/status.go,
 *    client/status/status.go; shared/reference/provider-apis.md §4.2]
 *  - Before v0.67.0 a NeedsLogin or LoginFailed daemon makes `status
 *    --json` print "Daemon status: NeedsLogin\n\nRun UP command ..." as
 *    plain text, exit 0.  [src client/cmd/status.go statusFunc]
 *  - Daemon statuses: Idle, Connecting, Connected, NeedsLogin, LoginFailed,
 *    SessionExpired.  [src client/internal/state.go]
 *  - No daemon: the CLI fails with "failed to connect to daemon error: ...
 *    If the daemon is not running please run: netbird service install
 *    netbird service start" (cobra prefixes "Error: ", exit 1).
 *    [src client/cmd/root.go getClient, up.go, status.go]
 *  - A rejected setup key: "login failed: rpc error: code = NotFound desc =
 *    couldn't add peer: setup key is invalid" (NotFound/InvalidArgument/
 *    PermissionDenied fail at once; others are retried ~30 s and end in
 *    "login backoff cycle failed: ...").  [src client/cmd/up.go
 *    runInDaemonMode; management/server account.go AddPeer]
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "netbird-json.h"

#define NB_JSON_DEPTH 24

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

bool nb_ipv4_valid(const char *s)
{
	struct in_addr a;
	return s && strlen(s) < 16 && inet_pton(AF_INET, s, &a) == 1;
}

bool nb_hostname_valid(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	if (n == 0 || n > NB_MAX_HOSTNAME || s[0] == '-' || s[0] == '.')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!(isalnum((unsigned char)s[i]) || s[i] == '-' || s[i] == '.' || s[i] == '_'))
			return false;
	return true;
}

/* Linux interface names: 1-15 bytes, no '/', blanks or ':'. */
bool nb_ifname_valid(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	if (n == 0 || n > 15)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f || s[i] == '/' || s[i] == ':')
			return false;
	return true;
}

char *nb_sanitize(const char *s, size_t len, size_t max, const char *secret)
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
		*err = strdup("empty output");
		return -EINVAL;
	}
	if (len > (size_t)0x7fffffff) {
		*err = strdup("output too large");
		return -EINVAL;
	}
	tok = json_tokener_new_ex(NB_JSON_DEPTH);
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

static const char *get_str(json_object *obj, const char *key, size_t *len)
{
	json_object *v;
	if (!json_object_object_get_ex(obj, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	if (len)
		*len = (size_t)json_object_get_string_len(v);
	return json_object_get_string(v);
}

static int dup_sanitized(json_object *obj, const char *key, size_t max, char **out)
{
	size_t len;
	const char *s = get_str(obj, key, &len);
	*out = NULL;
	if (!s || len == 0)
		return 0;
	*out = nb_sanitize(s, len, max, NULL);
	return *out ? 0 : -ENOMEM;
}

static const struct {
	const char *name;
	enum nb_state st;
} state_names[] = {
	{"Idle", NB_STATE_IDLE},
	{"Connecting", NB_STATE_CONNECTING},
	{"Connected", NB_STATE_CONNECTED},
	{"NeedsLogin", NB_STATE_NEEDS_LOGIN},
	{"LoginFailed", NB_STATE_LOGIN_FAILED},
	{"SessionExpired", NB_STATE_SESSION_EXPIRED},
};

const char *nb_state_name(enum nb_state s)
{
	for (size_t i = 0; i < sizeof state_names / sizeof state_names[0]; i++)
		if (state_names[i].st == s)
			return state_names[i].name;
	return "unknown";
}

bool nb_state_logged_out(enum nb_state s)
{
	return s == NB_STATE_NEEDS_LOGIN || s == NB_STATE_LOGIN_FAILED || s == NB_STATE_SESSION_EXPIRED;
}

static enum nb_state state_from(const char *s, size_t len)
{
	for (size_t i = 0; i < sizeof state_names / sizeof state_names[0]; i++)
		if (strlen(state_names[i].name) == len && memcmp(s, state_names[i].name, len) == 0)
			return state_names[i].st;
	return NB_STATE_UNKNOWN;
}

static void set_reported(struct nb_status *st, const char *s, size_t len)
{
	char *clean = nb_sanitize(s, len, sizeof st->daemon_status - 4, NULL);
	snprintf(st->daemon_status, sizeof st->daemon_status, "%s", clean ? clean : "?");
	free(clean);
}

/* "100.64.0.33/16" -> ipv4 + prefixlen; anything else leaves them empty. */
static void parse_cidr(const char *s, size_t len, struct nb_status *st)
{
	const char *slash;
	char ip[16];
	char *end;
	long p;

	if (!s || len >= 24 || strlen(s) != len || !(slash = strchr(s, '/')))
		return;
	if ((size_t)(slash - s) >= sizeof ip)
		return;
	memcpy(ip, s, (size_t)(slash - s));
	ip[slash - s] = '\0';
	if (!nb_ipv4_valid(ip) || !isdigit((unsigned char)slash[1]))
		return;
	errno = 0;
	p = strtol(slash + 1, &end, 10);
	if (errno || *end || p < 1 || p > 32)
		return;
	memcpy(st->ipv4, ip, strlen(ip) + 1);
	st->prefixlen = (unsigned)p;
}

static int parse_text(const char *out, size_t len, struct nb_status *st, char **err)
{
	static const char tag[] = "Daemon status: ";
	const char *p = memmem(out, len, tag, sizeof tag - 1);
	size_t n = 0;

	if (!p) {
		char *q = nb_sanitize(out, len, 120, NULL);
		*err = xfmt("output is neither JSON nor a \"Daemon status:\" line: \"%s\"", q ? q : "");
		free(q);
		return -EINVAL;
	}
	p += sizeof tag - 1;
	while ((size_t)(p - out) + n < len && isalpha((unsigned char)p[n]))
		n++;
	st->json = false;
	st->state = state_from(p, n);
	set_reported(st, p, n);
	if (st->state == NB_STATE_UNKNOWN && n == 0)
		snprintf(st->daemon_status, sizeof st->daemon_status, "unknown");
	return 0;
}

int nb_status_parse(const char *out, size_t len, struct nb_status *st, char **err)
{
	json_object *root = NULL, *mgmt;
	const char *s;
	size_t slen, i = 0;
	int r;

	memset(st, 0, sizeof *st);
	*err = NULL;
	while (out && i < len && isspace((unsigned char)out[i]))
		i++;
	if (!out || i == len) {
		*err = strdup("empty output");
		return -EINVAL;
	}
	if (out[i] != '{')
		return parse_text(out, len, st, err);

	r = parse_json(out + i, len - i, &root, err);
	if (r < 0)
		return r;
	if (!json_object_is_type(root, json_type_object)) {
		*err = strdup("status output is not a JSON object");
		r = -EINVAL;
		goto out;
	}
	st->json = true;
	if ((s = get_str(root, "netbirdIp", &slen)))
		parse_cidr(s, slen, st);
	if (json_object_object_get_ex(root, "management", &mgmt) &&
	    json_object_is_type(mgmt, json_type_object)) {
		json_object *c;
		if (json_object_object_get_ex(mgmt, "connected", &c) &&
		    json_object_is_type(c, json_type_boolean))
			st->mgmt_connected = json_object_get_boolean(c);
		if ((r = dup_sanitized(mgmt, "error", NB_MAX_QUOTE, &st->mgmt_error)) < 0 ||
		    (r = dup_sanitized(mgmt, "url", NB_MAX_URL, &st->mgmt_url)) < 0)
			goto out;
	}
	if ((r = dup_sanitized(root, "fqdn", NB_MAX_HOSTNAME, &st->fqdn)) < 0 ||
	    (r = dup_sanitized(root, "daemonVersion", 64, &st->daemon_version)) < 0)
		goto out;
	if ((s = get_str(root, "daemonStatus", &slen))) {
		st->has_daemon_status = true;
		st->state = state_from(s, slen);
		set_reported(st, s, slen);
	} else {
		/* Before v0.67 there is no daemonStatus; a logged-out daemon
		 * printed text, so JSON means logged in: connected when the
		 * management link is up and we have an address. */
		st->state = st->mgmt_connected ? (st->ipv4[0] ? NB_STATE_CONNECTED : NB_STATE_CONNECTING)
					       : NB_STATE_IDLE;
		snprintf(st->daemon_status, sizeof st->daemon_status, "%s", nb_state_name(st->state));
	}
	r = 0;
out:
	json_object_put(root);
	if (r < 0)
		nb_status_free(st);
	return r;
}

void nb_status_free(struct nb_status *st)
{
	free(st->mgmt_error);
	free(st->mgmt_url);
	free(st->fqdn);
	free(st->daemon_version);
	st->mgmt_error = st->mgmt_url = st->fqdn = st->daemon_version = NULL;
}

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
	if (!token_valid(s, len, NB_MAX_URL))
		return false;
	if (strncmp(s, "https://", 8) == 0)
		return len > 8;
	if (strncmp(s, "http://", 7) == 0)
		return len > 7;
	return false;
}

int nb_options_parse(const char *json, bool strict, struct nb_options *o, char **err)
{
	const char *what = strict ? "the netbird options (--overlay-config)" : "the netbird OverlayPayload";
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
		char **dst = NULL;

		if (strcmp(key, "SetupKey") == 0) {
			/* Never quote the value: it is a secret. */
			if (!is_str || !token_valid(s, len, NB_MAX_SETUP_KEY)) {
				*err = xfmt("%s: SetupKey must be a string of 1-%d printable characters "
					    "without spaces",
					    what, NB_MAX_SETUP_KEY);
				r = -EINVAL;
				goto out;
			}
			dst = &o->setup_key;
		} else if (strcmp(key, "ManagementURL") == 0) {
			if (!is_str || !url_valid(s, len)) {
				*err = xfmt("%s: ManagementURL must be an http:// or https:// URL of at most "
					    "%d characters without spaces",
					    what, NB_MAX_URL);
				r = -EINVAL;
				goto out;
			}
			dst = &o->management_url;
		} else if (!strict && strcmp(key, "Hostname") == 0) {
			if (!is_str || !nb_hostname_valid(s)) {
				*err = xfmt("%s: Hostname must be a host name of 1-%d letters, digits, "
					    "'-', '.' or '_'",
					    what, NB_MAX_HOSTNAME);
				r = -EINVAL;
				goto out;
			}
			dst = &o->hostname;
		} else if (strict) {
			char *k = nb_sanitize(key, strlen(key), 64, NULL);
			*err = xfmt("%s: unknown key \"%s\" (known: SetupKey, ManagementURL)", what,
				    k ? k : "?");
			free(k);
			r = -EINVAL;
			goto out;
		} else {
			continue;
		}
		free(*dst);
		if (!(*dst = strdup(s))) {
			r = -ENOMEM;
			goto out;
		}
	}
out:
	json_object_put(root);
	if (r < 0)
		nb_options_free(o);
	return r;
}

void nb_options_free(struct nb_options *o)
{
	if (o->setup_key) {
		explicit_bzero(o->setup_key, strlen(o->setup_key));
		free(o->setup_key);
	}
	free(o->management_url);
	free(o->hostname);
	memset(o, 0, sizeof *o);
}

char *nb_payload_build(const struct nb_options *o, const char *hostname)
{
	json_object *obj = json_object_new_object();
	const struct {
		const char *k, *v;
	} kv[] = {{"SetupKey", o->setup_key}, {"ManagementURL", o->management_url}, {"Hostname", hostname}};
	const char *s;
	char *out;

	if (!obj)
		return NULL;
	for (size_t i = 0; i < sizeof kv / sizeof kv[0]; i++) {
		json_object *v;
		if (!kv[i].v)
			continue;
		if (!(v = json_object_new_string(kv[i].v)) || json_object_object_add(obj, kv[i].k, v) < 0) {
			json_object_put(v);
			json_object_put(obj);
			return NULL;
		}
	}
	s = json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	out = s ? strdup(s) : NULL;
	if (s)
		explicit_bzero((char *)s, strlen(s));
	json_object_put(obj);
	return out;
}

static bool has(const char *hay, const char *needle) { return strstr(hay, needle) != NULL; }

enum nb_cli_error nb_classify_error(const char *text, size_t len)
{
	enum nb_cli_error e = NB_ERR_OTHER;
	char *low;

	if (!text || !len)
		return NB_ERR_OTHER;
	if (len > 65536)
		len = 65536;
	low = malloc(len + 1);
	if (!low)
		return NB_ERR_OTHER;
	for (size_t i = 0; i < len; i++)
		low[i] = text[i] ? (char)tolower((unsigned char)text[i]) : ' ';
	low[len] = '\0';
	if (has(low, "failed to connect to daemon") || has(low, "if the daemon is not running"))
		e = NB_ERR_DAEMON_DOWN;
	else if ((has(low, "setup key") || has(low, "setup-key")) &&
		 (has(low, "invalid") || has(low, "expired") || has(low, "revoked") ||
		  has(low, "usage limit") || has(low, "not found")))
		e = NB_ERR_BAD_KEY;
	free(low);
	return e;
}

char *nb_observed_address(const char *observed_json)
{
	json_object *root = NULL;
	char *err = NULL, *out = NULL;
	const char *a;

	if (!observed_json || parse_json(observed_json, strlen(observed_json), &root, &err) < 0) {
		free(err);
		return NULL;
	}
	if (json_object_is_type(root, json_type_object) && (a = get_str(root, "Address", NULL)) &&
	    nb_ipv4_valid(a))
		out = strdup(a);
	json_object_put(root);
	return out;
}
