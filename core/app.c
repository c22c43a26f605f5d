#include "autoconfig.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "app.h"
#include "cc-file.h"
#include "host-services.h"
#include "ipdetect.h"
#include "log.h"
#include "netlink.h"
#include "util.h"

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

const char *app_command_name(unsigned cmd)
{
	switch (cmd) {
	case CMD_MASTER_INIT: return "master init";
	case CMD_MASTER_SERVE: return "master serve";
	case CMD_NODE_JOIN: return "node join";
	case CMD_AGENT: return "agent";
	case CMD_STATUS: return "status";
	case CMD_PLUGINS: return "plugins";
	case CMD_IP: return "ip";
	case CMD_NODE_REMOVE: return "node remove";
	}
	return NULL;
}

/* --overlay-config: one JSON object, compacted.  The overlay plugin reads
 * it from init on (host key "options") and in every plan. */
static int read_overlay_options(struct app *a)
{
	const char *path = a->cfg.overlay_config;
	struct json_object *o;
	enum json_tokener_error jerr;
	char *text = NULL;
	int r;

	if (a->overlay_options || !path || !*path || !(a->cmd & (CMD_MASTER_INIT | CMD_MASTER_SERVE)))
		return 0;
	r = cc_read_file(path, 1 << 20, &text, NULL);
	if (r < 0) {
		log_error("cannot read --overlay-config %s: %s", path, r == -EFBIG ? "larger than 1 MiB" : strerror(-r));
		return -EINVAL;
	}
	o = json_tokener_parse_verbose(text, &jerr);
	free(text);
	if (!o || !json_object_is_type(o, json_type_object)) {
		log_error("--overlay-config %s must hold one JSON object: %s", path,
			  o ? "it holds another JSON value" : json_tokener_error_desc(jerr));
		json_object_put(o);
		return -EINVAL;
	}
	a->overlay_options = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	return a->overlay_options ? 0 : -ENOMEM;
}

/* The host keys "hostname" and "node-ip" hold what the man page says:
 * the node's name (--hostname, else the kernel's) and its address
 * (--ip, else what IP detection chooses, without the warnings the
 * command itself prints when it detects). */
static void detect_identity(const struct config *c, char **hostname, char **ip)
{
	struct clusterctl_ifaddr *addrs = NULL;
	struct ipdetect_result res;
	char host[256], *err = NULL;
	size_t n = 0;

	*hostname = *ip = NULL;
	if (c->hostname)
		*hostname = strdup(c->hostname);
	else if (gethostname(host, sizeof host) == 0) {
		host[sizeof host - 1] = '\0';
		*hostname = strdup(host);
	}
	if (c->ip && *c->ip) {
		*ip = strdup(c->ip);
		return;
	}
	if (nl_addr_list(&addrs, &n) < 0)
		return;
	if (ipdetect_rank(addrs, n, &(struct ipdetect_opts){.pin_ifname = c->interface,
							    .exclude = c->exclude_interfaces},
			  &res, &err) == 0)
		*ip = strdup(res.ip);
	else
		log_debug("no node address for the plugins' host key node-ip: %s", err ? err : "?");
	ipdetect_result_free(&res);
	free(err);
	free(addrs);
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

/* Hand the plugin its host keys (command, hostname, node-ip, options),
 * then start it. */
static int start_one(struct app *a, uint32_t kind, struct plugin *p)
{
	char *hostname = NULL, *ip = NULL;
	int r;

	detect_identity(&a->cfg, &hostname, &ip);
	r = host_ctx_set_facts(p->hctx, &(struct host_facts){
						 .command = app_command_name(a->cmd),
						 .hostname = hostname,
						 .node_ip = ip,
						 .options = kind == CLUSTERCTL_PLUGIN_OVERLAY ? a->overlay_options : NULL,
						 .read_only = a->cmd == CMD_STATUS,
					 });
	free(hostname);
	free(ip);
	return r < 0 ? r : plugin_start(p, &a->cfg);
}

int app_providers(struct app *a, bool overlay, bool storage)
{
	int r;
	if ((r = app_load_providers(a)) < 0 || (r = read_overlay_options(a)) < 0)
		return r;
	/* A missing required option of either provider stops the run before
	 * any plugin operation, as a wrong value does. */
	if ((overlay && !a->overlay && (r = plugin_check_required(a->overlay_loaded, &a->cfg)) < 0) ||
	    (storage && !a->storage && (r = plugin_check_required(a->storage_loaded, &a->cfg)) < 0))
		return r;
	if (overlay && !a->overlay) {
		if ((r = start_one(a, CLUSTERCTL_PLUGIN_OVERLAY, a->overlay_loaded)) < 0)
			return r;
		a->overlay = a->overlay_loaded;
	}
	if (storage && !a->storage) {
		if ((r = start_one(a, CLUSTERCTL_PLUGIN_STORAGE, a->storage_loaded)) < 0)
			return r;
		a->storage = a->storage_loaded;
	}
	return 0;
}

int app_scan_plugins(struct app *a) { return scan(a); }

void app_free(struct app *a)
{
	free(a->overlay_options);
	a->overlay_options = NULL;
}
