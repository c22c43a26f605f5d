#include "autoconfig.h"

#include <string.h>

#include <json-c/json.h>

#include "cc-buf.h"
#include "status-health.h"

/* Text from the network printed on a terminal: printable ASCII only, cut
 * at max, padded to width. */
static void cell(FILE *out, const char *s, int width, int max)
{
	int n = 0;
	for (; s && *s && n < max; s++, n++)
		fputc((unsigned char)*s >= 0x20 && (unsigned char)*s < 0x7f ? *s : '?', out);
	for (; n < width; n++)
		fputc(' ', out);
	fputc(' ', out);
}

/* A provider's health as "Key=value ..." of its scalar members, in the
 * order the node sent them; the provider decides what it reports, so
 * nothing here names one. */
static void health_text(struct cc_buf *sb, json_object *h)
{
	if (!h || !json_object_is_type(h, json_type_object)) {
		cc_buf_puts(sb, "-");
		return;
	}
	json_object_object_foreach(h, k, v)
	{
		if (json_object_is_type(v, json_type_object) || json_object_is_type(v, json_type_array))
			continue;
		cc_buf_printf(sb, "%s%s=%s", sb->len ? " " : "", k,
			      json_object_is_type(v, json_type_null) ? "-" : json_object_get_string(v));
	}
	if (!sb->len)
		cc_buf_puts(sb, "-");
}

static json_object *member(json_object *o, const char *key)
{
	json_object *v = NULL;
	return o && json_object_is_type(o, json_type_object) && json_object_object_get_ex(o, key, &v) ? v : NULL;
}

void status_health_print(FILE *out, const struct ctl_status *st)
{
	char age[32];

	if (st->has_quorum)
		fprintf(out, "\nQuorum: %s (%lld of %lld managers heard from recently, %lld needed, the master included)\n",
			st->quorum_ok ? "yes" : "AT RISK", st->quorum_fresh, st->quorum_managers, st->quorum_needed);
	if (st->stale_nodes > 0)
		fprintf(out, "Stale nodes: %lld (no registration within the controller's --stale-after)\n",
			st->stale_nodes);
	fprintf(out, "\n");
	cell(out, "HOSTNAME", 24, 64);
	cell(out, "VERSION", 12, 64);
	cell(out, "SEEN", 12, 64);
	cell(out, "OVERLAY", 0, 64);
	fprintf(out, "\n");
	for (size_t i = 0; i < st->n_nodes; i++) {
		const struct ctl_status_node *n = &st->nodes[i];
		json_object *h = n->health ? json_tokener_parse(n->health) : NULL;
		struct cc_buf ov = CC_BUF_INIT, sto = CC_BUF_INIT;

		if (n->last_seen_age < 0)
			snprintf(age, sizeof age, "?");
		else
			snprintf(age, sizeof age, "%llds%s", n->last_seen_age, n->stale ? " STALE" : "");
		health_text(&ov, member(h, "Overlay"));
		health_text(&sto, member(h, "Storage"));
		cell(out, n->hostname, 24, 64);
		cell(out, n->clusterctl_version ? n->clusterctl_version : "?", 12, 64);
		cell(out, age, 12, 64);
		cell(out, ov.buf ? ov.buf : "-", 0, 400);
		fprintf(out, "\n");
		cell(out, "", 24, 0);
		cell(out, "", 12, 0);
		cell(out, "storage:", 12, 64);
		cell(out, sto.buf ? sto.buf : "-", 0, 400);
		fprintf(out, "\n");
		cc_buf_free(&ov);
		cc_buf_free(&sto);
		json_object_put(h);
	}
}
