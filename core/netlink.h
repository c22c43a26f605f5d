/* rtnetlink through libmnl: the address and link facts IP detection and
 * the overlay plugins need, and the few changes they make (link up, MTU,
 * addresses).  Exposed to plugins through the host-services table. */
#ifndef CLUSTERCTL_NETLINK_H
#define CLUSTERCTL_NETLINK_H

#include <stddef.h>
#include <stdint.h>
#include <clusterctl/host.h>

/* Every IPv4 address with its link's name, flags and kind; *out is
 * malloc'd (free()).  Retries a dump the kernel marked interrupted. */
int nl_addr_list(struct clusterctl_ifaddr **out, size_t *count);
int nl_link_get(const char *ifname, struct clusterctl_link *out);
int nl_link_set(const char *ifname, int up, uint32_t mtu);
int nl_addr_add(const char *ifname, const char *addr, uint8_t prefixlen);
int nl_addr_del(const char *ifname, const char *addr, uint8_t prefixlen);

#endif
