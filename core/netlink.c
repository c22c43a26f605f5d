/* rtnetlink with libmnl.  Building and parsing are pure functions over
 * buffers (tests feed them recorded kernel messages); the socket is one
 * small struct nl_io so the dump-retry logic is testable too.
 *
 * We walk the messages of a datagram ourselves instead of mnl_cb_run():
 * libmnl versions differ in what they do with NLM_F_DUMP_INTR (some stop
 * with EINTR mid-datagram, leaving the rest of the dump queued), and the
 * NLMSG_DONE error code and extended-ACK text are ours to read anyway. */
#include "autoconfig.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>

#include <libmnl/libmnl.h>
#include <linux/if.h> /* after <net/if.h>: IF_OPER_*, IFF_LOWER_UP */
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include "cc-net.h"
#include "log.h"
#include "netlink.h"

#define NL_TIMEOUT_S 5 /* the kernel answers at once; this only bounds a wedged socket */
#define NL_REQ_BUF 256  /* our requests are < 100 bytes */

/* ---------------------------------------------------------------- build */

static struct nlmsghdr *put_header(void *buf, size_t size, size_t extra, uint16_t type,
				   uint16_t flags, uint32_t seq, void **extra_out)
{
	struct nlmsghdr *nlh;

	if (!buf || size < MNL_NLMSG_HDRLEN + MNL_ALIGN(extra))
		return NULL;
	memset(buf, 0, size);
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = flags;
	nlh->nlmsg_seq = seq;
	*extra_out = mnl_nlmsg_put_extra_header(nlh, extra);
	return nlh;
}

static bool ifname_ok(const char *ifname)
{
	return ifname && *ifname && strnlen(ifname, IFNAMSIZ) < IFNAMSIZ;
}

int nl_build_addr_dump(void *buf, size_t size, uint32_t seq)
{
	struct ifaddrmsg *ifa;
	struct nlmsghdr *nlh = put_header(buf, size, sizeof *ifa, RTM_GETADDR,
					  NLM_F_REQUEST | NLM_F_DUMP, seq, (void **)&ifa);
	if (!nlh)
		return -ENOBUFS;
	/* A full ifaddrmsg, not the 1-byte rtgenmsg of old examples: kernels
	 * in strict-checking mode expect it. */
	ifa->ifa_family = AF_INET;
	return (int)nlh->nlmsg_len;
}

int nl_build_link_dump(void *buf, size_t size, uint32_t seq)
{
	struct ifinfomsg *ifi;
	struct nlmsghdr *nlh = put_header(buf, size, sizeof *ifi, RTM_GETLINK,
					  NLM_F_REQUEST | NLM_F_DUMP, seq, (void **)&ifi);
	if (!nlh)
		return -ENOBUFS;
	ifi->ifi_family = AF_UNSPEC;
	/* Statistics are most of a link message and we read none of them. */
	if (!mnl_attr_put_u32_check(nlh, size, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS))
		return -ENOBUFS;
	return (int)nlh->nlmsg_len;
}

int nl_build_link_get(void *buf, size_t size, uint32_t seq, const char *ifname)
{
	struct ifinfomsg *ifi;
	struct nlmsghdr *nlh;

	if (!ifname_ok(ifname))
		return -EINVAL;
	nlh = put_header(buf, size, sizeof *ifi, RTM_GETLINK, NLM_F_REQUEST | NLM_F_ACK, seq,
			 (void **)&ifi);
	if (!nlh)
		return -ENOBUFS;
	ifi->ifi_family = AF_UNSPEC;
	if (!mnl_attr_put_strz_check(nlh, size, IFLA_IFNAME, ifname) ||
	    !mnl_attr_put_u32_check(nlh, size, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS))
		return -ENOBUFS;
	return (int)nlh->nlmsg_len;
}

int nl_build_link_set(void *buf, size_t size, uint32_t seq, const char *ifname, int up,
		      uint32_t mtu)
{
	struct ifinfomsg *ifi;
	struct nlmsghdr *nlh;

	if (!ifname_ok(ifname))
		return -EINVAL;
	/* RTM_NEWLINK without NLM_F_CREATE changes an existing link, found
	 * by IFLA_IFNAME since ifi_index is 0: one atomic request. */
	nlh = put_header(buf, size, sizeof *ifi, RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK, seq,
			 (void **)&ifi);
	if (!nlh)
		return -ENOBUFS;
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_change = IFF_UP;
	ifi->ifi_flags = up ? IFF_UP : 0;
	if (!mnl_attr_put_strz_check(nlh, size, IFLA_IFNAME, ifname))
		return -ENOBUFS;
	if (mtu > 0 && !mnl_attr_put_u32_check(nlh, size, IFLA_MTU, mtu))
		return -ENOBUFS;
	return (int)nlh->nlmsg_len;
}

int nl_build_addr_change(void *buf, size_t size, uint32_t seq, bool add, uint32_t ifindex,
			 const char *addr, uint8_t prefixlen)
{
	struct ifaddrmsg *ifa;
	struct nlmsghdr *nlh;
	struct in_addr in;
	uint32_t a;

	if (cc_parse_ipv4(addr, &a) < 0 || prefixlen > 32 || ifindex == 0)
		return -EINVAL;
	in.s_addr = htonl(a);
	nlh = put_header(buf, size, sizeof *ifa, add ? RTM_NEWADDR : RTM_DELADDR,
			 NLM_F_REQUEST | NLM_F_ACK | (add ? NLM_F_CREATE | NLM_F_EXCL : 0), seq,
			 (void **)&ifa);
	if (!nlh)
		return -ENOBUFS;
	ifa->ifa_family = AF_INET;
	ifa->ifa_prefixlen = prefixlen;
	ifa->ifa_scope = (a >> 24) == 127 ? RT_SCOPE_HOST : RT_SCOPE_UNIVERSE;
	ifa->ifa_index = ifindex;
	/* Both, as iproute2 sends them: on a point-to-point link IFA_ADDRESS
	 * would be the peer; here the address is its own peer. */
	if (!mnl_attr_put_check(nlh, size, IFA_LOCAL, sizeof in, &in) ||
	    !mnl_attr_put_check(nlh, size, IFA_ADDRESS, sizeof in, &in))
		return -ENOBUFS;
	return (int)nlh->nlmsg_len;
}

/* ---------------------------------------------------------------- parse */

void nl_reply_reset(struct nl_reply *r)
{
	free(r->addrs);
	free(r->links);
	memset(r, 0, sizeof *r);
}

static void *grow(void *v, size_t *cap, size_t n, size_t elem)
{
	size_t ncap;
	void *p;

	if (n < *cap)
		return v;
	ncap = *cap ? *cap * 2 : 16;
	if (ncap > SIZE_MAX / elem)
		return NULL;
	p = realloc(v, ncap * elem);
	if (p)
		*cap = ncap;
	return p;
}

static int addr_attr_cb(const struct nlattr *a, void *data)
{
	const struct nlattr **tb = data;
	int type = mnl_attr_get_type(a);
	int rc = 0;

	/* Attributes newer than our headers: not ours to judge. */
	if (mnl_attr_type_valid(a, IFA_MAX) < 0)
		return MNL_CB_OK;
	switch (type) {
	case IFA_ADDRESS:
	case IFA_LOCAL:
	case IFA_BROADCAST:
	case IFA_FLAGS:
		rc = mnl_attr_validate(a, MNL_TYPE_U32); /* exactly 4 bytes */
		break;
	case IFA_LABEL:
		rc = mnl_attr_validate(a, MNL_TYPE_NUL_STRING);
		break;
	case IFA_CACHEINFO:
		rc = mnl_attr_validate2(a, MNL_TYPE_BINARY, sizeof(struct ifa_cacheinfo));
		break;
	}
	if (rc < 0)
		return MNL_CB_ERROR;
	tb[type] = a;
	return MNL_CB_OK;
}

static int parse_addr(const struct nlmsghdr *nlh, struct nl_reply *r)
{
	const struct nlattr *tb[IFA_MAX + 1] = {0};
	const struct ifaddrmsg *ifa;
	const struct nlattr *ap;
	struct clusterctl_ifaddr *e;
	void *v;

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof *ifa)
		return -EBADMSG;
	ifa = mnl_nlmsg_get_payload(nlh);
	if (ifa->ifa_family != AF_INET)
		return 0;
	if (ifa->ifa_prefixlen > 32)
		return -EBADMSG;
	if (mnl_attr_parse(nlh, sizeof *ifa, addr_attr_cb, tb) < 0)
		return -EBADMSG;
	/* On a point-to-point link IFA_ADDRESS is the peer, IFA_LOCAL ours. */
	ap = tb[IFA_LOCAL] ? tb[IFA_LOCAL] : tb[IFA_ADDRESS];
	if (!ap)
		return 0;
	v = grow(r->addrs, &r->cap_addrs, r->n_addrs, sizeof *r->addrs);
	if (!v)
		return -ENOMEM;
	r->addrs = v;
	e = &r->addrs[r->n_addrs];
	memset(e, 0, sizeof *e);
	e->ifindex = ifa->ifa_index;
	/* The u32 attribute carries flags beyond the u8 field's 8 bits. */
	e->addr_flags = tb[IFA_FLAGS] ? mnl_attr_get_u32(tb[IFA_FLAGS]) : ifa->ifa_flags;
	e->prefixlen = ifa->ifa_prefixlen;
	e->scope = ifa->ifa_scope;
	if (!inet_ntop(AF_INET, mnl_attr_get_payload(ap), e->addr, sizeof e->addr))
		return -EBADMSG;
	r->n_addrs++;
	return 0;
}

static int linkinfo_attr_cb(const struct nlattr *a, void *data)
{
	const struct nlattr **kind = data;

	if (mnl_attr_type_valid(a, IFLA_INFO_MAX) < 0)
		return MNL_CB_OK;
	if (mnl_attr_get_type(a) == IFLA_INFO_KIND) {
		if (mnl_attr_validate(a, MNL_TYPE_NUL_STRING) < 0)
			return MNL_CB_ERROR;
		*kind = a;
	}
	return MNL_CB_OK;
}

static int link_attr_cb(const struct nlattr *a, void *data)
{
	const struct nlattr **tb = data;
	int type = mnl_attr_get_type(a);
	int rc = 0;

	if (mnl_attr_type_valid(a, IFLA_MAX) < 0)
		return MNL_CB_OK;
	switch (type) {
	case IFLA_IFNAME:
		rc = mnl_attr_validate(a, MNL_TYPE_NUL_STRING);
		break;
	case IFLA_MTU:
		rc = mnl_attr_validate(a, MNL_TYPE_U32);
		break;
	case IFLA_OPERSTATE:
		rc = mnl_attr_validate(a, MNL_TYPE_U8);
		break;
	case IFLA_LINKINFO:
		rc = mnl_attr_validate(a, MNL_TYPE_NESTED);
		break;
	}
	if (rc < 0)
		return MNL_CB_ERROR;
	tb[type] = a;
	return MNL_CB_OK;
}

static int parse_link(const struct nlmsghdr *nlh, struct nl_reply *r)
{
	const struct nlattr *tb[IFLA_MAX + 1] = {0};
	const struct nlattr *kind = NULL;
	const struct ifinfomsg *ifi;
	struct nl_link_info *e;
	const char *name;
	void *v;

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof *ifi)
		return -EBADMSG;
	ifi = mnl_nlmsg_get_payload(nlh);
	if (mnl_attr_parse(nlh, sizeof *ifi, link_attr_cb, tb) < 0)
		return -EBADMSG;
	if (!tb[IFLA_IFNAME] || ifi->ifi_index <= 0)
		return -EBADMSG;
	name = mnl_attr_get_str(tb[IFLA_IFNAME]); /* NUL-terminated: validated */
	if (!*name || strlen(name) >= IFNAMSIZ)
		return -EBADMSG;
	if (tb[IFLA_LINKINFO] && mnl_attr_parse_nested(tb[IFLA_LINKINFO], linkinfo_attr_cb, &kind) < 0)
		return -EBADMSG;
	v = grow(r->links, &r->cap_links, r->n_links, sizeof *r->links);
	if (!v)
		return -ENOMEM;
	r->links = v;
	e = &r->links[r->n_links];
	memset(e, 0, sizeof *e);
	e->ifindex = (uint32_t)ifi->ifi_index;
	e->flags = ifi->ifi_flags;
	e->mtu = tb[IFLA_MTU] ? mnl_attr_get_u32(tb[IFLA_MTU]) : 0;
	e->operstate = tb[IFLA_OPERSTATE] ? mnl_attr_get_u8(tb[IFLA_OPERSTATE]) : IF_OPER_UNKNOWN;
	memcpy(e->ifname, name, strlen(name) + 1);
	/* A kind is informational (never used to exclude): a name longer
	 * than our field is cut rather than failing the dump. */
	if (kind)
		snprintf(e->kind, sizeof e->kind, "%s", mnl_attr_get_str(kind));
	r->n_links++;
	return 0;
}

static int ext_ack_cb(const struct nlattr *a, void *data)
{
	struct nl_reply *r = data;

	if (mnl_attr_type_valid(a, NLMSGERR_ATTR_MAX) < 0)
		return MNL_CB_OK;
	if (mnl_attr_get_type(a) == NLMSGERR_ATTR_MSG) {
		if (mnl_attr_validate(a, MNL_TYPE_NUL_STRING) < 0)
			return MNL_CB_ERROR;
		snprintf(r->ext_msg, sizeof r->ext_msg, "%s", mnl_attr_get_str(a));
	}
	return MNL_CB_OK;
}

static int parse_error(const struct nlmsghdr *nlh, struct nl_reply *r)
{
	const struct nlmsgerr *e;
	size_t plen = mnl_nlmsg_get_payload_len(nlh), off = sizeof *e;

	if (plen < sizeof *e)
		return -EBADMSG;
	e = mnl_nlmsg_get_payload(nlh);
	if (e->error > 0 || e->error < -4095)
		return -EBADMSG;
	r->error = e->error;
	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return 0;
	/* TLVs follow the echoed request, or only its header when capped. */
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED)) {
		if (e->msg.nlmsg_len < sizeof(struct nlmsghdr))
			return -EBADMSG;
		off += e->msg.nlmsg_len - sizeof(struct nlmsghdr);
	}
	off = MNL_ALIGN(off);
	if (off > plen)
		return -EBADMSG;
	if (mnl_attr_parse_payload((const char *)e + off, plen - off, ext_ack_cb, r) < 0)
		return -EBADMSG;
	return 0;
}

static int parse_done(const struct nlmsghdr *nlh, struct nl_reply *r)
{
	int err;

	/* A dump that failed part-way ends with DONE carrying -errno. */
	if (mnl_nlmsg_get_payload_len(nlh) >= sizeof err) {
		memcpy(&err, mnl_nlmsg_get_payload(nlh), sizeof err);
		if (err > 0 || err < -4095)
			return -EBADMSG;
		r->error = err;
	}
	return 0;
}

int nl_parse(const void *buf, size_t len, uint32_t seq, uint32_t portid, struct nl_reply *r)
{
	const struct nlmsghdr *nlh = buf;
	int rem, rc = 0;

	if (!buf || len > INT_MAX)
		return -EMSGSIZE;
	rem = (int)len;
	if (!mnl_nlmsg_ok(nlh, rem))
		return -EBADMSG;
	while (mnl_nlmsg_ok(nlh, rem)) {
		if (!mnl_nlmsg_portid_ok(nlh, portid))
			return -ESRCH;
		if (!mnl_nlmsg_seq_ok(nlh, seq))
			return -EPROTO;
		/* Seen on data messages and, on newer kernels, on DONE. */
		if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
			r->intr = true;
		switch (nlh->nlmsg_type) {
		case NLMSG_ERROR:
			rc = parse_error(nlh, r);
			return rc < 0 ? rc : 0;
		case NLMSG_DONE:
			rc = parse_done(nlh, r);
			return rc < 0 ? rc : 0;
		case NLMSG_OVERRUN:
			return -ENOBUFS;
		case RTM_NEWADDR:
			rc = parse_addr(nlh, r);
			break;
		case RTM_NEWLINK:
			rc = parse_link(nlh, r);
			break;
		default: /* NLMSG_NOOP and anything we did not ask about */
			break;
		}
		if (rc < 0)
			return rc;
		nlh = mnl_nlmsg_next(nlh, &rem);
	}
	return rem > 0 ? -EBADMSG : 1;
}

int nl_join(const struct nl_reply *r, struct clusterctl_ifaddr **out, size_t *count)
{
	struct clusterctl_ifaddr *v = NULL;

	*out = NULL;
	*count = 0;
	if (r->n_addrs) {
		v = calloc(r->n_addrs, sizeof *v);
		if (!v)
			return -ENOMEM;
	}
	for (size_t i = 0; i < r->n_addrs; i++) {
		const struct nl_link_info *l = NULL;
		for (size_t j = 0; j < r->n_links && !l; j++)
			if (r->links[j].ifindex == r->addrs[i].ifindex)
				l = &r->links[j];
		if (!l) {
			free(v);
			return -EAGAIN;
		}
		v[i] = r->addrs[i];
		memcpy(v[i].ifname, l->ifname, sizeof v[i].ifname);
		memcpy(v[i].kind, l->kind, sizeof v[i].kind);
		v[i].link_flags = l->flags;
	}
	*out = v;
	*count = r->n_addrs;
	return 0;
}

/* ------------------------------------------------------------------- io */

/* Send one request and parse datagrams until its reply is complete.
 * Returns the kernel's error (<= 0) or -errno of the exchange. */
static int nl_exchange(struct nl_io *io, const void *req, int reqlen, struct nl_reply *r)
{
	const struct nlmsghdr *q = req;
	void *buf;
	ssize_t n;
	int rc;

	if (reqlen < 0)
		return reqlen;
	buf = malloc(NL_RECV_BUF);
	if (!buf)
		return -ENOMEM;
	r->error = 0;
	r->ext_msg[0] = '\0';
	n = io->send(io->ctx, req, (size_t)reqlen);
	if (n < 0) {
		rc = (int)n;
		goto out;
	}
	do {
		n = io->recv(io->ctx, buf, NL_RECV_BUF);
		if (n < 0) {
			rc = (int)n;
			goto out;
		}
		rc = nl_parse(buf, (size_t)n, q->nlmsg_seq, io->portid, r);
	} while (rc > 0);
	if (rc == 0 && r->error < 0) {
		rc = r->error;
		if (r->ext_msg[0])
			log_debug("rtnetlink refused a request type=%u error=%d kernel_says=\"%s\"",
				  q->nlmsg_type, -rc, r->ext_msg);
	}
out:
	free(buf);
	return rc;
}

int nl_addr_list_io(struct nl_io *io, struct clusterctl_ifaddr **out, size_t *count)
{
	struct nl_reply r = {0};
	char req[NL_REQ_BUF];
	int rc = -EAGAIN;

	*out = NULL;
	*count = 0;
	for (int attempt = 1; attempt <= NL_DUMP_TRIES; attempt++) {
		nl_reply_reset(&r);
		rc = nl_exchange(io, req, nl_build_link_dump(req, sizeof req, ++io->seq), &r);
		if (rc < 0)
			goto out;
		rc = nl_exchange(io, req, nl_build_addr_dump(req, sizeof req, ++io->seq), &r);
		if (rc < 0)
			goto out;
		if (r.intr) {
			log_debug("rtnetlink dump interrupted by a change, redoing it attempt=%d", attempt);
			rc = -EAGAIN;
			continue;
		}
		rc = nl_join(&r, out, count);
		if (rc != -EAGAIN)
			goto out;
		log_debug("an address names a link missing from the link dump, redoing both attempt=%d",
			  attempt);
	}
	log_warn("rtnetlink: interfaces kept changing during %d dumps; giving up", NL_DUMP_TRIES);
out:
	nl_reply_reset(&r);
	return rc;
}

static ssize_t sock_send(void *ctx, const void *buf, size_t len)
{
	ssize_t n = mnl_socket_sendto(ctx, buf, len);
	return n < 0 ? -errno : n;
}

static ssize_t sock_recv(void *ctx, void *buf, size_t len)
{
	ssize_t n = mnl_socket_recvfrom(ctx, buf, len);
	if (n < 0)
		return errno == EAGAIN || errno == EWOULDBLOCK ? -ETIMEDOUT : -errno;
	return n;
}

static int nl_open(struct nl_io *io)
{
	struct timeval tv = {NL_TIMEOUT_S, 0};
	struct mnl_socket *nl;
	int one = 1, rc;

	nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	if (!nl)
		return -errno;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0 ||
	    setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) < 0) {
		rc = -errno;
		mnl_socket_close(nl);
		return rc;
	}
	/* Best effort: the kernel's own words in errors, and no echo of our
	 * request in ACKs.  Old kernels lack them; that costs nothing. */
	(void)mnl_socket_setsockopt(nl, NETLINK_EXT_ACK, &one, sizeof one);
	(void)mnl_socket_setsockopt(nl, NETLINK_CAP_ACK, &one, sizeof one);
	io->send = sock_send;
	io->recv = sock_recv;
	io->portid = mnl_socket_get_portid(nl);
	io->seq = (uint32_t)time(NULL);
	io->ctx = nl;
	return 0;
}

static void nl_close(struct nl_io *io)
{
	if (io->ctx)
		mnl_socket_close(io->ctx);
	io->ctx = NULL;
}

int nl_addr_list(struct clusterctl_ifaddr **out, size_t *count)
{
	struct nl_io io = {0};
	int rc;

	*out = NULL;
	*count = 0;
	rc = nl_open(&io);
	if (rc < 0)
		return rc;
	rc = nl_addr_list_io(&io, out, count);
	nl_close(&io);
	return rc;
}

static int link_get_io(struct nl_io *io, const char *ifname, struct nl_link_info *out)
{
	struct nl_reply r = {0};
	char req[NL_REQ_BUF];
	int rc;

	rc = nl_exchange(io, req, nl_build_link_get(req, sizeof req, ++io->seq, ifname), &r);
	if (rc < 0)
		goto out;
	if (r.n_links != 1 || strcmp(r.links[0].ifname, ifname) != 0) {
		rc = -EBADMSG;
		goto out;
	}
	*out = r.links[0];
out:
	nl_reply_reset(&r);
	return rc;
}

int nl_link_get(const char *ifname, struct clusterctl_link *out)
{
	struct nl_io io = {0};
	struct nl_link_info l;
	int rc;

	if (!ifname_ok(ifname))
		return -EINVAL;
	rc = nl_open(&io);
	if (rc < 0)
		return rc;
	rc = link_get_io(&io, ifname, &l);
	nl_close(&io);
	if (rc < 0)
		return rc;
	memset(out, 0, sizeof *out);
	out->ifindex = l.ifindex;
	out->flags = l.flags;
	out->mtu = l.mtu;
	out->operstate = l.operstate;
	memcpy(out->kind, l.kind, sizeof out->kind);
	return 0;
}

int nl_link_set(const char *ifname, int up, uint32_t mtu)
{
	struct nl_io io = {0};
	struct nl_reply r = {0};
	char req[NL_REQ_BUF];
	int rc;

	if (!ifname_ok(ifname))
		return -EINVAL;
	rc = nl_open(&io);
	if (rc < 0)
		return rc;
	rc = nl_exchange(&io, req, nl_build_link_set(req, sizeof req, ++io.seq, ifname, up, mtu), &r);
	nl_reply_reset(&r);
	nl_close(&io);
	return rc;
}

static int addr_change(bool add, const char *ifname, const char *addr, uint8_t prefixlen)
{
	struct nl_io io = {0};
	struct nl_reply r = {0};
	struct nl_link_info l;
	char req[NL_REQ_BUF];
	int rc;

	if (!ifname_ok(ifname) || !cc_ipv4_valid(addr) || prefixlen > 32)
		return -EINVAL;
	rc = nl_open(&io);
	if (rc < 0)
		return rc;
	rc = link_get_io(&io, ifname, &l);
	if (rc < 0)
		goto out;
	rc = nl_exchange(&io, req,
			 nl_build_addr_change(req, sizeof req, ++io.seq, add, l.ifindex, addr, prefixlen),
			 &r);
	/* Adding what is there already is the state the caller wants. */
	if (add && rc == -EEXIST)
		rc = 0;
out:
	nl_reply_reset(&r);
	nl_close(&io);
	return rc;
}

int nl_addr_add(const char *ifname, const char *addr, uint8_t prefixlen)
{
	return addr_change(true, ifname, addr, prefixlen);
}

int nl_addr_del(const char *ifname, const char *addr, uint8_t prefixlen)
{
	return addr_change(false, ifname, addr, prefixlen);
}
