/* soak: minutes of mixed load against `master serve`, watching the
 * controller's memory and descriptors.
 *
 *   soak --addr 127.0.0.1:PORT --pid PID --seconds 60 [--warmup 15]
 *        [--secret S] [--max-connections 64] [--request-timeout 5]
 *        [--max-request-bytes 4096] [--samples FILE] [--rss-slack-pct 5]
 *
 * The load, every second, paced (a soak, not a benchmark):
 *   valid      registrations of a pool of nodes; after the first round
 *              every one is a heartbeat (the same node again).  Each must
 *              be answered waiting or ready, never error or a reset.
 *   status     `clusterctl status` queries ({"Query":"status"}): answered
 *              ready, never error.
 *   slow       valid registrations written one byte at a time, finishing
 *              well inside --request-timeout: answered like the others.
 *   invalid    not JSON, a JSON array, wrong types, an unknown role: each
 *              answered Status error.
 *   oversize   more than --max-request-bytes: refused (error or a reset),
 *              never accepted.
 *   slowloris  one byte a second, never finishing: cut at the deadline.
 *   abandoned  half a request, then the client goes; or a whole request
 *              and the client goes without reading the answer.
 *   hog burst  every 20 s, --max-connections + 16 idle connections held
 *              for 1.5 s: the controller holds at most its cap open
 *              (the rest wait in the backlog) and valid clients are
 *              delayed, not refused.
 * Once a second the controller's VmRSS (/proc/PID/status) and open
 * descriptors (/proc/PID/fd) are sampled.  At the end each verdict is a
 * line "check 0|1 description" (0 = holds), for tests/integration/soak.sh
 * to turn into TAP, and the figures a line "soak key=value ...". */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include "cc-net.h"
#include "cc-time.h"

enum kind { K_VALID, K_STATUS, K_SLOW, K_INVALID, K_OVERSIZE, K_SLOWLORIS, K_ABANDON, K_HOG, K_NKINDS };
static const char *const kind_name[K_NKINDS] = {"valid", "status", "slow", "invalid", "oversize",
						"slowloris", "abandoned", "hog"};

struct conn {
	enum kind kind;
	int fd;
	int64_t t0, next_byte, close_at;
	char *out;
	size_t len, sent, stop_at; /* stop_at: abandon after this many bytes */
	char in[512];
	size_t got;
	bool writing_done;
	struct conn *next;
};

struct tally {
	long started, answered_ok, answered_error, reset, no_answer, late;
	int64_t max_ms;
};

static struct sockaddr_in sa;
static int ep = -1;
static struct conn *conns;
static long nconns;
static struct tally tally[K_NKINDS];
static long pool = 200, node_next;
static const char *secret = "";
static long max_conn = 64, req_timeout_s = 5, max_req = 4096;

static void die(const char *what)
{
	fprintf(stderr, "soak: %s: %s\n", what, strerror(errno));
	exit(2);
}

static char *fmt_request(long n)
{
	char *s = NULL;
	if (asprintf(&s,
		     "{\"Hostname\":\"soak-%ld\",\"Role\":\"worker\",\"IP\":\"10.77.%ld.%ld\",\"NodeID\":\"soak-%ld\","
		     "\"OS\":\"Linux\",\"CPU\":2,\"Memory\":1073741824,\"DockerVersion\":\"24.0.7\","
		     "\"JoinSecret\":\"%s\"}\n",
		     n, n / 250, n % 250 + 1, n, secret) < 0)
		die("asprintf");
	return s;
}

static char *make_out(enum kind k, size_t *len)
{
	static long inv;
	char *s = NULL;

	switch (k) {
	case K_VALID:
	case K_SLOW:
	case K_ABANDON:
		s = fmt_request(node_next++ % pool);
		break;
	case K_STATUS:
		if (asprintf(&s, "{\"Query\":\"status\",\"JoinSecret\":\"%s\"}\n", secret) < 0)
			s = NULL;
		break;
	case K_INVALID: {
		static const char *const bad[] = {
			"{not json at all}\n",
			"[1,2,3]\n",
			"{\"Hostname\":42,\"Role\":\"worker\",\"IP\":\"10.0.0.1\"}\n",
			"{\"Hostname\":\"x\",\"Role\":\"king\",\"IP\":\"10.0.0.1\"}\n",
			"{\"Hostname\":\"x\",\"Role\":\"worker\",\"IP\":\"999.1.1.1\"}\n",
			"{\"Hostname\":\"x\",\"Role\":\"worker\",\"IP\":\"10.0.0.1\",\"JoinSecret\":\"wrong\"}\n",
		};
		s = strdup(bad[inv++ % (long)(sizeof bad / sizeof bad[0])]);
		break;
	}
	case K_OVERSIZE: {
		size_t n = (size_t)max_req * 2, o;
		s = malloc(n + 64);
		if (!s)
			die("malloc");
		o = (size_t)sprintf(s, "{\"Hostname\":\"");
		memset(s + o, 'a', n);
		strcpy(s + o + n, "\"}\n");
		break;
	}
	case K_SLOWLORIS:
		s = strdup("{\"Hostname\":\"slowloris\",\"Role\":\"worker\",\"IP\":\"10.0.0.9\",\"x\":\""
			   "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
			   "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"}\n");
		break;
	case K_HOG:
	case K_NKINDS:
		s = strdup("");
		break;
	}
	if (!s)
		die("strdup");
	*len = strlen(s);
	return s;
}

static void conn_free(struct conn *c)
{
	struct conn **pp;
	for (pp = &conns; *pp; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	if (c->fd >= 0)
		close(c->fd);
	free(c->out);
	free(c);
	nconns--;
}

static void start(enum kind k, int64_t now)
{
	struct conn *c = calloc(1, sizeof *c);
	struct epoll_event ev;

	if (!c)
		die("calloc");
	c->kind = k;
	c->t0 = now;
	c->out = make_out(k, &c->len);
	c->stop_at = c->len;
	if (k == K_ABANDON && tally[k].started % 2 == 0)
		c->stop_at = c->len / 2;
	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		die("socket");
	if (connect(c->fd, (struct sockaddr *)&sa, sizeof sa) < 0 && errno != EINPROGRESS)
		die("connect");
	/* A hog only holds its slot: it wants no events (level-triggered
	 * EPOLLOUT would spin). */
	ev.events = k == K_HOG ? 0 : EPOLLIN | EPOLLOUT;
	ev.data.ptr = c;
	if (epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev) < 0)
		die("epoll_ctl");
	c->next = conns;
	conns = c;
	nconns++;
	tally[k].started++;
	if (k == K_HOG)
		c->close_at = now + 1500;
}

/* Status of an answer line: "ok" (waiting/ready), "error", or NULL. */
static const char *answer_status(const char *in)
{
	if (strstr(in, "\"Status\":\"waiting\"") || strstr(in, "\"Status\":\"ready\""))
		return "ok";
	if (strstr(in, "\"Status\":\"error\""))
		return "error";
	return NULL;
}

static void finish(struct conn *c, bool reset, int64_t now)
{
	struct tally *t = &tally[c->kind];
	int64_t ms = now - c->t0;
	const char *st;

	c->in[c->got] = '\0';
	st = answer_status(c->in);
	if (st && strcmp(st, "ok") == 0)
		t->answered_ok++;
	else if (st)
		t->answered_error++;
	else if (reset)
		t->reset++;
	else
		t->no_answer++;
	if (ms > t->max_ms)
		t->max_ms = ms;
	if ((c->kind == K_VALID || c->kind == K_STATUS || c->kind == K_SLOW) && !(st && strcmp(st, "ok") == 0))
		fprintf(stderr, "soak: a valid %s client got %s after %lld ms: %.200s\n", kind_name[c->kind],
			st ? st : reset ? "a reset" : "no answer", (long long)ms, c->in);
	conn_free(c);
}

/* Returns true when it freed c (an abandoned client that has gone). */
static bool pump_write(struct conn *c, int64_t now)
{
	size_t want;

	if (c->writing_done)
		return false;
	want = c->stop_at - c->sent;
	if ((c->kind == K_SLOW || c->kind == K_SLOWLORIS) && want > 0) {
		if (now < c->next_byte)
			return false;
		want = 1;
		c->next_byte = now + (c->kind == K_SLOW ? 8 : 1000);
	}
	if (want > 0) {
		ssize_t w = send(c->fd, c->out + c->sent, want, MSG_NOSIGNAL);
		if (w < 0 && errno != EAGAIN && errno != EINTR && errno != ENOTCONN) {
			/* The server refused and closed: read what it said. */
			c->writing_done = true;
			return false;
		}
		if (w > 0)
			c->sent += (size_t)w;
	}
	if (c->sent == c->stop_at) {
		c->writing_done = true;
		if (c->kind == K_ABANDON) {
			/* Gone: half a request, or a whole one never read. */
			tally[K_ABANDON].answered_ok++;
			conn_free(c);
			return true;
		}
	}
	return false;
}

static void on_event(struct conn *c, uint32_t evs, int64_t now)
{
	if (c->kind == K_HOG)
		return;
	if (evs & EPOLLOUT) {
		struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
		if (pump_write(c, now))
			return;
		if (c->writing_done || c->kind == K_SLOW || c->kind == K_SLOWLORIS)
			epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
	}
	if (evs & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
		for (;;) {
			ssize_t r = read(c->fd, c->in + c->got, sizeof c->in - 1 - c->got);
			if (r > 0) {
				c->got += (size_t)r;
				if (c->got == sizeof c->in - 1 || memchr(c->in, '\n', c->got)) {
					finish(c, false, now);
					return;
				}
				continue;
			}
			if (r == 0) {
				finish(c, false, now);
				return;
			}
			if (errno == EAGAIN || errno == EINTR)
				break;
			finish(c, true, now);
			return;
		}
	}
}

struct sample {
	double t;
	long rss_kb, fds, clients;
};

static long read_rss_kb(long pid)
{
	char path[64], line[256];
	long v = -1;
	FILE *f;

	snprintf(path, sizeof path, "/proc/%ld/status", pid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof line, f))
		if (sscanf(line, "VmRSS: %ld kB", &v) == 1)
			break;
	fclose(f);
	return v;
}

static long count_fds(long pid)
{
	char path[64];
	struct dirent *d;
	long n = 0;
	DIR *dir;

	snprintf(path, sizeof path, "/proc/%ld/fd", pid);
	dir = opendir(path);
	if (!dir)
		return -1;
	while ((d = readdir(dir)))
		if (d->d_name[0] != '.')
			n++;
	closedir(dir);
	return n;
}

static void check(bool holds, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void check(bool holds, const char *fmt, ...)
{
	va_list ap;
	printf("check %d ", holds ? 0 : 1);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

/* Paced starts: `per_s` a second, spread over the ticks. */
static void pace(enum kind k, double per_s, double *credit, double dt, int64_t now)
{
	*credit += per_s * dt;
	while (*credit >= 1.0) {
		*credit -= 1.0;
		start(k, now);
	}
}

static long in_flight(enum kind k)
{
	long n = 0;
	for (struct conn *c = conns; c; c = c->next)
		n += c->kind == k;
	return n;
}

static void usage(void)
{
	fprintf(stderr, "usage: soak --addr IP:PORT --pid PID --seconds N [--warmup N] [--secret S]\n"
			"            [--max-connections N] [--request-timeout S] [--max-request-bytes N]\n"
			"            [--samples FILE] [--rss-slack-pct P]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *addr = NULL, *samples_path = NULL;
	long pid = 0, seconds = 60, warmup = -1;
	double rss_slack_pct = 5.0;
	struct sample *smp;
	size_t nsmp = 0;
	int64_t t_start, t_end, last, next_sample, next_burst;
	double cr_valid = 0, cr_status = 0, cr_invalid = 0, cr_oversize = 0, cr_abandon = 0;
	long fd0, fd_end = -1, max_fds = 0, rss_ref = 0, rss_min = 0, rss_max = 0;
	long bursts = 0, burst_max_fds = 0;
	uint32_t ip;
	uint16_t port;
	FILE *sf = NULL;
	bool alive = true;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!v)
			usage();
		if (!strcmp(a, "--addr"))
			addr = v;
		else if (!strcmp(a, "--pid"))
			pid = atol(v);
		else if (!strcmp(a, "--seconds"))
			seconds = atol(v);
		else if (!strcmp(a, "--warmup"))
			warmup = atol(v);
		else if (!strcmp(a, "--secret"))
			secret = v;
		else if (!strcmp(a, "--max-connections"))
			max_conn = atol(v);
		else if (!strcmp(a, "--request-timeout"))
			req_timeout_s = atol(v);
		else if (!strcmp(a, "--max-request-bytes"))
			max_req = atol(v);
		else if (!strcmp(a, "--samples"))
			samples_path = v;
		else if (!strcmp(a, "--rss-slack-pct"))
			rss_slack_pct = atof(v);
		else
			usage();
		i++;
	}
	if (!addr || pid <= 0 || seconds < 10 || max_conn < 1 || req_timeout_s < 1 || max_req < 256 ||
	    cc_parse_ipv4_port(addr, 0, &ip, &port) < 0)
		usage();
	if (warmup < 0)
		warmup = seconds / 4 > 10 ? seconds / 4 : 10;
	if (warmup >= seconds - 5) {
		fprintf(stderr, "soak: --seconds %ld leaves no 5 s after the %ld s warm-up: run longer (at least 20 s) "
				"or give a shorter --warmup\n",
			seconds, warmup);
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(ip);
	sa.sin_port = htons(port);
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0)
		die("epoll_create1");
	smp = calloc((size_t)seconds + (size_t)seconds / 20 + 4 * (size_t)req_timeout_s + 16, sizeof *smp);
	if (!smp)
		die("calloc");
	if (samples_path && !(sf = fopen(samples_path, "we")))
		die(samples_path);

	fd0 = count_fds(pid);
	t_start = last = cc_mono_ms();
	t_end = t_start + seconds * 1000;
	next_sample = t_start + 1000;
	next_burst = t_start + 5000;
	while (alive) {
		struct epoll_event evs[64];
		int64_t now;
		double dt;
		int n = epoll_wait(ep, evs, 64, 5);

		now = cc_mono_ms();
		for (int i = 0; i < n; i++)
			on_event(evs[i].data.ptr, evs[i].events, now);
		dt = (double)(now - last) / 1000.0;
		last = now;
		if (now < t_end) {
			pace(K_VALID, 100, &cr_valid, dt, now);
			pace(K_STATUS, 5, &cr_status, dt, now);
			pace(K_INVALID, 10, &cr_invalid, dt, now);
			pace(K_OVERSIZE, 4, &cr_oversize, dt, now);
			pace(K_ABANDON, 10, &cr_abandon, dt, now);
			while (in_flight(K_SLOW) < 4)
				start(K_SLOW, now);
			while (in_flight(K_SLOWLORIS) < 2)
				start(K_SLOWLORIS, now);
			if (now >= next_burst) {
				for (long i = 0; i < max_conn + 16; i++)
					start(K_HOG, now);
				bursts++;
				next_burst = now + 20000;
				/* Sample while the burst is held, not wherever the
				 * 1 s clock happens to fall: the controller evicts
				 * idle requests, so a late sample sees fewer. */
				if (next_sample > now + 300)
					next_sample = now + 300;
			}
		}
		for (struct conn *c = conns, *nx; c; c = nx) {
			nx = c->next;
			if (c->kind == K_HOG) {
				if (now >= c->close_at) {
					tally[K_HOG].answered_ok++;
					conn_free(c);
				}
				continue;
			}
			if (c->kind == K_SLOW || c->kind == K_SLOWLORIS)
				pump_write(c, now);
			/* Nothing may wait longer than its deadline, the hog
			 * bursts and generous slack for a busy machine. */
			if (now - c->t0 > (req_timeout_s + 20) * 1000) {
				tally[c->kind].late++;
				fprintf(stderr, "soak: a %s client had no answer after %lld ms\n", kind_name[c->kind],
					(long long)(now - c->t0));
				conn_free(c);
			}
		}
		if (now >= next_sample) {
			struct sample *s = &smp[nsmp];
			s->t = (double)(now - t_start) / 1000.0;
			s->rss_kb = read_rss_kb(pid);
			s->fds = count_fds(pid);
			s->clients = nconns;
			if (s->rss_kb < 0 || s->fds < 0) {
				fprintf(stderr, "soak: the controller (pid %ld) is gone at %.1f s\n", pid, s->t);
				alive = false;
				break;
			}
			if (sf)
				fprintf(sf, "%.1f %ld %ld %ld\n", s->t, s->rss_kb, s->fds, s->clients);
			if (s->fds > max_fds)
				max_fds = s->fds;
			if (in_flight(K_HOG) > 0 && s->fds > burst_max_fds)
				burst_max_fds = s->fds;
			nsmp++;
			next_sample += 1000;
		}
		if (now >= t_end && !conns)
			break;
		if (nsmp >= (size_t)seconds + 4 * (size_t)req_timeout_s + 15)
			break;
	}
	/* Quiet: every connection the controller had is gone once its peer
	 * is, or at its deadline. */
	if (alive) {
		int64_t until = cc_mono_ms() + (req_timeout_s * 2 + 2) * 1000;
		do {
			struct timespec ms50 = {0, 50 * 1000000L};
			fd_end = count_fds(pid);
			if (fd_end == fd0)
				break;
			nanosleep(&ms50, NULL);
		} while (cc_mono_ms() < until);
	}
	if (sf)
		fclose(sf);

	/* RSS after warm-up, against the first sample after it. */
	for (size_t i = 0; i < nsmp; i++) {
		if (smp[i].t < (double)warmup)
			continue;
		if (!rss_ref)
			rss_ref = rss_min = rss_max = smp[i].rss_kb;
		if (smp[i].rss_kb < rss_min)
			rss_min = smp[i].rss_kb;
		if (smp[i].rss_kb > rss_max)
			rss_max = smp[i].rss_kb;
	}

	printf("soak seconds=%ld warmup=%ld samples=%zu fds_start=%ld fds_max=%ld fds_in_burst_max=%ld fds_end=%ld "
	       "rss_warm_kb=%ld rss_min_kb=%ld rss_max_kb=%ld rss_growth_pct=%.2f bursts=%ld",
	       seconds, warmup, nsmp, fd0, max_fds, burst_max_fds, fd_end, rss_ref, rss_min, rss_max,
	       rss_ref ? 100.0 * (double)(rss_max - rss_ref) / (double)rss_ref : 0.0, bursts);
	for (int k = 0; k < K_NKINDS; k++)
		printf(" %s=%ld/%ld/%ld/%ld/%ld", kind_name[k], tally[k].started, tally[k].answered_ok,
		       tally[k].answered_error, tally[k].reset + tally[k].no_answer, tally[k].late);
	printf("\n# per kind: started/answered ok/answered error/reset or closed unanswered/late\n");

	check(alive, "the controller ran the whole %ld s", seconds);
	check(tally[K_VALID].answered_ok >= seconds * 50 && tally[K_VALID].answered_ok == tally[K_VALID].started,
	      "every valid registration and heartbeat was answered waiting or ready (%ld of %ld)",
	      tally[K_VALID].answered_ok, tally[K_VALID].started);
	check(tally[K_STATUS].answered_ok > 0 && tally[K_STATUS].answered_ok == tally[K_STATUS].started,
	      "every status query was answered (%ld of %ld)", tally[K_STATUS].answered_ok, tally[K_STATUS].started);
	check(tally[K_SLOW].answered_ok > 0 && tally[K_SLOW].answered_ok == tally[K_SLOW].started,
	      "every slow (byte-by-byte) valid client was answered waiting or ready (%ld of %ld)",
	      tally[K_SLOW].answered_ok, tally[K_SLOW].started);
	check(tally[K_INVALID].started > 0 && tally[K_INVALID].answered_error == tally[K_INVALID].started,
	      "every invalid request was answered Status error (%ld of %ld)", tally[K_INVALID].answered_error,
	      tally[K_INVALID].started);
	check(tally[K_OVERSIZE].started > 0 && tally[K_OVERSIZE].answered_ok == 0 &&
		      tally[K_OVERSIZE].late == 0,
	      "every oversize request (%ld bytes, cap %ld) was refused: %ld error answers, %ld resets, none accepted",
	      max_req * 2 + 17, max_req, tally[K_OVERSIZE].answered_error,
	      tally[K_OVERSIZE].reset + tally[K_OVERSIZE].no_answer);
	check(tally[K_SLOWLORIS].started > 0 && tally[K_SLOWLORIS].answered_ok == 0 &&
		      tally[K_SLOWLORIS].late == 0 && tally[K_SLOWLORIS].max_ms <= (req_timeout_s + 3) * 1000 + 1500,
	      "every never-finishing client was cut at the request deadline (%ld, longest %lld ms, deadline %ld s)",
	      tally[K_SLOWLORIS].started - in_flight(K_SLOWLORIS), (long long)tally[K_SLOWLORIS].max_ms,
	      req_timeout_s);
	check(tally[K_ABANDON].started > 0 && tally[K_ABANDON].answered_ok == tally[K_ABANDON].started,
	      "abandoned connections were made (%ld)", tally[K_ABANDON].started);
	check(bursts > 0 && burst_max_fds >= fd0 + max_conn / 2 && max_fds <= fd0 + max_conn + 2,
	      "the connection cap holds: at most %ld descriptors open (%ld at rest + cap %ld), "
	      "%ld in the %ld bursts of %ld idle connections",
	      max_fds, fd0, max_conn, burst_max_fds, bursts, max_conn + 16);
	check(alive && fd_end == fd0, "open descriptors back to %ld when the load stops (%ld)", fd0, fd_end);
	check(alive && rss_ref > 0 && (double)rss_max <= (double)rss_ref * (1.0 + rss_slack_pct / 100.0),
	      "RSS flat after the %ld s warm-up: %ld-%ld kB against %ld kB (%.2f%%, at most %.1f%%)", warmup,
	      rss_min, rss_max, rss_ref, rss_ref ? 100.0 * (double)(rss_max - rss_ref) / (double)rss_ref : 0.0,
	      rss_slack_pct);
	while (conns)
		conn_free(conns);
	free(smp);
	close(ep);
	return 0;
}
