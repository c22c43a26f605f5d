/* ctl-probe: a test client for master serve that does what the shell
 * cannot: reset connections on purpose, and time answers in ms.
 *
 *   ctl-probe reset PORT COUNT SPREAD_MS HOLD_MS REQUEST
 *       COUNT connections to 127.0.0.1:PORT, opened one after the other
 *       over SPREAD_MS, each sending REQUEST and then closed with a reset
 *       (SO_LINGER 0) between 0 and HOLD_MS later; never reads an answer
 *   ctl-probe answer PORT TIMEOUT_MS COUNT REQUEST
 *       open COUNT connections at once, send REQUEST on each and read
 *       each answer's first line; prints one line per connection,
 *       "<ms from send to answer> <answer>", in the order they were
 *       opened.  Exit 1 when an answer does not come within TIMEOUT_MS.
 *
 * Exit 2 on a usage error. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONNS 1000
#define ANSWER_MAX (1 << 20)

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static long num(const char *s, long lo, long hi)
{
	char *end;
	long n;
	errno = 0;
	n = strtol(s, &end, 10);
	return errno || *end || end == s || n < lo || n > hi ? -1 : n;
}

static int connect_to(int port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static int send_all(int fd, const char *s, size_t len)
{
	while (len > 0) {
		ssize_t n = send(fd, s, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		s += n;
		len -= (size_t)n;
	}
	return 0;
}

static void nap_ms(long ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
	while (ms > 0 && nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* Connection i sends at i * spread / count ms and resets hold_i ms later,
 * hold_i spread over [0, hold) in a fixed order: resets land at every
 * point of the controller's cycle (reading, parked, syncing, answering). */
static int do_reset(int port, long count, long spread, long hold, const char *req)
{
	static int fds[MAX_CONNS];
	static long long send_at[MAX_CONNS], reset_at[MAX_CONNS];
	struct linger lg = {.l_onoff = 1, .l_linger = 0};
	long long t0 = now_ms();
	long sent = 0, reset = 0;
	int rc = 0;

	for (long i = 0; i < count; i++) {
		send_at[i] = t0 + i * spread / count;
		reset_at[i] = send_at[i] + (hold ? (i * 7919) % hold : 0);
		fds[i] = -1;
	}
	while (reset < count) {
		long long next = -1;
		long who = -1;
		int is_send = 0;
		for (long i = 0; i < count; i++) {
			if (i >= sent && (next < 0 || send_at[i] < next)) {
				next = send_at[i], who = i, is_send = 1;
				break; /* sends are in order: the first unsent is the next */
			}
		}
		for (long i = 0; i < sent; i++)
			if (reset_at[i] >= 0 && (next < 0 || reset_at[i] < next))
				next = reset_at[i], who = i, is_send = 0;
		if (next > now_ms())
			nap_ms((long)(next - now_ms()));
		if (is_send) {
			sent++;
			if ((fds[who] = connect_to(port)) < 0 || send_all(fds[who], req, strlen(req)) < 0) {
				fprintf(stderr, "ctl-probe: connection %ld to port %d: %s\n", who, port,
					strerror(errno));
				rc = 1;
			}
		} else {
			if (fds[who] >= 0) {
				setsockopt(fds[who], SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
				close(fds[who]);
			}
			reset_at[who] = -1;
			reset++;
		}
	}
	if (rc == 0)
		printf("reset %ld\n", count);
	return rc;
}

struct probe {
	int fd;
	long long sent, answered;
	char *buf;
	size_t len;
	int done;
};

static int do_answer(int port, long timeout, long count, const char *req)
{
	static struct probe p[MAX_CONNS];
	static struct pollfd pf[MAX_CONNS];
	long long deadline;
	long left = count;
	int rc = 0;

	for (long i = 0; i < count; i++) {
		p[i].fd = connect_to(port);
		if (p[i].fd < 0 || !(p[i].buf = malloc(ANSWER_MAX + 1))) {
			fprintf(stderr, "ctl-probe: connection %ld to port %d: %s\n", i, port, strerror(errno));
			return 1;
		}
	}
	for (long i = 0; i < count; i++) {
		p[i].sent = now_ms();
		if (send_all(p[i].fd, req, strlen(req)) < 0) {
			fprintf(stderr, "ctl-probe: send on connection %ld: %s\n", i, strerror(errno));
			return 1;
		}
	}
	deadline = now_ms() + timeout;
	while (left > 0) {
		long long wait = deadline - now_ms();
		int n;
		if (wait <= 0)
			break;
		for (long i = 0; i < count; i++)
			pf[i] = (struct pollfd){.fd = p[i].done ? -1 : p[i].fd, .events = POLLIN};
		n = poll(pf, (nfds_t)count, (int)wait);
		if (n < 0 && errno != EINTR)
			return 1;
		for (long i = 0; i < count && n > 0; i++) {
			ssize_t got;
			if (p[i].done || !(pf[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			got = read(p[i].fd, p[i].buf + p[i].len, ANSWER_MAX - p[i].len);
			if (got > 0)
				p[i].len += (size_t)got;
			if (got <= 0 || memchr(p[i].buf, '\n', p[i].len) || p[i].len == ANSWER_MAX) {
				p[i].done = 1;
				p[i].answered = now_ms();
				left--;
			}
		}
	}
	for (long i = 0; i < count; i++) {
		char *nl;
		p[i].buf[p[i].len] = 0;
		if ((nl = strchr(p[i].buf, '\n')))
			*nl = 0;
		if (!p[i].done || p[i].len == 0) {
			printf("timeout no answer within %ld ms\n", timeout);
			rc = 1;
		} else {
			printf("%lld %s\n", p[i].answered - p[i].sent, p[i].buf);
		}
		close(p[i].fd);
		free(p[i].buf);
	}
	return rc;
}

int main(int argc, char **argv)
{
	long port, a, b, h;

	if (argc == 7 && strcmp(argv[1], "reset") == 0 && (port = num(argv[2], 1, 65535)) > 0 &&
	    (a = num(argv[3], 1, MAX_CONNS)) > 0 && (b = num(argv[4], 0, 600000)) >= 0 &&
	    (h = num(argv[5], 0, 60000)) >= 0)
		return do_reset((int)port, a, b, h, argv[6]);
	if (argc == 6 && strcmp(argv[1], "answer") == 0 && (port = num(argv[2], 1, 65535)) > 0 &&
	    (a = num(argv[3], 1, 600000)) > 0 && (b = num(argv[4], 1, MAX_CONNS)) > 0)
		return do_answer((int)port, a, b, argv[5]);
	fprintf(stderr, "usage: ctl-probe reset PORT COUNT SPREAD_MS HOLD_MS REQUEST\n"
			"       ctl-probe answer PORT TIMEOUT_MS COUNT REQUEST\n");
	return 2;
}
