/* overlay "netbird": Netbird through the netbird CLI.
 * Loadable now; its behaviour lands with its own issue.  Until then every
 * operation fails honestly with "not implemented". */
#include <errno.h>
#include <stdlib.h>

#include <clusterctl/plugin.h>

struct netbird_state {
	const struct clusterctl_host *host;
};

static int netbird_init(const struct clusterctl_host *host, void **state)
{
	struct netbird_state *st = calloc(1, sizeof *st);
	if (!st)
		return -ENOMEM;
	st->host = host;
	*state = st;
	return 0;
}

static void netbird_fini(void *state) { free(state); }

static int netbird_not_implemented(struct netbird_state *st, const char *op)
{
	st->host->error(st->host->ctx, "netbird: %s is not implemented yet", op);
	return -ENOSYS;
}

static int netbird_master_prepare(void *state, const char *options_json, struct clusterctl_ensure_out *out)
{
	return netbird_not_implemented(state, "master_prepare");
}

static int netbird_plan(void *state, const struct clusterctl_plan_in *in, struct clusterctl_plan_out *out)
{
	return netbird_not_implemented(state, "plan");
}

static int netbird_ensure(void *state, const char *payload_json, struct clusterctl_ensure_out *out)
{
	return netbird_not_implemented(state, "ensure");
}

static const struct clusterctl_plugin netbird_plugin = {
	CLUSTERCTL_PLUGIN_HEADER(CLUSTERCTL_PLUGIN_OVERLAY, "netbird", "0.1", "Netbird through the netbird CLI"),
	.init = netbird_init,
	.fini = netbird_fini,
	.master_prepare = netbird_master_prepare,
	.plan = netbird_plan,
	.ensure = netbird_ensure,
};

CLUSTERCTL_PLUGIN_DEFINE(netbird_plugin)
