/* overlay "tailscale": Tailscale through tailscaled's LocalAPI.
 * Loadable now; its behaviour lands with its own issue.  Until then every
 * operation fails honestly with "not implemented". */
#include <errno.h>
#include <stdlib.h>

#include <clusterctl/plugin.h>

struct tailscale_state {
	const struct clusterctl_host *host;
};

static int tailscale_init(const struct clusterctl_host *host, void **state)
{
	struct tailscale_state *st = calloc(1, sizeof *st);
	if (!st)
		return -ENOMEM;
	st->host = host;
	*state = st;
	return 0;
}

static void tailscale_fini(void *state) { free(state); }

static int tailscale_not_implemented(struct tailscale_state *st, const char *op)
{
	st->host->error(st->host->ctx, "tailscale: %s is not implemented yet", op);
	return -ENOSYS;
}

static int tailscale_master_prepare(void *state, const char *options_json, struct clusterctl_ensure_out *out)
{
	return tailscale_not_implemented(state, "master_prepare");
}

static int tailscale_plan(void *state, const struct clusterctl_plan_in *in, struct clusterctl_plan_out *out)
{
	return tailscale_not_implemented(state, "plan");
}

static int tailscale_ensure(void *state, const char *payload_json, struct clusterctl_ensure_out *out)
{
	return tailscale_not_implemented(state, "ensure");
}

static const struct clusterctl_plugin tailscale_plugin = {
	CLUSTERCTL_PLUGIN_HEADER(CLUSTERCTL_PLUGIN_OVERLAY, "tailscale", "0.1", "Tailscale through tailscaled's LocalAPI"),
	.init = tailscale_init,
	.fini = tailscale_fini,
	.master_prepare = tailscale_master_prepare,
	.plan = tailscale_plan,
	.ensure = tailscale_ensure,
};

CLUSTERCTL_PLUGIN_DEFINE(tailscale_plugin)
