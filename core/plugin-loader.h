/* Finding, checking and starting provider plugins.  The core never names
 * a provider: "overlay" + "wireguard" is looked up among what the scan of
 * the plugin directory accepted. */
#ifndef CLUSTERCTL_PLUGIN_LOADER_H
#define CLUSTERCTL_PLUGIN_LOADER_H

#include <stdbool.h>
#include <clusterctl/plugin.h>

#include "config.h"

struct host_ctx;

struct plugin {
	char *path;
	void *dl;
	/* The plugin's descriptor copied up to its struct_size, the rest
	 * zero: a plugin built for an older minor has NULL newer ops. */
	struct clusterctl_plugin desc;
	/* The plugin's config keys copied at the host's own stride (the
	 * plugin's may be longer or, in no case we accept, shorter);
	 * desc.config_keys points here. */
	struct clusterctl_config_key *keys;
	struct clusterctl_host host;
	struct host_ctx *hctx;
	void *state;
	bool started;
};

struct plugin_reject {
	char *path;
	char *reason;
};

struct plugin_registry {
	struct plugin **v;
	size_t n;
	struct plugin_reject *rej;
	size_t n_rej;
};

const char *plugin_kind_name(uint32_t kind);
/* Scan `dir` for *.so files.  Refusals are logged (one line each) and kept
 * in reg->rej; they are not errors.  -errno only when dir is unreadable. */
int plugin_registry_scan(struct plugin_registry *reg, const char *dir);
/* Check one file; on success *out is a new plugin (not started).
 * On refusal returns -EINVAL and *reason (malloc'd) says why. */
int plugin_load_file(const char *path, struct plugin **out, char **reason);
struct plugin *plugin_find(const struct plugin_registry *reg, uint32_t kind, const char *name);
/* Validate every plugin key given in config against the discovered
 * plugins' key tables.  -EINVAL with config_error()-style message. */
int plugin_check_config(const struct plugin_registry *reg, const struct config *cfg, char **err);
/* Call init; logs and returns -errno with the plugin's message. */
int plugin_start(struct plugin *p, const struct config *cfg);
/* The message the calling thread's last operation of this plugin left,
 * already prefixed with <kind> plugin "<name>": ("" when none). */
const char *plugin_last_error(const struct plugin *p);
/* The same, or <kind> plugin "<name>": strerror(-r) when the plugin
 * left no message; valid until the next call on this thread. */
const char *plugin_failure(const struct plugin *p, int r);
void plugin_stop(struct plugin *p);
/* Free what an ensure() or master_prepare() answer holds and zero it: by
 * the ABI the host owns the out-struct's strings once the call returns. */
void plugin_ensure_out_free(struct clusterctl_ensure_out *out);
void plugin_free(struct plugin *p);
void plugin_registry_free(struct plugin_registry *reg);

#endif
