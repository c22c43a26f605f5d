/* The tailscale plugin's JSON: what tailscaled's LocalAPI answers
 * (GET /localapi/v0/status), what the master's --overlay-config holds,
 * and what the plugin sends (OverlayPayload, the /start body).  Kept apart
 * from the plugin operations so it can be tested on hostile input without
 * a daemon.  Every string that comes out of here has been bounded and
 * stripped of control characters. */
#ifndef CLUSTERCTL_TAILSCALE_JSON_H
#define CLUSTERCTL_TAILSCALE_JSON_H

#include <stdbool.h>
#include <stddef.h>

/* ipn.State names (ipn/backend.go). */
enum ts_state {
	TS_STATE_UNKNOWN = 0,
	TS_STATE_NO_STATE,
	TS_STATE_IN_USE_OTHER_USER,
	TS_STATE_NEEDS_LOGIN,
	TS_STATE_NEEDS_MACHINE_AUTH,
	TS_STATE_STOPPED,
	TS_STATE_STARTING,
	TS_STATE_RUNNING,
};

#define TS_MAX_AUTH_KEY 512
#define TS_MAX_URL 1024
#define TS_MAX_HOSTNAME 253
/* Longest daemon text quoted back to a person. */
#define TS_MAX_QUOTE 400

struct ts_status {
	enum ts_state state;
	char backend_state[33]; /* as reported (sanitized), for messages */
	bool have_node_key;
	bool tun;               /* false: userspace networking, no interface */
	bool has_auth_url;      /* an interactive login URL is pending */
	char ipv4[16];          /* first IPv4 of TailscaleIPs, "" when none */
	char *host_name;        /* Self.HostName, may be NULL */
	char *dns_name;         /* Self.DNSName, may be NULL */
	char *login_error;      /* the Health entry carrying the last login error */
	char *health;           /* every Health entry, "; "-joined, bounded */
	char *version;
};

/* Parse a /status reply of body_len bytes.  0, or -EINVAL/-ENOMEM with
 * *err (malloc'd) saying what was wrong. */
int ts_status_parse(const char *body, size_t body_len, struct ts_status *st, char **err);
void ts_status_free(struct ts_status *st);
const char *ts_state_name(enum ts_state s);

/* The provider options (master: --overlay-config) and the OverlayPayload
 * share these keys.  strict: the master's file, where an unknown key is
 * a typo worth an error and Hostname is not accepted (it is per node);
 * non-strict: the payload, where Hostname is expected and unknown keys
 * are ignored (a newer controller may add some). */
struct ts_options {
	char *auth_key;    /* NULL: none */
	char *control_url; /* NULL: Tailscale's default */
	char *hostname;    /* payload only */
};
int ts_options_parse(const char *json, bool strict, struct ts_options *o, char **err);
/* Zeroes the key before freeing it. */
void ts_options_free(struct ts_options *o);
/* OverlayPayload for a node: the options plus its Hostname.  malloc'd. */
char *ts_payload_build(const struct ts_options *o, const char *hostname);
/* Body of POST /localapi/v0/start (ipn.Options).  malloc'd; the caller
 * wipes it (it holds the auth key). */
char *ts_start_body(const struct ts_options *o, const char *hostname);

/* Helpers shared with the plugin. */
/* A printable, bounded copy of daemon text; occurrences of `secret` (may
 * be NULL) are replaced by "[redacted]".  NULL only on ENOMEM. */
char *ts_sanitize(const char *s, size_t len, size_t max, const char *secret);
/* Read "Address" (a valid IPv4) out of an Observed.Overlay object; NULL
 * when absent or invalid. */
char *ts_observed_address(const char *observed_json);

#endif
