/* IP detection ranking (ipdetect_rank): classes, the tie-break,
 * exclusions by name (never by kind), pins, and what is never chosen. */
#include "autoconfig.h"

#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/if_addr.h>

#include "ipdetect.h"
#include "../tap.h"

#define DEFAULT_EXCLUDES "docker0,docker_gwbridge,br-*,veth*,cni*,flannel*,cali*,vxlan*,virbr*"
#define UP IFF_UP
#define N(a) (sizeof(a) / sizeof((a)[0]))

static struct clusterctl_ifaddr A(const char *ifname, uint32_t ifindex, const char *addr, uint8_t plen,
				  uint32_t link_flags, uint32_t addr_flags, const char *kind)
{
	struct clusterctl_ifaddr a;
	memset(&a, 0, sizeof a);
	snprintf(a.ifname, sizeof a.ifname, "%s", ifname);
	snprintf(a.addr, sizeof a.addr, "%s", addr);
	snprintf(a.kind, sizeof a.kind, "%s", kind ? kind : "");
	a.ifindex = ifindex;
	a.prefixlen = plen;
	a.link_flags = link_flags;
	a.addr_flags = addr_flags | IFA_F_PERMANENT;
	return a;
}

static const struct clusterctl_ifaddr LO = {"lo", 1, UP | IFF_LOOPBACK, IFA_F_PERMANENT, 8, 254, "127.0.0.1", ""};

struct run {
	int rc;
	struct ipdetect_result r;
	char *err;
};

static struct run rank(const struct clusterctl_ifaddr *v, size_t n, const char *pin_ip, const char *pin_if,
		       const char *exclude)
{
	struct ipdetect_opts o = {pin_ip, pin_if, exclude};
	struct run x;
	x.rc = ipdetect_rank(v, n, &o, &x.r, &x.err);
	return x;
}

static void done(struct run *x)
{
	ipdetect_result_free(&x->r);
	free(x->err);
}

static const struct ipdetect_candidate *cand(const struct run *x, const char *addr)
{
	for (size_t i = 0; i < x->r.n_cands; i++)
		if (!strcmp(x->r.cands[i].a.addr, addr))
			return &x->r.cands[i];
	return NULL;
}

static char *note(const struct run *x, const char *addr)
{
	const struct ipdetect_candidate *c = cand(x, addr);
	return c ? ipdetect_candidate_note(&x->r, (size_t)(c - x->r.cands)) : NULL;
}

static void test_classes(void)
{
	struct clusterctl_ifaddr v[] = {
		LO,
		A("eth0", 2, "10.0.0.5", 24, UP, 0, "veth"),
		A("pub0", 3, "203.0.113.5", 24, UP, 0, NULL),
		A("tailscale0", 4, "100.64.0.7", 32, UP, 0, "tun"),
	};
	struct run x = rank(v, N(v), NULL, NULL, DEFAULT_EXCLUDES);
	char *s;

	is_int(x.rc, 0, "four classes: success");
	is_str(x.r.ip, "100.64.0.7", "CGNAT wins over RFC 1918, other and loopback");
	is_str(x.r.ifname, "tailscale0", "on tailscale0");
	is_str(ip_class_name(x.r.ip_class), "cgnat", "class cgnat");
	ok(x.r.n_cands == 4 && !strcmp(x.r.cands[1].a.addr, "10.0.0.5") && !strcmp(x.r.cands[2].a.addr, "203.0.113.5") &&
		   !strcmp(x.r.cands[3].a.addr, "127.0.0.1"),
	   "candidates in ranking order: cgnat, rfc1918, other, loopback");
	ok(x.r.cands[0].chosen && !x.r.cands[1].chosen, "only the first is chosen");
	ok(x.r.warning == NULL, "no warning");
	like(x.r.reason, "CGNAT", "reason names the class");
	s = note(&x, "10.0.0.5");
	is_str(s, "usable, ranked lower: class rfc1918 comes after cgnat", "note of a lower class");
	free(s);
	s = note(&x, "100.64.0.7");
	is_str(s, "chosen", "note of the chosen one");
	free(s);
	done(&x);

	x = rank(v, 3, NULL, NULL, DEFAULT_EXCLUDES);
	is_str(x.r.ip, "10.0.0.5", "no CGNAT: RFC 1918");
	ok(!strcmp(x.r.ifname, "eth0") && !strcmp(ip_class_name(x.r.ip_class), "rfc1918"),
	   "a veth named eth0 is chosen (kinds never exclude)");
	done(&x);

	struct clusterctl_ifaddr w[] = {LO, A("pub0", 3, "203.0.113.5", 24, UP, 0, NULL)};
	x = rank(w, 2, NULL, NULL, DEFAULT_EXCLUDES);
	ok(x.rc == 0 && !strcmp(x.r.ip, "203.0.113.5") && x.r.ip_class == IPCLASS_OTHER, "only other: other");
	done(&x);

	x = rank(w, 1, NULL, NULL, DEFAULT_EXCLUDES);
	ok(x.rc == 0 && !strcmp(x.r.ip, "127.0.0.1") && x.r.ip_class == IPCLASS_LOOPBACK,
	   "only loopback: loopback, as last resort");
	like(x.r.warning, "other hosts cannot reach", "choosing loopback warns");
	done(&x);

	/* boundaries of the ranges */
	static const struct {
		const char *a;
		int c;
	} b[] = {
		{"100.64.0.0", IPCLASS_CGNAT},    {"100.127.255.255", IPCLASS_CGNAT}, {"100.63.255.255", IPCLASS_OTHER},
		{"100.128.0.0", IPCLASS_OTHER},   {"10.255.255.255", IPCLASS_RFC1918}, {"11.0.0.1", IPCLASS_OTHER},
		{"172.16.0.1", IPCLASS_RFC1918},  {"172.31.255.255", IPCLASS_RFC1918}, {"172.15.255.255", IPCLASS_OTHER},
		{"172.32.0.1", IPCLASS_OTHER},    {"192.168.0.1", IPCLASS_RFC1918},  {"192.169.0.1", IPCLASS_OTHER},
		{"127.1.2.3", IPCLASS_LOOPBACK},  {"169.254.1.1", IPCLASS_OTHER},
	};
	for (size_t i = 0; i < N(b); i++) {
		struct clusterctl_ifaddr one = A("eth0", 2, b[i].a, 24, UP, 0, NULL);
		x = rank(&one, 1, NULL, NULL, NULL);
		is_str(ip_class_name(x.r.cands[0].ip_class), ip_class_name(b[i].c), "%s is %s", b[i].a,
		       ip_class_name(b[i].c));
		done(&x);
	}
	struct clusterctl_ifaddr anycast[] = {A("lo", 1, "10.1.2.3", 32, UP | IFF_LOOPBACK, 0, NULL),
					      A("pub0", 3, "198.51.100.1", 24, UP, 0, NULL)};
	x = rank(anycast, 2, NULL, NULL, NULL);
	ok(x.rc == 0 && !strcmp(x.r.ip, "198.51.100.1") && cand(&x, "10.1.2.3")->ip_class == IPCLASS_LOOPBACK,
	   "an RFC 1918 address on an IFF_LOOPBACK link is loopback class");
	done(&x);
}

static void test_tiebreak(void)
{
	/* the same set in two orders must give the same choice */
	struct clusterctl_ifaddr v[] = {
		A("eth1", 3, "10.0.0.10", 24, UP, 0, NULL),
		A("eth1", 3, "10.0.0.9", 24, UP, 0, NULL),
		A("eth0", 2, "192.168.1.50", 24, UP, IFA_F_SECONDARY, NULL),
		A("eth2", 4, "10.0.0.1", 16, UP, 0, NULL), /* lowest address, highest ifindex */
	};
	struct clusterctl_ifaddr rev[N(v)];
	struct run x, y;
	char *s;

	for (size_t i = 0; i < N(v); i++)
		rev[i] = v[N(v) - 1 - i];
	x = rank(v, N(v), NULL, NULL, NULL);
	y = rank(rev, N(rev), NULL, NULL, NULL);
	is_str(x.r.ip, "10.0.0.9", "primary first, then lowest ifindex, then numerically lowest (not 10.0.0.10)");
	is_str(y.r.ip, x.r.ip, "input order does not matter");
	ok(!strcmp(x.r.cands[1].a.addr, "10.0.0.10") && !strcmp(x.r.cands[2].a.addr, "10.0.0.1") &&
		   !strcmp(x.r.cands[3].a.addr, "192.168.1.50"),
	   "order: 10.0.0.9, 10.0.0.10, 10.0.0.1 (ifindex 4), 192.168.1.50 (secondary, ifindex 2)");
	like(x.r.reason, "first of its class", "reason mentions the tie-break");
	s = note(&x, "10.0.0.10");
	is_str(s, "usable, ranked lower: numerically higher address", "note: lost on address");
	free(s);
	s = note(&x, "10.0.0.1");
	is_str(s, "usable, ranked lower: higher ifindex (4 after 3)", "note: lost on ifindex");
	free(s);
	s = note(&x, "192.168.1.50");
	is_str(s, "usable, ranked lower: a secondary address (primary ones first)", "note: lost as secondary");
	free(s);
	done(&x);
	done(&y);
}

static void test_rejections(void)
{
	struct clusterctl_ifaddr v[] = {
		LO,
		A("eth0", 2, "192.168.1.10", 24, UP, 0, "veth"),
		A("docker0", 3, "172.17.0.1", 16, UP, 0, "bridge"),
		A("docker_gwbridge", 4, "172.18.0.1", 16, UP, 0, "bridge"),
		A("br-0a1b2c", 5, "100.64.50.1", 24, UP, 0, "bridge"),
		A("veth123", 6, "100.64.2.1", 24, UP, 0, "dummy"),
		A("cni0", 7, "10.88.0.1", 16, UP, 0, "bridge"),
		A("down0", 8, "100.64.9.9", 24, 0, 0, "dummy"),
		A("dep0", 9, "100.64.3.3", 24, UP, IFA_F_DEPRECATED, NULL),
		A("tent0", 10, "100.64.4.4", 24, UP, IFA_F_TENTATIVE, NULL),
		A("dad0", 11, "100.64.5.5", 24, UP, IFA_F_DADFAILED, NULL),
	};
	struct run x = rank(v, N(v), NULL, NULL, DEFAULT_EXCLUDES);
	const struct ipdetect_candidate *c;
	char *s;

	is_str(x.r.ip, "192.168.1.10", "every CGNAT address is unusable: eth0's RFC 1918 address");
	c = cand(&x, "100.64.2.1");
	ok(c && c->rejected && c->pattern && !strcmp(c->pattern, "veth*"), "veth123 excluded by pattern veth*");
	s = note(&x, "100.64.2.1");
	is_str(s, "excluded: interface name matches pattern 'veth*'", "note names the pattern");
	free(s);
	c = cand(&x, "172.18.0.1");
	ok(c && c->pattern && !strcmp(c->pattern, "docker_gwbridge"), "docker_gwbridge excluded by name");
	c = cand(&x, "100.64.50.1");
	ok(c && c->pattern && !strcmp(c->pattern, "br-*"), "br-0a1b2c excluded by br-*");
	ok(cand(&x, "172.17.0.1")->rejected && cand(&x, "10.88.0.1")->rejected, "docker0 and cni0 excluded");
	s = note(&x, "100.64.9.9");
	is_str(s, "rejected: interface is down", "a down link is rejected");
	free(s);
	like(cand(&x, "100.64.3.3")->rejected, "deprecated", "a deprecated address is rejected");
	like(cand(&x, "100.64.4.4")->rejected, "tentative", "a tentative address is rejected");
	like(cand(&x, "100.64.5.5")->rejected, "duplicate address detection", "a dadfailed address is rejected");
	ok(!x.r.cands[1].rejected && !strcmp(x.r.cands[1].a.addr, "127.0.0.1") && x.r.cands[2].rejected,
	   "usable ones (chosen, then loopback) before every rejected one");
	done(&x);

	x = rank(v, N(v), NULL, NULL, "");
	is_str(x.r.ip, "100.64.50.1", "no exclusion patterns: br-0a1b2c's CGNAT address wins (lowest usable ifindex)");
	done(&x);

	x = rank(v, 2, NULL, NULL, " eth* , ,lo9");
	ok(x.rc == 0 && !strcmp(x.r.ip, "127.0.0.1") && !strcmp(cand(&x, "192.168.1.10")->pattern, "eth*"),
	   "patterns are trimmed and empty ones ignored; eth* leaves loopback");
	done(&x);

	x = rank(v + 1, N(v) - 1, NULL, NULL, DEFAULT_EXCLUDES);
	is_str(x.r.ip, "192.168.1.10", "without lo, still eth0");
	done(&x);

	struct clusterctl_ifaddr bad[] = {A("docker0", 3, "172.17.0.1", 16, UP, 0, NULL), A("down0", 8, "10.0.0.1", 8, 0, 0, NULL)};
	x = rank(bad, 2, NULL, NULL, DEFAULT_EXCLUDES);
	is_int(x.rc, -EADDRNOTAVAIL, "nothing usable: -EADDRNOTAVAIL");
	like(x.err, "none of the 2 IPv4 addresses", "the error counts what was seen");
	is_int(x.r.n_cands, 2, "the candidates are still there to show");
	done(&x);

	x = rank(NULL, 0, NULL, NULL, DEFAULT_EXCLUDES);
	is_int(x.rc, -EADDRNOTAVAIL, "empty list: -EADDRNOTAVAIL");
	like(x.err, "no IPv4 address at all", "empty list: says so");
	done(&x);

	/* strings that crossed the plugin ABI unterminated */
	struct clusterctl_ifaddr raw = A("x", 2, "10.0.0.1", 8, UP, 0, NULL);
	memset(raw.ifname, 'a', sizeof raw.ifname);
	memset(raw.kind, 'k', sizeof raw.kind);
	x = rank(&raw, 1, NULL, NULL, DEFAULT_EXCLUDES);
	ok(x.rc == 0 && strlen(x.r.ifname) == 15, "an unterminated name is cut at 15 characters");
	done(&x);
}

static void test_pins(void)
{
	struct clusterctl_ifaddr v[] = {
		LO,
		A("eth0", 2, "10.0.0.5", 24, UP, 0, "veth"),
		A("eth0", 2, "10.0.0.6", 24, UP, IFA_F_SECONDARY, "veth"),
		A("docker_gwbridge", 3, "172.18.0.1", 16, UP, 0, "bridge"),
		A("down0", 4, "100.64.9.9", 24, 0, 0, NULL),
		A("cg0", 5, "100.64.1.1", 10, UP, 0, NULL),
	};
	struct run x;
	char *s;

	x = rank(v, N(v), NULL, "eth0", DEFAULT_EXCLUDES);
	ok(x.rc == 0 && !strcmp(x.r.ip, "10.0.0.5") && x.r.pin == IPDETECT_PIN_IFACE,
	   "--interface eth0: its best address (primary), though cg0 has CGNAT");
	like(x.r.reason, "--interface", "reason says pinned");
	s = note(&x, "100.64.1.1");
	is_str(s, "rejected: not the interface pinned with --interface", "other interfaces: not pinned");
	free(s);
	done(&x);

	x = rank(v, N(v), NULL, "docker_gwbridge", DEFAULT_EXCLUDES);
	ok(x.rc == 0 && !strcmp(x.r.ip, "172.18.0.1"), "--interface overrides the exclusion patterns");
	done(&x);

	x = rank(v, N(v), NULL, "down0", DEFAULT_EXCLUDES);
	is_int(x.rc, -EADDRNOTAVAIL, "--interface on a down link: -EADDRNOTAVAIL");
	like(x.err, "interface 'down0' has no usable IPv4 address: 100.64.9.9 (interface is down)",
	     "the error names the interface and why");
	done(&x);

	x = rank(v, N(v), NULL, "wlan7", DEFAULT_EXCLUDES);
	is_int(x.rc, -ENODEV, "--interface without any IPv4 address: -ENODEV");
	like(x.err, "interface 'wlan7' has no IPv4 address", "the error names it");
	done(&x);

	x = rank(v, N(v), NULL, "a-very-long-name-x", DEFAULT_EXCLUDES);
	is_int(x.rc, -EINVAL, "--interface longer than IFNAMSIZ: -EINVAL");
	done(&x);

	x = rank(v, N(v), "10.0.0.6", NULL, DEFAULT_EXCLUDES);
	ok(x.rc == 0 && !strcmp(x.r.ip, "10.0.0.6") && !strcmp(x.r.ifname, "eth0") && x.r.pin == IPDETECT_PIN_IP &&
		   x.r.cands[0].chosen && !strcmp(x.r.cands[0].a.addr, "10.0.0.6"),
	   "--ip of a local secondary address: used, on eth0, listed first");
	ok(x.r.warning == NULL, "no warning for a usable local address");
	s = note(&x, "100.64.1.1");
	is_str(s, "not chosen: --ip pins 10.0.0.6", "others: --ip pins");
	free(s);
	done(&x);

	x = rank(v, N(v), "198.51.100.77", NULL, DEFAULT_EXCLUDES);
	ok(x.rc == 0 && !strcmp(x.r.ip, "198.51.100.77") && !x.r.ifname[0] && x.r.ip_class == IPCLASS_OTHER,
	   "--ip not on any interface (NAT): accepted, no interface");
	like(x.r.warning, "not an address of any local interface", "and warned about");
	done(&x);

	x = rank(v, N(v), "100.64.9.9", NULL, DEFAULT_EXCLUDES);
	ok(x.rc == 0 && !strcmp(x.r.ifname, "down0"), "--ip on a down link: the user's word stands");
	like(x.r.warning, "interface is down", "with a warning saying why detection would not");
	done(&x);

	x = rank(v, N(v), "100.64.1.1", "eth0", DEFAULT_EXCLUDES);
	is_int(x.rc, -EINVAL, "--ip on cg0 with --interface eth0: contradiction, -EINVAL");
	like(x.err, "is on interface cg0, not on --interface eth0", "says which");
	done(&x);

	x = rank(v, N(v), "10.0.0.5", "eth0", DEFAULT_EXCLUDES);
	ok(x.rc == 0 && !strcmp(x.r.ip, "10.0.0.5"), "--ip on the --interface: fine");
	done(&x);

	static const char *const bad[] = {"10.0.0", "256.1.1.1", "10.0.0.1/24", "0.0.0.0", "224.0.0.1",
					  "255.255.255.255", "010.0.0.1", " 10.0.0.1", "eth0", ""};
	for (size_t i = 0; i < N(bad); i++) {
		x = rank(v, N(v), bad[i], NULL, DEFAULT_EXCLUDES);
		is_int(x.rc, -EINVAL, "--ip '%s' refused", bad[i]);
		done(&x);
	}
	x = rank(v, N(v), "1.2.3", NULL, NULL);
	like(x.err, "not a usable IPv4 address", "the error explains");
	done(&x);
}

int main(void)
{
	test_classes();
	test_tiebreak();
	test_rejections();
	test_pins();
	return done_testing();
}
