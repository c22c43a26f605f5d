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
		log_error("cannot read plugin directory path=%s error=\"%s\" (set --plugin-dir or "
			  "CLUSTERCTL_PLUGIN_DIR)",
			  a->cfg.plugin_dir, strerror(-r));
		return r;
	}
	a->reg_scanned = true;
	return 0;
}

static int start_one(struct app *a, uint32_t kind, const char *name, struct plugin **slot)
{
	struct plugin *p = plugin_find(&a->reg, kind, name);
	int r;

	if (!p) {
		/* Loaded under the other kind?  Say so: it is the wrong-kind case. */
		uint32_t other = kind == CLUSTERCTL_PLUGIN_OVERLAY ? CLUSTERCTL_PLUGIN_STORAGE
								   : CLUSTERCTL_PLUGIN_OVERLAY;
		if (plugin_find(&a->reg, other, name))
			log_error("plugin \"%s\" is a %s plugin; --%s-provider needs %s plugin", name,
				  plugin_kind_name(other), plugin_kind_name(kind),
				  kind == CLUSTERCTL_PLUGIN_OVERLAY ? "an overlay" : "a storage");
		else
			log_error("no %s plugin named \"%s\" in %s (see 'clusterctl plugins')",
				  plugin_kind_name(kind), name, a->cfg.plugin_dir);
		return -ENOENT;
	}
	if ((r = plugin_start(p, &a->cfg)) < 0)
		return r;
	*slot = p;
	return 0;
}

int app_providers(struct app *a, bool overlay, bool storage)
{
	int r;
	if ((r = scan(a)) < 0)
		return r;
	if (overlay && !a->overlay &&
	    (r = start_one(a, CLUSTERCTL_PLUGIN_OVERLAY, a->cfg.overlay_provider, &a->overlay)) < 0)
		return r;
	if (storage && !a->storage &&
	    (r = start_one(a, CLUSTERCTL_PLUGIN_STORAGE, a->cfg.storage_provider, &a->storage)) < 0)
		return r;
	return 0;
}

int app_scan_plugins(struct app *a) { return scan(a); }
