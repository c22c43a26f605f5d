/* Helpers the plugins share for text they did not write: a daemon's reply,
 * a CLI's output, the master's --overlay-config, a payload.  json-c and
 * libc only, no core internals: a plugin links this convenience library
 * into its module, so none of these symbols leaves the .so.
 *
 * Everything here bounds what it copies and strips control bytes, so a
 * string that comes out can be quoted to a person as it is. */
#ifndef CLUSTERCTL_PLUGIN_JSON_H
#define CLUSTERCTL_PLUGIN_JSON_H

#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>


/* The longest daemon text quoted back to a person. */
#define CP_MAX_QUOTE 400

/* Zero a secret before freeing it; NULL is fine. */
void cp_wipe_free(char *s);

/* A printable copy of at most `max` bytes of s[0..len) ("..." marks a
 * cut): control bytes become '?' (newline and tab a blank), trailing
 * blanks go, and every occurrence of `secret` (may be NULL) becomes
 * "[redacted]".  NULL only on ENOMEM. */
char *cp_sanitize(const char *s, size_t len, size_t max, const char *secret);
/* cp_sanitize bounded to CP_MAX_QUOTE; `empty` stands in for no text. */
char *cp_quote(const char *s, size_t len, const char *secret, const char *empty);

/* Exactly one JSON value filling buf[0..len) (blanks may trail), nested
 * at most `depth` deep.  `noun` names the input in the messages ("empty
 * reply", "output too large").  0, or -EINVAL/-ENOMEM with *err
 * (malloc'd, may stay NULL on ENOMEM). */
int cp_json_parse(const char *buf, size_t len, int depth, const char *noun, json_object **out,
		  char **err);
/* A string member (its length in *len when len is not NULL), or NULL when
 * absent or of another type. */
const char *cp_json_get_str(json_object *obj, const char *key, size_t *len);
/* A boolean member, or dflt when absent or of another type. */
bool cp_json_get_bool(json_object *obj, const char *key, bool dflt);
/* *out = the sanitized string member (at most max bytes), NULL when absent
 * or empty.  0 or -ENOMEM. */
int cp_json_dup_sanitized(json_object *obj, const char *key, size_t max, char **out);
/* Add a string member; a NULL val adds nothing.  0 or -ENOMEM. */
int cp_json_add_str(json_object *obj, const char *key, const char *val);
/* obj as compact JSON (no "\/"), malloc'd, and obj released.  json-c's own
 * copy of the text is wiped: it may hold a key.  NULL on ENOMEM. */
char *cp_json_render(json_object *obj);

/* len bytes of printable ASCII without blanks or NULs, 1..max of them:
 * what a key or URL is made of.  Anything else would be a paste error. */
bool cp_token_valid(const char *s, size_t len, size_t max);
/* A token that starts with http:// or https:// and goes on after it. */
bool cp_url_valid(const char *s, size_t len, size_t max);

/* "Address" (a valid IPv4) of an Observed.Overlay object, malloc'd; NULL
 * when absent, invalid or not JSON. */
char *cp_observed_address(const char *observed_json);
/* Whether an Observed.Overlay object says the overlay is up: its `key`
 * (e.g. "BackendState") is `up` and it has a valid "Address".  The
 * controller sends an overlay's auth key only to a node that is not
 * (issue 11): a heartbeat of a joined node does not carry it. */
bool cp_observed_up(const char *observed_json, const char *key, const char *up);

/* A provider's options and payload: a JSON object of known string keys.
 * The caller points each key at its own field. */
enum cp_option_kind {
	CP_OPTION_SECRET,   /* a token; its value is never quoted */
	CP_OPTION_URL,      /* an http:// or https:// URL */
	CP_OPTION_HOSTNAME, /* a host name (cc_hostname_valid) */
};
struct cp_option {
	const char *key;
	enum cp_option_kind kind;
	int max;           /* SECRET and URL: longest value; HOSTNAME: for the message */
	bool payload_only; /* only in the (non-strict) payload */
	char **dst;        /* malloc'd copy; a SECRET is wiped on failure */
};
/* Parse `json` (NULL or "" means no options) into opts[0..n).  strict: the
 * master's file, where payload-only and unknown keys are errors; else the
 * payload, where unknown keys are skipped.  `what` names the input in the
 * messages.  0, or -EINVAL/-ENOMEM with *err (malloc'd) and every *dst
 * freed and NULL. */
int cp_options_parse(const char *json, bool strict, const char *what, const struct cp_option *opts,
		     size_t n, char **err);
/* {"key": value, ...} of the non-NULL values, in order, as cp_json_render
 * gives it.  NULL on ENOMEM. */
char *cp_payload_build(const char *const keys[], const char *const vals[], size_t n);

/* Name <-> value tables, such as a daemon's state names. */
struct cp_name {
	const char *name;
	int value;
};
/* The value named by s[0..len), or dflt. */
int cp_name_value(const struct cp_name *t, size_t n, const char *s, size_t len, int dflt);
/* The name of value, or dflt. */
const char *cp_name_of(const struct cp_name *t, size_t n, int value, const char *dflt);

#endif
