/* Shared parsing and quoting for the plugins; see plugin-json.h. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cc-buf.h"
#include "cc-net.h"
#include "plugin-json.h"

void cp_wipe_free(char *s)
{
	if (s) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

char *cp_sanitize(const char *s, size_t len, size_t max, const char *secret)
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

char *cp_quote(const char *s, size_t len, const char *secret, const char *empty)
{
	char *q = cp_sanitize(s, s ? len : 0, CP_MAX_QUOTE, secret);
	if (q && !*q) {
		free(q);
		q = strdup(empty);
	}
	return q;
}

int cp_json_parse(const char *buf, size_t len, int depth, const char *noun, json_object **out,
		  char **err)
{
	json_tokener *tok;
	json_object *o;
	bool consumed_all = false;
	size_t end;

	*out = NULL;
	if (!buf || len == 0) {
		*err = cc_strdupf("empty %s", noun);
		return -EINVAL;
	}
	if (len > (size_t)0x7fffffff) {
		*err = cc_strdupf("%s too large", noun);
		return -EINVAL;
	}
	tok = json_tokener_new_ex(depth);
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
		*err = cc_strdupf("not valid JSON (%s)",
			      e == json_tokener_continue ? "truncated" : json_tokener_error_desc(e));
		json_object_put(o);
		json_tokener_free(tok);
		return -EINVAL;
	}
	end = consumed_all ? len : json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	/* json-c stops at the end of the first value: whatever follows (a
	 * second object, a NUL and garbage) is not ours to ignore. */
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

const char *cp_json_get_str(json_object *obj, const char *key, size_t *len)
{
	json_object *v;
	if (!json_object_object_get_ex(obj, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	if (len)
		*len = (size_t)json_object_get_string_len(v);
	return json_object_get_string(v);
}

bool cp_json_get_bool(json_object *obj, const char *key, bool dflt)
{
	json_object *v;
	if (!json_object_object_get_ex(obj, key, &v) || !json_object_is_type(v, json_type_boolean))
		return dflt;
	return json_object_get_boolean(v);
}

int cp_json_dup_sanitized(json_object *obj, const char *key, size_t max, char **out)
{
	size_t len;
	const char *s = cp_json_get_str(obj, key, &len);
	*out = NULL;
	if (!s || len == 0)
		return 0;
	*out = cp_sanitize(s, len, max, NULL);
	return *out ? 0 : -ENOMEM;
}

int cp_json_add_str(json_object *obj, const char *key, const char *val)
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

char *cp_json_render(json_object *obj)
{
	const char *s = json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN |
								JSON_C_TO_STRING_NOSLASHESCAPE);
	char *out = s ? strdup(s) : NULL;
	/* json-c keeps the rendered text in the object until it is freed. */
	if (s)
		explicit_bzero((char *)s, strlen(s));
	json_object_put(obj);
	return out;
}

bool cp_token_valid(const char *s, size_t len, size_t max)
{
	if (len == 0 || len > max || strlen(s) != len)
		return false;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f)
			return false;
	return true;
}

bool cp_url_valid(const char *s, size_t len, size_t max)
{
	if (!cp_token_valid(s, len, max))
		return false;
	if (strncmp(s, "https://", 8) == 0)
		return len > 8;
	if (strncmp(s, "http://", 7) == 0)
		return len > 7;
	return false;
}

/* An Observed object is one small object: nothing in it nests. */
#define CP_OBSERVED_DEPTH 24

char *cp_observed_address(const char *observed_json)
{
	json_object *root = NULL;
	char *err = NULL, *out = NULL;
	const char *a;

	if (!observed_json ||
	    cp_json_parse(observed_json, strlen(observed_json), CP_OBSERVED_DEPTH, "input", &root, &err) < 0) {
		free(err);
		return NULL;
	}
	if (json_object_is_type(root, json_type_object) && (a = cp_json_get_str(root, "Address", NULL)) &&
	    cc_ipv4_valid(a))
		out = strdup(a);
	json_object_put(root);
	return out;
}

bool cp_observed_up(const char *observed_json, const char *key, const char *up)
{
	json_object *root = NULL;
	char *err = NULL;
	const char *v, *a;
	bool res = false;

	if (!observed_json ||
	    cp_json_parse(observed_json, strlen(observed_json), CP_OBSERVED_DEPTH, "input", &root, &err) < 0) {
		free(err);
		return false;
	}
	if (json_object_is_type(root, json_type_object) && (v = cp_json_get_str(root, key, NULL)) &&
	    strcmp(v, up) == 0 && (a = cp_json_get_str(root, "Address", NULL)) && cc_ipv4_valid(a))
		res = true;
	json_object_put(root);
	return res;
}

static void options_clear(const struct cp_option *opts, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (opts[i].kind == CP_OPTION_SECRET)
			cp_wipe_free(*opts[i].dst);
		else
			free(*opts[i].dst);
		*opts[i].dst = NULL;
	}
}

/* "the options: Key must be ..." for a value that does not fit its key.
 * The value itself is never quoted: it may be a secret. */
static char *option_error(const char *what, const struct cp_option *opt)
{
	switch (opt->kind) {
	case CP_OPTION_SECRET:
		return cc_strdupf("%s: %s must be a string of 1-%d printable characters without spaces", what,
			      opt->key, opt->max);
	case CP_OPTION_URL:
		return cc_strdupf("%s: %s must be an http:// or https:// URL of at most %d characters "
			      "without spaces",
			      what, opt->key, opt->max);
	case CP_OPTION_HOSTNAME:
		break;
	}
	return cc_strdupf("%s: %s must be an RFC 1123 host name of at most %d characters (labels of "
			  "letters, digits and '-', separated by '.')",
			  what, opt->key, opt->max);
}

static bool option_valid(const struct cp_option *opt, const char *s, size_t len)
{
	switch (opt->kind) {
	case CP_OPTION_SECRET:
		return cp_token_valid(s, len, (size_t)opt->max);
	case CP_OPTION_URL:
		return cp_url_valid(s, len, (size_t)opt->max);
	case CP_OPTION_HOSTNAME:
		break;
	}
	return cc_hostname_valid(s);
}

/* "A, B": the keys the master's file may hold, for the unknown-key message. */
static char *known_keys(const struct cp_option *opts, size_t n)
{
	size_t cap = 1, used = 0;
	char *s;

	for (size_t i = 0; i < n; i++)
		cap += strlen(opts[i].key) + 2;
	s = malloc(cap);
	if (!s)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (opts[i].payload_only)
			continue;
		used += (size_t)sprintf(s + used, "%s%s", used ? ", " : "", opts[i].key);
	}
	s[used] = '\0';
	return s;
}

/* The master's file is a few lines; a payload is what plan() built. */
#define CP_OPTIONS_DEPTH 24

int cp_options_parse(const char *json, bool strict, const char *what, const struct cp_option *opts,
		     size_t n, char **err)
{
	json_object *root = NULL;
	char *perr = NULL;
	int r = 0;

	for (size_t i = 0; i < n; i++)
		*opts[i].dst = NULL;
	*err = NULL;
	if (!json || !*json)
		return 0;
	r = cp_json_parse(json, strlen(json), CP_OPTIONS_DEPTH, "input", &root, &perr);
	if (r < 0) {
		*err = perr ? cc_strdupf("%s: %s", what, perr) : NULL;
		free(perr);
		return r;
	}
	if (!json_object_is_type(root, json_type_object)) {
		*err = cc_strdupf("%s must be a JSON object", what);
		r = -EINVAL;
		goto out;
	}
	json_object_object_foreach(root, key, val)
	{
		bool is_str = json_object_is_type(val, json_type_string);
		const char *s = is_str ? json_object_get_string(val) : NULL;
		size_t len = is_str ? (size_t)json_object_get_string_len(val) : 0;
		const struct cp_option *opt = NULL;

		for (size_t i = 0; i < n && !opt; i++)
			if ((!strict || !opts[i].payload_only) && strcmp(key, opts[i].key) == 0)
				opt = &opts[i];
		if (!opt && strict) {
			char *k = cp_sanitize(key, strlen(key), 64, NULL);
			char *known = known_keys(opts, n);
			*err = cc_strdupf("%s: unknown key \"%s\" (known: %s)", what, k ? k : "?",
				      known ? known : "?");
			free(known);
			free(k);
			r = -EINVAL;
			goto out;
		}
		if (!opt)
			continue; /* a newer controller may add keys */
		if (!is_str || !option_valid(opt, s, len)) {
			*err = option_error(what, opt);
			r = -EINVAL;
			goto out;
		}
		if (opt->kind == CP_OPTION_SECRET)
			cp_wipe_free(*opt->dst);
		else
			free(*opt->dst);
		if (!(*opt->dst = strdup(s))) {
			r = -ENOMEM;
			goto out;
		}
	}
out:
	json_object_put(root);
	if (r < 0)
		options_clear(opts, n);
	return r;
}

char *cp_payload_build(const char *const keys[], const char *const vals[], size_t n)
{
	json_object *obj = json_object_new_object();

	if (!obj)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (cp_json_add_str(obj, keys[i], vals[i]) < 0) {
			json_object_put(obj);
			return NULL;
		}
	}
	return cp_json_render(obj);
}

int cp_name_value(const struct cp_name *t, size_t n, const char *s, size_t len, int dflt)
{
	for (size_t i = 0; i < n; i++)
		if (strlen(t[i].name) == len && memcmp(s, t[i].name, len) == 0)
			return t[i].value;
	return dflt;
}

const char *cp_name_of(const struct cp_name *t, size_t n, int value, const char *dflt)
{
	for (size_t i = 0; i < n; i++)
		if (t[i].value == value)
			return t[i].name;
	return dflt;
}
