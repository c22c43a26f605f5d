/* overlay "wireguard": WireGuard full mesh managed by the controller.
 * Loadable now; its behaviour lands with its own issue.  Until then every
 * operation fails honestly with "not implemented". */
#include <errno.h>
#include <stdlib.h>

#include <clusterctl/plugin.h>

struct wireguard_state {
	const struct clusterctl_host *host;
};

static int wireguard_init(const struct clusterctl_host *host, void **state)
{
	struct wireguard_state *st = calloc(1, sizeof *st);
	if (!st)
		return -ENOMEM;
	st->host = host;
	*state = st;
	return 0;
}

static void wireguard_fini(void *state) { free(state); }

static int wireguard_not_implemented(struct wireguard_state *st, const char *op)
{
	st->host->error(st->host->ctx, "wireguard: %s is not implemented yet", op);
	return -ENOSYS;
}

static int wireguard_master_prepare(void *state, const char *options_json, struct clusterctl_ensure_out *out)
{
	return wireguard_not_implemented(state, "master_prepare");
}

static int wireguard_plan(void *state, const struct clusterctl_plan_in *in, struct clusterctl_plan_out *out)
{
	return wireguard_not_implemented(state, "plan");
}

static int wireguard_ensure(void *state, const char *payload_json, struct clusterctl_ensure_out *out)
{
	return wireguard_not_implemented(state, "ensure");
}

static const struct clusterctl_plugin wireguard_plugin = {
	CLUSTERCTL_PLUGIN_HEADER(CLUSTERCTL_PLUGIN_OVERLAY, "wireguard", "0.1", "WireGuard full mesh managed by the controller"),
	.init = wireguard_init,
	.fini = wireguard_fini,
	.master_prepare = wireguard_master_prepare,
	.plan = wireguard_plan,
	.ensure = wireguard_ensure,
};

CLUSTERCTL_PLUGIN_DEFINE(wireguard_plugin)
