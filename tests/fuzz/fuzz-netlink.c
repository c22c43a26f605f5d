/* rtnetlink replies (core/netlink.c): datagrams as the kernel sends them
 * for the address and link dumps of IP detection, and for the requests
 * that change a link or an address.
 *
 * Input: datagrams, each a little-endian u16 length and its bytes.  They
 * are read twice: by nl_parse() as they are (no sequence or port check),
 * and as the whole conversation of nl_addr_list_io() (link dump, address
 * dump, retries), with each message's sequence number and port set to
 * the request's so that the fuzzer gets past those checks.
 *
 * What must hold: every datagram is read or refused with an errno; the
 * addresses handed out are dotted quads with a prefix of at most 32 on a
 * named link, and nothing is read past a message or attribute. */
#include "autoconfig.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/netlink.h>
#include <string.h>

#include "fuzz.h"
#include "netlink.h"

#define PORTID 4242

struct conversation {
	struct fuzz_cursor in;
	uint32_t seq;   /* of the last request */
};

static void check_addrs(const struct clusterctl_ifaddr *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct in_addr a;
		fuzz_require(memchr(v[i].ifname, '\0', sizeof v[i].ifname) && *v[i].ifname, "a named link");
		fuzz_require(memchr(v[i].kind, '\0', sizeof v[i].kind), "a terminated kind");
		fuzz_require(memchr(v[i].addr, '\0', sizeof v[i].addr) && inet_pton(AF_INET, v[i].addr, &a) == 1,
			     "a dotted quad");
		fuzz_require(v[i].prefixlen <= 32, "a prefix of at most 32");
	}
}

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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_cursor in = {data, size};
	struct conversation conv = {.in = {data, size}};
	struct nl_io io = {.send = fake_send, .recv = fake_recv, .portid = PORTID, .seq = 1000, .ctx = &conv};
	struct nl_reply r = {0};
	struct clusterctl_ifaddr *addrs;
	const uint8_t *piece;
	size_t len, n;
	int rc = 1;

	while (rc > 0 && fuzz_next_piece(&in, &piece, &len)) {
		char *buf = fuzz_memdup(piece, len);
		uint32_t claimed = len >= 4 ? ((struct nlmsghdr *)buf)->nlmsg_len : 0;
		rc = nl_parse(buf, len, 0, 0, &r);
		fuzz_require(rc < 0 || claimed <= len, "a message claiming more than its datagram is refused");
		free(buf);
	}
	fuzz_require(rc <= 1 && rc >= -4095, "a datagram is read or refused with an errno");
	fuzz_require(r.error <= 0 && memchr(r.ext_msg, '\0', sizeof r.ext_msg), "the kernel's error is kept sane");
	if (nl_join(&r, &addrs, &n) == 0) {
		check_addrs(addrs, n);
		free(addrs);
	}
	nl_reply_reset(&r);

	rc = nl_addr_list_io(&io, &addrs, &n);
	if (rc == 0) {
		check_addrs(addrs, n);
		free(addrs);
	} else {
		fuzz_require(rc < 0 && rc >= -4095 && !addrs && !n, "a failed dump hands out nothing");
	}
	return 0;
}
