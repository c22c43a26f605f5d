/* Address and name parsing; see cc-net.h.  Written out rather than left
 * to inet_pton() so the rule is ours and the same on every libc: the
 * tests in tests/unit/test-common-net.c are its definition. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cc-net.h"

/* Decimal digits at *p up to a byte that is not one; a leading zero only
 * as the whole number.  Stops before overflowing `max`.  The number of
 * digits read, 0 when the syntax is wrong or the value is over max. */
static size_t parse_dec(const char *p, unsigned long max, unsigned long *out)
{
	unsigned long v = 0;
	size_t n = 0;

	while (p[n] >= '0' && p[n] <= '9') {
		if (n == 1 && v == 0)
			return 0;
		v = v * 10 + (unsigned long)(p[n] - '0');
		if (v > max)
			return 0;
		n++;
	}
	*out = v;
	return n;
}

/* The quad at s, its length in *len; the caller decides what may follow. */
static int parse_quad(const char *s, uint32_t *out, size_t *len)
{
	uint32_t a = 0;
	const char *p = s;

	for (int part = 0; part < 4; part++) {
		unsigned long v;
		size_t n;
		if (part > 0 && *p++ != '.')
			return -EINVAL;
		n = parse_dec(p, 255, &v);
		if (n == 0)
			return -EINVAL;
		a = a << 8 | (uint32_t)v;
		p += n;
	}
	*out = a;
	*len = (size_t)(p - s);
	return 0;
}

int cc_parse_ipv4(const char *s, uint32_t *out)
{
	uint32_t a;
	size_t n;

	if (!s || parse_quad(s, &a, &n) < 0 || s[n] != '\0')
		return -EINVAL;
	*out = a;
	return 0;
}

bool cc_ipv4_valid(const char *s)
{
	uint32_t a;
	return cc_parse_ipv4(s, &a) == 0;
}

void cc_format_ipv4(uint32_t a, char out[CC_IPV4_STRLEN])
{
	snprintf(out, CC_IPV4_STRLEN, "%u.%u.%u.%u", (a >> 24) & 255, (a >> 16) & 255, (a >> 8) & 255,
		 a & 255);
}

int cc_parse_cidr(const char *s, uint32_t *addr, uint8_t *plen)
{
	uint32_t a;
	unsigned long p;
	size_t n, m;

	if (!s || parse_quad(s, &a, &n) < 0 || s[n] != '/')
		return -EINVAL;
	m = parse_dec(s + n + 1, 32, &p);
	if (m == 0 || s[n + 1 + m] != '\0')
		return -EINVAL;
	*addr = a;
	*plen = (uint8_t)p;
	return 0;
}

uint32_t cc_ipv4_mask(uint8_t plen) { return plen == 0 ? 0 : plen >= 32 ? 0xffffffffu : ~0u << (32 - plen); }

bool cc_ipv4_in_net(uint32_t a, uint32_t net, uint8_t plen)
{
	return (a & cc_ipv4_mask(plen)) == (net & cc_ipv4_mask(plen));
}

int cc_parse_port(const char *s, unsigned flags, uint16_t *out)
{
	unsigned long v;
	size_t n;

	if (!s || (n = parse_dec(s, 65535, &v)) == 0 || s[n] != '\0')
		return -EINVAL;
	if (v == 0 && !(flags & CC_PORT_ZERO_OK))
		return -EINVAL;
	*out = (uint16_t)v;
	return 0;
}

int cc_parse_ipv4_port(const char *s, unsigned flags, uint32_t *addr, uint16_t *port)
{
	uint32_t a;
	uint16_t p = 0;
	size_t n;

	if (!s || parse_quad(s, &a, &n) < 0)
		return -EINVAL;
	if (s[n] == '\0' && !(flags & CC_PORT_OPTIONAL))
		return -EINVAL;
	if (s[n] != '\0' && (s[n] != ':' || cc_parse_port(s + n + 1, flags, &p) < 0))
		return -EINVAL;
	*addr = a;
	*port = p;
	return 0;
}

bool cc_hostname_valid(const char *s)
{
	size_t n = s ? strlen(s) : 0, label = 0;

	if (n < 1 || n > CC_HOSTNAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c == '.') {
			if (label == 0 || s[i - 1] == '-')
				return false;
			label = 0;
			continue;
		}
		/* ASCII ranges, not isalnum(): the answer must not depend on
		 * the host's locale. */
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-'))
			return false;
		if (c == '-' && label == 0)
			return false;
		if (++label > 63)
			return false;
	}
	return s[n - 1] != '-' && s[n - 1] != '.';
}
