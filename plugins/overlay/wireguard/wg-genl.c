/* The kernel's WireGuard generic-netlink family ("wireguard", version 1,
 * include/uapi/linux/wireguard.h): its messages, built and parsed with
 * libmnl on caller buffers (unit-tested against recorded messages).  The
 * sockets are the host's (host->genl_family, host->nl_transact): a fresh
 * socket per transaction, sequence numbers that never repeat, a receive
 * timeout, and an interrupted dump redone whole on a new socket. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

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

static int nl_error_of(const struct nlmsghdr *nlh)
{
	const struct nlmsgerr *e;
	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof *e))
		return -EBADMSG;
	e = mnl_nlmsg_get_payload(nlh);
	return e->error > 0 ? -e->error : e->error;
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
		/* Repeated keys are refused once the dump is complete
		 * (wg_device_check_unique), not per peer: O(n), not O(n^2). */
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

/* ---- over the host's netlink --------------------------------------- */

int wg_genl_family(const struct clusterctl_host *h, uint16_t *id)
{
	return h->genl_family(h->ctx, WG_GENL_NAME, id);
}

static int device_msg(void *arg, const void *msg, size_t len)
{
	(void)len;
	return wg_genl_parse_device(msg, arg);
}

/* The kernel changed the peer list under the dump: what was read may mix
 * two states, so it is dropped and the host reads it again whole. */
static void device_restart(void *arg)
{
	struct wg_device *dev = arg;
	wg_device_free(dev);
	memset(dev, 0, sizeof *dev);
}

int wg_genl_get(const struct clusterctl_host *h, const char *ifname, struct wg_device *dev)
{
	char buf[SEND_BUF] = {0};
	struct nlmsghdr *nlh;
	uint16_t family;
	int r;

	memset(dev, 0, sizeof *dev);
	if (!wg_valid_ifname(ifname))
		return -EINVAL;
	if ((r = wg_genl_family(h, &family)) < 0)
		return r;
	nlh = wg_genl_build_get(buf, family, 0, ifname);
	r = h->nl_transact(h->ctx, NETLINK_GENERIC, nlh, nlh->nlmsg_len, device_msg, device_restart, dev);
	if (r == 0)
		r = wg_device_check_unique(dev);
	if (r < 0)
		wg_device_free(dev);
	return r;
}

int wg_genl_set(const struct clusterctl_host *h, const struct wg_device *set)
{
	size_t cap = 64 * 1024 + set->n_peers * 512, n_msgs, used, off = 0;
	char *buf = NULL;
	uint16_t family;
	int r;

	for (size_t i = 0; i < set->n_peers; i++)
		cap += set->peers[i].n_allowed * 32;
	if ((r = wg_genl_family(h, &family)) < 0)
		return r;
	if (!(buf = calloc(1, cap)))
		return -ENOMEM;
	r = wg_genl_build_set(buf, cap, SEND_BUF, family, 0, set, &n_msgs, &used);
	for (size_t m = 0; r == 0 && m < n_msgs; m++) {
		struct nlmsghdr *nlh = (struct nlmsghdr *)(buf + off);
		off += NLMSG_ALIGN(nlh->nlmsg_len);
		r = h->nl_transact(h->ctx, NETLINK_GENERIC, nlh, nlh->nlmsg_len, NULL, NULL, NULL);
	}
	/* It held the private key. */
	wg_key_wipe(buf, cap);
	free(buf);
	return r;
}
