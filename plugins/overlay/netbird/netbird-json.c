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
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "cc-buf.h"
#include "cc-net.h"
#include "netbird-json.h"
#include "plugin-json.h"

#define NB_JSON_DEPTH 24

char *nb_sanitize(const char *s, size_t len, size_t max, const char *secret)
{
	return cp_sanitize(s, len, max, secret);
}
char *nb_observed_address(const char *observed_json) { return cp_observed_address(observed_json); }

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

static const struct cp_name state_names[] = {
	{"Idle", NB_STATE_IDLE},
	{"Connecting", NB_STATE_CONNECTING},
	{"Connected", NB_STATE_CONNECTED},
	{"NeedsLogin", NB_STATE_NEEDS_LOGIN},
	{"LoginFailed", NB_STATE_LOGIN_FAILED},
	{"SessionExpired", NB_STATE_SESSION_EXPIRED},
};

#define N_STATES (sizeof state_names / sizeof state_names[0])

const char *nb_state_name(enum nb_state s) { return cp_name_of(state_names, N_STATES, (int)s, "unknown"); }

bool nb_state_logged_out(enum nb_state s)
{
	return s == NB_STATE_NEEDS_LOGIN || s == NB_STATE_LOGIN_FAILED || s == NB_STATE_SESSION_EXPIRED;
}

static enum nb_state state_from(const char *s, size_t len)
{
	return (enum nb_state)cp_name_value(state_names, N_STATES, s, len, NB_STATE_UNKNOWN);
}

static void set_reported(struct nb_status *st, const char *s, size_t len)
{
	char *clean = cp_sanitize(s, len, sizeof st->daemon_status - 4, NULL);
	snprintf(st->daemon_status, sizeof st->daemon_status, "%s", clean ? clean : "?");
	free(clean);
}

/* "100.64.0.33/16" -> ipv4 + prefixlen; anything else leaves them empty. */
static void parse_cidr(const char *s, size_t len, struct nb_status *st)
{
	uint32_t a;
	uint8_t p;

	/* The text is the daemon's: bounded and without a NUL inside. */
	if (!s || len >= 24 || strlen(s) != len || cc_parse_cidr(s, &a, &p) < 0 || p < 1)
		return;
	cc_format_ipv4(a, st->ipv4);
	st->prefixlen = p;
}

static int parse_text(const char *out, size_t len, struct nb_status *st, char **err)
{
	static const char tag[] = "Daemon status: ";
	const char *p = memmem(out, len, tag, sizeof tag - 1);
	size_t n = 0;

	if (!p) {
		char *q = cp_sanitize(out, len, 120, NULL);
		*err = cc_strdupf("output is neither JSON nor a \"Daemon status:\" line: \"%s\"", q ? q : "");
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

	r = cp_json_parse(out + i, len - i, NB_JSON_DEPTH, "output", &root, err);
	if (r < 0)
		return r;
	if (!json_object_is_type(root, json_type_object)) {
		*err = strdup("status output is not a JSON object");
		r = -EINVAL;
		goto out;
	}
	st->json = true;
	if ((s = cp_json_get_str(root, "netbirdIp", &slen)))
		parse_cidr(s, slen, st);
	if (json_object_object_get_ex(root, "management", &mgmt) &&
	    json_object_is_type(mgmt, json_type_object)) {
		json_object *c;
		if (json_object_object_get_ex(mgmt, "connected", &c) &&
		    json_object_is_type(c, json_type_boolean))
			st->mgmt_connected = json_object_get_boolean(c);
		if ((r = cp_json_dup_sanitized(mgmt, "error", NB_MAX_QUOTE, &st->mgmt_error)) < 0 ||
		    (r = cp_json_dup_sanitized(mgmt, "url", NB_MAX_URL, &st->mgmt_url)) < 0)
			goto out;
	}
	if ((r = cp_json_dup_sanitized(root, "fqdn", NB_MAX_HOSTNAME, &st->fqdn)) < 0 ||
	    (r = cp_json_dup_sanitized(root, "daemonVersion", 64, &st->daemon_version)) < 0)
		goto out;
	if ((s = cp_json_get_str(root, "daemonStatus", &slen))) {
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

int nb_options_parse(const char *json, bool strict, struct nb_options *o, char **err)
{
	const struct cp_option keys[] = {
		{"SetupKey", CP_OPTION_SECRET, NB_MAX_SETUP_KEY, false, &o->setup_key},
		{"ManagementURL", CP_OPTION_URL, NB_MAX_URL, false, &o->management_url},
		{"Hostname", CP_OPTION_HOSTNAME, NB_MAX_HOSTNAME, true, &o->hostname},
	};

	memset(o, 0, sizeof *o);
	return cp_options_parse(json, strict,
				strict ? "the netbird options (--overlay-config)" : "the netbird OverlayPayload",
				keys, sizeof keys / sizeof keys[0], err);
}

void nb_options_free(struct nb_options *o)
{
	cp_wipe_free(o->setup_key);
	free(o->management_url);
	free(o->hostname);
	memset(o, 0, sizeof *o);
}

char *nb_payload_build(const struct nb_options *o, const char *hostname)
{
	const char *const keys[] = {"SetupKey", "ManagementURL", "Hostname"};
	const char *const vals[] = {o->setup_key, o->management_url, hostname};
	return cp_payload_build(keys, vals, 3);
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
