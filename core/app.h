/* What one run of clusterctl holds: its command, configuration and the
 * providers it uses.  Every command entry point takes a struct app. */
#ifndef CLUSTERCTL_APP_H
#define CLUSTERCTL_APP_H

#include <stdbool.h>

#include "config.h"
#include "plugin-loader.h"

/* Exit codes (clusterctl(8), EXIT STATUS). */
enum {
	EXIT_OK = 0,
	EXIT_FAILURE_ = 1,  /* the operation failed; the log says why */
	EXIT_USAGE = 2,     /* bad command line or configuration */
	EXIT_GAVE_UP = 3,   /* node join: deadline passed while waiting */
	EXIT_REFUSED = 4,   /* the controller answered "error" */
};

/* The commands that run providers: they load the chosen ones only. */
#define APP_RUN_CMDS (CMD_MASTER_INIT | CMD_MASTER_SERVE | CMD_NODE_JOIN | CMD_AGENT)

struct app {
	struct config cfg;
	unsigned cmd;                 /* CMD_* */
	struct plugin_registry reg;
	bool reg_scanned;
	struct plugin *overlay;       /* started providers, NULL until app_providers() */
	struct plugin *storage;
	struct plugin *overlay_loaded; /* loaded, not yet started: app_load_providers() */
	struct plugin *storage_loaded;
	/* master init / master serve: --overlay-config as one compact JSON
	 * object (NULL without one), read by app_providers() before the
	 * providers start (their host key "options"). */
	char *overlay_options;
};

/* Load the configured overlay and storage providers, and no other plugin:
 * <plugin-dir>/overlay-<name>.so and storage-<name>.so.  Nothing is
 * started.  An unknown provider name returns -ENOENT after logging what
 * is missing (callers exit with EXIT_USAGE); a refused file -EINVAL. */
int app_load_providers(struct app *a);

/* Load (if not yet done) and start the configured overlay and/or storage
 * provider, after handing each its host keys (command, hostname,
 * node-ip, options); the errors of app_load_providers, -EINVAL for an
 * unusable --overlay-config (callers exit with EXIT_USAGE), or the
 * plugin's init's. */
int app_providers(struct app *a, bool overlay, bool storage);

/* The command's name as the host key "command" gives it to plugins. */
const char *app_command_name(unsigned cmd);

/* Release what app_providers() read (the providers stay to main). */
void app_free(struct app *a);

/* Scan the whole plugin directory once (clusterctl plugins; nothing is
 * started). */
int app_scan_plugins(struct app *a);

int cmd_master_init(struct app *a);   /* master-init.c */
int cmd_master_serve(struct app *a);  /* controller.c */
int cmd_node_join(struct app *a);     /* nodeagent.c */
int cmd_agent(struct app *a);         /* nodeagent.c */
int cmd_status(struct app *a);        /* status.c */
int cmd_ip(struct app *a);            /* ipdetect.c */
int cmd_plugins(struct app *a);       /* plugin-list.c */
int cmd_node_remove(struct app *a);   /* node-remove.c */
int cmd_state_check(struct app *a);   /* state-tool.c */
int cmd_state_dump(struct app *a);
int cmd_state_salvage(struct app *a);

#endif
