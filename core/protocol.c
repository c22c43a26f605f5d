#include "autoconfig.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

#include "cc-buf.h"
#include "cc-net.h"
#include "protocol.h"
#include "util.h"

/* ---- framing ---------------------------------------------------------- */

/* Plenty for a registration, and it bounds the tokener's own stack
 * whatever a client sends. */
#define FRAME_DEPTH 32

static bool is_ws(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

static int frame_fail(struct framer *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int frame_fail(struct framer *f, const char *fmt, ...)
{
	struct cc_buf sb = CC_BUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	cc_buf_vprintf(&sb, fmt, ap);
	va_end(ap);
	free(f->err);
	f->err = cc_buf_detach(&sb);
	if (f->obj) {
		json_object_put(f->obj);
		f->obj = NULL;
	}
	f->state = FRAME_ERROR;
	return f->state;
}

int framer_init(struct framer *f, size_t max_bytes)
{
	memset(f, 0, sizeof *f);
	f->max = max_bytes;
	f->state = FRAME_MORE;
	return 0;
}

/* Bytes after the object: whitespace is allowed, anything else is not. */
static int check_trailing(struct framer *f, const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!is_ws(p[i]))
			return frame_fail(f, "unexpected data after the JSON object (byte 0x%02x); send "
					     "exactly one object per connection",
					  (unsigned char)p[i]);
	return f->state;
}

/* Could this begin a JSON value other than an object? */
static bool json_value_start(const char *p, size_t n)
{
	static const char *const words[] = {"true", "false", "null"};
	if (strchr("[\"-0123456789", *p))
		return true;
	for (size_t i = 0; i < ARRAY_SIZE(words); i++) {
		size_t wl = strlen(words[i]), m = n < wl ? n : wl;
		if (strncmp(p, words[i], m) == 0 && (n <= wl || !isalnum((unsigned char)p[wl])))
			return true;
	}
	return false;
}

/* Keep the bytes handed to the incremental tokener: the object is read
 * again from them in one piece (read_whole). */
static int keep(struct framer *f, const char *p, size_t n)
{
	if (f->nseen + n > f->cap_seen) {
		size_t cap = f->cap_seen ? f->cap_seen : 1024;
		char *v;
		while (cap < f->nseen + n)
			cap *= 2;
		if (!(v = realloc(f->seen, cap)))
			return frame_fail(f, "out of memory reading the request");
		f->seen = v;
		f->cap_seen = cap;
	}
	memcpy(f->seen + f->nseen, p, n);
	f->nseen += n;
	return f->state;
}

/* The incremental tokener found the end of the object: read it again in
 * one call, with UTF-8 checked.  json-c 0.16 checks UTF-8 one call at a
 * time, and resumes a number cut between two calls wrongly ("1" then
 * "-2" is taken as 1): a request must mean the same however TCP cut it
 * (both found by tests/fuzz/fuzz-protocol). */
static int read_whole(struct framer *f)
{
	struct json_tokener *tok = json_tokener_new_ex(FRAME_DEPTH);
	struct json_object *o;
	enum json_tokener_error e;
	size_t end, nseen = f->nseen;

	if (!tok)
		return frame_fail(f, "out of memory reading the request");
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	o = json_tokener_parse_ex(tok, f->seen, (int)f->nseen);
	e = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	free(f->seen);
	f->seen = NULL;
	f->nseen = f->cap_seen = 0;
	if (!o || e != json_tokener_success || end != nseen) {
		json_object_put(o);
		return frame_fail(f, "request is not valid JSON: %s (near byte %zu)",
				  e != json_tokener_success ? json_tokener_error_desc(e) : "unexpected data",
				  f->lead + end);
	}
	f->obj = o;
	f->state = FRAME_DONE;
	return f->state;
}

/* Find the end of the object in p[0..n): 1 with *end just past its
 * closing brace, 0 when it goes on, -1 (FRAME_ERROR) past the depth or
 * value limits.  Strings are skipped with their escapes; whether the
 * rest is valid JSON is read_whole's to say, once. */
static int scan(struct framer *f, const char *p, size_t n, size_t *end)
{
	for (size_t i = 0; i < n; i++) {
		char c = p[i];
		if (f->in_string) {
			if (f->escaped)
				f->escaped = false;
			else if (c == '\\')
				f->escaped = true;
			else if (c == '"')
				f->in_string = false;
			continue;
		}
		switch (c) {
		case '"':
			f->in_string = true;
			break;
		case '{':
		case '[':
			if (++f->depth > FRAME_DEPTH)
				return frame_fail(f, "request is not valid JSON: nesting too deep (more than %d levels; "
						     "near byte %zu)",
						  FRAME_DEPTH, f->total + i);
			/* fall through */
		case ',':
			if (++f->values > FRAME_MAX_VALUES)
				return frame_fail(f, "request holds more than %d JSON values (near byte %zu); a "
						     "registration needs far fewer",
						  FRAME_MAX_VALUES, f->total + i);
			break;
		case '}':
		case ']':
			/* The scan starts at the object's '{', so depth 0 is
			 * its end (a mismatched bracket is read_whole's to
			 * refuse). */
			if (f->depth > 0 && --f->depth == 0) {
				*end = i + 1;
				return 1;
			}
			break;
		default:
			break;
		}
	}
	return 0;
}

int framer_feed(struct framer *f, const char *buf, size_t len)
{
	size_t avail, n, start = 0, end = 0;
	int r;

	if (f->state == FRAME_DONE)
		return check_trailing(f, buf, len);
	if (f->state != FRAME_MORE)
		return f->state;
	if (memchr(buf, '\0', len))
		return frame_fail(f, "request is not valid JSON: it contains a NUL byte");
	/* Accept at most what is left of the size limit; what lies beyond
	 * is only looked at to tell trailing whitespace from a too-big
	 * request. */
	avail = f->max > f->total ? f->max - f->total : 0;
	n = len < avail ? len : avail;
	if (!f->started) {
		while (start < n && is_ws(buf[start]))
			start++;
		if (start == n) {
			f->total += n;
			if (n < len)
				return frame_fail(f, "request is larger than %zu bytes", f->max);
			return f->state;
		}
		f->started = true;
		f->lead = f->total + start;
		if (buf[start] != '{') {
			/* Decide at the first byte: a top-level number or
			 * word would otherwise keep the tokener waiting. */
			if (json_value_start(buf + start, n - start))
				return frame_fail(f, "request is not a JSON object: it must be one object "
						     "{...} holding the NodeRegistration fields");
			return frame_fail(f, "request is not valid JSON (it starts with byte 0x%02x)",
					  (unsigned char)buf[start]);
		}
	}
	r = scan(f, buf + start, n - start, &end);
	if (r < 0)
		return f->state;
	if (r > 0) {
		end += start;
		if (keep(f, buf + start, end - start) == FRAME_ERROR || read_whole(f) == FRAME_ERROR)
			return f->state;
		f->total += end;
		return check_trailing(f, buf + end, len - end);
	}
	if (keep(f, buf + start, n - start) == FRAME_ERROR)
		return f->state;
	f->total += n;
	if (n < len)
		return frame_fail(f, "request is larger than %zu bytes", f->max);
	return f->state;
}

int framer_eof(struct framer *f)
{
	if (f->state != FRAME_MORE)
		return f->state;
	if (!f->started)
		return frame_fail(f, "empty request: the connection was closed before any JSON arrived");
	return frame_fail(f, "request is not valid JSON: the connection was closed before the object "
			     "was complete");
}

struct json_object *framer_take(struct framer *f)
{
	struct json_object *o = f->obj;
	f->obj = NULL;
	return o;
}

void framer_free(struct framer *f)
{
	if (f->obj)
		json_object_put(f->obj);
	free(f->err);
	free(f->seen);
	memset(f, 0, sizeof *f);
}

/* ---- validators ------------------------------------------------------- */

/* A node's address: a strict dotted quad, and not the unspecified
 * address, which names no host. */
bool proto_ipv4_valid(const char *s)
{
	uint32_t a;
	return cc_parse_ipv4(s, &a) == 0 && a != 0;
}

static bool digits_at(const char *s, int n)
{
	for (int i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

static int num_at(const char *s, int n)
{
	int v = 0;
	for (int i = 0; i < n; i++)
		v = v * 10 + (s[i] - '0');
	return v;
}

/* RFC 3339 section 5.6 date-time: 2026-11-26T22:00:00(.frac)(Z|+hh:mm). */
bool proto_rfc3339_valid(const char *s)
{
	size_t n = strlen(s);
	const char *p;
	int mon, day, hh, mm, ss;

	if (n < 20 || !digits_at(s, 4) || s[4] != '-' || !digits_at(s + 5, 2) || s[7] != '-' ||
	    !digits_at(s + 8, 2) || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
	    !digits_at(s + 11, 2) || s[13] != ':' || !digits_at(s + 14, 2) || s[16] != ':' ||
	    !digits_at(s + 17, 2))
		return false;
	mon = num_at(s + 5, 2);
	day = num_at(s + 8, 2);
	hh = num_at(s + 11, 2);
	mm = num_at(s + 14, 2);
	ss = num_at(s + 17, 2);
	if (mon < 1 || mon > 12 || day < 1 || day > 31 || hh > 23 || mm > 59 || ss > 60)
		return false;
	p = s + 19;
	if (*p == '.') {
		p++;
		if (!(*p >= '0' && *p <= '9'))
			return false;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	if ((*p == 'Z' || *p == 'z') && p[1] == '\0')
		return true;
	if ((*p == '+' || *p == '-') && digits_at(p + 1, 2) && p[3] == ':' && digits_at(p + 4, 2) &&
	    p[6] == '\0')
		return num_at(p + 1, 2) <= 23 && num_at(p + 4, 2) <= 59;
	return false;
}

bool proto_node_id_valid(const char *s)
{
	size_t n = strlen(s);
	if (n < 1 || n > PROTO_MAX_NODE_ID)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!(isalnum((unsigned char)s[i]) || strchr("._:-", s[i])) || (s[i] & 0x80))
			return false;
	return true;
}

const char *proto_role_name(int role) { return role == PROTO_ROLE_MANAGER ? "manager" : "worker"; }

const char *proto_status_name(int status)
{
	switch (status) {
	case PROTO_READY: return "ready";
	case PROTO_WAITING: return "waiting";
	default: return "error";
	}
}

/* ---- decoding --------------------------------------------------------- */

enum field {
	F_HOSTNAME, F_ROLE, F_IP, F_OS, F_CPU, F_MEMORY, F_DOCKERVERSION, F_GLUSTERCAPABLE,
	F_TIMESTAMP, F_PROTOCOLVERSION, F_JOINSECRET, F_NODEID, F_OBSERVED, F_QUERY, F_OVERLAYTYPE,
	F_STORAGETYPE, F_CLUSTERCTLVERSION, F_HEALTH, F_NODE, F_FORCE, F_COUNT
};

static const char *const field_names[F_COUNT] = {
	"Hostname", "Role", "IP", "OS", "CPU", "Memory", "DockerVersion", "GlusterCapable",
	"Timestamp", "ProtocolVersion", "JoinSecret", "NodeID", "Observed", "Query", "OverlayType",
	"StorageType", "ClusterctlVersion", "Health", "Node", "Force",
};

static int fail(char **err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(char **err, const char *fmt, ...)
{
	struct cc_buf sb = CC_BUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	cc_buf_vprintf(&sb, fmt, ap);
	va_end(ap);
	*err = cc_buf_detach(&sb);
	return -EINVAL;
}

/* A short, printable rendering of a client's value for an error text. */
static void quote_value(char out[72], const char *s)
{
	size_t o = 0;
	for (size_t i = 0; s[i] && o < 64; i++)
		out[o++] = (unsigned char)s[i] >= 0x20 && (unsigned char)s[i] < 0x7f ? s[i] : '?';
	if (strlen(s) > 64) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
}

/* Null counts as absent, as a Go client with a nil pointer sends it. */
static struct json_object *present(struct json_object *v)
{
	return v && json_object_get_type(v) != json_type_null ? v : NULL;
}

static int get_string(struct json_object *v, const char *name, size_t max, char **out, char **err)
{
	size_t n;
	*out = NULL;
	if (!present(v))
		return 0;
	if (!json_object_is_type(v, json_type_string))
		return fail(err, "%s must be a string", name);
	n = (size_t)json_object_get_string_len(v);
	if (n > max)
		return fail(err, "%s is longer than %zu bytes", name, max);
	if (memchr(json_object_get_string(v), '\0', n))
		return fail(err, "%s contains a NUL character", name);
	*out = strdup(json_object_get_string(v));
	return *out ? 0 : -ENOMEM;
}

static int get_count(struct json_object *v, const char *name, int64_t *out, char **err)
{
	*out = -1;
	if (!present(v))
		return 0;
	if (!json_object_is_type(v, json_type_int))
		return fail(err, "%s must be a whole number", name);
	*out = json_object_get_int64(v);
	/* json-c saturates numbers beyond int64 at INT64_MAX. */
	if (*out < 0 || *out == INT64_MAX)
		return fail(err, "%s must be a whole number from 0 to %lld", name, (long long)INT64_MAX);
	return 0;
}

/* A provider name or a version: printed in logs and status tables, so
 * only letters, digits and ".-_+~" (nothing a terminal would act on). */
static int get_name(struct json_object *v, const char *name, size_t max, char **out, char **err)
{
	char q[72];
	int r = get_string(v, name, max, out, err);

	if (r < 0 || !*out)
		return r;
	for (const char *p = *out; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr(".-_+~", *p)) {
			quote_value(q, *out);
			return fail(err, "%s \"%s\" may hold only letters, digits and \".-_+~\"", name, q);
		}
	if (!**out)
		return fail(err, "%s must not be empty", name);
	return 0;
}

static int object_text(struct json_object *v, const char *name, char **out, char **err)
{
	const char *s;
	*out = NULL;
	if (!present(v))
		return 0;
	if (!json_object_is_type(v, json_type_object))
		return fail(err, "%s must be an object", name);
	s = json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	*out = strdup(s ? s : "{}");
	return *out ? 0 : -ENOMEM;
}

static int decode_swarm(struct json_object *v, struct observed_swarm *sw, char **err)
{
	static const char *const names[] = {"NodeID", "LocalNodeState", "ControlAvailable", "ClusterID",
					    "NodeAddr"};
	struct json_object *slot[5] = {0};
	int r;

	if (!present(v))
		return 0;
	if (!json_object_is_type(v, json_type_object))
		return fail(err, "Observed.Swarm must be an object");
	json_object_object_foreach(v, key, val)
	{
		for (size_t i = 0; i < ARRAY_SIZE(names); i++)
			if (strcasecmp(key, names[i]) == 0)
				slot[i] = val;
	}
	sw->present = true;
	if ((r = get_string(slot[0], "Observed.Swarm.NodeID", PROTO_MAX_SHORT, &sw->node_id, err)) < 0 ||
	    (r = get_string(slot[1], "Observed.Swarm.LocalNodeState", PROTO_MAX_SHORT, &sw->local_state,
			    err)) < 0 ||
	    (r = get_string(slot[3], "Observed.Swarm.ClusterID", PROTO_MAX_SHORT, &sw->cluster_id, err)) <
		    0 ||
	    (r = get_string(slot[4], "Observed.Swarm.NodeAddr", PROTO_MAX_SHORT, &sw->node_addr, err)) < 0)
		return r;
	if (present(slot[2])) {
		if (!json_object_is_type(slot[2], json_type_boolean))
			return fail(err, "Observed.Swarm.ControlAvailable must be true or false");
		sw->control_available = json_object_get_boolean(slot[2]);
	}
	return 0;
}

static int decode_health(struct json_object *v, struct registration *reg, char **err)
{
	struct json_object *ov = NULL, *st = NULL;
	int r;

	if (!present(v))
		return 0;
	if (!json_object_is_type(v, json_type_object))
		return fail(err, "Health must be an object");
	json_object_object_foreach(v, key, val)
	{
		if (strcasecmp(key, "Overlay") == 0)
			ov = val;
		else if (strcasecmp(key, "Storage") == 0)
			st = val;
	}
	if ((r = object_text(ov, "Health.Overlay", &reg->health_overlay, err)) < 0 ||
	    (r = object_text(st, "Health.Storage", &reg->health_storage, err)) < 0)
		return r;
	if ((reg->health_overlay && strlen(reg->health_overlay) > PROTO_MAX_HEALTH) ||
	    (reg->health_storage && strlen(reg->health_storage) > PROTO_MAX_HEALTH))
		return fail(err, "Health.Overlay and Health.Storage must be at most %d bytes each", PROTO_MAX_HEALTH);
	return 0;
}

static int decode_observed(struct json_object *v, struct registration *reg, char **err)
{
	struct json_object *ov = NULL, *st = NULL, *sw = NULL;
	int r;

	if (!present(v))
		return 0;
	if (!json_object_is_type(v, json_type_object))
		return fail(err, "Observed must be an object");
	json_object_object_foreach(v, key, val)
	{
		if (strcasecmp(key, "Overlay") == 0)
			ov = val;
		else if (strcasecmp(key, "Storage") == 0)
			st = val;
		else if (strcasecmp(key, "Swarm") == 0)
			sw = val;
	}
	if ((r = object_text(ov, "Observed.Overlay", &reg->observed_overlay, err)) < 0 ||
	    (r = object_text(st, "Observed.Storage", &reg->observed_storage, err)) < 0)
		return r;
	return decode_swarm(sw, &reg->swarm, err);
}

static int decode_registration(struct json_object **slot, struct registration *reg, char **err)
{
	char *s = NULL, q[72];
	int r;

	reg->cpu = reg->memory = -1;

	if (!present(slot[F_HOSTNAME]))
		return fail(err, "Hostname is required");
	if ((r = get_string(slot[F_HOSTNAME], "Hostname", 4096, &reg->hostname, err)) < 0)
		return r;
	if (!cc_hostname_valid(reg->hostname)) {
		quote_value(q, reg->hostname);
		return fail(err, "Hostname \"%s\" is not a valid RFC 1123 host name (1-253 characters; "
				 "labels of 1-63 letters, digits or '-', not starting or ending with '-', "
				 "separated by '.')",
			    q);
	}

	if (!present(slot[F_ROLE]))
		return fail(err, "Role is required (\"manager\" or \"worker\")");
	if ((r = get_string(slot[F_ROLE], "Role", 4096, &s, err)) < 0)
		return r;
	if (strcmp(s, "manager") == 0)
		reg->role = PROTO_ROLE_MANAGER;
	else if (strcmp(s, "worker") == 0)
		reg->role = PROTO_ROLE_WORKER;
	else {
		quote_value(q, s);
		free(s);
		return fail(err, "Role \"%s\" is not valid: it must be \"manager\" or \"worker\"", q);
	}
	free(s);
	s = NULL;

	if (!present(slot[F_IP]))
		return fail(err, "IP is required (the node's IPv4 address, dotted quad)");
	if ((r = get_string(slot[F_IP], "IP", 4096, &s, err)) < 0)
		return r;
	if (!proto_ipv4_valid(s)) {
		quote_value(q, s);
		free(s);
		return fail(err, "IP \"%s\" is not a usable IPv4 address in dotted-quad form "
				 "(like 192.0.2.10)",
			    q);
	}
	snprintf(reg->ip, sizeof reg->ip, "%s", s);
	free(s);

	if ((r = get_string(slot[F_OS], "OS", PROTO_MAX_SHORT, &reg->os, err)) < 0 ||
	    (r = get_count(slot[F_CPU], "CPU", &reg->cpu, err)) < 0 ||
	    (r = get_count(slot[F_MEMORY], "Memory", &reg->memory, err)) < 0 ||
	    (r = get_string(slot[F_DOCKERVERSION], "DockerVersion", PROTO_MAX_SHORT,
			    &reg->docker_version, err)) < 0 ||
	    (r = get_string(slot[F_TIMESTAMP], "Timestamp", PROTO_MAX_SHORT, &reg->timestamp, err)) < 0 ||
	    (r = get_string(slot[F_NODEID], "NodeID", 4096, &reg->node_id, err)) < 0 ||
	    (r = get_name(slot[F_OVERLAYTYPE], "OverlayType", PROTO_MAX_PROVIDER, &reg->overlay_type, err)) < 0 ||
	    (r = get_name(slot[F_STORAGETYPE], "StorageType", PROTO_MAX_PROVIDER, &reg->storage_type, err)) < 0 ||
	    (r = get_name(slot[F_CLUSTERCTLVERSION], "ClusterctlVersion", PROTO_MAX_PROVIDER,
			  &reg->clusterctl_version, err)) < 0)
		return r;
	if (present(slot[F_GLUSTERCAPABLE])) {
		if (!json_object_is_type(slot[F_GLUSTERCAPABLE], json_type_boolean))
			return fail(err, "GlusterCapable must be true or false");
		reg->gluster_capable = json_object_get_boolean(slot[F_GLUSTERCAPABLE]);
	}
	if (reg->timestamp && !proto_rfc3339_valid(reg->timestamp)) {
		quote_value(q, reg->timestamp);
		return fail(err, "Timestamp \"%s\" is not an RFC 3339 time (like 2026-11-26T22:00:00Z)", q);
	}
	if (reg->node_id && !proto_node_id_valid(reg->node_id)) {
		quote_value(q, reg->node_id);
		return fail(err, "NodeID \"%s\" is not valid (1-%d characters of letters, digits, "
				 "'.', '_', ':' or '-')",
			    q, PROTO_MAX_NODE_ID);
	}
	if ((r = decode_health(slot[F_HEALTH], reg, err)) < 0)
		return r;
	return decode_observed(slot[F_OBSERVED], reg, err);
}

/* {"Query":"remove"}: the node by its NodeID or its host name. */
static int decode_remove(struct json_object **slot, struct request *out, char **err)
{
	char q[72];
	int r;

	if (!present(slot[F_NODE]))
		return fail(err, "Node is required (the NodeID or host name of the node to remove)");
	if ((r = get_string(slot[F_NODE], "Node", 4096, &out->remove_node, err)) < 0)
		return r;
	if (!proto_node_id_valid(out->remove_node) && !cc_hostname_valid(out->remove_node)) {
		quote_value(q, out->remove_node);
		return fail(err, "Node \"%s\" is neither a NodeID nor a host name", q);
	}
	if (present(slot[F_FORCE])) {
		if (!json_object_is_type(slot[F_FORCE], json_type_boolean))
			return fail(err, "Force must be true or false");
		out->remove_force = json_object_get_boolean(slot[F_FORCE]);
	}
	return 0;
}

int protocol_decode(struct json_object *obj, struct request *out, char **err)
{
	struct json_object *slot[F_COUNT] = {0};
	char *query = NULL;
	int r;

	memset(out, 0, sizeof *out);
	*err = NULL;
	if (!obj || !json_object_is_type(obj, json_type_object))
		return fail(err, "request is not a JSON object");
	/* Case-insensitive, unknown keys ignored, the last duplicate wins
	 * (what Go's encoding/json does). */
	json_object_object_foreach(obj, key, val)
	{
		for (int i = 0; i < F_COUNT; i++)
			if (strcasecmp(key, field_names[i]) == 0) {
				slot[i] = val;
				break;
			}
	}
	if ((r = get_string(slot[F_JOINSECRET], "JoinSecret", PROTO_MAX_SECRET, &out->join_secret, err)) <
	    0)
		goto fail;
	if (present(slot[F_PROTOCOLVERSION])) {
		int64_t v;
		if (!json_object_is_type(slot[F_PROTOCOLVERSION], json_type_int)) {
			r = fail(err, "ProtocolVersion must be a whole number");
			goto fail;
		}
		v = json_object_get_int64(slot[F_PROTOCOLVERSION]);
		if (v < PROTOCOL_VERSION_MIN || v > PROTOCOL_VERSION) {
			r = fail(err, "ProtocolVersion %lld is not supported: this controller speaks "
				      "versions %d to %d (upgrade the controller before the nodes)",
				 (long long)v, PROTOCOL_VERSION_MIN, PROTOCOL_VERSION);
			goto fail;
		}
		out->reg.protocol_version = (int)v;
	}
	if (present(slot[F_QUERY])) {
		if ((r = get_string(slot[F_QUERY], "Query", 64, &query, err)) < 0)
			goto fail;
		if (strcmp(query, "remove") == 0) {
			free(query);
			query = NULL;
			out->kind = REQ_REMOVE;
			if ((r = decode_remove(slot, out, err)) < 0)
				goto fail;
			return 0;
		}
		if (strcmp(query, "status") != 0) {
			char q[72];
			quote_value(q, query);
			r = fail(err, "Query \"%s\" is not known (the controller answers \"status\" and \"remove\")", q);
			goto fail;
		}
		free(query);
		out->kind = REQ_STATUS;
		return 0;
	}
	out->kind = REQ_REGISTER;
	if ((r = decode_registration(slot, &out->reg, err)) < 0)
		goto fail;
	return 0;
fail:
	free(query);
	request_free(out);
	if (!*err)
		*err = strdup("out of memory");
	return r;
}

void request_free(struct request *r)
{
	struct registration *g = &r->reg;
	free(r->join_secret);
	free(r->remove_node);
	free(g->hostname);
	free(g->os);
	free(g->docker_version);
	free(g->timestamp);
	free(g->node_id);
	free(g->overlay_type);
	free(g->storage_type);
	free(g->clusterctl_version);
	free(g->health_overlay);
	free(g->health_storage);
	free(g->observed_overlay);
	free(g->observed_storage);
	free(g->swarm.node_id);
	free(g->swarm.local_state);
	free(g->swarm.cluster_id);
	free(g->swarm.node_addr);
	memset(r, 0, sizeof *r);
}

/* ---- encoding --------------------------------------------------------- */

void json_append_string(struct cc_buf *sb, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	const char *run = s;

	cc_buf_append(sb, "\"", 1);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		const char *esc = NULL;
		char u[7];
		if (c >= 0x20 && c != '"' && c != '\\' && c != 0x7f)
			continue;
		cc_buf_append(sb, run, (size_t)(s - run));
		switch (c) {
		case '"': esc = "\\\""; break;
		case '\\': esc = "\\\\"; break;
		case '\n': esc = "\\n"; break;
		case '\r': esc = "\\r"; break;
		case '\t': esc = "\\t"; break;
		default:
			u[0] = '\\', u[1] = 'u', u[2] = '0', u[3] = '0';
			u[4] = hex[c >> 4], u[5] = hex[c & 15], u[6] = '\0';
			esc = u;
		}
		cc_buf_puts(sb, esc);
		run = s + 1;
	}
	cc_buf_append(sb, run, (size_t)(s - run));
	cc_buf_append(sb, "\"", 1);
}

static void kv_str(struct cc_buf *sb, const char *k, const char *v)
{
	cc_buf_printf(sb, ",\"%s\":", k);
	json_append_string(sb, v ? v : "");
}

char *protocol_encode_response(const struct response *r, size_t *len)
{
	struct cc_buf sb = CC_BUF_INIT;
	char *out;

	cc_buf_puts(&sb, "{\"Status\":");
	json_append_string(&sb, proto_status_name(r->status));
	/* Only a ready answer grants access: tokens, overlay and storage
	 * instructions are never written into any other. */
	if (r->status == PROTO_READY) {
		kv_str(&sb, "SwarmRole", proto_role_name(r->swarm_role));
		kv_str(&sb, "SwarmJoinToken", r->swarm_join_token);
		kv_str(&sb, "SwarmManagerAddr", r->swarm_manager_addr);
		kv_str(&sb, "OverlayType", r->overlay_type ? r->overlay_type : "none");
		/* Payloads are checked JSON of up to 256 KiB: copied, not
		 * formatted (printf's %s moves large strings byte by byte). */
		cc_buf_puts(&sb, ",\"OverlayPayload\":");
		cc_buf_puts(&sb, r->overlay_payload ? r->overlay_payload : "{}");
		cc_buf_printf(&sb, ",\"GlusterEnabled\":%s", r->gluster_enabled ? "true" : "false");
		if (r->gluster_enabled) {
			kv_str(&sb, "GlusterVolume", r->gluster_volume);
			kv_str(&sb, "GlusterMount", r->gluster_mount);
			kv_str(&sb, "GlusterBrick", r->gluster_brick);
		}
		if (r->storage_payload) {
			cc_buf_puts(&sb, ",\"StoragePayload\":");
			cc_buf_puts(&sb, r->storage_payload);
		}
	}
	if (r->have_counts && r->status != PROTO_ERROR) {
		cc_buf_printf(&sb, ",\"RegisteredManagers\":%u,\"RegisteredWorkers\":%u",
			      r->registered_managers, r->registered_workers);
		if (r->status == PROTO_WAITING)
			cc_buf_printf(&sb, ",\"MinManagers\":%u,\"MinWorkers\":%u", r->min_managers,
				      r->min_workers);
	}
	if (r->status == PROTO_WAITING && r->retry_after)
		cc_buf_printf(&sb, ",\"RetryAfter\":%u", r->retry_after);
	if (r->status == PROTO_ERROR)
		kv_str(&sb, "Error", r->error ? r->error : "request refused");
	if (r->message)
		kv_str(&sb, "Message", r->message);
	cc_buf_puts(&sb, "}\n");
	if (len)
		*len = sb.len;
	out = cc_buf_detach(&sb);
	return out;
}

char *protocol_encode_error(const char *error, size_t *len)
{
	struct response r = {.status = PROTO_ERROR, .error = error};
	return protocol_encode_response(&r, len);
}
