/* overlay-driver: load one overlay plugin through the core's loader and
 * run one operation, the way clusterctl does, for contract tests.
 *
 *   overlay-driver PLUGIN.so [--set KEY=VALUE]... [--hostname NAME]
 *                  [--observed JSON] OP
 *   OP: ensure | master-prepare | plan | observe | status
 *
 * ensure reads the OverlayPayload, master-prepare and plan the provider
 * options, from stdin (never argv: they hold secrets).  --set takes the
 * plugin's option names as flags spell them ("tailscale-socket=...").
 * Results go to stdout as key=value lines (rc, error, converged, address,
 * ifname, mtu, observed, message, payload, record, status); the core's
 * log (at debug level, so nothing escapes the secret checks) goes to
 * stderr.  Exit 0 when the operation returned 0.
 *
 * While the core's rtnetlink module is a placeholder (-ENOSYS), the
 * driver lends the plugin getifaddrs()/ioctl versions of addr_list and
 * link_get, so the "address present on the interface" checks run against
 * the real addresses of the (test) network namespace.
 */
#include "autoconfig.h"

#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "config.h"
#include "http-unix.h"
#include "log.h"
#include "plugin-loader.h"

static int fallback_addr_list(void *ctx, struct clusterctl_ifaddr **out, size_t *count)
{
	struct ifaddrs *ifa = NULL;
	struct clusterctl_ifaddr *v = NULL;
	size_t n = 0;

	*out = NULL;
	*count = 0;
	if (getifaddrs(&ifa) < 0)
		return -errno;
	for (struct ifaddrs *p = ifa; p; p = p->ifa_next) {
		struct clusterctl_ifaddr *nv, *e;
		uint32_t mask;
		if (!p->ifa_addr || p->ifa_addr->sa_family != AF_INET)
			continue;
		nv = realloc(v, (n + 1) * sizeof *v);
		if (!nv) {
			free(v);
			freeifaddrs(ifa);
			return -ENOMEM;
		}
		v = nv;
		e = &v[n++];
		memset(e, 0, sizeof *e);
		snprintf(e->ifname, sizeof e->ifname, "%s", p->ifa_name);
		e->ifindex = if_nametoindex(p->ifa_name);
		e->link_flags = p->ifa_flags;
		inet_ntop(AF_INET, &((struct sockaddr_in *)p->ifa_addr)->sin_addr, e->addr, sizeof e->addr);
		mask = p->ifa_netmask ? ntohl(((struct sockaddr_in *)p->ifa_netmask)->sin_addr.s_addr) : 0;
		e->prefixlen = (uint8_t)__builtin_popcount(mask);
	}
	freeifaddrs(ifa);
	*out = v;
	*count = n;
	return 0;
}

static int fallback_link_get(void *ctx, const char *ifname, struct clusterctl_link *out)
{
	struct ifreq ifr;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), r = 0;

	memset(out, 0, sizeof *out);
	if (fd < 0)
		return -errno;
	memset(&ifr, 0, sizeof ifr);
	snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", ifname);
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0) {
		r = errno == ENXIO || errno == ENODEV ? -ENODEV : -errno;
		goto out;
	}
	out->flags = (uint16_t)ifr.ifr_flags;
	if (ioctl(fd, SIOCGIFMTU, &ifr) == 0)
		out->mtu = (uint32_t)ifr.ifr_mtu;
	out->ifindex = if_nametoindex(ifname);
out:
	close(fd);
	return r;
}

static char *read_stdin(void)
{
	size_t cap = 4096, len = 0;
	char *buf = malloc(cap);
	ssize_t n;

	if (!buf)
		return NULL;
	while ((n = read(0, buf + len, cap - len - 1)) > 0) {
		len += (size_t)n;
		if (len + 1 == cap) {
			char *nb;
			if (cap >= (1u << 20)) {
				free(buf);
				return NULL;
			}
			nb = realloc(buf, cap *= 2);
			if (!nb) {
				free(buf);
				return NULL;
			}
			buf = nb;
		}
	}
	buf[len] = '\0';
	return buf;
}

static void put(const char *k, const char *v)
{
	if (v)
		printf("%s=%s\n", k, v);
}

static void usage(void)
{
	fprintf(stderr, "usage: overlay-driver PLUGIN.so [--set KEY=VALUE]... [--hostname NAME] "
			"[--observed JSON] ensure|master-prepare|plan|observe|status\n");
}

int main(int argc, char **argv)
{
	struct config cfg;
	struct plugin *p = NULL;
	struct plugin_registry reg = {0};
	const char *path, *op = NULL, *hostname = NULL, *observed = "{}";
	char *reason = NULL, *err = NULL, *input = NULL;
	struct clusterctl_ifaddr *probe = NULL;
	size_t nprobe = 0;
	int r = -EINVAL, rc = 2;

	if (argc < 3) {
		usage();
		return 2;
	}
	path = argv[1];
	log_set_level(CLUSTERCTL_LOG_DEBUG);
	config_init_defaults(&cfg);
	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--set") == 0 && i + 1 < argc) {
			char *kv = strdup(argv[++i]), *eq = kv ? strchr(kv, '=') : NULL;
			if (!eq) {
				fprintf(stderr, "overlay-driver: --set wants KEY=VALUE\n");
				free(kv);
				goto out;
			}
			*eq = '\0';
			if (config_set(&cfg, kv, eq + 1, "flag", CMD_NODE_JOIN) < 0) {
				fprintf(stderr, "overlay-driver: %s\n", config_error());
				free(kv);
				goto out;
			}
			free(kv);
		} else if (strcmp(argv[i], "--hostname") == 0 && i + 1 < argc) {
			hostname = argv[++i];
			if (config_set(&cfg, "hostname", hostname, "flag", CMD_NODE_JOIN) < 0) {
				fprintf(stderr, "overlay-driver: %s\n", config_error());
				goto out;
			}
		} else if (strcmp(argv[i], "--observed") == 0 && i + 1 < argc) {
			observed = argv[++i];
		} else if (!op) {
			op = argv[i];
		} else {
			usage();
			goto out;
		}
	}
	if (!op) {
		usage();
		goto out;
	}
	if (http_unix_global_init() < 0)
		goto out;
	if (plugin_load_file(path, &p, &reason) < 0) {
		printf("rc=%d\nerror=refused: %s\n", -EINVAL, reason ? reason : "?");
		rc = 1;
		goto out;
	}
	reg.v = &p;
	reg.n = 1;
	if (plugin_check_config(&reg, &cfg, &err) < 0) {
		printf("rc=%d\nerror=%s\n", -EINVAL, err ? err : "?");
		rc = 1;
		goto out;
	}
	if (p->host.addr_list(p->host.ctx, &probe, &nprobe) == -ENOSYS) {
		fprintf(stderr, "# overlay-driver: core rtnetlink not available (ENOSYS); lending getifaddrs "
				"addr_list/link_get\n");
		p->host.addr_list = fallback_addr_list;
		p->host.link_get = fallback_link_get;
	}
	free(probe);
	r = plugin_start(p, &cfg);
	if (r < 0) {
		printf("rc=%d\nerror=%s\n", r, plugin_last_error(p));
		rc = 1;
		goto out;
	}

	if (strcmp(op, "ensure") == 0 || strcmp(op, "master-prepare") == 0) {
		struct clusterctl_ensure_out eo = {.struct_size = sizeof eo};
		bool ens = strcmp(op, "ensure") == 0;
		input = read_stdin();
		if (!input)
			goto out;
		if (!ens && !p->desc.master_prepare) {
			printf("rc=%d\nerror=no master_prepare\n", -ENOSYS);
			goto out;
		}
		r = ens ? p->desc.ensure(p->state, input, &eo) : p->desc.master_prepare(p->state, input, &eo);
		printf("rc=%d\n", r);
		if (r < 0)
			put("error", plugin_last_error(p));
		printf("converged=%d\nmtu=%u\n", eo.converged, eo.mtu);
		put("address", eo.address);
		put("ifname", eo.ifname);
		put("observed", eo.observed_json);
		put("message", eo.message);
		free(eo.address);
		free(eo.ifname);
		free(eo.observed_json);
		free(eo.message);
	} else if (strcmp(op, "plan") == 0) {
		struct clusterctl_node nd = {.struct_size = sizeof nd, .node_id = hostname ? hostname : "node1",
					     .hostname = hostname ? hostname : "node1", .ip = "192.0.2.10",
					     .swarm_role = "worker"};
		struct clusterctl_plan_in in = {.struct_size = sizeof in, .node = &nd, .flags = CLUSTERCTL_PLAN_NEW_NODE};
		struct clusterctl_plan_out po = {.struct_size = sizeof po};
		input = read_stdin();
		if (!input)
			goto out;
		if (p->desc.node_event)
			p->desc.node_event(p->state, CLUSTERCTL_NODE_NODES_READY, NULL);
		in.observed_json = observed;
		in.options_json = input;
		r = p->desc.plan ? p->desc.plan(p->state, &in, &po) : -ENOSYS;
		printf("rc=%d\n", r);
		if (r < 0)
			put("error", plugin_last_error(p));
		put("payload", po.payload_json);
		put("record", po.record_json);
		put("message", po.message);
		free(po.payload_json);
		free(po.record_json);
		free(po.message);
		free(po.storage_volume);
		free(po.storage_mount);
		free(po.storage_brick);
	} else if (strcmp(op, "observe") == 0 || strcmp(op, "status") == 0) {
		char *js = NULL;
		bool obs = strcmp(op, "observe") == 0;
		if (obs)
			r = p->desc.observe ? p->desc.observe(p->state, &js) : -ENOSYS;
		else
			r = p->desc.status ? p->desc.status(p->state, &js) : -ENOSYS;
		printf("rc=%d\n", r);
		if (r < 0)
			put("error", plugin_last_error(p));
		put(obs ? "observed" : "status", js);
		free(js);
	} else {
		usage();
		goto out;
	}
	rc = r == 0 ? 0 : 1;
out:
	fflush(stdout);
	free(input);
	free(reason);
	free(err);
	plugin_free(p);
	config_free(&cfg);
	http_unix_global_cleanup();
	return rc;
}
