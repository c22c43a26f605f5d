/* clusterctl status on a node: what this host's own providers say of
 * themselves through their status() operation, beside the controller's
 * view.  Kept apart from status.c, which asks the controller. */
#ifndef CLUSTERCTL_PROVIDER_STATUS_H
#define CLUSTERCTL_PROVIDER_STATUS_H

#include <json-c/json.h>

#include "app.h"

/* A plugin's status() answer is shown, never trusted: a JSON object of
 * at most this many bytes, else a warning and an "Error" in its place. */
#define PROVIDER_STATUS_MAX (64 * 1024)
/* status() runs in the foreground of a command a person waits for:
 * slower than this is a WARN naming the plugin and the time. */
#define PROVIDER_STATUS_BUDGET_MS 2000

/* Load and start the configured providers that have a status() (with
 * the host key command = "status", and no data directory created), call
 * it, and set *out to {"Overlay": {"Provider": name, "Status": {...}}
 * or {"Provider": name, "Error": "..."}, "Storage": ...}; a provider
 * without status() is left out.  *out is NULL when there is nothing to
 * show (providers that cannot be loaded or started are a WARN: the
 * controller's view is still worth printing).  -EINVAL (printed) when a
 * provider's option is wrong, as any command treats it. */
int provider_status_collect(struct app *a, json_object **out);

/* The table's "Local providers" section (nothing for NULL). */
void provider_status_print(json_object *local);

#endif
