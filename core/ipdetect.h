/* Primary IPv4 address selection (spec §6): CGNAT 100.64.0.0/10 first,
 * then RFC 1918, then other addresses, loopback last.  Container-runtime
 * and bridge interfaces are excluded by name pattern, never by link kind.
 * The full rules and the tie-break are at the top of ipdetect.c. */
#ifndef CLUSTERCTL_IPDETECT_H
#define CLUSTERCTL_IPDETECT_H

#include <stdbool.h>
#include <stddef.h>
#include <clusterctl/host.h>

enum ip_class { IPCLASS_CGNAT = 0, IPCLASS_RFC1918 = 1, IPCLASS_OTHER = 2, IPCLASS_LOOPBACK = 3 };

enum ipdetect_pin { IPDETECT_AUTO = 0, IPDETECT_PIN_IP = 1, IPDETECT_PIN_IFACE = 2 };

struct ipdetect_opts {
	const char *pin_ip;       /* --ip: taken as given (need not be local: NAT) */
	const char *pin_ifname;   /* --interface: best address there, exclusions do not apply */
	const char *exclude;      /* comma-separated fnmatch patterns; NULL or "" = none */
};

struct ipdetect_candidate {
	struct clusterctl_ifaddr a;
	int ip_class;             /* enum ip_class */
	const char *rejected;     /* NULL when eligible, else why not (static text) */
	const char *pattern;      /* the exclusion pattern that matched, else NULL
				   * (points into the result's pattern_buf) */
	bool chosen;
};

struct ipdetect_result {
	char ip[16];
	char ifname[16];          /* "" when --ip is on no local interface */
	int ip_class;
	int pin;                  /* enum ipdetect_pin */
	char *reason;             /* one sentence: why this address */
	char *warning;            /* NULL, or one sentence the user should see */
	struct ipdetect_candidate *cands; /* every address seen, in ranking order */
	size_t n_cands;
	char *pattern_buf;        /* private */
};

/* Pure ranking of a given address list (unit-testable).  0, or -EINVAL
 * (bad --ip / --interface / --ip on another interface than --interface),
 * -ENODEV (--interface has no IPv4 address), -EADDRNOTAVAIL (nothing
 * usable), -ENOMEM; *err then says what to do (free()).  On error *out
 * still holds the candidates seen (free with ipdetect_result_free). */
int ipdetect_rank(const struct clusterctl_ifaddr *addrs, size_t n, const struct ipdetect_opts *o,
		  struct ipdetect_result *out, char **err);
/* Dump addresses over rtnetlink and rank them; logs the warning. */
int ipdetect_choose(const struct ipdetect_opts *o, struct ipdetect_result *out, char **err);
void ipdetect_result_free(struct ipdetect_result *r);
const char *ip_class_name(int c);
/* Why candidate i was or was not chosen, one line (malloc'd, NULL on OOM). */
char *ipdetect_candidate_note(const struct ipdetect_result *r, size_t i);

#endif
