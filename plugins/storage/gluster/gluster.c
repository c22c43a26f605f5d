/* storage "gluster": GlusterFS replicated volume.
 * Loadable now; its behaviour lands with its own issue.  Until then every
 * operation fails honestly with "not implemented". */
#include <errno.h>
#include <stdlib.h>

#include <clusterctl/plugin.h>

struct gluster_state {
	const struct clusterctl_host *host;
};

static int gluster_init(const struct clusterctl_host *host, void **state)
{
	struct gluster_state *st = calloc(1, sizeof *st);
	if (!st)
		return -ENOMEM;
	st->host = host;
	*state = st;
	return 0;
}

static void gluster_fini(void *state) { free(state); }

static int gluster_not_implemented(struct gluster_state *st, const char *op)
{
	st->host->error(st->host->ctx, "gluster: %s is not implemented yet", op);
	return -ENOSYS;
}

static int gluster_master_prepare(void *state, const char *options_json, struct clusterctl_ensure_out *out)
{
	return gluster_not_implemented(state, "master_prepare");
}

static int gluster_plan(void *state, const struct clusterctl_plan_in *in, struct clusterctl_plan_out *out)
{
	return gluster_not_implemented(state, "plan");
}

static int gluster_ensure(void *state, const char *payload_json, struct clusterctl_ensure_out *out)
{
	return gluster_not_implemented(state, "ensure");
}

static const struct clusterctl_plugin gluster_plugin = {
	CLUSTERCTL_PLUGIN_HEADER(CLUSTERCTL_PLUGIN_STORAGE, "gluster", "0.1", "GlusterFS replicated volume"),
	.init = gluster_init,
	.fini = gluster_fini,
	.master_prepare = gluster_master_prepare,
	.plan = gluster_plan,
	.ensure = gluster_ensure,
};

CLUSTERCTL_PLUGIN_DEFINE(gluster_plugin)
