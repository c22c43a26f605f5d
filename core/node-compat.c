#include "autoconfig.h"

#include <errno.h>
#include <string.h>

#include "cc-buf.h"
#include "node-compat.h"

static int differs(const char *kind, const char *flag, const char *node, const char *ours, char **err)
{
	struct cc_buf sb = CC_BUF_INIT;

	cc_buf_printf(&sb,
		      "this node runs %s provider \"%s\" but the controller uses \"%s\": nothing was "
		      "converged; run node join again with --%s %s (or set up the controller with %s)",
		      kind, node, ours, flag, ours, node);
	*err = cc_buf_detach(&sb);
	return *err ? -EINVAL : -ENOMEM;
}

int node_compat_check(const struct registration *reg, const char *overlay, const char *storage,
		      char **err)
{
	*err = NULL;
	overlay = overlay ? overlay : "none";
	storage = storage ? storage : "none";
	if (reg->overlay_type && strcmp(reg->overlay_type, overlay) != 0)
		return differs("overlay", "overlay-provider", reg->overlay_type, overlay, err);
	if (reg->storage_type && strcmp(reg->storage_type, storage) != 0)
		return differs("storage", "storage-provider", reg->storage_type, storage, err);
	return 0;
}
