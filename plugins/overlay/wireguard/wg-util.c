/* Small helpers of the wireguard plugin.  A plugin may not link the
 * core's util.c (-z defs), hence its own buffer and file helpers. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "wg.h"

void cc_buf_append(struct cc_buf *b, const void *s, size_t n)
{
	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		char *nb;
		while (cap < b->len + n + 1) {
			if (cap > SIZE_MAX / 2) {
				b->oom = true;
				return;
			}
			cap *= 2;
		}
		nb = realloc(b->buf, cap);
		if (!nb) {
			b->oom = true;
			return;
		}
		b->buf = nb;
		b->cap = cap;
	}
	if (n)
		memcpy(b->buf + b->len, s, n);
	b->len += n;
	b->buf[b->len] = '\0';
}

void cc_buf_puts(struct cc_buf *b, const char *s) { cc_buf_append(b, s, strlen(s)); }

void cc_buf_printf(struct cc_buf *b, const char *fmt, ...)
{
	va_list ap;
	char small[256];
	int n;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof small, fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->oom = true;
		return;
	}
	if ((size_t)n < sizeof small) {
		cc_buf_append(b, small, (size_t)n);
		return;
	}
	{
		char *big = malloc((size_t)n + 1);
		if (!big) {
			b->oom = true;
			return;
		}
		va_start(ap, fmt);
		vsnprintf(big, (size_t)n + 1, fmt, ap);
		va_end(ap);
		cc_buf_append(b, big, (size_t)n);
		free(big);
	}
}

char *cc_buf_detach(struct cc_buf *b)
{
	char *s = NULL;
	if (!b->oom) {
		if (!b->buf)
			cc_buf_append(b, "", 0);
		s = b->oom ? NULL : b->buf;
		if (s)
			b->buf = NULL;
	}
	cc_buf_free(b);
	return s;
}

void cc_buf_free(struct cc_buf *b)
{
	free(b->buf);
	b->buf = NULL;
	b->len = b->cap = 0;
	b->oom = false;
}

/* inet_pton(AF_INET) takes exactly the dotted quad with no leading or
 * trailing garbage, which is the strictness we want. */
int cc_parse_ipv4(const char *s, uint32_t *out)
{
	struct in_addr a;
	if (!s || strlen(s) > 15 || inet_pton(AF_INET, s, &a) != 1)
		return -EINVAL;
	*out = ntohl(a.s_addr);
	return 0;
}

static int parse_uint(const char *s, unsigned long max, unsigned long *out)
{
	unsigned long v = 0;
	if (!*s || strlen(s) > 5)
		return -EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		v = v * 10 + (unsigned long)(*s - '0');
	}
	if (v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

int cc_parse_cidr(const char *s, uint32_t *addr, uint8_t *plen)
{
	char tmp[24];
	const char *slash;
	unsigned long p;

	if (!s || strlen(s) >= sizeof tmp || !(slash = strchr(s, '/')))
		return -EINVAL;
	memcpy(tmp, s, (size_t)(slash - s));
	tmp[slash - s] = '\0';
	if (cc_parse_ipv4(tmp, addr) < 0 || parse_uint(slash + 1, 32, &p) < 0)
		return -EINVAL;
	/* "1/08" would pass strtoul; a leading zero is not a canonical prefix. */
	if (slash[1] == '0' && slash[2])
		return -EINVAL;
	*plen = (uint8_t)p;
	return 0;
}

int wg_parse_endpoint(const char *s, uint32_t *addr, uint16_t *port)
{
	char tmp[24];
	const char *colon;
	unsigned long p;

	if (!s || strlen(s) >= sizeof tmp || !(colon = strrchr(s, ':')))
		return -EINVAL;
	memcpy(tmp, s, (size_t)(colon - s));
	tmp[colon - s] = '\0';
	if (cc_parse_ipv4(tmp, addr) < 0 || parse_uint(colon + 1, 65535, &p) < 0 || p == 0 ||
	    (colon[1] == '0'))
		return -EINVAL;
	*port = (uint16_t)p;
	return 0;
}

void cc_format_ipv4(uint32_t a, char out[16])
{
	snprintf(out, 16, "%u.%u.%u.%u", (a >> 24) & 255, (a >> 16) & 255, (a >> 8) & 255, a & 255);
}

uint32_t cc_ipv4_mask(uint8_t plen) { return plen == 0 ? 0 : plen >= 32 ? 0xffffffffu : ~0u << (32 - plen); }

bool cc_ipv4_in_net(uint32_t a, uint32_t net, uint8_t plen) { return (a & cc_ipv4_mask(plen)) == (net & cc_ipv4_mask(plen)); }

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

