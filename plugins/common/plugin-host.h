/* Helpers the plugins share around the host services (<clusterctl/host.h>):
 * bounded readiness polling against a monotonic deadline, "is this address
 * on an up interface?", the node's host name, and filling an ensure()
 * answer.  Public SDK headers only, no core internals. */
#ifndef CLUSTERCTL_PLUGIN_HOST_H
#define CLUSTERCTL_PLUGIN_HOST_H

#include <stddef.h>
#include <stdint.h>

#include <clusterctl/plugin.h>

/* Sleep poll_ms, or less when the deadline is nearer. */
void cp_poll_sleep(int64_t deadline, int poll_ms);

/* Where an address was found by cp_addr_find(). */
struct cp_addr_where {
	char up_if[16];   /* the up interface holding it ("" when none) */
	char down_if[16]; /* a down interface (of those wanted) holding it */
	char any_if[16];  /* any interface holding it, wanted or not */
};
/* Is IPv4 `ip` on an up link, on `ifname` when that is not NULL?  1: yes
 * (w->up_if names it), 0: not (yet; w says where else it is), -errno: the
 * host could not list addresses (the caller explains it). */
int cp_addr_find(const struct clusterctl_host *h, const char *ip, const char *ifname,
		 struct cp_addr_where *w);
/* cp_addr_find() every poll_ms until it answers 1 or the deadline passes
 * (0, with w as last seen). */
int cp_addr_wait(const struct clusterctl_host *h, const char *ip, const char *ifname, int64_t deadline,
		 int poll_ms, struct cp_addr_where *w);

/* A positive int config key, or dflt when unset or below 1. */
int cp_config_positive(const struct clusterctl_host *h, const char *key, int dflt);
/* A string config key, or dflt when unset or empty. */
const char *cp_config_str(const struct clusterctl_host *h, const char *key, const char *dflt);

/* The node's name for the provider: `given` (the payload's), else the
 * host's "hostname" key, else gethostname().  -EINVAL (host->error says
 * so, naming `provider`) when that is no valid host name. */
int cp_node_hostname(const struct clusterctl_host *h, const char *given, const char *provider,
		     char *buf, size_t len);

/* A converged ensure() answer: address on ifname (its MTU from the host,
 * 0 when unknown), observed_json (taken over, may be NULL on ENOMEM) and
 * a message.  0, or -ENOMEM (what was set stays set for the host to free). */
int cp_ensure_out_set(const struct clusterctl_host *h, struct clusterctl_ensure_out *out,
		      const char *address, const char *ifname, char *observed_json, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));

/* Free what an ensure()/master_prepare() answer holds and zero it (the
 * host, or a plugin calling its own ensure). */
void cp_ensure_out_free(struct clusterctl_ensure_out *out);

/* Fail an operation with a helper's message: host->error(err, or
 * strerror(-r) when there is none), err freed, r returned. */
int cp_fail(const struct clusterctl_host *h, int r, char *err);

/* plan(): the record {"Address": ...} kept from the node's observed
 * address; nothing when it reported none.  0 or -ENOMEM. */
int cp_plan_record(const char *observed_json, char **record_json);

#endif
