/* common/cc-net: the one rule for an IPv4 address, a CIDR prefix, a port,
 * "ip:port" and a host name.  Each table is the rule: what is accepted,
 * what is refused, and why. */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "../tap.h"
#include "cc-net.h"

struct ip_case {
	const char *s;
	int ok;
	uint32_t want;
	const char *why;
};

static void test_ipv4(void)
{
	static const struct ip_case t[] = {
		{"192.0.2.1", 1, 0xc0000201u, "a dotted quad"},
		{"0.0.0.0", 1, 0, "the unspecified address (callers decide if it means anything)"},
		{"255.255.255.255", 1, 0xffffffffu, "the broadcast address"},
		{"10.0.0.10", 1, 0x0a00000au, "a zero inside a part"},
		{"", 0, 0, "empty"},
		{"1.2.3", 0, 0, "three parts"},
		{"1.2.3.4.5", 0, 0, "five parts"},
		{"10.1", 0, 0, "inet_aton shorthand"},
		{"01.2.3.4", 0, 0, "a leading zero (octal to some parsers)"},
		{"1.2.3.00", 0, 0, "a double zero"},
		{"256.0.0.1", 0, 0, "a part over 255"},
		{"1.2.3.4444", 0, 0, "four digits"},
		{"99999999999.1.1.1", 0, 0, "a part that would overflow"},
		{"1..3.4", 0, 0, "an empty part"},
		{".1.2.3", 0, 0, "a leading dot"},
		{"1.2.3.4.", 0, 0, "a trailing dot"},
		{"1.2.3.4 ", 0, 0, "a trailing blank"},
		{" 1.2.3.4", 0, 0, "a leading blank"},
		{"1.2.3.4/8", 0, 0, "a prefix"},
		{"1.2.3.4:80", 0, 0, "a port"},
		{"+1.2.3.4", 0, 0, "a sign"},
		{"::1", 0, 0, "IPv6"},
		{"a.b.c.d", 0, 0, "letters"},
		{"1.2.3.\xd9\xa3", 0, 0, "a non-ASCII digit"},
	};
	char out[CC_IPV4_STRLEN];

	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		uint32_t a = 0xdeadbeefu;
		int r = cc_parse_ipv4(t[i].s, &a);
		if (t[i].ok)
			ok(r == 0 && a == t[i].want && cc_ipv4_valid(t[i].s), "ipv4 accepts %s", t[i].why);
		else
			ok(r == -EINVAL && a == 0xdeadbeefu && !cc_ipv4_valid(t[i].s),
			   "ipv4 refuses %s, and leaves the output alone", t[i].why);
	}
	ok(!cc_ipv4_valid(NULL), "ipv4 refuses NULL");
	cc_format_ipv4(0xc0000201u, out);
	is_str(out, "192.0.2.1", "format gives the dotted quad back");
	cc_format_ipv4(0xffffffffu, out);
	is_str(out, "255.255.255.255", "format fits the longest address");
}

static void test_cidr(void)
{
	uint32_t a = 0;
	uint8_t p = 99;

	ok(cc_parse_cidr("100.64.0.0/10", &a, &p) == 0 && a == 0x64400000u && p == 10, "cidr: a network");
	ok(cc_parse_cidr("100.64.0.7/24", &a, &p) == 0 && a == 0x64400007u && p == 24,
	   "cidr: an interface address with its prefix");
	ok(cc_parse_cidr("0.0.0.0/0", &a, &p) == 0 && p == 0, "cidr: /0");
	ok(cc_parse_cidr("1.2.3.4/32", &a, &p) == 0 && p == 32, "cidr: /32");
	ok(cc_parse_cidr("1.2.3.4/33", &a, &p) < 0, "cidr refuses /33");
	ok(cc_parse_cidr("1.2.3.4/08", &a, &p) < 0, "cidr refuses a leading zero in the prefix");
	ok(cc_parse_cidr("1.2.3.4/", &a, &p) < 0, "cidr refuses an empty prefix");
	ok(cc_parse_cidr("1.2.3.4", &a, &p) < 0, "cidr refuses no prefix");
	ok(cc_parse_cidr("1.2.3.4/8 ", &a, &p) < 0, "cidr refuses trailing bytes");
	ok(cc_parse_cidr("1.2.3.4/-8", &a, &p) < 0, "cidr refuses a sign");
	ok(cc_parse_cidr("1.2.3/8", &a, &p) < 0, "cidr refuses a bad address");
	ok(cc_parse_cidr(NULL, &a, &p) < 0, "cidr refuses NULL");
	ok(cc_ipv4_mask(0) == 0 && cc_ipv4_mask(10) == 0xffc00000u && cc_ipv4_mask(32) == 0xffffffffu,
	   "masks of /0, /10, /32");
	ok(cc_ipv4_in_net(0x64400001u, 0x64400000u, 10) && !cc_ipv4_in_net(0x64800001u, 0x64400000u, 10) &&
		   cc_ipv4_in_net(0x01020304u, 0, 0),
	   "in_net: inside, outside, everything is in /0");
}

struct port_case {
	const char *s;
	unsigned flags;
	int ok;
	uint16_t want;
	const char *why;
};

static void test_ports(void)
{
	static const struct port_case t[] = {
		{"1", 0, 1, 1, "1"},
		{"7000", 0, 1, 7000, "7000"},
		{"65535", 0, 1, 65535, "65535"},
		{"0", 0, 0, 0, "0 by default"},
		{"0", CC_PORT_ZERO_OK, 1, 0, "0 when asked to"},
		{"65536", 0, 0, 0, "65536"},
		{"99999999999999999999", 0, 0, 0, "a number that would overflow"},
		{"080", 0, 0, 0, "a leading zero"},
		{"00", CC_PORT_ZERO_OK, 0, 0, "a double zero"},
		{"+80", 0, 0, 0, "a sign"},
		{" 80", 0, 0, 0, "a leading blank"},
		{"80 ", 0, 0, 0, "a trailing blank"},
		{"", 0, 0, 0, "empty"},
		{"8o", 0, 0, 0, "a letter"},
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		uint16_t p = 4242;
		int r = cc_parse_port(t[i].s, t[i].flags, &p);
		if (t[i].ok)
			ok(r == 0 && p == t[i].want, "port accepts %s", t[i].why);
		else
			ok(r == -EINVAL && p == 4242, "port refuses %s", t[i].why);
	}
}

static void test_ipv4_port(void)
{
	static const struct {
		const char *s;
		unsigned flags;
		int ok;
		const char *why;
	} t[] = {
		{"192.0.2.10:7000", 0, 1, "ip:port"},
		{"0.0.0.0:0", CC_PORT_ZERO_OK, 1, "a listen address with port 0"},
		{"0.0.0.0:0", 0, 0, "port 0 unless asked"},
		{"192.0.2.10:65536", 0, 0, "port 65536"},
		{"192.0.2.10:", 0, 0, "an empty port"},
		{"192.0.2.10", 0, 0, "no port when one is required"},
		{"192.0.2.10", CC_PORT_OPTIONAL, 1, "no port when it is optional"},
		{"192.0.2.10:", CC_PORT_OPTIONAL, 0, "an empty port even when optional"},
		{"192.0.2.10:2377", CC_PORT_OPTIONAL, 1, "a port when optional"},
		{":7000", 0, 0, "no address"},
		{"host.example:7000", 0, 0, "a name"},
		{"192.0.2.010:7000", 0, 0, "a leading zero in the address"},
		{"192.0.2.10:07000", 0, 0, "a leading zero in the port"},
		{"192.0.2.10:7000:1", 0, 0, "two colons"},
		{"192.0.2.10:7000 ", 0, 0, "a trailing blank"},
		{"192.0.2.10 :7000", 0, 0, "a blank before the colon"},
		{"[::1]:7000", 0, 0, "IPv6"},
		{"", 0, 0, "empty"},
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		uint32_t a = 1;
		uint16_t p = 1;
		int r = cc_parse_ipv4_port(t[i].s, t[i].flags, &a, &p);
		ok(t[i].ok ? r == 0 : r == -EINVAL, "ip:port %s %s", t[i].ok ? "accepts" : "refuses", t[i].why);
	}
	{
		uint32_t a = 0;
		uint16_t p = 0;
		ok(cc_parse_ipv4_port("192.0.2.10:7000", 0, &a, &p) == 0 && a == 0xc000020au && p == 7000,
		   "ip:port gives the address and the port");
		ok(cc_parse_ipv4_port("192.0.2.10", CC_PORT_OPTIONAL, &a, &p) == 0 && p == 0,
		   "an optional port left out is 0");
		ok(cc_parse_ipv4_port(NULL, CC_PORT_OPTIONAL, &a, &p) == -EINVAL, "ip:port refuses NULL");
	}
}

static void test_hostnames(void)
{
	char h[300];
	static const struct {
		const char *s;
		int ok;
		const char *why;
	} t[] = {
		{"a", 1, "one letter"},
		{"node-01.lan", 1, "a dotted name"},
		{"1node", 1, "a leading digit (RFC 1123)"},
		{"NODE.Example", 1, "capitals"},
		{"", 0, "empty"},
		{"node.", 0, "a trailing dot"},
		{".node", 0, "a leading dot"},
		{"a..b", 0, "an empty label"},
		{"-a", 0, "a leading '-'"},
		{"a-", 0, "a trailing '-'"},
		{"a-.b", 0, "a label ending in '-'"},
		{"a.-b", 0, "a label starting with '-'"},
		{"a_b", 0, "an underscore"},
		{"a b", 0, "a blank"},
		{"a\xe9", 0, "a non-ASCII byte"},
		{"a/b", 0, "a slash"},
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
		ok(cc_hostname_valid(t[i].s) == (bool)t[i].ok, "host name %s %s", t[i].ok ? "accepts" : "refuses",
		   t[i].why);
	ok(!cc_hostname_valid(NULL), "host name refuses NULL");

	memset(h, 'a', 63);
	h[63] = '\0';
	ok(cc_hostname_valid(h), "a 63-character label");
	memset(h, 'a', 64);
	h[64] = '\0';
	ok(!cc_hostname_valid(h), "a 64-character label is refused");
	/* 4 labels of 63 and one of 1: 4*63 + 4 dots + 1 = 257; cut to 253. */
	for (int i = 0; i < 253; i++)
		h[i] = (i % 64 == 63) ? '.' : 'b';
	h[253] = '\0';
	ok(cc_hostname_valid(h), "253 characters");
	h[253] = 'b';
	h[254] = '\0';
	ok(!cc_hostname_valid(h), "254 characters are refused");
}

int main(void)
{
	test_ipv4();
	test_cidr();
	test_ports();
	test_ipv4_port();
	test_hostnames();
	return done_testing();
}
