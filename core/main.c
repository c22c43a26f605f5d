/* clusterctl: turn a handful of Linux hosts into a Docker Swarm over an
 * overlay network with shared storage.  main() only wires the pieces:
 * command line -> configuration -> plugins -> the command. */
#include "autoconfig.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "cli.h"
#include "harden.h"
#include "http-unix.h"
#include "log.h"
#include "util.h"

int main(int argc, char **argv)
{
	struct app a = {0};
	int rc;

#ifdef CLUSTERCTL_VERSION_SUFFIX
	clusterctl_version_set(PACKAGE_VERSION CLUSTERCTL_VERSION_SUFFIX);
#endif
	rc = cli_parse(&a, argc, argv);
	if (rc >= 0)
		goto out;
	/* Every command that runs may hold a secret (the join token, Swarm
	 * tokens, overlay keys): no core dump or ptrace shows it. */
	if ((a.cmd & APP_RUN_CMDS) || a.cmd == CMD_STATUS) {
		int r = harden_process();
		if (r < 0)
			log_warn("cannot make this process non-dumpable: %s (core dumps may hold secrets)",
				 strerror(-r));
	}
	if (http_unix_global_init() < 0) {
		log_error("libcurl failed to initialise");
		rc = EXIT_FAILURE_;
		goto out;
	}
	/* A run loads the providers it uses and no other plugin (their
	 * libraries and constructors stay out of the process); `plugins`
	 * inspects them all; `status` and `ip` load none.  A plugin option
	 * given on the command line or in the file must belong to an
	 * installed plugin, and is checked before any plugin starts. */
	if (a.cmd != CMD_IP && !(a.cmd & CMD_STATE_TOOL)) {
		char *err = NULL;
		int r = 0;
		if (a.cmd == CMD_PLUGINS)
			r = app_scan_plugins(&a);
		else if (a.cmd & APP_RUN_CMDS)
			r = app_load_providers(&a);
		else
			r = plugin_registry_set_dir(&a.reg, a.cfg.plugin_dir);
		if (r < 0) {
			rc = a.cmd == CMD_PLUGINS || r == -EINVAL || r == -EPERM ? EXIT_FAILURE_ : EXIT_USAGE;
			goto cleanup;
		}
		if (plugin_check_config(&a.reg, &a.cfg, &err) < 0) {
			fprintf(stderr, "clusterctl: %s\n", err ? err : "out of memory");
			free(err);
			rc = EXIT_USAGE;
			goto cleanup;
		}
	}
	if (a.cmd & APP_RUN_CMDS) {
		int r = app_providers(&a, true, true);
		if (r < 0) {
			rc = r == -ENOENT || r == -EINVAL ? EXIT_USAGE : EXIT_FAILURE_;
			goto cleanup;
		}
	}
	switch (a.cmd) {
	case CMD_MASTER_INIT: rc = cmd_master_init(&a); break;
	case CMD_MASTER_SERVE: rc = cmd_master_serve(&a); break;
	case CMD_NODE_JOIN: rc = cmd_node_join(&a); break;
	case CMD_AGENT: rc = cmd_agent(&a); break;
	case CMD_STATUS: rc = cmd_status(&a); break;
	case CMD_IP: rc = cmd_ip(&a); break;
	case CMD_PLUGINS: rc = cmd_plugins(&a); break;
	case CMD_NODE_REMOVE: rc = cmd_node_remove(&a); break;
	case CMD_STATE_CHECK: rc = cmd_state_check(&a); break;
	case CMD_STATE_DUMP: rc = cmd_state_dump(&a); break;
	case CMD_STATE_SALVAGE: rc = cmd_state_salvage(&a); break;
	default: rc = EXIT_USAGE; break;
	}
cleanup:
	http_unix_global_cleanup();
out:
	plugin_registry_free(&a.reg);
	app_free(&a);
	config_free(&a.cfg);
	log_set_file(NULL);
	return rc;
}
