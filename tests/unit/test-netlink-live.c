/* core/netlink.c against the running kernel, in a private network
 * namespace (unshare(CLONE_NEWNET): root only), where the only link is a
 * fresh, down lo.  Exercises every nl_* call end to end. */
#include "autoconfig.h"

#include <errno.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/if_addr.h>

#include "ipdetect.h"
#include "netlink.h"
#include "../tap.h"

static const struct clusterctl_ifaddr *find(const struct clusterctl_ifaddr *v, size_t n, const char *a)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(v[i].addr, a))
			return &v[i];
	return NULL;
}

int main(void)
{
	struct clusterctl_ifaddr *v = NULL;
	struct clusterctl_link l;
	const struct clusterctl_ifaddr *a;
	size_t n = 0;
	int rc;

	if (geteuid() != 0)
		return skip_all("needs root for a private network namespace");
	if (unshare(CLONE_NEWNET) < 0) {
		char why[128];
		snprintf(why, sizeof why, "unshare(CLONE_NEWNET): %s", strerror(errno));
		return skip_all(why);
	}

	rc = nl_addr_list(&v, &n);
	ok(rc == 0 && n == 0, "fresh namespace, lo down: no IPv4 address (rc %d, n %zu)", rc, n);
	free(v);

	memset(&l, 0xff, sizeof l);
	rc = nl_link_get("lo", &l);
	ok(rc == 0 && l.ifindex == 1 && (l.flags & IFF_LOOPBACK) && !(l.flags & IFF_UP) && l.mtu == 65536 &&
		   !l.kind[0], "nl_link_get lo: ifindex 1, LOOPBACK, down, mtu 65536, no kind (rc %d)", rc);
	is_int(nl_link_get("nosuch0", &l), -ENODEV, "nl_link_get of a missing link: -ENODEV");
	is_int(nl_link_get("abcdefghijklmnop", &l), -EINVAL, "nl_link_get of a 16-character name: -EINVAL");

	is_int(nl_link_set("lo", 1, 0), 0, "nl_link_set lo up");
	rc = nl_link_get("lo", &l);
	ok(rc == 0 && (l.flags & IFF_UP) && l.mtu == 65536, "lo is up now, MTU untouched");
	is_int(nl_link_set("lo", 1, 1400), 0, "nl_link_set lo mtu 1400");
	rc = nl_link_get("lo", &l);
	is_int(l.mtu, 1400, "lo's MTU is 1400");
	is_int(nl_link_set("nosuch0", 1, 0), -ENODEV, "nl_link_set of a missing link: -ENODEV");
	nl_link_set("lo", 1, 65536);

	rc = nl_addr_list(&v, &n);
	a = find(v, n, "127.0.0.1");
	ok(rc == 0 && a && !strcmp(a->ifname, "lo") && a->prefixlen == 8 && a->scope == 254 &&
		   (a->link_flags & IFF_LOOPBACK) && (a->link_flags & IFF_UP),
	   "lo up: 127.0.0.1/8 host scope on lo, link flags joined");
	free(v);

	is_int(nl_addr_add("lo", "100.64.77.1", 24), 0, "nl_addr_add 100.64.77.1/24 on lo");
	is_int(nl_addr_add("lo", "100.64.77.1", 24), 0, "adding it again: EEXIST counts as success");
	is_int(nl_addr_add("lo", "100.64.77.2", 24), 0, "a second one in the subnet");
	rc = nl_addr_list(&v, &n);
	a = find(v, n, "100.64.77.2");
	ok(rc == 0 && n == 3 && a && (a->addr_flags & IFA_F_SECONDARY) && a->prefixlen == 24 && a->scope == 0,
	   "listed: three addresses, the second 100.64.77.x one secondary, global scope");
	free(v);
	is_int(nl_addr_add("lo", "10.0.0", 24), -EINVAL, "nl_addr_add of a bad address: -EINVAL");
	is_int(nl_addr_add("lo", "10.0.0.1", 33), -EINVAL, "nl_addr_add with prefix 33: -EINVAL");
	is_int(nl_addr_add("nosuch0", "10.0.0.1", 24), -ENODEV, "nl_addr_add on a missing link: -ENODEV");

	is_int(nl_addr_del("lo", "100.64.77.2", 24), 0, "nl_addr_del 100.64.77.2/24");
	is_int(nl_addr_del("lo", "100.64.77.2", 24), -EADDRNOTAVAIL, "deleting it again: -EADDRNOTAVAIL");
	rc = nl_addr_list(&v, &n);
	ok(rc == 0 && n == 2 && !find(v, n, "100.64.77.2") && find(v, n, "100.64.77.1"), "gone from the list");
	free(v);

	/* IP detection end to end: everything is on lo, so loopback class */
	{
		struct ipdetect_opts o = {NULL, NULL, "docker0,veth*"};
		struct ipdetect_result r;
		char *err = NULL;
		rc = ipdetect_choose(&o, &r, &err);
		ok(rc == 0 && r.ip_class == IPCLASS_LOOPBACK && !strcmp(r.ip, "100.64.77.1") && r.warning,
		   "ipdetect_choose: only lo (all loopback class), the numerically lowest, with a warning");
		ipdetect_result_free(&r);
		free(err);
	}

	is_int(nl_link_set("lo", 0, 0), 0, "nl_link_set lo down");
	rc = nl_link_get("lo", &l);
	ok(rc == 0 && !(l.flags & IFF_UP), "lo is down again");
	return done_testing();
}
