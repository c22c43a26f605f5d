/* The kernel's WireGuard generic-netlink family ("wireguard", version 1,
 * include/uapi/linux/wireguard.h), spoken with libmnl.  The builders and
 * the parser work on caller buffers so they are unit-tested against
 * constructed messages; this machine's kernel has no WireGuard, so the
 * socket half is exercised only up to the family lookup (ENOENT). */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/wireguard.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "wg.h"

/* libmnl 1.0.4 lacks DUMP_BUF; a dump message may use 32 KiB. */
#define DUMP_BUF 32768
/* Requests we build are small; zeroed so no stack byte leaks to the kernel. */
#define SEND_BUF 8192

static struct nlmsghdr *genl_start(void *buf, uint16_t type, uint16_t flags, uint32_t seq,
				   uint8_t cmd, uint8_t version)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct genlmsghdr *g;
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = flags;
	nlh->nlmsg_seq = seq;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof *g);
	g->cmd = cmd;
	g->version = version;
	return nlh;
}

struct nlmsghdr *wg_genl_build_getfamily(void *buf, uint32_t seq)
{
	struct nlmsghdr *nlh = genl_start(buf, GENL_ID_CTRL, NLM_F_REQUEST | NLM_F_ACK, seq,
					  CTRL_CMD_GETFAMILY, 1);
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, WG_GENL_NAME);
	return nlh;
}

static int nl_error_of(const struct nlmsghdr *nlh)
{
	const struct nlmsgerr *e;
	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof *e))
		return -EBADMSG;
	e = mnl_nlmsg_get_payload(nlh);
	return e->error > 0 ? -e->error : e->error;
}

int wg_genl_parse_family(const struct nlmsghdr *nlh, uint16_t *id)
{
	const struct nlattr *a;
	if (nlh->nlmsg_type == NLMSG_ERROR) {
		int e = nl_error_of(nlh);
		return e ? e : -ENODATA;
	}
	if (nlh->nlmsg_type != GENL_ID_CTRL || nlh->nlmsg_len < mnl_nlmsg_size(GENL_HDRLEN))
		return -EBADMSG;
	mnl_attr_for_each(a, nlh, GENL_HDRLEN)
	{
		if (mnl_attr_get_type(a) == CTRL_ATTR_FAMILY_ID) {
			if (mnl_attr_validate(a, MNL_TYPE_U16) < 0)
				return -EBADMSG;
			*id = mnl_attr_get_u16(a);
			return 0;
		}
	}
	return -EBADMSG;
}

struct nlmsghdr *wg_genl_build_get(void *buf, uint16_t family, uint32_t seq, const char *ifname)
{
	struct nlmsghdr *nlh = genl_start(buf, family, NLM_F_REQUEST | NLM_F_ACK | NLM_F_DUMP, seq,
					  WG_CMD_GET_DEVICE, WG_GENL_VERSION);
	mnl_attr_put_strz(nlh, WGDEVICE_A_IFNAME, ifname);
	return nlh;
}

static int parse_allowed(const struct nlattr *nest, struct wg_peer *p)
{
	const struct nlattr *a, *e;
	mnl_attr_for_each_nested(e, nest)
	{
		struct wg_allowed_ip ip = {0};
		bool have_family = false, have_addr = false, have_cidr = false;
		const void *addr = NULL;
		uint16_t alen = 0;
		int r;

		mnl_attr_for_each_nested(a, e)
		{
			switch (mnl_attr_get_type(a)) {
			case WGALLOWEDIP_A_FAMILY:
				if (mnl_attr_validate(a, MNL_TYPE_U16) < 0)
					return -EBADMSG;
				ip.family = mnl_attr_get_u16(a);
				have_family = true;
				break;
			case WGALLOWEDIP_A_IPADDR:
				addr = mnl_attr_get_payload(a);
				alen = mnl_attr_get_payload_len(a);
				have_addr = true;
				break;
			case WGALLOWEDIP_A_CIDR_MASK:
				if (mnl_attr_validate(a, MNL_TYPE_U8) < 0)
					return -EBADMSG;
				ip.cidr = mnl_attr_get_u8(a);
				have_cidr = true;
				break;
			}
		}
		if (!have_family || !have_addr || !have_cidr)
			return -EBADMSG;
		if (ip.family == AF_INET && alen == 4 && ip.cidr <= 32) {
			uint32_t v;
			memcpy(&v, addr, 4);
			ip.addr.v4 = ntohl(v);
		} else if (ip.family == AF_INET6 && alen == 16 && ip.cidr <= 128) {
			memcpy(ip.addr.v6, addr, 16);
		} else {
			return -EBADMSG;
		}
		if ((r = wg_peer_add_allowed(p, &ip)) < 0)
			return r;
	}
	return 0;
}

static int parse_peer(const struct nlattr *nest, struct wg_device *dev)
{
	const struct nlattr *a;
	struct wg_peer tmp = {0}, *p;
	const struct nlattr *allowed = NULL;
	bool have_key = false;
	int r;

	mnl_attr_for_each_nested(a, nest)
	{
		uint16_t len = mnl_attr_get_payload_len(a);
		const void *pl = mnl_attr_get_payload(a);
		switch (mnl_attr_get_type(a)) {
		case WGPEER_A_PUBLIC_KEY:
			if (len != WG_KEY_LEN)
				return -EBADMSG;
			memcpy(tmp.public_key, pl, WG_KEY_LEN);
			have_key = true;
			break;
		case WGPEER_A_ENDPOINT:
			if (len == sizeof(struct sockaddr_in)) {
				struct sockaddr_in sin;
				memcpy(&sin, pl, sizeof sin);
				if (sin.sin_family != AF_INET)
					return -EBADMSG;
				tmp.endpoint.family = AF_INET;
				tmp.endpoint.addr.v4 = ntohl(sin.sin_addr.s_addr);
				tmp.endpoint.port = ntohs(sin.sin_port);
			} else if (len == sizeof(struct sockaddr_in6)) {
				struct sockaddr_in6 sin6;
				memcpy(&sin6, pl, sizeof sin6);
				if (sin6.sin6_family != AF_INET6)
					return -EBADMSG;
				tmp.endpoint.family = AF_INET6;
				memcpy(tmp.endpoint.addr.v6, &sin6.sin6_addr, 16);
				tmp.endpoint.port = ntohs(sin6.sin6_port);
			} else {
				return -EBADMSG;
			}
			break;
		case WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL:
			if (mnl_attr_validate(a, MNL_TYPE_U16) < 0)
				return -EBADMSG;
			tmp.keepalive = mnl_attr_get_u16(a);
			break;
		case WGPEER_A_LAST_HANDSHAKE_TIME: {
			struct {
				int64_t sec, nsec;
			} ts;
			if (len != sizeof ts)
				return -EBADMSG;
			memcpy(&ts, pl, sizeof ts);
			tmp.last_handshake_sec = ts.sec;
			tmp.last_handshake_nsec = ts.nsec;
			break;
		}
		case WGPEER_A_RX_BYTES:
			if (mnl_attr_validate(a, MNL_TYPE_U64) < 0)
				return -EBADMSG;
			tmp.rx_bytes = mnl_attr_get_u64(a);
			break;
		case WGPEER_A_TX_BYTES:
			if (mnl_attr_validate(a, MNL_TYPE_U64) < 0)
				return -EBADMSG;
			tmp.tx_bytes = mnl_attr_get_u64(a);
			break;
		case WGPEER_A_ALLOWEDIPS:
			allowed = a;
			break;
		}
	}
	if (!have_key)
		return -EBADMSG;
	/* A peer cut across dump messages comes back with only its key and
	 * the rest of its allowed IPs: merge it into its first part. */
	if (dev->n_peers && memcmp(dev->peers[dev->n_peers - 1].public_key, tmp.public_key,
				   WG_KEY_LEN) == 0) {
		p = &dev->peers[dev->n_peers - 1];
	} else {
		if (wg_device_find_peer(dev, tmp.public_key))
			return -EBADMSG;
		if (!(p = wg_device_add_peer(dev)))
			return -E2BIG;
		*p = tmp;
	}
	if (allowed && (r = parse_allowed(allowed, p)) < 0)
		return r;
	return 0;
}

int wg_genl_parse_device(const struct nlmsghdr *nlh, struct wg_device *dev)
{
	const struct nlattr *a;
	int r;

	if (nlh->nlmsg_type == NLMSG_ERROR)
		return nl_error_of(nlh);
	if (nlh->nlmsg_len < mnl_nlmsg_size(GENL_HDRLEN))
		return -EBADMSG;
	mnl_attr_for_each(a, nlh, GENL_HDRLEN)
	{
		uint16_t len = mnl_attr_get_payload_len(a);
		switch (mnl_attr_get_type(a)) {
		case WGDEVICE_A_IFINDEX:
			if (mnl_attr_validate(a, MNL_TYPE_U32) < 0)
				return -EBADMSG;
			dev->ifindex = mnl_attr_get_u32(a);
			break;
		case WGDEVICE_A_IFNAME: {
			const char *s = mnl_attr_get_payload(a);
			if (len == 0 || len > WG_IFNAME_MAX + 1 || s[len - 1] != '\0' ||
			    !wg_valid_ifname(s))
				return -EBADMSG;
			memcpy(dev->ifname, s, len);
			break;
		}
		case WGDEVICE_A_PRIVATE_KEY:
			if (len != WG_KEY_LEN)
				return -EBADMSG;
			memcpy(dev->private_key, mnl_attr_get_payload(a), WG_KEY_LEN);
			dev->has_private_key = !wg_key_is_zero(dev->private_key);
			break;
		case WGDEVICE_A_PUBLIC_KEY:
			if (len != WG_KEY_LEN)
				return -EBADMSG;
			memcpy(dev->public_key, mnl_attr_get_payload(a), WG_KEY_LEN);
			dev->has_public_key = !wg_key_is_zero(dev->public_key);
			break;
		case WGDEVICE_A_LISTEN_PORT:
			if (mnl_attr_validate(a, MNL_TYPE_U16) < 0)
				return -EBADMSG;
			dev->listen_port = mnl_attr_get_u16(a);
			break;
		case WGDEVICE_A_FWMARK:
			if (mnl_attr_validate(a, MNL_TYPE_U32) < 0)
				return -EBADMSG;
			dev->fwmark = mnl_attr_get_u32(a);
			break;
		case WGDEVICE_A_PEERS: {
			const struct nlattr *p;
			mnl_attr_for_each_nested(p, a)
			{
				if ((r = parse_peer(p, dev)) < 0)
					return r;
			}
			break;
		}
		}
	}
	return 0;
}

/* One peer into nlh, all or nothing within `limit` bytes of message. */
static bool put_peer(struct nlmsghdr *nlh, size_t limit, const struct wg_peer *p)
{
	struct nlattr *peer, *ips, *ip;
	uint32_t flags = 0;

	if (!(peer = mnl_attr_nest_start_check(nlh, limit, 0)))
		return false;
	if (!mnl_attr_put_check(nlh, limit, WGPEER_A_PUBLIC_KEY, WG_KEY_LEN, p->public_key))
		goto cancel;
	if (p->flags & WG_PEER_REMOVE)
		flags |= WGPEER_F_REMOVE_ME;
	if (p->flags & WG_PEER_REPLACE_ALLOWED_IPS)
		flags |= WGPEER_F_REPLACE_ALLOWEDIPS;
	if (flags && !mnl_attr_put_u32_check(nlh, limit, WGPEER_A_FLAGS, flags))
		goto cancel;
	if (p->flags & WG_PEER_REMOVE)
		goto done;
	if (p->flags & WG_PEER_SET_ENDPOINT && p->endpoint.family == AF_INET) {
		struct sockaddr_in sin = {.sin_family = AF_INET,
					  .sin_port = htons(p->endpoint.port),
					  .sin_addr.s_addr = htonl(p->endpoint.addr.v4)};
		if (!mnl_attr_put_check(nlh, limit, WGPEER_A_ENDPOINT, sizeof sin, &sin))
			goto cancel;
	}
	if (p->flags & WG_PEER_SET_KEEPALIVE &&
	    !mnl_attr_put_u16_check(nlh, limit, WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL, p->keepalive))
		goto cancel;
	if (p->flags & WG_PEER_REPLACE_ALLOWED_IPS) {
		if (!(ips = mnl_attr_nest_start_check(nlh, limit, WGPEER_A_ALLOWEDIPS)))
			goto cancel;
		for (size_t i = 0; i < p->n_allowed; i++) {
			uint32_t v = htonl(p->allowed[i].addr.v4);
			if (p->allowed[i].family != AF_INET)
				goto cancel;
			if (!(ip = mnl_attr_nest_start_check(nlh, limit, 0)) ||
			    !mnl_attr_put_u16_check(nlh, limit, WGALLOWEDIP_A_FAMILY, AF_INET) ||
			    !mnl_attr_put_check(nlh, limit, WGALLOWEDIP_A_IPADDR, 4, &v) ||
			    !mnl_attr_put_u8_check(nlh, limit, WGALLOWEDIP_A_CIDR_MASK, p->allowed[i].cidr))
				goto cancel;
			mnl_attr_nest_end(nlh, ip);
		}
		mnl_attr_nest_end(nlh, ips);
	}
done:
	mnl_attr_nest_end(nlh, peer);
	return true;
cancel:
	mnl_attr_nest_cancel(nlh, peer);
	return false;
}

int wg_genl_build_set(void *buf, size_t size, size_t msg_max, uint16_t family, uint32_t seq,
		      const struct wg_device *set, size_t *n_msgs, size_t *used)
{
	size_t off = 0, i = 0, msgs = 0;
	bool first = true;

	*n_msgs = *used = 0;
	if (msg_max < 256)
		return -EINVAL;
	do {
		size_t limit = size - off < msg_max ? size - off : msg_max;
		struct nlmsghdr *nlh;
		struct nlattr *peers = NULL;
		size_t in_msg = 0;

		if (limit < 256)
			return -ENOBUFS;
		nlh = genl_start((char *)buf + off, family, NLM_F_REQUEST | NLM_F_ACK, seq + (uint32_t)msgs,
				 WG_CMD_SET_DEVICE, WG_GENL_VERSION);
		if (!mnl_attr_put_strz_check(nlh, limit, WGDEVICE_A_IFNAME, set->ifname))
			return -EMSGSIZE;
		/* Device-wide changes go in the first message only. */
		if (first && set->set_private_key &&
		    !mnl_attr_put_check(nlh, limit, WGDEVICE_A_PRIVATE_KEY, WG_KEY_LEN, set->private_key))
			return -EMSGSIZE;
		if (first && set->set_listen_port &&
		    !mnl_attr_put_u16_check(nlh, limit, WGDEVICE_A_LISTEN_PORT, set->listen_port))
			return -EMSGSIZE;
		if (i < set->n_peers) {
			if (!(peers = mnl_attr_nest_start_check(nlh, limit, WGDEVICE_A_PEERS)))
				return -EMSGSIZE;
			while (i < set->n_peers && put_peer(nlh, limit, &set->peers[i])) {
				i++;
				in_msg++;
			}
			if (!in_msg)
				return -EMSGSIZE; /* one peer larger than a message */
			mnl_attr_nest_end(nlh, peers);
		}
		off += NLMSG_ALIGN(nlh->nlmsg_len);
		msgs++;
		first = false;
	} while (i < set->n_peers);
	*n_msgs = msgs;
	*used = off;
	return 0;
}

/* ---- sockets ------------------------------------------------------- */

static int nl_open(int bus, struct mnl_socket **out)
{
	struct mnl_socket *nl = mnl_socket_open2(bus, SOCK_CLOEXEC);
	if (!nl)
		return -errno;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		int e = errno;
		mnl_socket_close(nl);
		return -e;
	}
	*out = nl;
	return 0;
}

/* Send one message and read replies until ACK/DONE, handing each data
 * message to cb. */
struct talk {
	int (*cb)(const struct nlmsghdr *nlh, void *data);
	void *data;
	int error;
	bool interrupted;
};

static int talk_cb(const struct nlmsghdr *nlh, void *data)
{
	struct talk *t = data;
	int r;
	if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
		t->interrupted = true;
	if (!t->cb)
		return MNL_CB_OK;
	r = t->cb(nlh, t->data);
	if (r < 0) {
		t->error = r;
		return MNL_CB_ERROR;
	}
	return MNL_CB_OK;
}

int wg_genl_cb_run(const void *buf, size_t len, uint32_t seq, uint32_t portid,
		   int (*cb)(const struct nlmsghdr *nlh, void *data), void *data)
{
	const struct nlmsghdr *nlh = buf;
	int rem = len > INT_MAX ? INT_MAX : (int)len;

	/* Every message, padding included, inside the datagram.  libmnl
	 * 1.0.4 checks less: mnl_nlmsg_ok() compares nlmsg_len as a signed
	 * int (2 GiB or more passes and mnl_cb_run() jumps out of the
	 * buffer), and attributes are walked to the padded end (found by
	 * tests/fuzz/fuzz-wg-genl and fuzz-netlink; the kernel pads). */
	for (; mnl_nlmsg_ok(nlh, rem); nlh = mnl_nlmsg_next(nlh, &rem))
		if (nlh->nlmsg_len > (uint32_t)rem || MNL_ALIGN(nlh->nlmsg_len) > (uint32_t)rem) {
			errno = EBADMSG;
			return MNL_CB_ERROR;
		}
	return mnl_cb_run(buf, len, seq, portid, cb, data);
}

static int nl_talk(struct mnl_socket *nl, struct nlmsghdr *nlh, struct talk *t)
{
	char *buf = malloc(DUMP_BUF);
	uint32_t portid = mnl_socket_get_portid(nl), seq = nlh->nlmsg_seq;
	int r = 0;

	if (!buf)
		return -ENOMEM;
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) {
		r = -errno;
		goto out;
	}
	for (;;) {
		ssize_t n = mnl_socket_recvfrom(nl, buf, DUMP_BUF);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			break;
		}
		r = wg_genl_cb_run(buf, (size_t)n, seq, portid, talk_cb, t);
		if (r == MNL_CB_STOP) {
			r = 0;
			break;
		}
		if (r < 0) {
			r = t->error ? t->error : -errno;
			break;
		}
	}
out:
	free(buf);
	return r;
}

static uint32_t next_seq(void) { return (uint32_t)time(NULL); }

static int family_cb(const struct nlmsghdr *nlh, void *data)
{
	return wg_genl_parse_family(nlh, data);
}

static int family_on(struct mnl_socket *nl, uint16_t *id)
{
	char buf[SEND_BUF] = {0};
	struct nlmsghdr *nlh = wg_genl_build_getfamily(buf, next_seq());
	struct talk t = {.cb = family_cb, .data = id};
	*id = 0;
	int r = nl_talk(nl, nlh, &t);
	if (r == 0 && *id == 0)
		r = -ENOENT;
	return r;
}

int wg_genl_family(uint16_t *id)
{
	struct mnl_socket *nl;
	int r = nl_open(NETLINK_GENERIC, &nl);
	if (r < 0)
		return r;
	r = family_on(nl, id);
	mnl_socket_close(nl);
	return r;
}

static int device_cb(const struct nlmsghdr *nlh, void *data) { return wg_genl_parse_device(nlh, data); }

int wg_genl_get(const char *ifname, struct wg_device *dev)
{
	char buf[SEND_BUF] = {0};
	struct mnl_socket *nl;
	uint16_t family;
	int r, tries = 0;

	memset(dev, 0, sizeof *dev);
	if (!wg_valid_ifname(ifname))
		return -EINVAL;
	if ((r = nl_open(NETLINK_GENERIC, &nl)) < 0)
		return r;
	if ((r = family_on(nl, &family)) < 0)
		goto out;
	do {
		struct talk t = {.cb = device_cb, .data = dev};
		wg_device_free(dev);
		memset(dev, 0, sizeof *dev);
		r = nl_talk(nl, wg_genl_build_get(buf, family, next_seq(), ifname), &t);
		/* The peer list changed during the dump: read it again whole. */
		if (r == 0 && t.interrupted)
			r = -EINTR;
	} while (r == -EINTR && ++tries < 5);
out:
	mnl_socket_close(nl);
	if (r < 0)
		wg_device_free(dev);
	return r;
}

int wg_genl_set(const struct wg_device *set)
{
	size_t cap = 64 * 1024 + set->n_peers * 512, n_msgs, used, off = 0;
	struct mnl_socket *nl = NULL;
	char *buf = NULL;
	uint16_t family;
	int r;

	for (size_t i = 0; i < set->n_peers; i++)
		cap += set->peers[i].n_allowed * 32;
	if ((r = nl_open(NETLINK_GENERIC, &nl)) < 0)
		return r;
	if ((r = family_on(nl, &family)) < 0)
		goto out;
	if (!(buf = calloc(1, cap))) {
		r = -ENOMEM;
		goto out;
	}
	r = wg_genl_build_set(buf, cap, SEND_BUF, family, next_seq(), set, &n_msgs, &used);
	for (size_t m = 0; r == 0 && m < n_msgs; m++) {
		struct nlmsghdr *nlh = (struct nlmsghdr *)(buf + off);
		struct talk t = {0};
		off += NLMSG_ALIGN(nlh->nlmsg_len);
		r = nl_talk(nl, nlh, &t);
	}
out:
	if (buf) {
		wg_key_wipe(buf, cap);
		free(buf);
	}
	mnl_socket_close(nl);
	return r;
}

int wg_genl_link_create(const char *ifname)
{
	char buf[SEND_BUF] = {0};
	struct mnl_socket *nl;
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifm;
	struct nlattr *info;
	struct talk t = {0};
	int r;

	if (!wg_valid_ifname(ifname))
		return -EINVAL;
	if ((r = nl_open(NETLINK_ROUTE, &nl)) < 0)
		return r;
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_NEWLINK;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL;
	nlh->nlmsg_seq = next_seq();
	ifm = mnl_nlmsg_put_extra_header(nlh, sizeof *ifm);
	ifm->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, ifname);
	info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "wireguard");
	mnl_attr_nest_end(nlh, info);
	r = nl_talk(nl, nlh, &t);
	mnl_socket_close(nl);
	return r;
}
