/* rtnetlink building and parsing (core/netlink.c) against messages a
 * kernel really sent (tests/fixtures/netlink/, as hex, recorded by
 * record.sh in a namespace whose layout is described there), requests
 * compared byte for byte with what the uapi layout says they must be,
 * and the dump-retry logic driven through a scripted struct nl_io. */
#include "autoconfig.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libmnl/libmnl.h>
#include <linux/if.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include "netlink.h"
#include "../tap.h"
#include "hex-fixture.h"

#define ARRAY_SIZE_(a) (sizeof(a) / sizeof((a)[0]))

#define MAX_DGRAMS 16

struct fixture {
	unsigned char *d[MAX_DGRAMS];
	size_t len[MAX_DGRAMS];
	size_t n;
	uint32_t seq, portid; /* of the first message */
};

/* "# comment" lines, hex bytes, "--" after each datagram. */
static int load(const char *name, struct fixture *f)
{
	char path[1024], line[512];
	unsigned char *cur = NULL;
	size_t cl = 0, cap = 0;
	FILE *fp;

	memset(f, 0, sizeof *f);
	snprintf(path, sizeof path, "%s/%s.hex", FIXTURES, name);
	fp = fopen(path, "r");
	if (!fp)
		return -errno;
	while (fgets(line, sizeof line, fp)) {
		if (line[0] == '#')
			continue;
		if (strncmp(line, "--", 2) == 0) {
			if (f->n == MAX_DGRAMS)
				break;
			f->d[f->n] = cur;
			f->len[f->n++] = cl;
			cur = NULL;
			cl = cap = 0;
			continue;
		}
		for (char *p = line; *p;) {
			unsigned v;
			int used;
			if (sscanf(p, " %2x%n", &v, &used) != 1)
				break;
			if (cl == cap) {
				cap = cap ? cap * 2 : 4096;
				cur = realloc(cur, cap);
			}
			cur[cl++] = (unsigned char)v;
			p += used;
		}
	}
	fclose(fp);
	free(cur);
	if (!f->n)
		return -ENODATA;
	f->seq = ((struct nlmsghdr *)f->d[0])->nlmsg_seq;
	f->portid = ((struct nlmsghdr *)f->d[0])->nlmsg_pid;
	return 0;
}

static void unload(struct fixture *f)
{
	for (size_t i = 0; i < f->n; i++)
		free(f->d[i]);
	memset(f, 0, sizeof *f);
}

/* Feed every datagram; the return of the last call. */
static int feed(const struct fixture *f, struct nl_reply *r, size_t *calls_more)
{
	int rc = -1;
	*calls_more = 0;
	for (size_t i = 0; i < f->n; i++) {
		rc = nl_parse(f->d[i], f->len[i], f->seq, f->portid, r);
		if (rc > 0)
			(*calls_more)++;
		if (rc <= 0)
			break;
	}
	return rc;
}

static const struct clusterctl_ifaddr *find_addr(const struct clusterctl_ifaddr *v, size_t n,
						 const char *a)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i].addr, a) == 0)
			return &v[i];
	return NULL;
}

static const struct nl_link_info *find_link(const struct nl_reply *r, const char *name)
{
	for (size_t i = 0; i < r->n_links; i++)
		if (strcmp(r->links[i].ifname, name) == 0)
			return &r->links[i];
	return NULL;
}

static int bytes_eq(const void *got, int glen, const unsigned char *want, size_t wlen,
		    const char *what)
{
	int same = glen == (int)wlen && memcmp(got, want, wlen) == 0;
	ok(same, "%s: byte for byte", what);
	if (!same && glen > 0) {
		printf("#   got  ");
		for (int i = 0; i < glen; i++)
			printf("%02x ", ((const unsigned char *)got)[i]);
		printf("\n");
	}
	return same;
}

static void test_builders(void)
{
	unsigned char b[256];
	int n;

	/* nlmsghdr: len, type, flags (little-endian), seq 0x01020304, pid 0 */
	static const unsigned char addr_dump[] = {
		0x18, 0, 0, 0, RTM_GETADDR, 0, 0x01, 0x03, 4, 3, 2, 1, 0, 0, 0, 0,
		AF_INET, 0, 0, 0, 0, 0, 0, 0, /* ifaddrmsg: family only */
	};
	n = nl_build_addr_dump(b, sizeof b, 0x01020304);
	bytes_eq(b, n, addr_dump, sizeof addr_dump, "RTM_GETADDR dump (REQUEST|DUMP, ifaddrmsg AF_INET)");

	static const unsigned char link_dump[] = {
		0x28, 0, 0, 0, RTM_GETLINK, 0, 0x01, 0x03, 4, 3, 2, 1, 0, 0, 0, 0,
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* ifinfomsg AF_UNSPEC */
		8, 0, IFLA_EXT_MASK, 0, RTEXT_FILTER_SKIP_STATS, 0, 0, 0,
	};
	n = nl_build_link_dump(b, sizeof b, 0x01020304);
	bytes_eq(b, n, link_dump, sizeof link_dump, "RTM_GETLINK dump with IFLA_EXT_MASK skip-stats");

	static const unsigned char link_get[] = {
		0x34, 0, 0, 0, RTM_GETLINK, 0, 0x05, 0x00, 4, 3, 2, 1, 0, 0, 0, 0,
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		9, 0, IFLA_IFNAME, 0, 'e', 't', 'h', '0', 0, 0, 0, 0, /* strz, padded to 4 */
		8, 0, IFLA_EXT_MASK, 0, RTEXT_FILTER_SKIP_STATS, 0, 0, 0,
	};
	n = nl_build_link_get(b, sizeof b, 0x01020304, "eth0");
	bytes_eq(b, n, link_get, sizeof link_get, "RTM_GETLINK eth0 (REQUEST|ACK, IFLA_IFNAME)");

	static const unsigned char link_up_mtu[] = {
		0x34, 0, 0, 0, RTM_NEWLINK, 0, 0x05, 0x00, 4, 3, 2, 1, 0, 0, 0, 0,
		0, 0, 0, 0, 0, 0, 0, 0, IFF_UP, 0, 0, 0, IFF_UP, 0, 0, 0, /* flags, change */
		9, 0, IFLA_IFNAME, 0, 'e', 't', 'h', '0', 0, 0, 0, 0,
		8, 0, IFLA_MTU, 0, 0x78, 0x05, 0, 0, /* 1400 */
	};
	n = nl_build_link_set(b, sizeof b, 0x01020304, "eth0", 1, 1400);
	bytes_eq(b, n, link_up_mtu, sizeof link_up_mtu, "RTM_NEWLINK eth0 up, mtu 1400 (ifi_change IFF_UP)");

	static const unsigned char link_down[] = {
		0x2c, 0, 0, 0, RTM_NEWLINK, 0, 0x05, 0x00, 4, 3, 2, 1, 0, 0, 0, 0,
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, IFF_UP, 0, 0, 0, /* flags 0, change UP */
		9, 0, IFLA_IFNAME, 0, 'e', 't', 'h', '0', 0, 0, 0, 0,
	};
	n = nl_build_link_set(b, sizeof b, 0x01020304, "eth0", 0, 0);
	bytes_eq(b, n, link_down, sizeof link_down, "RTM_NEWLINK eth0 down, no MTU attribute");

	static const unsigned char addr_add[] = {
		0x28, 0, 0, 0, RTM_NEWADDR, 0, 0x05, 0x06, 4, 3, 2, 1, 0, 0, 0, 0, /* REQ|ACK|EXCL|CREATE */
		AF_INET, 24, 0, RT_SCOPE_UNIVERSE, 7, 0, 0, 0,
		8, 0, IFA_LOCAL, 0, 192, 0, 2, 50,
		8, 0, IFA_ADDRESS, 0, 192, 0, 2, 50,
	};
	n = nl_build_addr_change(b, sizeof b, 0x01020304, true, 7, "192.0.2.50", 24);
	bytes_eq(b, n, addr_add, sizeof addr_add, "RTM_NEWADDR 192.0.2.50/24 ifindex 7, IFA_LOCAL+IFA_ADDRESS");

	static const unsigned char addr_del_lo[] = {
		0x28, 0, 0, 0, RTM_DELADDR, 0, 0x05, 0x00, 4, 3, 2, 1, 0, 0, 0, 0,
		AF_INET, 8, 0, RT_SCOPE_HOST, 1, 0, 0, 0,
		8, 0, IFA_LOCAL, 0, 127, 0, 0, 2,
		8, 0, IFA_ADDRESS, 0, 127, 0, 0, 2,
	};
	n = nl_build_addr_change(b, sizeof b, 0x01020304, false, 1, "127.0.0.2", 8);
	bytes_eq(b, n, addr_del_lo, sizeof addr_del_lo, "RTM_DELADDR 127.0.0.2/8 gets host scope");

	is_int(nl_build_addr_change(b, sizeof b, 1, true, 1, "1.2.3", 24), -EINVAL, "three-part address refused");
	is_int(nl_build_addr_change(b, sizeof b, 1, true, 1, "1.2.3.4", 33), -EINVAL, "prefix length 33 refused");
	is_int(nl_build_addr_change(b, sizeof b, 1, true, 0, "1.2.3.4", 24), -EINVAL, "ifindex 0 refused");
	is_int(nl_build_link_get(b, sizeof b, 1, "abcdefghijklmnop"), -EINVAL, "16-character name refused");
	is_int(nl_build_link_get(b, sizeof b, 1, ""), -EINVAL, "empty name refused");
	is_int(nl_build_link_get(b, 40, 1, "eth0"), -ENOBUFS, "short buffer: -ENOBUFS, no overflow");
	is_int(nl_build_addr_dump(b, 20, 1), -ENOBUFS, "buffer shorter than the headers: -ENOBUFS");
}

static void test_addr_dump(struct nl_reply *r, const struct fixture *fa)
{
	size_t more;
	const struct clusterctl_ifaddr *a;

	is_int(feed(fa, r, &more), 0, "recorded address dump parses to NLMSG_DONE");
	is_int(more, fa->n - 1, "every datagram before the last says 'more'");
	is_int(r->n_addrs, 10, "ten IPv4 addresses in the recorded namespace");
	ok(!r->intr && r->error == 0, "not interrupted, no error");
	a = find_addr(r->addrs, r->n_addrs, "127.0.0.1");
	ok(a && a->scope == RT_SCOPE_HOST && a->prefixlen == 8 && a->ifindex == 1,
	   "127.0.0.1/8 host scope on ifindex 1");
	a = find_addr(r->addrs, r->n_addrs, "10.9.9.1");
	ok(a && a->prefixlen == 32, "point-to-point: IFA_LOCAL 10.9.9.1 used, not the peer");
	ok(!find_addr(r->addrs, r->n_addrs, "10.9.9.2"), "the peer 10.9.9.2 (IFA_ADDRESS) is not listed");
	a = find_addr(r->addrs, r->n_addrs, "10.1.0.6");
	ok(a && (a->addr_flags & IFA_F_SECONDARY), "10.1.0.6 is secondary");
	a = find_addr(r->addrs, r->n_addrs, "10.1.0.5");
	ok(a && !(a->addr_flags & IFA_F_SECONDARY) && (a->addr_flags & IFA_F_PERMANENT),
	   "10.1.0.5 is primary and permanent");
	a = find_addr(r->addrs, r->n_addrs, "10.2.0.7");
	ok(a && (a->addr_flags & IFA_F_DEPRECATED), "10.2.0.7 (preferred_lft 0) is deprecated");
	a = find_addr(r->addrs, r->n_addrs, "100.64.1.1");
	ok(a && a->prefixlen == 10 && a->scope == RT_SCOPE_UNIVERSE, "100.64.1.1/10 global");
}

static void test_link_dump(struct nl_reply *r, const struct fixture *fl)
{
	size_t more;
	const struct nl_link_info *l;

	is_int(feed(fl, r, &more), 0, "recorded link dump parses to NLMSG_DONE");
	is_int(r->n_links, 7, "seven links: lo eth0p eth0 cg0 docker_gwbridge down0 pub0");
	l = find_link(r, "lo");
	ok(l && l->ifindex == 1 && (l->flags & IFF_LOOPBACK) && (l->flags & IFF_UP) && l->mtu == 65536 &&
		   !l->kind[0], "lo: ifindex 1, LOOPBACK|UP, mtu 65536, no kind");
	l = find_link(r, "eth0");
	ok(l && !strcmp(l->kind, "veth") && (l->flags & IFF_UP) && l->mtu == 1500,
	   "eth0: kind veth (IFLA_LINKINFO/IFLA_INFO_KIND), up, mtu 1500");
	l = find_link(r, "docker_gwbridge");
	ok(l && !strcmp(l->kind, "bridge") && (l->flags & IFF_UP), "docker_gwbridge: kind bridge, up");
	l = find_link(r, "down0");
	ok(l && !(l->flags & IFF_UP) && l->operstate == IF_OPER_DOWN, "down0: not IFF_UP, operstate DOWN");
	l = find_link(r, "eth0p");
	ok(l && !(l->flags & IFF_UP), "the veth peer eth0p is down");
}

static void test_join(struct nl_reply *r)
{
	struct clusterctl_ifaddr *v = NULL;
	const struct clusterctl_ifaddr *a;
	size_t n = 0;
	struct nl_link_info saved;

	is_int(nl_join(r, &v, &n), 0, "addresses join their links");
	is_int(n, 10, "all ten joined");
	a = find_addr(v, n, "192.168.7.1");
	ok(a && !strcmp(a->ifname, "eth0"), "label eth0:1 maps to link eth0 (by ifindex, not label)");
	a = find_addr(v, n, "172.18.0.1");
	ok(a && !strcmp(a->ifname, "docker_gwbridge") && !strcmp(a->kind, "bridge"),
	   "172.18.0.1 on docker_gwbridge, kind bridge");
	a = find_addr(v, n, "100.64.9.9");
	ok(a && !strcmp(a->ifname, "down0") && !(a->link_flags & IFF_UP), "100.64.9.9 on down0, link not up");
	a = find_addr(v, n, "127.0.0.1");
	ok(a && (a->link_flags & IFF_LOOPBACK), "127.0.0.1 carries lo's LOOPBACK flag");
	free(v);

	/* an address whose link the link dump lacked: the dumps raced */
	for (size_t i = 0; i < r->n_links; i++)
		if (!strcmp(r->links[i].ifname, "pub0")) {
			saved = r->links[i];
			r->links[i] = r->links[--r->n_links];
			break;
		}
	is_int(nl_join(r, &v, &n), -EAGAIN, "address on a link missing from the link dump: -EAGAIN");
	ok(v == NULL && n == 0, "nothing returned then");
	r->links[r->n_links++] = saved;
}

static void test_flags_override(const struct fixture *fa)
{
	struct nl_reply r = {0};
	unsigned char *copy = malloc(fa->len[0]);
	struct nlmsghdr *nlh = (struct nlmsghdr *)copy;
	int rem = (int)fa->len[0];
	const struct clusterctl_ifaddr *a;

	memcpy(copy, fa->d[0], fa->len[0]);
	/* 10.1.0.5's u8 ifa_flags says deprecated; its u32 IFA_FLAGS says not */
	for (; mnl_nlmsg_ok(nlh, rem); nlh = mnl_nlmsg_next(nlh, &rem)) {
		struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);
		struct nlattr *at;
		mnl_attr_for_each(at, nlh, sizeof *ifa)
			if (mnl_attr_get_type(at) == IFA_LOCAL &&
			    mnl_attr_get_u32(at) == htonl(0x0a010005))
				ifa->ifa_flags = IFA_F_DEPRECATED;
	}
	nl_parse(copy, fa->len[0], fa->seq, fa->portid, &r);
	a = find_addr(r.addrs, r.n_addrs, "10.1.0.5");
	ok(a && !(a->addr_flags & IFA_F_DEPRECATED) && (a->addr_flags & IFA_F_PERMANENT),
	   "u32 IFA_FLAGS overrides the u8 ifa_flags");
	nl_reply_reset(&r);
	free(copy);
}

static void test_acks(void)
{
	static const struct {
		const char *file;
		int error;
		const char *msg;
	} cases[] = {
		{"link-set-ack", 0, ""},
		{"addr-add-ack", 0, ""},
		{"link-get-enodev", -ENODEV, NULL},
		{"link-set-einval", -EINVAL, "mtu less than device minimum"},
		{"addr-add-eexist", -EEXIST, "ipv4: Address already assigned"},
		{"addr-del-eaddrnotavail", -EADDRNOTAVAIL, NULL},
	};
	for (size_t i = 0; i < ARRAY_SIZE_(cases); i++) {
		struct fixture f;
		struct nl_reply r = {0};
		size_t more;
		if (load(cases[i].file, &f) < 0) {
			ok(0, "load %s", cases[i].file);
			continue;
		}
		is_int(feed(&f, &r, &more), 0, "%s: reply complete", cases[i].file);
		is_int(r.error, cases[i].error, "%s: NLMSG_ERROR gives %d", cases[i].file, cases[i].error);
		if (cases[i].msg)
			is_str(r.ext_msg, cases[i].msg, "%s: the kernel's extended-ACK text", cases[i].file);
		nl_reply_reset(&r);
		unload(&f);
	}
}

static void test_link_get(void)
{
	struct fixture f;
	struct nl_reply r = {0};
	size_t more;

	if (load("link-get-eth0", &f) < 0) {
		ok(0, "load link-get-eth0");
		return;
	}
	is_int(feed(&f, &r, &more), 0, "link get: RTM_NEWLINK then the ACK");
	is_int(more, 1, "the ACK comes in its own datagram");
	ok(r.n_links == 1 && !strcmp(r.links[0].ifname, "eth0") && r.links[0].ifindex == 3 &&
		   r.error == 0, "eth0, ifindex 3, ACK error 0");
	nl_reply_reset(&r);
	unload(&f);
}

static void test_hostile(const struct fixture *fa)
{
	struct nl_reply r = {0};
	unsigned char *copy;
	size_t len = fa->len[0];
	struct nlattr *at;
	struct nlmsghdr *nlh;

	is_int(nl_parse(fa->d[0], len, fa->seq + 1, fa->portid, &r), -EPROTO, "another request's seq: -EPROTO");
	is_int(nl_parse(fa->d[0], len, fa->seq, fa->portid + 1, &r), -ESRCH, "another socket's portid: -ESRCH");
	nl_reply_reset(&r);
	ok(nl_parse(fa->d[0], len, fa->seq, 0, &r) == 1, "portid 0 skips the portid check");
	nl_reply_reset(&r);
	is_int(nl_parse(fa->d[0], 10, fa->seq, fa->portid, &r), -EBADMSG, "10 bytes: -EBADMSG");
	nl_reply_reset(&r);
	/* cut inside the second message */
	nlh = (struct nlmsghdr *)fa->d[0];
	is_int(nl_parse(fa->d[0], NLMSG_ALIGN(nlh->nlmsg_len) + 20, fa->seq, fa->portid, &r), -EBADMSG,
	       "datagram cut inside a message: -EBADMSG");
	nl_reply_reset(&r);

	copy = malloc(len);
	memcpy(copy, fa->d[0], len);
	nlh = (struct nlmsghdr *)copy;
	/* 2 GiB or more: libmnl 1.0.4 takes it for a negative int and lets
	 * it through (found by tests/fuzz/fuzz-netlink). */
	{
		struct {
			struct nlmsghdr h;
			int err;
		} done = {{0x80000000u + sizeof done, NLMSG_DONE, NLM_F_MULTI, fa->seq, fa->portid}, 0};
		is_int(nl_parse(&done, sizeof done, fa->seq, fa->portid, &r), -EBADMSG,
		       "a message claiming more than the datagram holds: -EBADMSG");
		nl_reply_reset(&r);
	}
	/* Unpadded, its last attribute running into the padding: libmnl
	 * walks attributes to the padded end, past the datagram. */
	{
		unsigned char b[64] = {0};
		struct nlmsghdr *h = mnl_nlmsg_put_header(b);
		struct ifaddrmsg *ifa;
		h->nlmsg_type = RTM_NEWADDR;
		ifa = mnl_nlmsg_put_extra_header(h, sizeof *ifa);
		ifa->ifa_family = AF_INET;
		ifa->ifa_prefixlen = 24;
		ifa->ifa_index = 2;
		mnl_attr_put_u32(h, IFA_LOCAL, htonl(0x0a000005));
		h->nlmsg_len -= 3;
		is_int(nl_parse(b, h->nlmsg_len, 0, 0, &r), -EBADMSG,
		       "a message whose padding runs past the datagram: -EBADMSG");
		nl_reply_reset(&r);
	}
	memcpy(copy, fa->d[0], len);
	nlh->nlmsg_flags |= NLM_F_DUMP_INTR;
	nl_parse(copy, len, fa->seq, fa->portid, &r);
	ok(r.intr, "NLM_F_DUMP_INTR on a message is seen");
	nl_reply_reset(&r);

	memcpy(copy, fa->d[0], len);
	mnl_attr_for_each(at, nlh, sizeof(struct ifaddrmsg))
		if (mnl_attr_get_type(at) == IFA_ADDRESS) {
			at->nla_len = 7; /* a 3-byte address */
			break;
		}
	is_int(nl_parse(copy, len, fa->seq, fa->portid, &r), -EBADMSG, "3-byte IFA_ADDRESS fails validation");
	nl_reply_reset(&r);

	memcpy(copy, fa->d[0], len);
	nlh->nlmsg_len = sizeof(struct nlmsghdr) + 4; /* shorter than ifaddrmsg */
	is_int(nl_parse(copy, len, fa->seq, fa->portid, &r), -EBADMSG, "RTM_NEWADDR without a full ifaddrmsg");
	nl_reply_reset(&r);
	free(copy);

	/* an attribute type newer than our headers is skipped */
	{
		unsigned char b[256] = {0};
		struct nlmsghdr *h = mnl_nlmsg_put_header(b);
		struct ifinfomsg *ifi;
		h->nlmsg_type = RTM_NEWLINK;
		h->nlmsg_seq = 9;
		ifi = mnl_nlmsg_put_extra_header(h, sizeof *ifi);
		ifi->ifi_index = 42;
		ifi->ifi_flags = IFF_UP;
		mnl_attr_put_strz(h, IFLA_IFNAME, "new0");
		mnl_attr_put_u64(h, IFLA_MAX + 7, 0x1122334455667788ull);
		mnl_attr_put_u32(h, IFLA_MTU, 9000);
		is_int(nl_parse(b, h->nlmsg_len, 9, 0, &r), 1, "unknown attribute type IFLA_MAX+7 skipped");
		ok(r.n_links == 1 && r.links[0].mtu == 9000 && r.links[0].ifindex == 42,
		   "attributes after it still read");
		nl_reply_reset(&r);
		h->nlmsg_len = 0;
		memset(b, 0, sizeof b);
		h = mnl_nlmsg_put_header(b);
		h->nlmsg_type = RTM_NEWLINK;
		ifi = mnl_nlmsg_put_extra_header(h, sizeof *ifi);
		ifi->ifi_index = 43;
		mnl_attr_put_strz(h, IFLA_IFNAME, "abcdefghijklmnopq");
		is_int(nl_parse(b, h->nlmsg_len, 0, 0, &r), -EBADMSG, "17-character IFLA_IFNAME refused");
		nl_reply_reset(&r);
	}
}

/* A scripted socket: answers link and address dumps from fixtures,
 * rewriting seq/portid to the request's, optionally marking the address
 * dump interrupted for the first `intr_left` attempts. */
struct fake {
	const struct fixture *links, *addrs;
	const struct fixture *cur;
	size_t next;
	uint32_t seq;
	int intr_left;
	int requests;
	int bad_request;
};

static ssize_t fake_send(void *ctx, const void *buf, size_t len)
{
	struct fake *f = ctx;
	const struct nlmsghdr *q = buf;
	unsigned char want[256];
	int wl;

	f->requests++;
	f->seq = q->nlmsg_seq;
	f->next = 0;
	if (q->nlmsg_type == RTM_GETLINK) {
		f->cur = f->links;
		wl = nl_build_link_dump(want, sizeof want, q->nlmsg_seq);
	} else {
		f->cur = f->addrs;
		wl = nl_build_addr_dump(want, sizeof want, q->nlmsg_seq);
	}
	if (wl != (int)len || memcmp(want, buf, len))
		f->bad_request++;
	return (ssize_t)len;
}

static ssize_t fake_recv(void *ctx, void *buf, size_t len)
{
	struct fake *f = ctx;
	size_t n;
	int rem;
	struct nlmsghdr *nlh = buf;

	if (f->next >= f->cur->n)
		return -ETIMEDOUT;
	n = f->cur->len[f->next];
	if (n > len)
		return -ENOSPC;
	memcpy(buf, f->cur->d[f->next++], n);
	rem = (int)n;
	for (; mnl_nlmsg_ok(nlh, rem); nlh = mnl_nlmsg_next(nlh, &rem)) {
		nlh->nlmsg_seq = f->seq;
		nlh->nlmsg_pid = 4242;
		if (f->cur == f->addrs && f->intr_left > 0 && nlh->nlmsg_type == NLMSG_DONE)
			nlh->nlmsg_flags |= NLM_F_DUMP_INTR;
	}
	if (f->cur == f->addrs && f->next == f->cur->n && f->intr_left > 0)
		f->intr_left--;
	return (ssize_t)n;
}

static void test_retry(const struct fixture *fl, const struct fixture *fa)
{
	struct fake f = {.links = fl, .addrs = fa};
	struct nl_io io = {.send = fake_send, .recv = fake_recv, .portid = 4242, .seq = 100, .ctx = &f};
	struct clusterctl_ifaddr *v = NULL;
	size_t n = 0;

	f.intr_left = 2;
	is_int(nl_addr_list_io(&io, &v, &n), 0, "two interrupted dumps, then a clean one: success");
	is_int(f.requests, 6, "three attempts of link+address dumps");
	is_int(f.bad_request, 0, "each request is the builder's, with a fresh seq");
	ok(n == 10 && find_addr(v, n, "203.0.113.5") && !strcmp(find_addr(v, n, "203.0.113.5")->ifname, "pub0"),
	   "the clean attempt's ten addresses, joined");
	free(v);

	memset(&f, 0, sizeof f);
	f.links = fl;
	f.addrs = fa;
	f.intr_left = 1000;
	is_int(nl_addr_list_io(&io, &v, &n), -EAGAIN, "always interrupted: -EAGAIN");
	is_int(f.requests, 2 * NL_DUMP_TRIES, "after NL_DUMP_TRIES attempts, no more");
	ok(v == NULL && n == 0, "nothing returned");

	memset(&f, 0, sizeof f);
	f.links = fa; /* the address reply where links were expected: no links */
	f.addrs = fa;
	is_int(nl_addr_list_io(&io, &v, &n), -EAGAIN, "addresses never match a link: bounded, -EAGAIN");
	is_int(f.requests, 2 * NL_DUMP_TRIES, "redone NL_DUMP_TRIES times");
}

/* ---- generic netlink family lookup and plugin transactions ------------ */

/* The wireguard fixtures (tests/fixtures/wireguard/genl-*.hex). */
static size_t load_wg_hex(const char *name, uint8_t *out, size_t max)
{
	char path[512];
	snprintf(path, sizeof path, "%s/%s", WG_FIXTURES, name);
	return load_hex_path(path, out, max);
}

static void test_genl_family(void)
{
	uint8_t buf[256], want[256];
	uint16_t id = 0;
	size_t wl;
	int n;

	n = nl_build_genl_getfamily(buf, sizeof buf, 1, "wireguard");
	wl = load_wg_hex("genl-getfamily.hex", want, sizeof want);
	ok(n > 0 && wl == (size_t)n && memcmp(buf, want, wl) == 0, "CTRL_CMD_GETFAMILY request matches the fixture");
	is_int(nl_build_genl_getfamily(buf, sizeof buf, 1, ""), -EINVAL, "an empty family name is refused");
	wl = load_wg_hex("genl-family-reply.hex", want, sizeof want);
	ok(wl && nl_parse_genl_family(want, wl, &id) == 0 && id == 27, "family id 27 parsed from the reply");
	wl = load_wg_hex("genl-error-enoent.hex", want, sizeof want);
	is_int(nl_parse_genl_family(want, wl, &id), -EBADMSG, "an error message is no family reply");
}

/* One scripted reply per transaction; what the request looked like. */
static struct {
	uint8_t reply[512];
	size_t len;
	uint32_t seq, flags_seen;
	bool wrong_seq;
	int opened;
} tx;

static ssize_t tx_send(void *ctx, const void *buf, size_t len)
{
	const struct nlmsghdr *h = buf;
	struct nlmsghdr *r = (struct nlmsghdr *)tx.reply;
	(void)ctx;
	tx.seq = h->nlmsg_seq;
	tx.flags_seen = h->nlmsg_flags;
	r->nlmsg_seq = tx.wrong_seq ? h->nlmsg_seq - 1 : h->nlmsg_seq;
	return (ssize_t)len;
}

static ssize_t tx_recv(void *ctx, void *buf, size_t len)
{
	(void)ctx;
	if (tx.len > len)
		return -EMSGSIZE;
	memcpy(buf, tx.reply, tx.len);
	return (ssize_t)tx.len;
}

static int tx_open(void *env, int protocol, struct nl_io *io)
{
	(void)env, (void)protocol;
	tx.opened++;
	*io = (struct nl_io){.send = tx_send, .recv = tx_recv, .portid = 77};
	return 0;
}

static void tx_close(void *env, struct nl_io *io) { (void)env, (void)io; }

static void tx_error_reply(int err)
{
	struct nlmsghdr *h = (struct nlmsghdr *)tx.reply;
	struct nlmsgerr e = {.error = err};
	memset(tx.reply, 0, sizeof tx.reply);
	h->nlmsg_len = NLMSG_LENGTH(sizeof e);
	h->nlmsg_type = NLMSG_ERROR;
	h->nlmsg_pid = 77;
	memcpy(NLMSG_DATA(h), &e, sizeof e);
	tx.len = h->nlmsg_len;
}

static void test_transact(void)
{
	const struct nl_socket_ops ops = {tx_open, tx_close, NULL};
	uint8_t req[64];
	int n = nl_build_genl_getfamily(req, sizeof req, 0, "wireguard");
	uint32_t first;

	tx_error_reply(0);
	is_int(nl_transact_ops(&ops, NETLINK_GENERIC, req, (size_t)n, NULL, NULL, NULL), 0, "an ACK: 0");
	ok(tx.flags_seen & NLM_F_ACK && tx.flags_seen & NLM_F_REQUEST, "the host asks for the ACK itself");
	first = tx.seq;
	tx_error_reply(-ENODEV);
	is_int(nl_transact_ops(&ops, NETLINK_GENERIC, req, (size_t)n, NULL, NULL, NULL), -ENODEV,
	       "the kernel's NLMSG_ERROR becomes its -errno");
	ok(tx.seq != first && tx.seq != 0, "each transaction has a sequence number of its own (%u, then %u)", first,
	   tx.seq);
	ok(tx.opened == 2, "and a socket of its own");
	tx.wrong_seq = true;
	tx_error_reply(0);
	is_int(nl_transact_ops(&ops, NETLINK_GENERIC, req, (size_t)n, NULL, NULL, NULL), -EPROTO,
	       "a reply to another sequence number is refused");
	tx.wrong_seq = false;
	is_int(nl_transact_ops(&ops, 9, req, (size_t)n, NULL, NULL, NULL), -EPROTONOSUPPORT,
	       "only rtnetlink and generic netlink");
	is_int(nl_transact_ops(&ops, NETLINK_GENERIC, req, (size_t)n - 4, NULL, NULL, NULL), -EINVAL,
	       "a request whose length is not its header's is refused");
	ok(nl_next_seq() != nl_next_seq(), "the process-wide counter never repeats");
}

int main(void)
{
	struct fixture fa, fl;
	struct nl_reply r = {0};

	if (load("addr-dump", &fa) < 0 || load("link-dump", &fl) < 0) {
		printf("Bail out! fixtures missing in %s\n", FIXTURES);
		return 1;
	}
	test_builders();
	test_addr_dump(&r, &fa);
	test_link_dump(&r, &fl);
	test_join(&r);
	nl_reply_reset(&r);
	test_flags_override(&fa);
	test_link_get();
	test_acks();
	test_hostile(&fa);
	test_retry(&fl, &fa);
	test_genl_family();
	test_transact();
	unload(&fa);
	unload(&fl);
	return done_testing();
}
