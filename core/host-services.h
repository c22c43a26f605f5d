/* The clusterctl_host table handed to each plugin: the only door from a
 * plugin into the core (logging, config, programs, HTTP, netlink, IP
 * ranking).  Every service here may be called from any thread. */
#ifndef CLUSTERCTL_HOST_SERVICES_H
#define CLUSTERCTL_HOST_SERVICES_H

#include <clusterctl/plugin.h>

#include "config.h"

struct host_ctx;

/* What the host keys answer beyond the configuration, known to the
 * command before it starts its providers. */
struct host_facts {
	const char *command;  /* "master init", "node join", ... (host key "command") */
	const char *hostname; /* --hostname, else the detected name */
	const char *node_ip;  /* --ip, else the detected address; NULL when none */
	const char *options;  /* the provider's options JSON (master init/serve) */
	bool read_only;       /* a command that changes nothing (status): no data dir is created */
};

/* Fill `host` for the plugin described by `desc`; ctx is allocated. */
int host_services_init(struct clusterctl_host *host, struct host_ctx **ctx,
		       const struct clusterctl_plugin *desc, const struct config *cfg);
/* Copy the facts (before plugin_start; strings are copied). */
int host_ctx_set_facts(struct host_ctx *ctx, const struct host_facts *f);
/* The config the host hands out, and with it the data dir: its path is
 * fixed here and the directory created, except on a dry run.  Called by
 * plugin_start before init. */
void host_ctx_set_config(struct host_ctx *ctx, const struct config *cfg);
/* The address this host is known by in the cluster, once the core knows
 * it better (master init: the Swarm address, which is the overlay's when
 * one is up).  Returned for the host key "node-ip" from now on; the old
 * string stays valid for plugins that hold it. */
int host_ctx_set_node_ip(struct host_ctx *ctx, const char *ip);
/* The message the CALLING thread recorded with error() for this plugin,
 * prefixed with <kind> plugin "<name>": ("" when none). */
const char *host_ctx_error(const struct host_ctx *ctx);
/* Forget the calling thread's message (before an operation). */
void host_ctx_clear_error(struct host_ctx *ctx);
/* <kind> plugin "<name>" */
const char *host_ctx_label(const struct host_ctx *ctx);
void host_ctx_free(struct host_ctx *ctx);

#endif
