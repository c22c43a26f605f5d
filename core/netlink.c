#include "autoconfig.h"

#include <errno.h>

#include "netlink.h"

/* Placeholder until the rtnetlink module lands: honest failure. */
int nl_addr_list(struct clusterctl_ifaddr **out, size_t *count)
{
	*out = NULL;
	*count = 0;
	return -ENOSYS;
}
int nl_link_get(const char *ifname, struct clusterctl_link *out) { return -ENOSYS; }
int nl_link_set(const char *ifname, int up, uint32_t mtu) { return -ENOSYS; }
int nl_addr_add(const char *ifname, const char *addr, uint8_t prefixlen) { return -ENOSYS; }
int nl_addr_del(const char *ifname, const char *addr, uint8_t prefixlen) { return -ENOSYS; }
