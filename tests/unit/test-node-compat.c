/* issue 12 item 4: a node whose storage or overlay provider differs
 * from the controller's is refused, naming both, before anything is
 * planned for it. */
#include "autoconfig.h"

#include <errno.h>
#include <stdlib.h>

#include "../tap.h"
#include "node-compat.h"

static void expect(const char *ov, const char *st, const char *c_ov, const char *c_st, int want,
		   const char *needle, const char *what)
{
	struct registration reg = {.overlay_type = (char *)ov, .storage_type = (char *)st};
	char *err = NULL;
	int r = node_compat_check(&reg, c_ov, c_st, &err);

	is_int(r, want, "%s", what);
	if (needle)
		like(err, needle, "%s: the message says", what);
	else
		ok(err == NULL, "%s: no message", what);
	free(err);
}

int main(void)
{
	expect("wireguard", "gluster", "wireguard", "gluster", 0, NULL, "the same providers are accepted");
	expect(NULL, NULL, "wireguard", "gluster", 0, NULL,
	       "a node that does not say (version 1, a minimal client) is not checked");
	expect("none", "none", NULL, NULL, 0, NULL, "a controller without providers runs \"none\"");
	expect("wireguard", "none", "wireguard", "gluster", -EINVAL,
	       "storage provider \"none\" but the controller uses \"gluster\"",
	       "storage none against a gluster controller is refused, naming both");
	expect("wireguard", "none", "wireguard", "gluster", -EINVAL, "--storage-provider gluster",
	       "and the fix is the flag to give");
	expect("wireguard", "none", "wireguard", "gluster", -EINVAL, "nothing was converged",
	       "and it says nothing was done");
	expect("tailscale", "gluster", "wireguard", "gluster", -EINVAL,
	       "overlay provider \"tailscale\" but the controller uses \"wireguard\"",
	       "a different overlay is refused, naming both");
	expect("none", "gluster", "none", NULL, -EINVAL, "the controller uses \"none\"",
	       "gluster against a controller without storage is refused too");
	return done_testing();
}
