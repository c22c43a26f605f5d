/* overlay "example": the template for third-party overlay plugins.
 *
 * It manages nothing itself: it checks that an overlay the admin already
 * runs (any VPN) is up, and reports its address so Swarm advertises it.
 * Copy this file, rename the plugin, and build it out of tree:
 *
 *     cc -shared -fPIC $(pkg-config --cflags clusterctl-plugin) example.c \
 *        -o overlay-example.so
 *     install -m 0755 overlay-example.so $(pkg-config --variable=plugindir clusterctl-plugin)
 *
 * then `clusterctl node join --overlay-provider example --example-interface tun0`.
 * It uses only <clusterctl/plugin.h> and the host services; see
 * clusterctl-plugin(7).
 */
/* strdup() under strict -std=c99 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <clusterctl/plugin.h>

struct example {
	const struct clusterctl_host *host;
};

static const struct clusterctl_config_key example_keys[] = {
	{"interface", CLUSTERCTL_CONFIG_STRING, "tun0", 0, 0, "the overlay's network interface", 0},
	{NULL, 0, NULL, 0, 0, NULL, 0},
};

static int example_init(const struct clusterctl_host *host, void **state)
{
	struct example *ex = calloc(1, sizeof *ex);
	if (!ex)
		return -ENOMEM;
	ex->host = host;
	*state = ex;
	return 0;
}

static void example_fini(void *state) { free(state); }

/* "Not yet": the VPN may still be starting (at boot, say).  A negative
 * return would stop node join at once; converged = 0 makes it register
 * again after retry_after seconds, until --join-deadline. */
static int not_yet(struct clusterctl_ensure_out *out, const char *fmt, const char *ifname)
{
	size_t n = strlen(fmt) + strlen(ifname) + 1;
	char *msg = malloc(n);
	if (!msg)
		return -ENOMEM;
	snprintf(msg, n, fmt, ifname);
	out->converged = 0;
	out->retry_after = 5;
	out->message = msg;
	return 0;
}

/* Ready means: the link is up and holds a usable IPv4 address. */
static int example_ensure(void *state, const char *payload_json, struct clusterctl_ensure_out *out)
{
	struct example *ex = state;
	const struct clusterctl_host *h = ex->host;
	const char *ifname = h->config_get(h->ctx, "interface");
	struct clusterctl_ip_query q = CLUSTERCTL_IP_QUERY_INIT;
	struct clusterctl_ifaddr *addrs = NULL;
	struct clusterctl_link link;
	size_t n = 0;
	int r;

	(void)payload_json; /* this overlay needs no instructions from the controller */
	r = h->link_get(h->ctx, ifname, &link);
	if (r == -ENODEV)
		return not_yet(out, "overlay interface %s not found yet: start your VPN", ifname);
	if (r < 0) {
		h->error(h->ctx, "cannot read interface %s: %s", ifname, strerror(-r));
		return r;
	}
	if (!(link.flags & 0x1 /* IFF_UP */))
		return not_yet(out, "overlay interface %s is down: bring your VPN up", ifname);
	/* The core's own ranking, narrowed to the overlay's interface. */
	q.include_ifnames = ifname;
	r = h->ip_rank(h->ctx, &q, &addrs, &n);
	if (r < 0) {
		h->error(h->ctx, "cannot list addresses: %s", strerror(-r));
		return r;
	}
	if (n == 0) {
		free(addrs);
		return not_yet(out, "overlay interface %s is up but has no usable IPv4 address yet", ifname);
	}
	out->address = strdup(addrs[0].addr);
	out->ifname = strdup(ifname);
	free(addrs);
	if (!out->address || !out->ifname) {
		h->error(h->ctx, "out of memory");
		return -ENOMEM;
	}
	out->mtu = link.mtu;
	out->converged = 1;
	h->log(h->ctx, CLUSTERCTL_LOG_INFO, "overlay ready interface=%s address=%s", ifname, out->address);
	return 0;
}

static const struct clusterctl_plugin example_plugin = {
	CLUSTERCTL_PLUGIN_HEADER(CLUSTERCTL_PLUGIN_OVERLAY, "example", "1.0",
				 "an overlay the admin runs: check it is up, report its address"),
	.config_keys = example_keys,
	.init = example_init,
	.fini = example_fini,
	.ensure = example_ensure,
};

CLUSTERCTL_PLUGIN_DEFINE(example_plugin)
