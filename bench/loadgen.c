/* loadgen: play N nodes registering with a controller, C at a time.
 *
 *   loadgen --addr 127.0.0.1:7000 --nodes 10000 --requests 20000 \
 *           --concurrency 64 [--secret S] [--manager-every K]
 *
 * Request i registers node (i mod N) as a worker (every K-th node a
 * manager), one connection per request, as protocol.md says.  A request
 * that fails to connect or is reset is retried (up to 5 times).  Prints
 * registrations/s, latency p50/p99/max and the answers by Status. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "cc-net.h"
#include "cc-time.h"

struct slot {
	int fd;
	long req;          /* request index */
	int tries;
	double t0;
	size_t sent, len, got;
	char out[512];
	char in[4096];
};

static double now(void) { return (double)cc_mono_ns() / 1e9; }

static int cmpd(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static struct sockaddr_in sa;
static const char *secret;
static long nodes = 1000, requests = 0, manager_every = 0;
static int ep;

static int slot_start(struct slot *s)
{
	struct epoll_event ev = {.events = EPOLLOUT, .data.ptr = s};
	long n = s->req % nodes;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0 && errno != EINPROGRESS) {
		close(fd);
		return -1;
	}
	s->fd = fd;
	s->sent = s->got = 0;
	s->len = (size_t)snprintf(
		s->out, sizeof s->out,
		"{\"Hostname\":\"bench-%ld\",\"Role\":\"%s\",\"IP\":\"10.%ld.%ld.%ld\",\"NodeID\":\"bench-%ld\","
		"\"OS\":\"Linux\",\"CPU\":4,\"Memory\":8589934592,\"DockerVersion\":\"24.0.7\"%s%s%s}\n",
		n, manager_every && n % manager_every == 0 ? "manager" : "worker", (n >> 16) & 255,
		(n >> 8) & 255, (n & 255) + 1 > 254 ? 254 : (n & 255) + 1, n,
		secret ? ",\"JoinSecret\":\"" : "", secret ? secret : "", secret ? "\"" : "");
	if (s->tries == 0)
		s->t0 = now();
	return epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
}

int main(int argc, char **argv)
{
	const char *addr = "127.0.0.1:7000";
	long conc = 64, next = 0, done = 0, failed = 0, ready = 0, waiting = 0, error = 0, retries = 0;
	struct slot *slots;
	double *lat, t_start, t_end;
	struct epoll_event evs[256];

	for (int i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--addr"))
			addr = argv[i + 1];
		else if (!strcmp(argv[i], "--nodes"))
			nodes = atol(argv[i + 1]);
		else if (!strcmp(argv[i], "--requests"))
			requests = atol(argv[i + 1]);
		else if (!strcmp(argv[i], "--concurrency"))
			conc = atol(argv[i + 1]);
		else if (!strcmp(argv[i], "--secret"))
			secret = argv[i + 1];
		else if (!strcmp(argv[i], "--manager-every"))
			manager_every = atol(argv[i + 1]);
		else {
			fprintf(stderr, "loadgen: unknown option %s\n", argv[i]);
			return 2;
		}
	}
	if (!requests)
		requests = nodes;
	{
		uint32_t ip;
		uint16_t port;
		if (cc_parse_ipv4_port(addr, 0, &ip, &port) < 0) {
			fprintf(stderr, "loadgen: --addr must be ip:port, not %s\n", addr);
			return 2;
		}
		sa.sin_family = AF_INET;
		sa.sin_addr.s_addr = htonl(ip);
		sa.sin_port = htons(port);
	}
	if (conc > requests)
		conc = requests;
	slots = calloc((size_t)conc, sizeof *slots);
	lat = calloc((size_t)requests, sizeof *lat);
	ep = epoll_create1(0);
	if (!slots || !lat || ep < 0)
		return 1;
	t_start = now();
	for (long i = 0; i < conc; i++) {
		slots[i].req = next++;
		if (slot_start(&slots[i]) < 0)
			return 1;
	}
	while (done + failed < requests) {
		int n = epoll_wait(ep, evs, 256, 30000);
		if (n <= 0) {
			fprintf(stderr, "loadgen: no progress for 30 s\n");
			return 1;
		}
		for (int e = 0; e < n; e++) {
			struct slot *s = evs[e].data.ptr;
			bool finished = false, broken = false;
			if (s->sent < s->len) {
				ssize_t w = send(s->fd, s->out + s->sent, s->len - s->sent, MSG_NOSIGNAL);
				if (w < 0 && errno != EAGAIN) {
					broken = true;
				} else if (w > 0 && (s->sent += (size_t)w) == s->len) {
					struct epoll_event ev = {.events = EPOLLIN, .data.ptr = s};
					epoll_ctl(ep, EPOLL_CTL_MOD, s->fd, &ev);
				}
			} else {
				ssize_t r = read(s->fd, s->in + s->got, sizeof s->in - 1 - s->got);
				if (r < 0 && errno != EAGAIN)
					broken = true;
				else if (r == 0 || (r > 0 && memchr(s->in + s->got, '\n', (size_t)r)))
					finished = true;
				if (r > 0)
					s->got += (size_t)r;
				if (s->got >= sizeof s->in - 1)
					finished = true;
			}
			if (!finished && !broken)
				continue;
			close(s->fd);
			if (broken || s->got == 0) {
				if (++s->tries <= 5) {
					retries++;
					if (slot_start(s) < 0)
						return 1;
					continue;
				}
				failed++;
			} else {
				s->in[s->got] = '\0';
				lat[done++] = now() - s->t0;
				if (strstr(s->in, "\"Status\":\"ready\""))
					ready++;
				else if (strstr(s->in, "\"Status\":\"waiting\""))
					waiting++;
				else
					error++;
			}
			s->tries = 0;
			if (next < requests) {
				s->req = next++;
				if (slot_start(s) < 0)
					return 1;
			}
		}
	}
	t_end = now();
	qsort(lat, (size_t)done, sizeof *lat, cmpd);
	printf("requests=%ld concurrency=%ld nodes=%ld seconds=%.3f rate=%.0f/s p50=%.2fms p99=%.2fms "
	       "max=%.2fms ready=%ld waiting=%ld error=%ld failed=%ld retries=%ld\n",
	       requests, conc, nodes, t_end - t_start, (double)done / (t_end - t_start),
	       done ? lat[done / 2] * 1e3 : 0, done ? lat[(size_t)((double)done * 0.99)] * 1e3 : 0,
	       done ? lat[done - 1] * 1e3 : 0, ready, waiting, error, failed, retries);
	free(slots);
	free(lat);
	return failed || error ? 1 : 0;
}
