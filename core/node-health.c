#include "autoconfig.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "metrics.h"
#include "node-health.h"
#include "state-store.h"

/* ---- node side -------------------------------------------------------- */

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && strcmp(s + n - m, suffix) == 0;
}

static bool plain_name(const char *s)
{
	size_t n = 0;
	for (; s[n]; n++)
		if (!((s[n] >= 'A' && s[n] <= 'Z') || (s[n] >= 'a' && s[n] <= 'z') || (s[n] >= '0' && s[n] <= '9')))
			return false;
	return n > 0 && n <= 48;
}

/* "<Name>Count" and the ages of an array of objects. */
static void summarise_array(json_object *out, const char *name, json_object *arr)
{
	size_t n = json_object_array_length(arr);
	char key[160];
	json_object *first = n ? json_object_array_get_idx(arr, 0) : NULL;

	snprintf(key, sizeof key, "%sCount", name);
	json_object_object_add(out, key, json_object_new_int64((int64_t)n));
	if (!first || !json_object_is_type(first, json_type_object))
		return;
	/* The members to follow are those of the first item; the others are
	 * read for the same names only, so the work is n * (its members). */
	json_object_object_foreach(first, m, v0)
	{
		int64_t lo = INT64_MAX, hi = -1, without = 0;
		(void)v0;
		if (!ends_with(m, "AgeSeconds") || !plain_name(m))
			continue;
		for (size_t i = 0; i < n; i++) {
			json_object *it = json_object_array_get_idx(arr, i), *v = NULL;
			int64_t x;
			if (!json_object_is_type(it, json_type_object) || !json_object_object_get_ex(it, m, &v) ||
			    !json_object_is_type(v, json_type_int)) {
				without++;
				continue;
			}
			x = json_object_get_int64(v);
			if (x < 0) {
				without++;
				continue;
			}
			lo = x < lo ? x : lo;
			hi = x > hi ? x : hi;
		}
		if (hi >= 0) {
			snprintf(key, sizeof key, "%sNewest%s", name, m);
			json_object_object_add(out, key, json_object_new_int64(lo));
			snprintf(key, sizeof key, "%sOldest%s", name, m);
			json_object_object_add(out, key, json_object_new_int64(hi));
		}
		snprintf(key, sizeof key, "%sWithout%s", name, m);
		json_object_object_add(out, key, json_object_new_int64(without));
	}
}

char *health_summary(const char *status_json)
{
	json_object *in, *out;
	const char *s;
	char *text = NULL;

	if (!status_json || !(in = json_tokener_parse(status_json)))
		return NULL;
	if (!json_object_is_type(in, json_type_object) || !(out = json_object_new_object())) {
		json_object_put(in);
		return NULL;
	}
	json_object_object_foreach(in, k, v)
	{
		if (!plain_name(k))
			continue;
		switch (json_object_get_type(v)) {
		case json_type_string:
			if (json_object_get_string_len(v) <= 256)
				json_object_object_add(out, k, json_object_get(v));
			break;
		case json_type_int:
		case json_type_double:
		case json_type_boolean:
			json_object_object_add(out, k, json_object_get(v));
			break;
		case json_type_array:
			summarise_array(out, k, v);
			break;
		default:
			break;
		}
	}
	s = json_object_to_json_string_ext(out, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	if (s && strlen(s) <= HEALTH_MAX_SUMMARY)
		text = strdup(s);
	json_object_put(out);
	json_object_put(in);
	return text;
}

/* ---- controller side -------------------------------------------------- */

struct hnode {
	struct hnode *next;
	char *key;
	struct node_health_entry e;
};

struct node_health {
	struct hnode **b;
	size_t nb, n;
};

static uint64_t hash(const char *s)
{
	uint64_t h = 1469598103934665603ull;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

struct node_health *node_health_new(void)
{
	struct node_health *h = calloc(1, sizeof *h);
	if (h && !(h->b = calloc(h->nb = 256, sizeof *h->b))) {
		free(h);
		h = NULL;
	}
	return h;
}

static void entry_clear(struct node_health_entry *e)
{
	free(e->version);
	free(e->overlay);
	free(e->storage);
	memset(e, 0, sizeof *e);
}

static void hnode_free(struct hnode *x)
{
	entry_clear(&x->e);
	free(x->key);
	free(x);
}

void node_health_free(struct node_health *h)
{
	if (!h)
		return;
	for (size_t i = 0; i < h->nb; i++)
		for (struct hnode *x = h->b[i], *nx; x; x = nx) {
			nx = x->next;
			hnode_free(x);
		}
	free(h->b);
	free(h);
}

static struct hnode **slot(const struct node_health *h, const char *key)
{
	struct hnode **p = &h->b[hash(key) & (h->nb - 1)];
	while (*p && strcmp((*p)->key, key) != 0)
		p = &(*p)->next;
	return p;
}

static void grow(struct node_health *h)
{
	size_t nb = h->nb * 2;
	struct hnode **b = calloc(nb, sizeof *b);
	if (!b)
		return; /* longer chains, still correct */
	for (size_t i = 0; i < h->nb; i++)
		for (struct hnode *x = h->b[i], *nx; x; x = nx) {
			nx = x->next;
			x->next = b[hash(x->key) & (nb - 1)];
			b[hash(x->key) & (nb - 1)] = x;
		}
	free(h->b);
	h->b = b;
	h->nb = nb;
}

void node_health_forget(struct node_health *h, const char *key)
{
	struct hnode **p = slot(h, key), *x = *p;
	if (!x)
		return;
	*p = x->next;
	hnode_free(x);
	h->n--;
}

static int dup_or_null(char **dst, const char *s)
{
	*dst = NULL;
	return s && !(*dst = strdup(s)) ? -ENOMEM : 0;
}

int node_health_note(struct node_health *h, const char *key, const char *replaces, const struct registration *reg)
{
	struct hnode **p, *x;
	struct node_health_entry e = {.protocol = reg->protocol_version};

	if (replaces)
		node_health_forget(h, replaces);
	if (dup_or_null(&e.version, reg->clusterctl_version) < 0 || dup_or_null(&e.overlay, reg->health_overlay) < 0 ||
	    dup_or_null(&e.storage, reg->health_storage) < 0) {
		entry_clear(&e);
		return -ENOMEM;
	}
	p = slot(h, key);
	if ((x = *p)) {
		entry_clear(&x->e);
		x->e = e;
		return 0;
	}
	if (!(x = calloc(1, sizeof *x)) || !(x->key = strdup(key))) {
		free(x);
		entry_clear(&e);
		return -ENOMEM;
	}
	x->e = e;
	*p = x;
	if (++h->n > h->nb)
		grow(h);
	return 0;
}

const struct node_health_entry *node_health_find(const struct node_health *h, const char *key)
{
	struct hnode *x = *slot(h, key);
	return x ? &x->e : NULL;
}

void node_health_append(const struct node_health *h, struct cc_buf *sb, const char *key, int64_t last_seen_ms,
			int64_t now_ms, int64_t stale_after_ms)
{
	const struct node_health_entry *e = node_health_find(h, key);
	int64_t age = now_ms > last_seen_ms ? (now_ms - last_seen_ms) / 1000 : 0;

	cc_buf_printf(sb, ",\"LastSeenAgeSeconds\":%lld,\"Stale\":%s", (long long)age,
		      now_ms - last_seen_ms > stale_after_ms ? "true" : "false");
	if (!e)
		return;
	if (e->version) {
		cc_buf_puts(sb, ",\"ClusterctlVersion\":");
		json_append_string(sb, e->version);
	}
	if (e->protocol)
		cc_buf_printf(sb, ",\"ProtocolVersion\":%d", e->protocol);
	if (e->overlay || e->storage) {
		/* Both were checked JSON objects when they were decoded. */
		cc_buf_puts(sb, ",\"Health\":{");
		if (e->overlay)
			cc_buf_printf(sb, "\"Overlay\":%s", e->overlay);
		if (e->storage)
			cc_buf_printf(sb, "%s\"Storage\":%s", e->overlay ? "," : "", e->storage);
		cc_buf_puts(sb, "}");
	}
}

void health_count(const struct state_store *st, int64_t now_ms, int64_t stale_after_ms, struct health_counts *out)
{
	memset(out, 0, sizeof *out);
	for (size_t i = 0; i < state_store_count(st); i++) {
		const struct node_rec *r = state_store_node(st, i);
		bool fresh = now_ms - r->last_seen_ms <= stale_after_ms;
		if (r->assigned_role == PROTO_ROLE_MANAGER) {
			out->managers++;
			out->managers_fresh += fresh;
		} else {
			out->workers++;
			out->workers_fresh += fresh;
		}
		out->stale += !fresh;
	}
	/* The master's host is a Swarm manager too (master init made it one)
	 * and is up, since its controller answers. */
	out->quorum_needed = (out->managers + 1) / 2 + 1;
	out->quorum_ok = out->managers_fresh + 1 >= out->quorum_needed;
}

void health_counts_append(struct cc_buf *sb, const struct health_counts *hc)
{
	cc_buf_printf(sb,
		      ",\"StaleNodes\":%u,\"Quorum\":{\"Managers\":%u,\"ManagersFresh\":%u,\"Needed\":%u,"
		      "\"OK\":%s}",
		      hc->stale, hc->managers + 1, hc->managers_fresh + 1, hc->quorum_needed,
		      hc->quorum_ok ? "true" : "false");
}

void health_metrics(const struct state_store *st, int64_t now_ms, int64_t stale_after_ms, bool formed, bool waiting,
		    struct metrics_nodes *out)
{
	struct health_counts hc;

	memset(out, 0, sizeof *out);
	for (size_t i = 0; i < state_store_count(st); i++) {
		const struct node_rec *r = state_store_node(st, i);
		if (r->assigned_role <= PROTO_ROLE_MANAGER && r->last_status <= PROTO_ERROR)
			out->by_role_state[r->assigned_role][r->last_status]++;
	}
	health_count(st, now_ms, stale_after_ms, &hc);
	out->stale = hc.stale;
	out->quorum_ok = hc.quorum_ok;
	out->formed = formed;
	out->waiting = waiting;
}
