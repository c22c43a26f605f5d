/* overlay "none": no overlay network.  Swarm runs on the addresses IP
 * detection finds on the LAN; the controller sends an empty payload. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <clusterctl/plugin.h>

static int none_init(const struct clusterctl_host *host, void **state)
{
	*state = NULL;
	return 0;
}

static void none_fini(void *state) {}

/* Nothing to bring up: converged by definition, and no overlay address,
 * so the node keeps the address IP detection chose. */
static int none_ensure(void *state, const char *payload_json, struct clusterctl_ensure_out *out)
{
	out->converged = 1;
	return 0;
}

static int none_master_prepare(void *state, const char *options_json,
			       struct clusterctl_ensure_out *out)
{
	out->converged = 1;
	return 0;
}

static int none_status(void *state, char **status_json)
{
	*status_json = strdup("{\"Overlay\":\"none\"}");
	return *status_json ? 0 : -ENOMEM;
}

static const struct clusterctl_plugin none_overlay = {
	CLUSTERCTL_PLUGIN_HEADER(CLUSTERCTL_PLUGIN_OVERLAY, "none", "1.0",
				 "no overlay: Swarm uses the detected LAN address"),
	.init = none_init,
	.fini = none_fini,
	.master_prepare = none_master_prepare,
	.ensure = none_ensure,
	.status = none_status,
};

CLUSTERCTL_PLUGIN_DEFINE(none_overlay)
