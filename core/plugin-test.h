/* clusterctl-plugin-test: run one operation of one plugin without a
 * cluster, in front of a host table that records every call.  The
 * recording table (plugin-test-host.c) forwards what only reads this
 * host (logs, config, data dir, addresses, links) to the core's own
 * services, answers programs and HTTP from fixtures or refuses them,
 * and refuses changes to the network unless allowed.  What the plugin
 * does wrong by the contract is collected as violations. */
#ifndef CLUSTERCTL_PLUGIN_TEST_H
#define CLUSTERCTL_PLUGIN_TEST_H

#include <stdarg.h>
#include <stdbool.h>

#include <json-c/json.h>
#include <clusterctl/plugin.h>

struct rec_host;

/* A recording table in front of `real` (the plugin's own host table).
 * run_fixture / http_fixture: JSON arrays (see clusterctl-plugin(7),
 * TESTING A PLUGIN), or NULL to refuse every program / request;
 * allow_changes lets link and address changes and raw netlink through.
 * desc: the plugin's keys flagged SECRET are recorded as "(secret)". */
struct rec_host *rec_host_new(const struct clusterctl_host *real, const struct clusterctl_plugin *desc,
			      json_object *run_fixture, json_object *http_fixture, bool allow_changes);
/* The table to hand the plugin. */
const struct clusterctl_host *rec_host_table(struct rec_host *h);
/* Record a breach of the contract (thread-safe). */
void rec_host_violation(struct rec_host *h, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The calls and violations so far; owned by h. */
json_object *rec_host_calls(struct rec_host *h);
json_object *rec_host_violations(struct rec_host *h);
/* Did the plugin call error() since the last rec_host_mark()? */
void rec_host_mark(struct rec_host *h);
bool rec_host_error_called(struct rec_host *h);
void rec_host_free(struct rec_host *h);

#endif
