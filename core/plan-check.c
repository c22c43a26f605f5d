#include "autoconfig.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cc-buf.h"
#include "cc-time.h"
#include "host-services.h"
#include "log.h"
#include "metrics.h"
#include "plan-check.h"
#include "state-store.h"
#include "util.h"

#define JSON_MAX_DEPTH 64

void plan_result_free(struct plan_result *p)
{
	free(p->payload);
	free(p->record);
	free(p->message);
	free(p->volume);
	free(p->mount);
	free(p->brick);
	memset(p, 0, sizeof *p);
}

/* ---- a JSON validator ------------------------------------------------ */

struct jv {
	const unsigned char *p, *end;
};

static void jv_ws(struct jv *j)
{
	while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
		j->p++;
}

static bool jv_lit(struct jv *j, const char *w)
{
	size_t n = strlen(w);
	if ((size_t)(j->end - j->p) < n || memcmp(j->p, w, n) != 0)
		return false;
	j->p += n;
	return true;
}

static int hex4(const unsigned char *p)
{
	int v = 0;
	for (int i = 0; i < 4; i++) {
		int c = p[i], d;
		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			d = c - 'A' + 10;
		else
			return -1;
		v = v * 16 + d;
	}
	return v;
}

/* One UTF-8 sequence starting at j->p (RFC 3629: no overlong forms, no
 * surrogates, nothing above U+10FFFF). */
static bool jv_utf8(struct jv *j)
{
	const unsigned char *s = j->p;
	size_t left = (size_t)(j->end - s), n;
	unsigned cp;

	if (s[0] < 0x80)
		n = 1, cp = s[0];
	else if ((s[0] & 0xe0) == 0xc0)
		n = 2, cp = s[0] & 0x1f;
	else if ((s[0] & 0xf0) == 0xe0)
		n = 3, cp = s[0] & 0x0f;
	else if ((s[0] & 0xf8) == 0xf0)
		n = 4, cp = s[0] & 0x07;
	else
		return false;
	if (left < n)
		return false;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return false;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10ffff ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return false;
	j->p += n;
	return true;
}

/* Eight bytes that need no look: printable ASCII, neither '"' nor '\\'
 * (SWAR: the byte tests of a word at once; a false alarm only sends the
 * word to the byte loop). */
static bool plain8(const unsigned char *p)
{
	const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
	uint64_t v, q, b;
	memcpy(&v, p, sizeof v);
	if (v & highs)
		return false;
	q = v ^ (0x22 * ones);
	b = v ^ (0x5c * ones);
	return !(((v - 0x20 * ones) & ~v & highs) | ((q - ones) & ~q & highs) | ((b - ones) & ~b & highs));
}

static bool jv_string(struct jv *j)
{
	j->p++; /* the opening quote */
	while (j->p < j->end) {
		unsigned char c;
		/* Plain ASCII runs, most of any payload, a word at a time. */
		while (j->end - j->p >= 8 && plain8(j->p))
			j->p += 8;
		while (j->p < j->end && *j->p >= 0x20 && *j->p < 0x80 && *j->p != '"' && *j->p != '\\')
			j->p++;
		if (j->p >= j->end)
			return false;
		c = *j->p;
		if (c == '"') {
			j->p++;
			return true;
		}
		if (c < 0x20)
			return false;
		if (c != '\\') {
			if (!jv_utf8(j))
				return false;
			continue;
		}
		if (j->end - j->p < 2)
			return false;
		c = j->p[1];
		if (c != 'u') {
			if (!strchr("\"\\/bfnrt", c) || c == '\0')
				return false;
			j->p += 2;
			continue;
		}
		if (j->end - j->p < 6) /* \uXXXX */
			return false;
		int u = hex4(j->p + 2);
		if (u < 0 || (u >= 0xdc00 && u <= 0xdfff))
			return false;
		j->p += 6;
		if (u >= 0xd800 && u <= 0xdbff) {
			/* A high surrogate is half a pair: the low half must follow. */
			int lo;
			if (j->end - j->p < 6 || j->p[0] != '\\' || j->p[1] != 'u' || (lo = hex4(j->p + 2)) < 0 ||
			    lo < 0xdc00 || lo > 0xdfff)
				return false;
			j->p += 6;
		}
	}
	return false;
}

static bool jv_digits(struct jv *j)
{
	const unsigned char *s = j->p;
	while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
		j->p++;
	return j->p > s;
}

static bool jv_number(struct jv *j)
{
	if (*j->p == '-')
		j->p++;
	if (j->p >= j->end)
		return false;
	if (*j->p == '0')
		j->p++;
	else if (!jv_digits(j))
		return false;
	if (j->p < j->end && *j->p == '.') {
		j->p++;
		if (!jv_digits(j))
			return false;
	}
	if (j->p < j->end && (*j->p == 'e' || *j->p == 'E')) {
		j->p++;
		if (j->p < j->end && (*j->p == '+' || *j->p == '-'))
			j->p++;
		if (!jv_digits(j))
			return false;
	}
	return true;
}

static bool jv_value(struct jv *j, int depth)
{
	jv_ws(j);
	if (j->p >= j->end)
		return false;
	switch (*j->p) {
	case '"':
		return jv_string(j);
	case 't':
		return jv_lit(j, "true");
	case 'f':
		return jv_lit(j, "false");
	case 'n':
		return jv_lit(j, "null");
	case '{':
	case '[': {
		bool obj = *j->p == '{';
		char close = obj ? '}' : ']';
		if (depth >= JSON_MAX_DEPTH)
			return false;
		j->p++;
		jv_ws(j);
		if (j->p < j->end && *j->p == close) {
			j->p++;
			return true;
		}
		for (;;) {
			if (obj) {
				jv_ws(j);
				if (j->p >= j->end || *j->p != '"' || !jv_string(j))
					return false;
				jv_ws(j);
				if (j->p >= j->end || *j->p++ != ':')
					return false;
			}
			if (!jv_value(j, depth + 1))
				return false;
			jv_ws(j);
			if (j->p >= j->end)
				return false;
			if (*j->p == close) {
				j->p++;
				return true;
			}
			if (*j->p++ != ',')
				return false;
		}
	}
	default:
		return (*j->p == '-' || (*j->p >= '0' && *j->p <= '9')) && jv_number(j);
	}
}

bool json_text_valid(const char *s, size_t max, bool object)
{
	size_t n = s ? strlen(s) : 0;
	struct jv j;

	if (!s || n > max)
		return false;
	j.p = (const unsigned char *)s;
	j.end = j.p + n;
	jv_ws(&j);
	if (object && (j.p >= j.end || *j.p != '{'))
		return false;
	if (!jv_value(&j, 0))
		return false;
	jv_ws(&j);
	return j.p == j.end;
}

/* ---- plans ------------------------------------------------------------ */

static int fail(char **err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(char **err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	*err = cc_vstrdupf(fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static bool abs_path_ok(const char *s) { return s && s[0] == '/' && strlen(s) <= MAX_STORAGE_PATH; }

int plan_check(const char *label, bool storage, struct clusterctl_plan_out *out, struct plan_result *res,
	       char **err)
{
	res->payload = out->payload_json;
	res->record = out->record_json;
	res->message = out->message;
	res->volume = out->storage_volume;
	res->mount = out->storage_mount;
	res->brick = out->storage_brick;
	res->waiting = out->waiting != 0;
	res->retry_after = out->retry_after;
	res->storage_enabled = out->storage_enabled != 0;
	memset(out, 0, sizeof *out);
	*err = NULL;

	if (!res->payload && !(res->payload = strdup("{}")))
		return fail(err, "out of memory");
	if (!json_text_valid(res->payload, MAX_PLUGIN_PAYLOAD, true))
		return fail(err, "%s returned a payload that is not a JSON object of at most %u bytes "
				 "(%zu bytes)",
			    label, MAX_PLUGIN_PAYLOAD, strlen(res->payload));
	if (res->record && !json_text_valid(res->record, STORE_MAX_PLUGIN_RECORD, false))
		return fail(err, "%s returned a record that is not JSON of at most %u bytes", label,
			    STORE_MAX_PLUGIN_RECORD);
	if (res->message && strlen(res->message) > MAX_PLUGIN_MESSAGE)
		res->message[MAX_PLUGIN_MESSAGE] = '\0';
	if (storage && res->storage_enabled) {
		if (!res->volume || !*res->volume || strlen(res->volume) > MAX_STORAGE_VOLUME)
			return fail(err, "%s returned an unusable plan: storage is on but the volume name is "
					 "missing or longer than %d bytes",
				    label, MAX_STORAGE_VOLUME);
		if (!abs_path_ok(res->mount))
			return fail(err, "%s returned an unusable plan: storage is on but the mount is not an "
					 "absolute path",
				    label);
		if (res->brick && *res->brick && !abs_path_ok(res->brick))
			return fail(err, "%s returned an unusable plan: the brick is not an absolute path", label);
	}
	if (res->retry_after > MAX_PLUGIN_RETRY_AFTER)
		res->retry_after = MAX_PLUGIN_RETRY_AFTER;
	return 0;
}

static const char *event_name(int kind)
{
	switch (kind) {
	case CLUSTERCTL_NODE_LOADED: return "loaded";
	case CLUSTERCTL_NODE_NODES_READY: return "nodes-ready";
	case CLUSTERCTL_NODE_STORED: return "stored";
	case CLUSTERCTL_NODE_REMOVED: return "removed";
	}
	return "?";
}

static void over_budget(const struct plugin *p, const char *what, const char *node, int64_t ms)
{
	log_warn("%s: %s for node=%s took %lld ms, over the %d ms plan budget: other nodes' answers waited "
		 "behind it (the plugin should keep slow work off the event loop)",
		 host_ctx_label(p->hctx), what, node ? node : "-", (long long)ms, CLUSTERCTL_PLAN_BUDGET_MS);
}

bool plan_error_transient(int r)
{
	switch (r) {
	case -EAGAIN:
	case -EBUSY:
	case -EINTR:
	case -ETIMEDOUT:
	case -ECONNREFUSED:
	case -ECONNRESET:
	case -ENOMEM:
		return true;
	default:
		return false;
	}
}

int provider_plan(struct plugin *p, bool storage, const struct clusterctl_plan_in *in, struct plan_result *res,
		  char **err)
{
	struct clusterctl_plan_out out = {0};
	const char *node = in->node && in->node->hostname ? in->node->hostname : "?";
	int64_t t0;
	int r;

	memset(res, 0, sizeof *res);
	*err = NULL;
	if (!p->desc.plan) {
		res->payload = strdup("{}");
		return res->payload ? 0 : fail(err, "out of memory");
	}
	out.struct_size = sizeof out;
	host_ctx_clear_error(p->hctx);
	t0 = cc_mono_ns();
	r = p->desc.plan(p->state, in, &out);
	t0 = cc_mono_ns() - t0;
	metrics_plan_seconds(p->desc.name, storage ? "storage" : "overlay", (double)t0 / 1e9);
	t0 /= 1000000;
	if (t0 > CLUSTERCTL_PLAN_BUDGET_MS)
		over_budget(p, "plan", node, t0);
	res->called = true;
	if (r < 0) {
		const char *why = plugin_last_error(p);
		/* What it handed back anyway is ours to free. */
		struct plan_result junk = {0};
		char *e2 = NULL;
		plan_check(host_ctx_label(p->hctx), storage, &out, &junk, &e2);
		plan_result_free(&junk);
		free(e2);
		if (*why)
			fail(err, "%s (planning node %s)", why, node);
		else
			fail(err, "%s could not plan node %s: %s", host_ctx_label(p->hctx), node, strerror(-r));
		return r;
	}
	return plan_check(host_ctx_label(p->hctx), storage, &out, res, err);
}

int provider_node_event(struct plugin *p, int kind, const struct clusterctl_node *node)
{
	int64_t t0;
	int r;

	if (!p || !p->desc.node_event)
		return 0;
	host_ctx_clear_error(p->hctx);
	t0 = cc_mono_ms();
	r = p->desc.node_event(p->state, kind, node);
	t0 = cc_mono_ms() - t0;
	if (t0 > CLUSTERCTL_PLAN_BUDGET_MS)
		over_budget(p, event_name(kind), node ? node->hostname : NULL, t0);
	if (r < 0) {
		const char *why = plugin_last_error(p);
		log_warn("%s failed on the %s event of node=%s: %s", host_ctx_label(p->hctx), event_name(kind),
			 node ? node->hostname : "-", *why ? why : strerror(-r));
	}
	return r;
}
