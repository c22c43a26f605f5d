/* Path MTU probing with don't-fragment ICMP echoes: the largest IPv4
 * packet that reaches an address whole.  Used by node join to check that
 * Swarm's VXLAN (50 bytes of headers) fits over the overlay. */
#ifndef CLUSTERCTL_MTU_PROBE_H
#define CLUSTERCTL_MTU_PROBE_H

#include <stdbool.h>
#include <stddef.h>

#define MTU_PROBE_MIN 68     /* smallest IPv4 MTU (RFC 791) */
#define MTU_PROBE_MAX 65535
/* What Swarm's VXLAN data path adds inside the overlay (outer IPv4, UDP,
 * VXLAN and inner Ethernet headers), and the smallest MTU worth giving
 * a network (IPv4's minimum reassembly size). */
#define SWARM_VXLAN_OVERHEAD 50
#define MTU_FLOOR 576

/* One echo request of `size` bytes of IP packet (20 IP + 8 ICMP +
 * payload) to the dotted-quad `addr`, with DF set.  0 when the reply
 * came back within timeout_ms; -ETIMEDOUT when none did; -EMSGSIZE when
 * the local stack already knows the path is smaller; other -errno when
 * no ICMP socket could be opened (needs root, or a datagram ICMP socket
 * allowed by net.ipv4.ping_group_range). */
int mtu_probe_echo(const char *addr, int size, int timeout_ms);

/* Binary search in [lo, hi] for the largest packet size that passes;
 * *mtu is the answer.  -EHOSTUNREACH when not even lo passes; *err
 * (malloc'd) says why. */
int mtu_probe(const char *addr, int lo, int hi, int timeout_ms, int *mtu, char **err);

#endif
