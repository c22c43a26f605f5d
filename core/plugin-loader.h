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
	char *dir;        /* the plugin directory, once scanned or loaded from */
};

const char *plugin_kind_name(uint32_t kind);
/* The plugin directory must be owned by root (or the effective user) and
 * writable by its owner alone, as must every plugin file: else -EPERM
 * and *reason (malloc'd) names the path and the fix. */
int plugin_dir_check(const char *dir, char **reason);
/* Scan `dir` for *.so files (clusterctl plugins).  Refusals are logged
 * (one line each) and kept in reg->rej; they are not errors.  -errno
 * when dir is unreadable, -EPERM (logged) when it is not trusted. */
int plugin_registry_scan(struct plugin_registry *reg, const char *dir);
/* Load one provider by its file name, <dir>/<kind>-<name>.so, and nothing
 * else: what a run that uses it does.  -ENOENT when there is no such
 * file; -EINVAL when it is refused (logged and kept in reg->rej); -EPERM
 * (logged) for an untrusted directory.  Not started. */
int plugin_registry_load(struct plugin_registry *reg, const char *dir, uint32_t kind, const char *name,
			 struct plugin **out);
/* Name the directory without loading anything (commands that use no
 * plugin still check that a plugin option names an installed plugin). */
int plugin_registry_set_dir(struct plugin_registry *reg, const char *dir);
/* Is there a file <kind>-<name>.so in the directory reg was loaded from? */
bool plugin_file_exists(const struct plugin_registry *reg, uint32_t kind, const char *name);
/* Check one file; on success *out is a new plugin (not started).
 * On refusal returns -EINVAL and *reason (malloc'd) says why. */
int plugin_load_file(const char *path, struct plugin **out, char **reason);
struct plugin *plugin_find(const struct plugin_registry *reg, uint32_t kind, const char *name);
/* The plugin's option `key` ("brick-dir"), or NULL. */
const struct clusterctl_config_key *plugin_config_key(const struct plugin *p, const char *key);
/* Validate every plugin key given in config against the loaded plugins'
 * key tables, from every source as the core's own options are (type,
 * range, the file's type; config_check_value), and normalise booleans
 * to "true"/"false".  A key of a plugin that is installed but not loaded
 * (this run does not use it) is ignored with a log line; a key of no
 * installed plugin is an error.  -EINVAL with a message in *err
 * (malloc'd; NULL and -ENOMEM when out of memory). */
int plugin_check_config(const struct plugin_registry *reg, struct config *cfg, char **err);
/* Every REQUIRED key without a default has a value, else -EINVAL and a
 * logged line naming the flag.  plugin_start checks it too; a run checks
 * all its providers first, so none starts when another would not. */
int plugin_check_required(const struct plugin *p, const struct config *cfg);
/* Call init; logs and returns -errno with the plugin's message. */
int plugin_start(struct plugin *p, const struct config *cfg);
/* The same with another host table in front of the plugin's own (the
 * harness's recording one, which forwards to p->host). */
int plugin_start_with(struct plugin *p, const struct config *cfg, const struct clusterctl_host *host);
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
