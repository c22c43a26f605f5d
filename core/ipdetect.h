/* Primary IPv4 address selection (spec §6): CGNAT 100.64.0.0/10 first,
 * then RFC 1918, then other addresses, loopback last.  Container-runtime
 * and bridge interfaces are excluded by name pattern. */
#ifndef CLUSTERCTL_IPDETECT_H
#define CLUSTERCTL_IPDETECT_H

#include <stdbool.h>
#include <stddef.h>
#include <clusterctl/host.h>

enum ip_class { IPCLASS_CGNAT = 0, IPCLASS_RFC1918 = 1, IPCLASS_OTHER = 2, IPCLASS_LOOPBACK = 3 };

struct ipdetect_opts {
	const char *pin_ip;       /* --ip: must be one of the host's addresses? see ipdetect.c */
	const char *pin_ifname;   /* --interface */
	const char *exclude;      /* comma-separated fnmatch patterns */
};

struct ipdetect_candidate {
	struct clusterctl_ifaddr a;
	int ip_class;             /* enum ip_class */
	const char *rejected;     /* NULL when eligible, else why not (static text) */
};

struct ipdetect_result {
	char ip[16];
	char ifname[16];
	int ip_class;
	char *reason;             /* one sentence: why this address */
	struct ipdetect_candidate *cands; /* every address seen, in ranking order */
	size_t n_cands;
};

/* Pure ranking of a given address list (unit-testable). */
int ipdetect_rank(const struct clusterctl_ifaddr *addrs, size_t n, const struct ipdetect_opts *o,
		  struct ipdetect_result *out, char **err);
/* Dump addresses over rtnetlink and rank them. */
int ipdetect_choose(const struct ipdetect_opts *o, struct ipdetect_result *out, char **err);
void ipdetect_result_free(struct ipdetect_result *r);
const char *ip_class_name(int c);

#endif
