/* The kernel's generic-netlink "wireguard" replies as the plugin reads
 * them (plugins/overlay/wireguard/wg-genl.c): the family lookup and the
 * GET_DEVICE dump, each through the host's netlink transaction
 * (core/netlink.c, nl_transact_ops: datagram checks, sequence and port,
 * NLMSG_ERROR/DONE, an interrupted dump redone on a new socket) with the
 * plugin's own message callbacks, as master serve and node join run them.
 *
 * Input: datagrams, each a little-endian u16 length and its bytes, read
 * in turn by the sockets the transactions open (the sequence number and
 * port of every message are set to the request's so that the fuzzer gets
 * past those checks).  Read twice: as the family lookup's reply followed
 * by the dump's, and, with the family id known, as the dump's alone.
 *
 * What must hold: a reply is read or refused with an errno, never read
 * past a message or an attribute; a device read stays within the
 * plugin's bounds with no peer twice and needs no change to become
 * itself; and a device the plugin would configure, built into SET_DEVICE
 * messages as wg_genl_set() builds them, reads back the same. */
#include <errno.h>
#include <linux/netlink.h>
#include <string.h>

#include <libmnl/libmnl.h>

#include "fuzz-wg.h"
#include "netlink.h"

/* wg-genl.c's SEND_BUF: the largest message it builds. */
#define SET_MSG_MAX 8192
#define PORTID 4242

struct conversation {
	struct fuzz_cursor in;
	uint32_t seq; /* of the request on the socket now open */
	int opened;
};

static ssize_t fake_send(void *ctx, const void *buf, size_t len)
{
	struct conversation *c = ctx;
	const struct nlmsghdr *q = buf;
	fuzz_require(len >= sizeof *q && q->nlmsg_len == len, "a request is one whole message");
	c->seq = q->nlmsg_seq;
	return (ssize_t)len;
}

static ssize_t fake_recv(void *ctx, void *buf, size_t size)
{
	struct conversation *c = ctx;
	const uint8_t *piece;
	size_t len, off = 0;

	if (!fuzz_next_piece(&c->in, &piece, &len))
		return -ETIMEDOUT; /* the kernel said no more */
	if (len > size)
		len = size; /* recv() truncates a datagram to the buffer */
	memcpy(buf, piece, len);
	while (off + sizeof(struct nlmsghdr) <= len) {
		struct nlmsghdr *h = (struct nlmsghdr *)((char *)buf + off);
		size_t l = h->nlmsg_len;
		h->nlmsg_seq = c->seq;
		h->nlmsg_pid = PORTID;
		if (l < sizeof *h || l > len - off)
			break;
		off += (l + 3) & ~(size_t)3; /* NLMSG_ALIGN, without its 32-bit wrap */
	}
	return (ssize_t)len;
}

static int fake_open(void *env, int protocol, struct nl_io *io)
{
	struct conversation *c = env;
	fuzz_require(protocol == NETLINK_GENERIC, "the plugin speaks generic netlink");
	fuzz_require(++c->opened <= 16, "a bounded number of sockets per transaction");
	*io = (struct nl_io){.send = fake_send, .recv = fake_recv, .portid = PORTID, .ctx = c};
	return 0;
}

static void fake_close(void *env, struct nl_io *io) { (void)env, (void)io; }

static struct conversation conv;
static const struct nl_socket_ops fuzz_sockets = {fake_open, fake_close, &conv};

static int family_msg(void *arg, const void *msg, size_t len) { return nl_parse_genl_family(msg, len, arg); }

/* host->genl_family: nl_genl_family() over the fuzzer's sockets. */
static int fuzz_family(void *ctx, const char *name, uint16_t *id)
{
	char req[256];
	int n = nl_build_genl_getfamily(req, sizeof req, 0, name), rc;

	(void)ctx;
	*id = 0;
	if (n < 0)
		return n;
	conv.opened = 0;
	rc = nl_transact_ops(&fuzz_sockets, NETLINK_GENERIC, req, (size_t)n, family_msg, NULL, id);
	return rc == 0 && *id == 0 ? -ENOENT : rc;
}

static int fuzz_transact(void *ctx, int protocol, const void *req, size_t len, clusterctl_nl_msg_cb on_msg,
			 clusterctl_nl_restart_cb on_restart, void *arg)
{
	(void)ctx;
	conv.opened = 0;
	return nl_transact_ops(&fuzz_sockets, protocol, req, len, on_msg, on_restart, arg);
}

static const struct clusterctl_host fuzz_host = {
	.struct_size = sizeof(struct clusterctl_host),
	.genl_family = fuzz_family,
	.nl_transact = fuzz_transact,
};

static void round_trip(const struct wg_device *dev)
{
	struct wg_device empty = {0}, set, back = {0};
	size_t n, n_msgs, used, off = 0, cap = 64 * 1024;
	char *buf;

	if (fuzz_wg_has_v6(dev))
		return;
	fuzz_require(wg_device_diff(&empty, dev, false, &set, &n) == 0, "the set is computed");
	strcpy(set.ifname, "wg0");
	for (size_t i = 0; i < set.n_peers; i++)
		cap += 512 + set.peers[i].n_allowed * 32;
	buf = calloc(1, cap);
	fuzz_require(buf != NULL, "out of memory");
	fuzz_require(wg_genl_build_set(buf, cap, SET_MSG_MAX, 0x20, 1, &set, &n_msgs, &used) == 0,
		     "any device the plugin reads can be configured");
	for (size_t m = 0; m < n_msgs; m++) {
		const struct nlmsghdr *nlh = (const struct nlmsghdr *)(buf + off);
		fuzz_require(nlh->nlmsg_len <= SET_MSG_MAX && off + nlh->nlmsg_len <= used,
			     "a SET_DEVICE message fits its bounds");
		fuzz_require(wg_genl_parse_device(nlh, &back) == 0, "a SET_DEVICE message parses");
		off += NLMSG_ALIGN(nlh->nlmsg_len);
	}
	fuzz_require(fuzz_wg_changes(&back, dev) == 0, "a configured device reads back as configured");
	wg_device_free(&back);
	wg_device_free(&set);
	free(buf);
}

/* host->genl_family of a host that knows the id already: the whole
 * input is then the dump's reply. */
static int known_family(void *ctx, const char *name, uint16_t *id)
{
	(void)ctx, (void)name;
	*id = 27;
	return 0;
}

static const struct clusterctl_host dump_host = {
	.struct_size = sizeof(struct clusterctl_host),
	.genl_family = known_family,
	.nl_transact = fuzz_transact,
};

static void get_device(const struct clusterctl_host *h, const uint8_t *data, size_t size)
{
	struct wg_device dev = {0};
	int r;

	conv = (struct conversation){.in = {data, size}};
	r = wg_genl_get(h, "wg0", &dev);
	fuzz_require(r <= 0 && r >= -4095, "a device is read or fails with an errno");
	if (r == 0) {
		fuzz_wg_check(&dev);
		fuzz_require(fuzz_wg_changes(&dev, &dev) == 0, "a device needs no change to become itself");
		round_trip(&dev);
	} else {
		fuzz_require(dev.n_peers == 0 && !dev.peers, "a failed read hands out nothing");
	}
	wg_device_free(&dev);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* The family lookup, then the dump from the datagrams it left. */
	get_device(&fuzz_host, data, size);
	/* The whole input as the dump's reply. */
	get_device(&dump_host, data, size);
	return 0;
}
