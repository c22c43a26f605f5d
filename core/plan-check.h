/* The controller's calls into its providers (plan, node events), timed
 * against the plan budget, and the checks on what a plan answers: a
 * plugin's output is input like any other.  controller.c puts the
 * checked result on the wire; the unit tests drive a fixture plugin
 * through the same calls. */
#ifndef CLUSTERCTL_PLAN_CHECK_H
#define CLUSTERCTL_PLAN_CHECK_H

#include <stdbool.h>
#include <stddef.h>

#include <clusterctl/plugin.h>

#include "plugin-loader.h"

#define MAX_PLUGIN_PAYLOAD (256u * 1024) /* bytes of a payload object */
#define MAX_PLUGIN_MESSAGE 1024          /* a longer Message is cut */
#define MAX_PLUGIN_RETRY_AFTER 3600      /* seconds; more is cut */
#define MAX_STORAGE_VOLUME 256
#define MAX_STORAGE_PATH 4096

/* A checked plan: what the answer and the record take from it. */
struct plan_result {
	bool called;
	char *payload;    /* JSON object text */
	char *record;     /* NULL: keep the previous one */
	bool waiting;
	unsigned retry_after;
	char *message;
	bool storage_enabled;
	char *volume, *mount, *brick;
};

void plan_result_free(struct plan_result *p);

/* One JSON text (RFC 8259, strict: valid UTF-8, no trailing bytes but
 * blanks, nesting at most 64) of at most max bytes; with object, an
 * object.  Validates without building anything: payloads of a few
 * hundred KiB are checked on the event loop. */
bool json_text_valid(const char *s, size_t max, bool object);

/* Take over a plan_out into res and check it.  storage: the storage
 * fields are required with storage_enabled.  -EINVAL with *err (malloc'd)
 * naming the plugin and the fault; res keeps what it took (free it). */
int plan_check(const char *label, bool storage, struct clusterctl_plan_out *out, struct plan_result *res,
	       char **err);

/* Run p's plan() for node `hostname` and check the answer.  A plugin
 * without plan() gets an empty payload.  A plan over
 * CLUSTERCTL_PLAN_BUDGET_MS is a WARN naming the plugin and the time.
 * -errno with *err (malloc'd) for the node: the plugin's own code when it
 * failed, -EINVAL when its answer failed the checks. */
/* A plan that failed with one of these will pass by itself (a daemon
 * busy, restarting or slow to answer, memory short for a moment): the
 * node is answered "waiting", not "error" (clusterctl-plugin(7), plan). */
bool plan_error_transient(int r);
int provider_plan(struct plugin *p, bool storage, const struct clusterctl_plan_in *in, struct plan_result *res,
		  char **err);

/* Tell p of a node event (no-op without node_event), timed like plan; a
 * failure is logged with the plugin's message and returned. */
int provider_node_event(struct plugin *p, int kind, const struct clusterctl_node *node);

#endif
