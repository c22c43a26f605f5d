/* Shared host-service helpers for the plugins; see plugin-host.h. */
#define _GNU_SOURCE
#include <errno.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cc-buf.h"
#include "cc-net.h"
#include "cc-time.h"
#include "plugin-host.h"
#include "plugin-json.h"

void cp_poll_sleep(int64_t deadline, int poll_ms)
{
	int left = cc_remaining_ms(deadline);
	int ms = poll_ms < left ? poll_ms : left;
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

int cp_addr_find(const struct clusterctl_host *h, const char *ip, const char *ifname,
		 struct cp_addr_where *w)
{
	struct clusterctl_ifaddr *v = NULL;
	size_t n = 0;
	int r, found = 0;

	memset(w, 0, sizeof *w);
	r = h->addr_list(h->ctx, &v, &n);
	if (r < 0) {
		free(v);
		return r;
	}
	for (size_t i = 0; i < n && !found; i++) {
		/* The host's table, but its strings are checked like any input. */
		v[i].addr[sizeof v[i].addr - 1] = '\0';
		v[i].ifname[sizeof v[i].ifname - 1] = '\0';
		if (strcmp(v[i].addr, ip) != 0)
			continue;
		memcpy(w->any_if, v[i].ifname, sizeof w->any_if);
		if (ifname && strcmp(v[i].ifname, ifname) != 0)
			continue;
		if (v[i].link_flags & IFF_UP) {
			memcpy(w->up_if, v[i].ifname, sizeof w->up_if);
			found = 1;
		} else {
			memcpy(w->down_if, v[i].ifname, sizeof w->down_if);
		}
	}
	free(v);
	return found;
}

int cp_addr_wait(const struct clusterctl_host *h, const char *ip, const char *ifname, int64_t deadline,
		 int poll_ms, struct cp_addr_where *w)
{
	for (;;) {
		int r = cp_addr_find(h, ip, ifname, w);
		if (r != 0 || cc_remaining_ms(deadline) == 0)
			return r;
		cp_poll_sleep(deadline, poll_ms);
	}
}

int cp_config_positive(const struct clusterctl_host *h, const char *key, int dflt)
{
	const char *v = h->config_get(h->ctx, key);
	int n = v ? atoi(v) : dflt;
	return n < 1 ? dflt : n;
}

const char *cp_config_str(const struct clusterctl_host *h, const char *key, const char *dflt)
{
	const char *v = h->config_get(h->ctx, key);
	return v && *v ? v : dflt;
}

int cp_node_hostname(const struct clusterctl_host *h, const char *given, const char *provider,
		     char *buf, size_t len)
{
	const char *name = given;
	if (!name || !*name)
		name = h->config_get(h->ctx, "hostname");
	if (name && *name)
		snprintf(buf, len, "%s", name);
	else if (gethostname(buf, len) < 0)
		buf[0] = '\0';
	buf[len - 1] = '\0';
	if (!cc_hostname_valid(buf)) {
		h->error(h->ctx, "no usable host name for %s (got \"%.64s\")", provider, buf);
		return -EINVAL;
	}
	return 0;
}

int cp_ensure_out_set(const struct clusterctl_host *h, struct clusterctl_ensure_out *out,
		      const char *address, const char *ifname, char *observed_json, const char *fmt, ...)
{
	struct clusterctl_link link;
	va_list ap;

	memset(&link, 0, sizeof link);
	out->mtu = h->link_get(h->ctx, ifname, &link) == 0 ? link.mtu : 0;
	out->address = strdup(address);
	out->ifname = strdup(ifname);
	out->observed_json = observed_json;
	va_start(ap, fmt);
	if (vasprintf(&out->message, fmt, ap) < 0)
		out->message = NULL;
	va_end(ap);
	if (!out->address || !out->ifname || !out->observed_json || !out->message)
		return -ENOMEM;
	out->converged = 1;
	return 0;
}

void cp_ensure_out_free(struct clusterctl_ensure_out *out)
{
	free(out->address);
	free(out->ifname);
	free(out->observed_json);
	free(out->message);
	memset(out, 0, sizeof *out);
}

int cp_fail(const struct clusterctl_host *h, int r, char *err)
{
	h->error(h->ctx, "%s", err ? err : strerror(-r));
	free(err);
	return r;
}

int cp_plan_record(const char *observed_json, char **record_json)
{
	char *addr = cp_observed_address(observed_json);

	if (!addr)
		return 0;
	/* addr is a checked dotted quad: nothing in it needs escaping. */
	*record_json = cc_strdupf("{\"Address\":\"%s\"}", addr);
	free(addr);
	return *record_json ? 0 : -ENOMEM;
}
