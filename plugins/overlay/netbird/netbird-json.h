/* The netbird plugin's parsing: `netbird status --json` output (JSON, or
 * the plain text older CLIs print when logged out), the master's
 * --overlay-config, the OverlayPayload, and the CLI's error text.  Apart
 * from the plugin operations so it can be tested on hostile input without
 * a netbird binary.  Every string that comes out has been bounded and
 * stripped of control characters. */
#ifndef CLUSTERCTL_NETBIRD_JSON_H
#define CLUSTERCTL_NETBIRD_JSON_H

#include <stdbool.h>
#include <stddef.h>

/* client/internal/state.go status strings. */
enum nb_state {
	NB_STATE_UNKNOWN = 0,
	NB_STATE_IDLE,
	NB_STATE_CONNECTING,
	NB_STATE_CONNECTED,
	NB_STATE_NEEDS_LOGIN,
	NB_STATE_LOGIN_FAILED,
	NB_STATE_SESSION_EXPIRED,
};

#define NB_MAX_SETUP_KEY 512
#define NB_MAX_URL 1024
#define NB_MAX_HOSTNAME 253
#define NB_MAX_QUOTE 400

struct nb_status {
	enum nb_state state;
	char daemon_status[33]; /* reported (or derived), sanitized */
	bool json;              /* false: the pre-v0.67 "Daemon status:" text */
	bool has_daemon_status; /* daemonStatus was in the JSON (v0.67+) */
	char ipv4[16];          /* netbirdIp without its prefix length, "" when none */
	unsigned prefixlen;
	bool mgmt_connected;
	char *mgmt_error;       /* management.error, NULL when empty */
	char *mgmt_url;
	char *fqdn;
	char *daemon_version;
};

/* Parse the stdout of `netbird status --json`.  0, or -EINVAL/-ENOMEM
 * with *err (malloc'd). */
int nb_status_parse(const char *out, size_t len, struct nb_status *st, char **err);
void nb_status_free(struct nb_status *st);
const char *nb_state_name(enum nb_state s);
bool nb_state_logged_out(enum nb_state s);

/* strict: the master's --overlay-config (SetupKey, ManagementURL; unknown
 * keys are errors).  Non-strict: the OverlayPayload (adds Hostname,
 * ignores unknown keys). */
struct nb_options {
	char *setup_key;      /* NULL: none */
	char *management_url; /* NULL: the CLI's default */
	char *hostname;       /* payload only */
};
int nb_options_parse(const char *json, bool strict, struct nb_options *o, char **err);
void nb_options_free(struct nb_options *o); /* zeroes the key */
char *nb_payload_build(const struct nb_options *o, const char *hostname);

/* What a failed CLI run said, from its stderr (or stdout). */
enum nb_cli_error { NB_ERR_OTHER = 0, NB_ERR_DAEMON_DOWN, NB_ERR_BAD_KEY };
enum nb_cli_error nb_classify_error(const char *text, size_t len);

bool nb_ifname_valid(const char *s);
char *nb_sanitize(const char *s, size_t len, size_t max, const char *secret);
char *nb_observed_address(const char *observed_json);

#endif
