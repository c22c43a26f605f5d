/* loadgen: play N nodes registering with a controller, C at a time.
 *
 *   loadgen --addr 127.0.0.1:7000 --nodes 10000 --requests 20000 \
 *           --concurrency 64 [--secret S] [--manager-every K] \
 *           [--overlay wireguard] [--storage gluster] [--phases new,sync,heartbeat]
 *           [--server-pid PID]
 *
 * Without --phases, request i registers node (i mod N) as a worker (every
 * K-th node a manager), one connection per request, as protocol.md says.
 * With --phases, each phase is measured and printed on its own line:
 *   new        every node registers once (its first registration)
 *   sync       every node registers again until its answer has no more
 *              pages for it ("More":true in OverlayPayload)
 *   heartbeat  every node registers once more (an agent's heartbeat)
 * --overlay wireguard: each node sends Observed.Overlay with a public key
 * of its own, a listen port, its underlay address and the peer-list
 * version it holds (the PeerVersion of its last answer).  --storage
 * gluster: each node sends Observed.Storage of a client (GlusterCapable
 * false).  A request that fails to connect or is reset is retried (up to
 * 5 times).  Prints registrations/s, latency p50/p99/max, the answers by
 * Status and the answer sizes.  --server-pid P: also the CPU time process
 * P (the controller) used per request in the phase (user+system, from
 * /proc/P/stat), which the load of other processes on the machine moves
 * far less than the rate. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "cc-net.h"
#include "cc-time.h"

#define MAX_ANSWER (1u << 20)

struct slot {
	int fd;
	long req;          /* request index */
	long node;
	int tries;
	double t0;
	size_t sent, len, got, cap;
	char out[1024];
	char *in;
};

enum phase { PH_PLAIN, PH_NEW, PH_SYNC, PH_HEARTBEAT };

struct stats {
	long done, failed, ready, waiting, error, retries, unchanged, more;
	double *lat;
	size_t lat_cap;
	size_t bytes, max_bytes;
};

static double now(void) { return (double)cc_mono_ns() / 1e9; }

static int cmpd(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static struct sockaddr_in sa;
static const char *secret;
static long nodes = 1000, requests = 0, manager_every = 0, conc = 64;
static bool wireguard, gluster;
static char (*held)[48];  /* per node: the PeerVersion it holds */
static int ep;

/* A public key of node n's own: 32 bytes, base64 with its padding. */
static void node_key(long n, char out[45])
{
	static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	uint8_t k[33] = {0};
	uint64_t x = (uint64_t)n * 0x9e3779b97f4a7c15ull + 0x1234567;
	for (int i = 0; i < 32; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		k[i] = (uint8_t)x;
	}
	memcpy(k, &n, sizeof n < 8 ? sizeof n : 8); /* distinct for every n */
	k[31] |= 1;                                 /* never the zero key */
	for (int i = 0, o = 0; i < 33; i += 3, o += 4) {
		uint32_t v = (uint32_t)k[i] << 16 | (uint32_t)k[i + 1] << 8 | k[i + 2];
		out[o] = b64[v >> 18 & 63];
		out[o + 1] = b64[v >> 12 & 63];
		out[o + 2] = b64[v >> 6 & 63];
		out[o + 3] = b64[v & 63];
	}
	out[43] = '=';
	out[44] = '\0';
}

static int slot_start(struct slot *s)
{
	struct epoll_event ev = {.events = EPOLLOUT, .data.ptr = s};
	long n = s->node;
	char ip[24], obs[512] = "";
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0 && errno != EINPROGRESS) {
		close(fd);
		return -1;
	}
	s->fd = fd;
	s->sent = s->got = 0;
	snprintf(ip, sizeof ip, "10.%ld.%ld.%ld", (n >> 16) & 255, (n >> 8) & 255,
		 (n & 255) + 1 > 254 ? 254 : (n & 255) + 1);
	if (wireguard || gluster) {
		size_t o = (size_t)snprintf(obs, sizeof obs, ",\"Observed\":{");
		if (wireguard) {
			char key[45];
			node_key(n, key);
			o += (size_t)snprintf(obs + o, sizeof obs - o,
					      "\"Overlay\":{\"PublicKey\":\"%s\",\"ListenPort\":51820,\"Interface\":\"wg0\","
					      "\"UnderlayIP\":\"%s\",\"PeerVersion\":\"%s\"}",
					      key, ip, held[n]);
		}
		if (gluster)
			o += (size_t)snprintf(obs + o, sizeof obs - o,
					      "%s\"Storage\":{\"Version\":1,\"Capable\":false,\"Glusterd\":false,"
					      "\"BrickDir\":\"/data/glusterfs/bricks\",\"Mounted\":false}",
					      wireguard ? "," : "");
		snprintf(obs + o, sizeof obs - o, "}");
	}
	s->len = (size_t)snprintf(
		s->out, sizeof s->out,
		"{\"Hostname\":\"bench-%ld\",\"Role\":\"%s\",\"IP\":\"%s\",\"NodeID\":\"bench-%ld\","
		"\"OS\":\"Linux\",\"CPU\":4,\"Memory\":8589934592,\"DockerVersion\":\"24.0.7\"%s%s%s%s}\n",
		n, manager_every && n % manager_every == 0 ? "manager" : "worker", ip, n,
		secret ? ",\"JoinSecret\":\"" : "", secret ? secret : "", secret ? "\"" : "", obs);
	if (s->tries == 0)
		s->t0 = now();
	return epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
}

/* The answer's PeerVersion (kept for the node's next registration) and
 * whether another page waits. */
static bool take_answer(struct slot *s, struct stats *st)
{
	const char *v = strstr(s->in, "\"PeerVersion\":\"");
	bool more = strstr(s->in, "\"More\":true") != NULL;
	if (v) {
		const char *e = strchr(v + 15, '"');
		size_t n = e ? (size_t)(e - v - 15) : 0;
		if (n < sizeof held[0]) {
			memcpy(held[s->node], v + 15, n);
			held[s->node][n] = '\0';
		}
	}
	if (strstr(s->in, "\"PeerSync\":\"unchanged\""))
		st->unchanged++;
	st->more += more;
	return more;
}

static long server_pid;

/* CPU seconds (user + system) process server_pid has used, or -1. */
static double server_cpu(void)
{
	char path[64], buf[1024], *p;
	unsigned long ut, st;
	ssize_t n;
	int fd;

	if (server_pid <= 0)
		return -1;
	snprintf(path, sizeof path, "/proc/%ld/stat", server_pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	/* Fields after the command name (which may hold spaces and ')'):
	 * state(3) ... utime(14) stime(15). */
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2)
		return -1;
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

static void print_stats(const char *phase, const struct stats *st, double secs, double cpu)
{
	qsort(st->lat, (size_t)st->done, sizeof *st->lat, cmpd);
	printf("phase=%s requests=%ld concurrency=%ld nodes=%ld seconds=%.3f rate=%.0f/s p50=%.2fms p99=%.2fms "
	       "max=%.2fms ready=%ld waiting=%ld error=%ld failed=%ld retries=%ld answer_avg=%zuB answer_max=%zuB "
	       "unchanged=%ld more=%ld\n",
	       phase, st->done, conc, nodes, secs, (double)st->done / secs, st->done ? st->lat[st->done / 2] * 1e3 : 0,
	       st->done ? st->lat[(size_t)((double)st->done * 0.99)] * 1e3 : 0,
	       st->done ? st->lat[st->done - 1] * 1e3 : 0, st->ready, st->waiting, st->error, st->failed, st->retries,
	       st->done ? st->bytes / (size_t)st->done : 0, st->max_bytes, st->unchanged, st->more);
	if (cpu >= 0 && st->done)
		printf("phase=%s server_cpu=%.2fs server_cpu_per_request=%.0fus\n", phase, cpu,
		       cpu * 1e6 / (double)st->done);
	fflush(stdout);
}

static int lat_add(struct stats *st, double v)
{
	if ((size_t)st->done == st->lat_cap) {
		size_t cap = st->lat_cap ? st->lat_cap * 2 : 4096;
		double *l = realloc(st->lat, cap * sizeof *l);
		if (!l)
			return -1;
		st->lat = l;
		st->lat_cap = cap;
	}
	st->lat[st->done++] = v;
	return 0;
}

/* One phase: `total` first requests, node of request i = i mod N; in the
 * sync phase a node registers again while its answer says More. */
static int run_phase(enum phase ph, long total, struct slot *slots)
{
	struct stats st = {0};
	struct epoll_event evs[256];
	long next = 0, active = 0, c = conc < total ? conc : total;
	double t_start = now(), cpu_start = server_cpu();

	for (long i = 0; i < c; i++) {
		slots[i].req = next++;
		slots[i].node = slots[i].req % nodes;
		slots[i].tries = 0;
		if (slot_start(&slots[i]) < 0)
			return -1;
		active++;
	}
	while (active) {
		int n = epoll_wait(ep, evs, 256, 30000);
		if (n <= 0) {
			fprintf(stderr, "loadgen: no progress for 30 s\n");
			return -1;
		}
		for (int e = 0; e < n; e++) {
			struct slot *s = evs[e].data.ptr;
			bool finished = false, broken = false, again = false;
			if (s->sent < s->len) {
				ssize_t w = send(s->fd, s->out + s->sent, s->len - s->sent, MSG_NOSIGNAL);
				if (w < 0 && errno != EAGAIN) {
					broken = true;
				} else if (w > 0 && (s->sent += (size_t)w) == s->len) {
					struct epoll_event ev = {.events = EPOLLIN, .data.ptr = s};
					epoll_ctl(ep, EPOLL_CTL_MOD, s->fd, &ev);
				}
			} else {
				ssize_t r;
				if (s->cap - s->got < 65536 && s->cap < MAX_ANSWER) {
					size_t cap = s->cap ? s->cap * 2 : 65536;
					char *in = realloc(s->in, cap + 1);
					if (!in)
						return -1;
					s->in = in;
					s->cap = cap;
				}
				r = read(s->fd, s->in + s->got, s->cap - s->got);
				if (r < 0 && errno != EAGAIN)
					broken = true;
				else if (r == 0 || (r > 0 && memchr(s->in + s->got, '\n', (size_t)r)))
					finished = true;
				if (r > 0)
					s->got += (size_t)r;
				if (s->got >= s->cap)
					finished = true;
			}
			if (!finished && !broken)
				continue;
			close(s->fd);
			if (broken || s->got == 0) {
				if (++s->tries <= 5) {
					st.retries++;
					if (slot_start(s) < 0)
						return -1;
					continue;
				}
				st.failed++;
			} else {
				s->in[s->got] = '\0';
				if (lat_add(&st, now() - s->t0) < 0)
					return -1;
				st.bytes += s->got;
				if (s->got > st.max_bytes)
					st.max_bytes = s->got;
				if (strstr(s->in, "\"Status\":\"ready\""))
					st.ready++;
				else if (strstr(s->in, "\"Status\":\"waiting\""))
					st.waiting++;
				else
					st.error++;
				again = take_answer(s, &st) && ph == PH_SYNC;
			}
			s->tries = 0;
			if (again) {
				if (slot_start(s) < 0)
					return -1;
			} else if (next < total) {
				s->req = next++;
				s->node = s->req % nodes;
				if (slot_start(s) < 0)
					return -1;
			} else {
				active--;
			}
		}
	}
	double cpu_end = server_cpu();
	print_stats(ph == PH_PLAIN ? "all" : ph == PH_NEW ? "new" : ph == PH_SYNC ? "sync" : "heartbeat", &st,
		    now() - t_start, cpu_start >= 0 && cpu_end >= 0 ? cpu_end - cpu_start : -1);
	free(st.lat);
	return st.failed || st.error ? 1 : 0;
}

int main(int argc, char **argv)
{
	const char *addr = "127.0.0.1:7000", *phases = NULL;
	struct slot *slots;
	int rc = 0;

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
		else if (!strcmp(argv[i], "--overlay"))
			wireguard = !strcmp(argv[i + 1], "wireguard");
		else if (!strcmp(argv[i], "--storage"))
			gluster = !strcmp(argv[i + 1], "gluster");
		else if (!strcmp(argv[i], "--phases"))
			phases = argv[i + 1];
		else if (!strcmp(argv[i], "--server-pid"))
			server_pid = atol(argv[i + 1]);
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
	slots = calloc((size_t)conc, sizeof *slots);
	held = calloc((size_t)nodes, sizeof *held);
	ep = epoll_create1(0);
	if (!slots || !held || ep < 0)
		return 1;
	if (!phases) {
		rc = run_phase(PH_PLAIN, requests, slots);
	} else {
		char *list = strdup(phases), *save = NULL;
		for (char *p = strtok_r(list, ",", &save); p && rc >= 0; p = strtok_r(NULL, ",", &save)) {
			enum phase ph = !strcmp(p, "new") ? PH_NEW : !strcmp(p, "sync") ? PH_SYNC : PH_HEARTBEAT;
			int r = run_phase(ph, nodes, slots);
			rc = r < 0 ? r : rc | r;
		}
		free(list);
	}
	for (long i = 0; i < conc; i++)
		free(slots[i].in);
	free(slots);
	free(held);
	return rc < 0 ? 1 : rc;
}
