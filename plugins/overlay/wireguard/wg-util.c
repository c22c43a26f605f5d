/* Small helpers of the wireguard plugin: the pool and interface-name
 * rules.  Buffers, addresses and files come from common/. */
#include <errno.h>
#include <string.h>

#include "cc-net.h"
#include "wg.h"

int wg_parse_pool(const char *s, uint32_t *net, uint8_t *plen, const char **err)
{
	if (cc_parse_cidr(s, net, plen) < 0) {
		*err = "not an IPv4 network a.b.c.d/n";
		return -EINVAL;
	}
	if (*plen < WG_CGNAT_PREFIX || *plen > 30) {
		*err = "prefix length must be 10..30 (room for the master and at least one node)";
		return -EINVAL;
	}
	if (*net & ~cc_ipv4_mask(*plen)) {
		*err = "host bits are set: give the network address (e.g. 100.96.0.0/16)";
		return -EINVAL;
	}
	/* Overlay addresses must be CGNAT: IP detection ranks 100.64.0.0/10
	 * first, which is what makes Swarm advertise the overlay address. */
	if (!cc_ipv4_in_net(*net, WG_CGNAT_NET, WG_CGNAT_PREFIX)) {
		*err = "must lie inside the CGNAT range 100.64.0.0/10";
		return -EINVAL;
	}
	return 0;
}

bool wg_valid_ifname(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	if (n == 0 || n > WG_IFNAME_MAX || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
		      *s == '-' || *s == '_' || *s == '.'))
			return false;
	return true;
}

