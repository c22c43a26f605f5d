/* IPv4 addresses, CIDR prefixes, ports, "ip:port" and host names: the one
 * parser of each for the core and the plugins.  Every function takes the
 * whole string: nothing may trail, and nothing is skipped before.
 * Addresses are uint32_t in host byte order. */
#ifndef CLUSTERCTL_CC_NET_H
#define CLUSTERCTL_CC_NET_H

#include <stdbool.h>
#include <stdint.h>

#define CC_IPV4_STRLEN 16   /* "255.255.255.255" and its NUL */
#define CC_HOSTNAME_MAX 253 /* RFC 1123, without a trailing dot */

/* A strict dotted quad: four decimal parts 0-255, no leading zeros
 * ("010" is octal to inet_aton), no blanks, no shorthand ("10.1").
 * 0.0.0.0 is accepted: whether the unspecified address is meaningful is
 * the caller's rule.  0 or -EINVAL. */
int cc_parse_ipv4(const char *s, uint32_t *out);
bool cc_ipv4_valid(const char *s);
void cc_format_ipv4(uint32_t a, char out[CC_IPV4_STRLEN]);

/* "a.b.c.d/n", n 0-32 without a leading zero; the address need not be
 * the network's first (an interface address with its prefix is fine).
 * 0 or -EINVAL. */
int cc_parse_cidr(const char *s, uint32_t *addr, uint8_t *plen);
uint32_t cc_ipv4_mask(uint8_t plen);
bool cc_ipv4_in_net(uint32_t a, uint32_t net, uint8_t plen);

/* A decimal port: 1-65535 (0 too with CC_PORT_ZERO_OK), digits only, no
 * sign, no leading zero. */
enum {
	CC_PORT_ZERO_OK = 1 << 0,  /* "port 0": let the kernel choose (a listen address) */
	CC_PORT_OPTIONAL = 1 << 1, /* "a.b.c.d" alone is fine; *port is then 0 */
};
int cc_parse_port(const char *s, unsigned flags, uint16_t *out);
/* "a.b.c.d:port" by the two rules above.  0 or -EINVAL. */
int cc_parse_ipv4_port(const char *s, unsigned flags, uint32_t *addr, uint16_t *port);

/* An RFC 1123 host name: 1-253 characters, dot-separated labels of 1-63
 * ASCII letters, digits and '-', no label starting or ending with '-', no
 * trailing dot.  The same rule for a node's name on the wire, in a
 * plugin's options and for gethostname(). */
bool cc_hostname_valid(const char *s);

#endif
