#include "autoconfig.h"

#include <errno.h>
#include <string.h>

#include "app.h"
#include "log.h"

static int scan(struct app *a)
{
	int r;
	if (a->reg_scanned)
		return 0;
	r = plugin_registry_scan(&a->reg, a->cfg.plugin_dir);
	if (r < 0) {
		if (r != -EPERM) /* an untrusted directory is logged by the scan */
			log_error("cannot read plugin directory path=%s error=\"%s\" (set --plugin-dir or "
				  "CLUSTERCTL_PLUGIN_DIR)",
				  a->cfg.plugin_dir, strerror(-r));
		return r;
	}
	a->reg_scanned = true;
	return 0;
}

static int load_one(struct app *a, uint32_t kind, const char *name, struct plugin **slot)
{
	uint32_t other = kind == CLUSTERCTL_PLUGIN_OVERLAY ? CLUSTERCTL_PLUGIN_STORAGE : CLUSTERCTL_PLUGIN_OVERLAY;
	int r = plugin_registry_load(&a->reg, a->cfg.plugin_dir, kind, name, slot);

	if (r == -ENOENT) {
		/* Installed under the other kind?  Say so: it is the wrong-kind case. */
		if (plugin_file_exists(&a->reg, other, name))
			log_error("plugin \"%s\" is a %s plugin; --%s-provider needs %s plugin", name,
				  plugin_kind_name(other), plugin_kind_name(kind),
				  kind == CLUSTERCTL_PLUGIN_OVERLAY ? "an overlay" : "a storage");
		else
			log_error("no %s plugin named \"%s\" in %s (no file %s-%s.so there; see 'clusterctl "
				  "plugins')",
				  plugin_kind_name(kind), name, a->cfg.plugin_dir, plugin_kind_name(kind), name);
	} else if (r == -EINVAL && a->reg.n_rej) {
		const struct plugin_reject *rj = &a->reg.rej[a->reg.n_rej - 1];
		log_error("cannot use %s plugin \"%s\": %s: %s", plugin_kind_name(kind), name, rj->path,
			  rj->reason ? rj->reason : "refused");
	}
	return r;
}

int app_load_providers(struct app *a)
{
	int r;
	if (!a->overlay_loaded &&
	    (r = load_one(a, CLUSTERCTL_PLUGIN_OVERLAY, a->cfg.overlay_provider, &a->overlay_loaded)) < 0)
		return r;
	if (!a->storage_loaded &&
	    (r = load_one(a, CLUSTERCTL_PLUGIN_STORAGE, a->cfg.storage_provider, &a->storage_loaded)) < 0)
		return r;
	return 0;
}

int app_providers(struct app *a, bool overlay, bool storage)
{
	int r;
	if ((r = app_load_providers(a)) < 0)
		return r;
	if (overlay && !a->overlay) {
		if ((r = plugin_start(a->overlay_loaded, &a->cfg)) < 0)
			return r;
		a->overlay = a->overlay_loaded;
	}
	if (storage && !a->storage) {
		if ((r = plugin_start(a->storage_loaded, &a->cfg)) < 0)
			return r;
		a->storage = a->storage_loaded;
	}
	return 0;
}

int app_scan_plugins(struct app *a) { return scan(a); }
