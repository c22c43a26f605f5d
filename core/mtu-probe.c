#include "autoconfig.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cc-buf.h"
#include "cc-net.h"
#include "cc-time.h"
#include "log.h"
#include "mtu-probe.h"
#include "util.h"

struct icmp_sock {
	int fd;
	bool raw; /* raw sockets receive the IP header and every echo reply */
};

/* Datagram ICMP first (no privilege when ping_group_range allows it),
 * then raw (root). */
static int icmp_open(struct icmp_sock *s)
{
	int pmtu = IP_PMTUDISC_DO;
	s->raw = false;
	s->fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, IPPROTO_ICMP);
	if (s->fd < 0) {
		s->raw = true;
		s->fd = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMP);
	}
	if (s->fd < 0)
		return -errno;
	/* DF on every packet, and no local fragmentation: an oversize send
	 * fails with EMSGSIZE instead of being split. */
	if (setsockopt(s->fd, IPPROTO_IP, IP_MTU_DISCOVER, &pmtu, sizeof pmtu) < 0) {
		int e = errno;
		close(s->fd);
		return -e;
	}
	return 0;
}

static uint16_t csum(const void *data, size_t len)
{
	const uint8_t *p = data;
	uint32_t sum = 0;
	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)(p[len - 1] << 8);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons((uint16_t)~sum);
}

static int echo_on(struct icmp_sock *s, const struct sockaddr_in *to, int size, uint16_t id, uint16_t seq,
		   int timeout_ms)
{
	size_t len = (size_t)size - 20; /* ICMP header + payload */
	uint8_t *pkt = NULL, rbuf[MTU_PROBE_MAX + 1];
	struct icmphdr *h;
	int64_t deadline = cc_mono_ms() + timeout_ms;
	int r = -ETIMEDOUT;

	if (size < 28 || size > MTU_PROBE_MAX)
		return -EINVAL;
	if (!(pkt = calloc(1, len)))
		return -ENOMEM;
	h = (struct icmphdr *)pkt;
	h->type = ICMP_ECHO;
	h->un.echo.id = htons(id);
	h->un.echo.sequence = htons(seq);
	for (size_t i = sizeof *h; i < len; i++)
		pkt[i] = (uint8_t)i;
	h->checksum = csum(pkt, len); /* the kernel redoes it for datagram sockets */
	if (sendto(s->fd, pkt, len, 0, (const struct sockaddr *)to, sizeof *to) < 0) {
		r = -errno;
		goto out;
	}
	for (;;) {
		struct pollfd pfd = {.fd = s->fd, .events = POLLIN};
		struct sockaddr_in from;
		socklen_t fl = sizeof from;
		int left = (int)(deadline - cc_mono_ms());
		ssize_t n;
		const struct icmphdr *rh;
		size_t off = 0;

		if (left <= 0)
			break;
		if (poll(&pfd, 1, left) <= 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		n = recvfrom(s->fd, rbuf, sizeof rbuf, 0, (struct sockaddr *)&from, &fl);
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			r = -errno;
			break;
		}
		if (s->raw) {
			/* Skip the IP header, whatever its options. */
			if (n < 20 || (size_t)((rbuf[0] & 15) * 4) > (size_t)n)
				continue;
			off = (size_t)(rbuf[0] & 15) * 4;
		}
		if ((size_t)n < off + sizeof *rh || from.sin_addr.s_addr != to->sin_addr.s_addr)
			continue;
		rh = (const struct icmphdr *)(rbuf + off);
		/* Datagram sockets rewrite the id to their port: match by seq. */
		if (rh->type != ICMP_ECHOREPLY || ntohs(rh->un.echo.sequence) != seq ||
		    (s->raw && ntohs(rh->un.echo.id) != id))
			continue;
		/* A reply of the full size is what proves the path. */
		if ((size_t)n - off != len)
			continue;
		r = 0;
		break;
	}
out:
	free(pkt);
	return r;
}

static int parse_addr(const char *addr, struct sockaddr_in *to)
{
	uint32_t a;

	memset(to, 0, sizeof *to);
	to->sin_family = AF_INET;
	if (cc_parse_ipv4(addr, &a) < 0)
		return -EINVAL;
	to->sin_addr.s_addr = htonl(a);
	return 0;
}

static uint16_t probe_id(void)
{
	uint16_t id;
	if (random_bytes(&id, sizeof id) < 0)
		id = (uint16_t)getpid();
	return id;
}

int mtu_probe_echo(const char *addr, int size, int timeout_ms)
{
	struct sockaddr_in to;
	struct icmp_sock s;
	int r;
	if (parse_addr(addr, &to) < 0)
		return -EINVAL;
	if ((r = icmp_open(&s)) < 0)
		return r;
	r = echo_on(&s, &to, size, probe_id(), 1, timeout_ms);
	close(s.fd);
	return r;
}

int mtu_probe(const char *addr, int lo, int hi, int timeout_ms, int *mtu, char **err)
{
	struct cc_buf sb = CC_BUF_INIT;
	struct sockaddr_in to;
	struct icmp_sock s;
	uint16_t id = probe_id(), seq = 0;
	int r;

	*err = NULL;
	*mtu = 0;
	if (parse_addr(addr, &to) < 0) {
		cc_buf_printf(&sb, "mtu probe: \"%s\" is not an IPv4 address", addr ? addr : "");
		*err = cc_buf_detach(&sb);
		return -EINVAL;
	}
	if (lo < MTU_PROBE_MIN)
		lo = MTU_PROBE_MIN;
	if (hi > MTU_PROBE_MAX)
		hi = MTU_PROBE_MAX;
	if (lo > hi) {
		cc_buf_printf(&sb, "mtu probe: empty range %d..%d", lo, hi);
		*err = cc_buf_detach(&sb);
		return -EINVAL;
	}
	if ((r = icmp_open(&s)) < 0) {
		cc_buf_printf(&sb, "mtu probe: no ICMP socket (%s): run as root or allow datagram ICMP "
				   "with sysctl net.ipv4.ping_group_range", strerror(-r));
		*err = cc_buf_detach(&sb);
		return r;
	}
	/* The floor must pass, or there is no path at all. */
	r = echo_on(&s, &to, lo, id, ++seq, timeout_ms);
	if (r < 0) {
		cc_buf_printf(&sb, "mtu probe: no echo reply from %s even at %d bytes (%s)", addr, lo,
			      strerror(-r));
		*err = cc_buf_detach(&sb);
		close(s.fd);
		return r == -ETIMEDOUT ? -EHOSTUNREACH : r;
	}
	/* Invariant: lo passes; find the largest size in (lo, hi] that does.
	 * A lost echo is taken as "too big": one retry guards against a
	 * single drop on a lossy path. */
	while (lo < hi) {
		int mid = lo + (hi - lo + 1) / 2;
		r = echo_on(&s, &to, mid, id, ++seq, timeout_ms);
		if (r == -ETIMEDOUT)
			r = echo_on(&s, &to, mid, id, ++seq, timeout_ms);
		if (r == 0) {
			lo = mid;
		} else if (r == -ETIMEDOUT || r == -EMSGSIZE) {
			hi = mid - 1;
		} else {
			cc_buf_printf(&sb, "mtu probe: sending to %s failed: %s", addr, strerror(-r));
			*err = cc_buf_detach(&sb);
			close(s.fd);
			return r;
		}
	}
	close(s.fd);
	*mtu = lo;
	log_debug("mtu probe done addr=%s mtu=%d probes=%u", addr, lo, seq);
	return 0;
}
