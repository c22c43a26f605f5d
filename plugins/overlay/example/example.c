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
 * Try each operation without a cluster first, under valgrind or ASan:
 *
 *     clusterctl-plugin-test ./overlay-example.so --op ensure --option interface=tun0
 *
 * It uses only <clusterctl/plugin.h> and the host services; see
 * clusterctl-plugin(7).  What it shows:
 *  - options of each type (string, int, bool), read once in init;
 *  - logging through the host, never to stdout;
 *  - observe(), ensure() and status() answering malloc'd JSON objects;
 *  - the contract on returns: a state that may pass by itself (the VPN
 *    still starting) is converged = 0 with retry_after, and node join
 *    asks again; a negative return is for what a person must fix, and
 *    stops node join;
 *  - every allocation checked, with host->error() saying what failed.
 */
/* strdup() under strict -std=c99 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <clusterctl/plugin.h>

#define IFF_UP_FLAG 0x1 /* IFF_UP from <net/if.h>, which strict C99 hides */

struct example {
	const struct clusterctl_host *host;
	const char *ifname;   /* borrowed from the host for the plugin's life */
	unsigned retry_after; /* seconds */
	int verbose;
};

static const struct clusterctl_config_key example_keys[] = {
	{"interface", CLUSTERCTL_CONFIG_STRING, "tun0", 0, 0, "the overlay's network interface", 0},
	{"retry-after", CLUSTERCTL_CONFIG_INT, "5", 1, 3600,
	 "seconds node join waits before asking again while the overlay is not up", 0},
	{"verbose", CLUSTERCTL_CONFIG_BOOL, "false", 0, 0, "log every check, not only the outcome", 0},
	{NULL, 0, NULL, 0, 0, NULL, 0},
};

static int example_init(const struct clusterctl_host *host, void **state)
{
	struct example *ex;
	const char *v;

	/* The host has checked every key against its type and range and
	 * filled in the defaults; a boolean is always "true" or "false". */
	if (!(ex = calloc(1, sizeof *ex))) {
		host->error(host->ctx, "out of memory");
		return -ENOMEM;
	}
	ex->host = host;
	ex->ifname = host->config_get(host->ctx, "interface");
	v = host->config_get(host->ctx, "retry-after");
	ex->retry_after = v ? (unsigned)strtoul(v, NULL, 10) : 5;
	v = host->config_get(host->ctx, "verbose");
	ex->verbose = v && strcmp(v, "true") == 0;
	if (!ex->ifname || !*ex->ifname) {
		host->error(host->ctx, "no interface: set --example-interface");
		free(ex);
		return -EINVAL;
	}
	*state = ex;
	return 0;
}

static void example_fini(void *state) { free(state); }

/* printf into a new string; NULL when out of memory. */
static char *format(const char *fmt, ...) CLUSTERCTL_PRINTF(1, 2);
static char *format(const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || !(s = malloc((size_t)n + 1)))
		return NULL;
	va_start(ap, fmt);
	vsnprintf(s, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return s;
}

/* An interface name as a JSON string: the kernel allows '"' and '\' in
 * one, so it is escaped like any text (names are at most 15 bytes). */
static void json_name(char out[6 * 16 + 3], const char *s)
{
	char *o = out;
	*o++ = '"';
	for (size_t i = 0; s[i] && i < 15; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"' || c == '\\') {
			*o++ = '\\';
			*o++ = (char)c;
		} else if (c < 0x20 || c >= 0x7f) {
			o += sprintf(o, "\\u%04x", c);
		} else {
			*o++ = (char)c;
		}
	}
	*o++ = '"';
	*o = '\0';
}

/* What the overlay looks like now: up or not, and its best address ("" when none). */
struct facts {
	int exists, up;
	char address[16];
	uint32_t mtu;
};

static int look(struct example *ex, struct facts *f)
{
	const struct clusterctl_host *h = ex->host;
	struct clusterctl_ip_query q = CLUSTERCTL_IP_QUERY_INIT;
	struct clusterctl_ifaddr *addrs = NULL;
	struct clusterctl_link link;
	size_t n = 0;
	int r;

	memset(f, 0, sizeof *f);
	r = h->link_get(h->ctx, ex->ifname, &link);
	if (r == -ENODEV)
		return 0;
	if (r < 0) {
		h->error(h->ctx, "cannot read interface %s: %s", ex->ifname, strerror(-r));
		return r;
	}
	f->exists = 1;
	f->up = (link.flags & IFF_UP_FLAG) != 0;
	f->mtu = link.mtu;
	/* The core's own ranking, narrowed to the overlay's interface. */
	q.include_ifnames = ex->ifname;
	if ((r = h->ip_rank(h->ctx, &q, &addrs, &n)) < 0) {
		h->error(h->ctx, "cannot list the addresses of %s: %s", ex->ifname, strerror(-r));
		return r;
	}
	if (n > 0)
		memcpy(f->address, addrs[0].addr, sizeof f->address);
	free(addrs);
	if (ex->verbose)
		h->log(h->ctx, CLUSTERCTL_LOG_DEBUG, "looked interface=%s up=%d address=%s", ex->ifname, f->up,
		       f->address[0] ? f->address : "-");
	return 0;
}

/* The facts as one JSON object, malloc'd. */
static int facts_json(struct example *ex, const struct facts *f, char **out)
{
	char name[6 * 16 + 3], addr[32] = "";

	json_name(name, ex->ifname);
	if (f->address[0])
		snprintf(addr, sizeof addr, ",\"Address\":\"%s\"", f->address);
	*out = format("{\"Interface\":%s,\"Up\":%s%s}", name, f->up ? "true" : "false", addr);
	if (!*out) {
		ex->host->error(ex->host->ctx, "out of memory");
		return -ENOMEM;
	}
	return 0;
}

/* node join, before registering: what the controller may want to know. */
static int example_observe(void *state, char **observed_json)
{
	struct example *ex = state;
	struct facts f;
	int r = look(ex, &f);
	return r < 0 ? r : facts_json(ex, &f, observed_json);
}

/* clusterctl status on this node. */
static int example_status(void *state, char **status_json)
{
	return example_observe(state, status_json);
}

/* "Not yet": the VPN may still be starting (at boot, say).  A negative
 * return would stop node join at once; converged = 0 makes it register
 * again after retry_after seconds, until --join-deadline. */
static int not_yet(struct example *ex, struct clusterctl_ensure_out *out, const char *what)
{
	if (!(out->message = format("overlay interface %s %s", ex->ifname, what))) {
		ex->host->error(ex->host->ctx, "out of memory");
		return -ENOMEM;
	}
	out->converged = 0;
	out->retry_after = ex->retry_after;
	ex->host->log(ex->host->ctx, CLUSTERCTL_LOG_INFO, "%s", out->message);
	return 0;
}

/* Ready means: the link is up and holds a usable IPv4 address. */
static int example_ensure(void *state, const char *payload_json, struct clusterctl_ensure_out *out)
{
	struct example *ex = state;
	const struct clusterctl_host *h = ex->host;
	struct facts f;
	int r;

	(void)payload_json; /* this overlay needs no instructions from the controller */
	if ((r = look(ex, &f)) < 0)
		return r; /* netlink itself failed: a person must look */
	if (!f.exists)
		return not_yet(ex, out, "not found yet: start your VPN");
	if (!f.up)
		return not_yet(ex, out, "is down: bring your VPN up");
	if (!f.address[0])
		return not_yet(ex, out, "is up but has no usable IPv4 address yet");
	out->address = strdup(f.address);
	out->ifname = strdup(ex->ifname);
	if (!out->address || !out->ifname) {
		/* The host frees what the out-struct holds, also on failure. */
		h->error(h->ctx, "out of memory");
		return -ENOMEM;
	}
	out->mtu = f.mtu;
	out->converged = 1;
	h->log(h->ctx, CLUSTERCTL_LOG_INFO, "overlay ready interface=%s address=%s", ex->ifname, out->address);
	return 0;
}

static const struct clusterctl_plugin example_plugin = {
	CLUSTERCTL_PLUGIN_HEADER(CLUSTERCTL_PLUGIN_OVERLAY, "example", "1.0",
				 "an overlay the admin runs: check it is up, report its address"),
	.config_keys = example_keys,
	.init = example_init,
	.fini = example_fini,
	.observe = example_observe,
	.ensure = example_ensure,
	.status = example_status,
};

CLUSTERCTL_PLUGIN_DEFINE(example_plugin)
