/* storage "none": a cluster without shared storage.  Every answer says
 * GlusterEnabled false; nothing is prepared or mounted. */
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

static int none_master_prepare(void *state, const char *options_json, struct clusterctl_ensure_out *out)
{
	out->converged = 1;
	return 0;
}

static int none_ensure(void *state, const char *payload_json, struct clusterctl_ensure_out *out)
{
	out->converged = 1;
	return 0;
}

static int none_status(void *state, char **status_json)
{
	*status_json = strdup("{\"Storage\":\"none\"}");
	return *status_json ? 0 : -ENOMEM;
}

static const struct clusterctl_plugin none_storage = {
	CLUSTERCTL_PLUGIN_HEADER(CLUSTERCTL_PLUGIN_STORAGE, "none", "1.0", "no shared storage"),
	.init = none_init,
	.fini = none_fini,
	.master_prepare = none_master_prepare,
	.ensure = none_ensure,
	.status = none_status,
};

CLUSTERCTL_PLUGIN_DEFINE(none_storage)
