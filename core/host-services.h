/* The clusterctl_host table handed to each plugin: the only door from a
 * plugin into the core (logging, config, programs, HTTP, netlink). */
#ifndef CLUSTERCTL_HOST_SERVICES_H
#define CLUSTERCTL_HOST_SERVICES_H

#include <clusterctl/plugin.h>

#include "config.h"

struct host_ctx;

/* Fill `host` for the plugin described by `desc`; ctx is allocated. */
int host_services_init(struct clusterctl_host *host, struct host_ctx **ctx,
		       const struct clusterctl_plugin *desc, const struct config *cfg);
/* The config the host hands out; NULL until plugin_start. */
void host_ctx_set_config(struct host_ctx *ctx, const struct config *cfg);
/* The address this host is known by in the cluster, once the core knows
 * it better than --ip does (master init: the Swarm address, which is the
 * overlay's when one is up).  Returned for the host key "node-ip". */
int host_ctx_set_node_ip(struct host_ctx *ctx, const char *ip);
const char *host_ctx_error(const struct host_ctx *ctx);
void host_ctx_clear_error(struct host_ctx *ctx);
void host_ctx_free(struct host_ctx *ctx);

#endif
