/* rtnetlink through libmnl: the address and link facts IP detection and
 * the overlay plugins need, and the few changes they make (link up, MTU,
 * addresses).  Exposed to plugins through the host-services table.
 *
 * Every function returns 0 or -errno.  Requests ask for an ACK and a
 * kernel NLMSG_ERROR becomes its -errno (-ENODEV: no such link,
 * -EADDRNOTAVAIL: deleting an address that is not there). */
#ifndef CLUSTERCTL_NETLINK_H
#define CLUSTERCTL_NETLINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <clusterctl/host.h>

/* Every IPv4 address with its link's name, flags and kind, in the
 * kernel's order (by ifindex, primary before secondary); *out is malloc'd
 * (free()).  Redoes both dumps when the kernel marks one interrupted
 * (NLM_F_DUMP_INTR) or an address names a link the link dump lacked, at
 * most NL_DUMP_TRIES times, then -EAGAIN. */
int nl_addr_list(struct clusterctl_ifaddr **out, size_t *count);
/* -ENODEV when no such link. */
int nl_link_get(const char *ifname, struct clusterctl_link *out);
/* Set IFF_UP (up=1) or clear it (up=0); set the MTU when mtu > 0. */
int nl_link_set(const char *ifname, int up, uint32_t mtu);
/* An address already present (EEXIST) is success. */
int nl_addr_add(const char *ifname, const char *addr, uint8_t prefixlen);
int nl_addr_del(const char *ifname, const char *addr, uint8_t prefixlen);
/* RTM_NEWLINK of IFLA_INFO_KIND `kind` (CREATE|EXCL): -EEXIST when the
 * name is taken, -EOPNOTSUPP when the kernel lacks the kind. */
int nl_link_add(const char *ifname, const char *kind);
/* RTM_DELLINK by name; -ENODEV when there is none. */
int nl_link_del(const char *ifname);

/* ---- Transactions for plugins (host->nl_transact, host->genl_family) */

/* Largest request nl_transact accepts. */
#define NL_TRANSACT_MAX_REQ (64u * 1024)
/* A sequence number no earlier call in this process used (a process-wide
 * counter: two requests of one second never share one, as they did with
 * time(NULL)). */
uint32_t nl_next_seq(void);
/* One request on a fresh socket; see clusterctl_host.nl_transact. */
int nl_transact(int protocol, const void *req, size_t len, clusterctl_nl_msg_cb on_msg,
		clusterctl_nl_restart_cb on_restart, void *arg);
/* Generic netlink family id by name; -ENOENT when there is none. */
int nl_genl_family(const char *name, uint16_t *id);

/* ---- Below: the pure parts, for unit tests against recorded messages. */

#define NL_DUMP_TRIES 5
/* A dump datagram is at most 32 KiB (the kernel grows its dump skb up to
 * that when the reader's buffer allows); more than MNL_SOCKET_BUFFER_SIZE. */
#define NL_RECV_BUF 32768

/* One link of a link dump or get. */
struct nl_link_info {
	uint32_t ifindex;
	uint32_t flags;     /* IFF_* */
	uint32_t mtu;
	uint8_t operstate;  /* IF_OPER_* */
	char ifname[16];
	char kind[16];      /* IFLA_INFO_KIND, "" when none */
};

/* What the parsers collect across the datagrams of one exchange. */
struct nl_reply {
	struct clusterctl_ifaddr *addrs; /* ifname/link_flags/kind filled by nl_join */
	size_t n_addrs, cap_addrs;
	struct nl_link_info *links;
	size_t n_links, cap_links;
	bool intr;          /* a message carried NLM_F_DUMP_INTR */
	int error;          /* the kernel's NLMSG_ERROR / NLMSG_DONE error, <= 0 */
	char ext_msg[128];  /* extended-ACK text of that error, "" when none */
};
void nl_reply_reset(struct nl_reply *r);  /* keeps nothing, frees all */

/* Builders write one request at buf (size bytes; zeroed first) and return
 * its length, or -ENOBUFS when it does not fit, -EINVAL for bad input. */
int nl_build_addr_dump(void *buf, size_t size, uint32_t seq);
int nl_build_link_dump(void *buf, size_t size, uint32_t seq);
int nl_build_link_get(void *buf, size_t size, uint32_t seq, const char *ifname);
int nl_build_link_set(void *buf, size_t size, uint32_t seq, const char *ifname, int up,
		      uint32_t mtu);
/* RTM_NEWADDR (add: CREATE|EXCL) or RTM_DELADDR with IFA_LOCAL and
 * IFA_ADDRESS; scope host for 127/8 (as iproute2 does), else global. */
int nl_build_addr_change(void *buf, size_t size, uint32_t seq, bool add, uint32_t ifindex,
			 const char *addr, uint8_t prefixlen);

/* Parse one received datagram of the reply to request `seq` from the
 * kernel to socket `portid` (0 skips that check).  Data messages
 * (RTM_NEWADDR into r->addrs, RTM_NEWLINK into r->links) are collected;
 * other types are ignored.  Returns 1 when more datagrams follow, 0 when
 * the reply is complete (NLMSG_DONE, or the ACK/error ending a request;
 * r->error then holds the kernel's error), -errno for a malformed or
 * foreign message (-EBADMSG, -EPROTO wrong seq, -ESRCH wrong portid). */
int nl_parse(const void *buf, size_t len, uint32_t seq, uint32_t portid, struct nl_reply *r);

/* Fill ifname, link_flags and kind of every address from r->links.
 * -EAGAIN when an address names a link the dump did not have (the two
 * dumps raced with a change).  *out is malloc'd. */
int nl_join(const struct nl_reply *r, struct clusterctl_ifaddr **out, size_t *count);

/* The socket, abstracted so the retry logic runs against recorded
 * replies in the unit tests. */
struct nl_io {
	ssize_t (*send)(void *ctx, const void *buf, size_t len);
	ssize_t (*recv)(void *ctx, void *buf, size_t len);
	uint32_t portid;
	uint32_t seq;       /* last sequence number used */
	void *ctx;
};
int nl_addr_list_io(struct nl_io *io, struct clusterctl_ifaddr **out, size_t *count);

/* Where nl_transact gets its sockets: one fresh socket per attempt, so
 * that nothing an earlier attempt left queued can be read as this one's
 * reply.  The tests replay recorded kernel answers through their own. */
struct nl_socket_ops {
	/* Fill io (send, recv, portid, ctx) with a new socket on protocol. */
	int (*open)(void *env, int protocol, struct nl_io *io);
	void (*close)(void *env, struct nl_io *io);
	void *env;
};
int nl_transact_ops(const struct nl_socket_ops *ops, int protocol, const void *req, size_t len,
		    clusterctl_nl_msg_cb on_msg, clusterctl_nl_restart_cb on_restart, void *arg);
/* CTRL_CMD_GETFAMILY for `name` (REQUEST|ACK); length or -ENOBUFS/-EINVAL. */
int nl_build_genl_getfamily(void *buf, size_t size, uint32_t seq, const char *name);
/* CTRL_ATTR_FAMILY_ID of a CTRL_CMD_NEWFAMILY message; -EBADMSG when
 * the message is not one or has none. */
int nl_parse_genl_family(const void *msg, size_t len, uint16_t *id);

#endif
