/* What one run of clusterctl holds: its command, configuration and the
 * providers it uses.  Every command entry point takes a struct app. */
#ifndef CLUSTERCTL_APP_H
#define CLUSTERCTL_APP_H

#include <stdbool.h>

#include "config.h"
#include "plugin-loader.h"

/* Exit codes (clusterctl(1), EXIT STATUS). */
enum {
	EXIT_OK = 0,
	EXIT_FAILURE_ = 1,  /* the operation failed; the log says why */
	EXIT_USAGE = 2,     /* bad command line or configuration */
	EXIT_GAVE_UP = 3,   /* node join: deadline passed while waiting */
	EXIT_REFUSED = 4,   /* the controller answered "error" */
};

struct app {
	struct config cfg;
	unsigned cmd;                 /* CMD_* */
	struct plugin_registry reg;
	bool reg_scanned;
	struct plugin *overlay;       /* started providers, NULL until app_providers() */
	struct plugin *storage;
	/* master init / master serve: --overlay-config as one compact JSON
	 * object (NULL without one), read by app_providers() before the
	 * providers start (their host key "options"). */
	char *overlay_options;
};

/* Find and start the configured overlay and/or storage provider.  An
 * unknown provider name returns -ENOENT after logging what is installed,
 * an unusable --overlay-config or plugin option -EINVAL (callers exit
 * with EXIT_USAGE for both). */
int app_providers(struct app *a, bool overlay, bool storage);

/* The command's name as the host key "command" gives it to plugins. */
const char *app_command_name(unsigned cmd);

/* Release what app_providers() read (the providers stay to main). */
void app_free(struct app *a);

/* Scan the plugin directory once (no plugin is started). */
int app_scan_plugins(struct app *a);

int cmd_master_init(struct app *a);   /* master-init.c */
int cmd_master_serve(struct app *a);  /* controller.c */
int cmd_node_join(struct app *a);     /* nodeagent.c */
int cmd_agent(struct app *a);         /* nodeagent.c */
int cmd_status(struct app *a);        /* status.c */
int cmd_ip(struct app *a);            /* ipdetect.c */
int cmd_plugins(struct app *a);       /* plugin-list.c */

#endif
