#include "autoconfig.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cc-buf.h"
#include "cc-file.h"
#include "cc-net.h"
#include "cc-time.h"
#include "log.h"
#include "metrics.h"
#include "util.h"

#define SCRAPE_DEADLINE_MS 2000
#define SCRAPE_MAX_REQUEST 8192
#define MAX_PROVIDERS 4

/* Seconds; wide enough for a request on the loop (sub-millisecond) and a
 * GlusterFS plan or a slow disk's fdatasync (seconds). */
static const double bucket_le[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
				   0.1,    0.25,  0.5,    1,     2.5,  5,     10};
#define NBUCKETS ARRAY_SIZE(bucket_le)

struct histogram {
	uint64_t bucket[NBUCKETS]; /* not cumulative; summed when rendered */
	uint64_t count;
	double sum;
};

static const char *const outcomes[] = {"ready", "waiting", "error"};
static const char *const reasons[] = {"join_secret", "too_large", "timeout", "not_json", "bad_field",
				      "provider_mismatch", "protocol_version", "unknown_query", "empty",
				      "controller"};
static const char *const role_names[] = {"worker", "manager"};
static const char *const state_names[] = {"ready", "waiting", "error"};

static struct {
	pthread_mutex_t mu;
	atomic_bool on;
	int lfd, stop_pipe[2];
	pthread_t thr;
	uint64_t registrations[ARRAY_SIZE(outcomes)];
	uint64_t invalid[ARRAY_SIZE(reasons)];
	struct histogram request, fsync;
	struct {
		char name[32], kind[8];
		struct histogram h;
	} plan[MAX_PROVIDERS];
	size_t nplan;
	struct metrics_nodes nodes;
	uint64_t scrapes;
} M = {.mu = PTHREAD_MUTEX_INITIALIZER, .lfd = -1, .stop_pipe = {-1, -1}};

bool metrics_on(void) { return atomic_load(&M.on); }

static void observe(struct histogram *h, double s)
{
	size_t i = 0;
	while (i < NBUCKETS && s > bucket_le[i])
		i++;
	if (i < NBUCKETS)
		h->bucket[i]++;
	h->count++;
	h->sum += s;
}

static size_t index_of(const char *const *names, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(names[i], s) == 0)
			return i;
	return n;
}

void metrics_registration(const char *outcome)
{
	size_t i;
	if (!metrics_on() || (i = index_of(outcomes, ARRAY_SIZE(outcomes), outcome)) == ARRAY_SIZE(outcomes))
		return;
	pthread_mutex_lock(&M.mu);
	M.registrations[i]++;
	pthread_mutex_unlock(&M.mu);
}

/* The controller's refusals are sentences for a person; the label is
 * what they begin or turn on (core/protocol.c, controller.c,
 * node-compat.c).  Anything else about a field is "bad_field". */
const char *metrics_reason(const char *e)
{
	static const struct {
		const char *needle, *reason;
	} map[] = {
		{"JoinSecret is", "join_secret"},  {"larger than", "too_large"},
		{"not complete within", "timeout"}, {"not valid JSON", "not_json"},
		{"not a JSON object", "not_json"}, {"unexpected data after", "not_json"},
		{"invalid UTF-8", "not_json"},     {"provider \"", "provider_mismatch"},
		{"ProtocolVersion", "protocol_version"}, {"Query \"", "unknown_query"},
		{"empty request", "empty"},        {"the controller ", "controller"},
	};
	for (size_t i = 0; e && i < ARRAY_SIZE(map); i++)
		if (strstr(e, map[i].needle))
			return map[i].reason;
	return "bad_field";
}

void metrics_invalid(const char *error)
{
	size_t i;
	if (!metrics_on())
		return;
	i = index_of(reasons, ARRAY_SIZE(reasons), metrics_reason(error));
	pthread_mutex_lock(&M.mu);
	if (i < ARRAY_SIZE(reasons))
		M.invalid[i]++;
	pthread_mutex_unlock(&M.mu);
}

void metrics_request_seconds(double s)
{
	if (!metrics_on())
		return;
	pthread_mutex_lock(&M.mu);
	observe(&M.request, s);
	pthread_mutex_unlock(&M.mu);
}

void metrics_fsync_seconds(double s)
{
	if (!metrics_on())
		return;
	pthread_mutex_lock(&M.mu);
	observe(&M.fsync, s);
	pthread_mutex_unlock(&M.mu);
}

void metrics_plan_seconds(const char *provider, const char *kind, double s)
{
	size_t i;
	if (!metrics_on())
		return;
	pthread_mutex_lock(&M.mu);
	for (i = 0; i < M.nplan; i++)
		if (strcmp(M.plan[i].name, provider) == 0 && strcmp(M.plan[i].kind, kind) == 0)
			break;
	if (i == M.nplan && M.nplan < MAX_PROVIDERS && strlen(provider) < sizeof M.plan[0].name &&
	    strlen(kind) < sizeof M.plan[0].kind) {
		snprintf(M.plan[i].name, sizeof M.plan[i].name, "%s", provider);
		snprintf(M.plan[i].kind, sizeof M.plan[i].kind, "%s", kind);
		M.nplan++;
	}
	if (i < M.nplan)
		observe(&M.plan[i].h, s);
	pthread_mutex_unlock(&M.mu);
}

void metrics_set_nodes(const struct metrics_nodes *n)
{
	if (!metrics_on())
		return;
	pthread_mutex_lock(&M.mu);
	M.nodes = *n;
	pthread_mutex_unlock(&M.mu);
}

/* ---- the page ----------------------------------------------------------- */

static void head(struct cc_buf *sb, const char *name, const char *type, const char *help)
{
	cc_buf_printf(sb, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void render_histogram(struct cc_buf *sb, const char *name, const char *labels, const struct histogram *h)
{
	uint64_t cum = 0;
	const char *sep = *labels ? "," : "";

	for (size_t i = 0; i < NBUCKETS; i++) {
		cum += h->bucket[i];
		cc_buf_printf(sb, "%s_bucket{%s%sle=\"%g\"} %llu\n", name, labels, sep, bucket_le[i],
			      (unsigned long long)cum);
	}
	cc_buf_printf(sb, "%s_bucket{%s%sle=\"+Inf\"} %llu\n", name, labels, sep, (unsigned long long)h->count);
	cc_buf_printf(sb, "%s_sum%s%s%s %.9f\n", name, *labels ? "{" : "", labels, *labels ? "}" : "", h->sum);
	cc_buf_printf(sb, "%s_count%s%s%s %llu\n", name, *labels ? "{" : "", labels, *labels ? "}" : "",
		      (unsigned long long)h->count);
}

char *metrics_render(void)
{
	struct cc_buf sb = CC_BUF_INIT;
	char labels[96];

	pthread_mutex_lock(&M.mu);
	head(&sb, "clusterctl_registrations_total", "counter", "Registrations answered, by the Status of the answer.");
	for (size_t i = 0; i < ARRAY_SIZE(outcomes); i++)
		cc_buf_printf(&sb, "clusterctl_registrations_total{outcome=\"%s\"} %llu\n", outcomes[i],
			      (unsigned long long)M.registrations[i]);
	head(&sb, "clusterctl_invalid_requests_total", "counter", "Requests refused before a decision, by reason.");
	for (size_t i = 0; i < ARRAY_SIZE(reasons); i++)
		cc_buf_printf(&sb, "clusterctl_invalid_requests_total{reason=\"%s\"} %llu\n", reasons[i],
			      (unsigned long long)M.invalid[i]);
	head(&sb, "clusterctl_nodes", "gauge", "Registered nodes by assigned role and the Status of their last answer.");
	for (int r = 0; r < 2; r++)
		for (int s = 0; s < 3; s++)
			cc_buf_printf(&sb, "clusterctl_nodes{role=\"%s\",state=\"%s\"} %u\n", role_names[r], state_names[s],
				      M.nodes.by_role_state[r][s]);
	head(&sb, "clusterctl_stale_nodes", "gauge", "Nodes without a registration within --stale-after.");
	cc_buf_printf(&sb, "clusterctl_stale_nodes %u\n", M.nodes.stale);
	head(&sb, "clusterctl_cluster_formed", "gauge", "1 once the --wait-for-minimum thresholds were met (or without gating).");
	cc_buf_printf(&sb, "clusterctl_cluster_formed %d\n", M.nodes.formed);
	head(&sb, "clusterctl_gating_waiting", "gauge", "1 while nodes are answered waiting for the minimum cluster size.");
	cc_buf_printf(&sb, "clusterctl_gating_waiting %d\n", M.nodes.waiting);
	head(&sb, "clusterctl_quorum_ok", "gauge", "1 while a majority of the Swarm managers was heard from recently.");
	cc_buf_printf(&sb, "clusterctl_quorum_ok %d\n", M.nodes.quorum_ok);
	head(&sb, "clusterctl_request_duration_seconds", "histogram",
	     "Time from accepting a connection to closing it (answers wait for the batch's fdatasync).");
	render_histogram(&sb, "clusterctl_request_duration_seconds", "", &M.request);
	head(&sb, "clusterctl_fsync_duration_seconds", "histogram", "fdatasync of the state log, one per batch.");
	render_histogram(&sb, "clusterctl_fsync_duration_seconds", "", &M.fsync);
	head(&sb, "clusterctl_plugin_plan_duration_seconds", "histogram", "Time a provider's plan() took, by provider.");
	for (size_t i = 0; i < M.nplan; i++) {
		snprintf(labels, sizeof labels, "provider=\"%s\",kind=\"%s\"", M.plan[i].name, M.plan[i].kind);
		render_histogram(&sb, "clusterctl_plugin_plan_duration_seconds", labels, &M.plan[i].h);
	}
	head(&sb, "clusterctl_metrics_scrapes_total", "counter", "Scrapes of this page answered.");
	cc_buf_printf(&sb, "clusterctl_metrics_scrapes_total %llu\n", (unsigned long long)M.scrapes);
	pthread_mutex_unlock(&M.mu);
	return cc_buf_detach(&sb);
}

/* ---- the listener -------------------------------------------------------- */

static void reply(int fd, const char *status, const char *type, const char *body)
{
	struct cc_buf sb = CC_BUF_INIT;
	cc_buf_printf(&sb, "HTTP/1.0 %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n%s",
		      status, type, strlen(body), body);
	if (!sb.oom)
		cc_write_all(fd, sb.buf, sb.len);
	cc_buf_free(&sb);
}

/* One scrape: read the request head within the deadline, answer, close.
 * Only "GET /metrics" (with or without a query) is served. */
static void serve_one(int fd)
{
	char buf[SCRAPE_MAX_REQUEST + 1];
	size_t n = 0;
	int64_t end = cc_mono_ms() + SCRAPE_DEADLINE_MS;

	while (n < SCRAPE_MAX_REQUEST) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		int left = cc_remaining_ms(end);
		ssize_t k;
		if (left <= 0 || poll(&p, 1, left) <= 0)
			return;
		k = read(fd, buf + n, SCRAPE_MAX_REQUEST - n);
		if (k <= 0)
			return;
		n += (size_t)k;
		buf[n] = '\0';
		if (strstr(buf, "\r\n\r\n") || strstr(buf, "\n\n"))
			break;
	}
	buf[n] = '\0';
	if (strncmp(buf, "GET /metrics ", 13) == 0 || strncmp(buf, "GET /metrics?", 13) == 0) {
		char *page;
		pthread_mutex_lock(&M.mu);
		M.scrapes++;
		pthread_mutex_unlock(&M.mu);
		page = metrics_render();
		if (page)
			reply(fd, "200 OK", "text/plain; version=0.0.4; charset=utf-8", page);
		free(page);
	} else if (strncmp(buf, "GET ", 4) == 0) {
		reply(fd, "404 Not Found", "text/plain", "only /metrics is served here\n");
	} else {
		reply(fd, "405 Method Not Allowed", "text/plain", "only GET /metrics\n");
	}
}

static void *listener(void *arg)
{
	(void)arg;
	for (;;) {
		struct pollfd p[2] = {{.fd = M.lfd, .events = POLLIN}, {.fd = M.stop_pipe[0], .events = POLLIN}};
		int fd;
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[1].revents)
			break;
		fd = accept4(M.lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0)
			continue;
		serve_one(fd);
		close(fd);
	}
	return NULL;
}

int metrics_start(const char *addr, char **err)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	socklen_t sl = sizeof sa;
	uint32_t ip;
	uint16_t port;
	char shown[CC_IPV4_STRLEN];
	int one = 1, r;
	sigset_t all, old;

	*err = NULL;
	if (cc_parse_ipv4_port(addr, CC_PORT_ZERO_OK, &ip, &port) < 0) {
		*err = cc_strdupf("--metrics-listen \"%s\" is not an IPv4 address and port like 127.0.0.1:9450", addr);
		return -EINVAL;
	}
	sa.sin_addr.s_addr = htonl(ip);
	sa.sin_port = htons(port);
	if ((M.lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 || pipe2(M.stop_pipe, O_CLOEXEC) < 0)
		goto fail;
	setsockopt(M.lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (bind(M.lfd, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(M.lfd, 16) < 0)
		goto fail;
	getsockname(M.lfd, (struct sockaddr *)&sa, &sl);
	atomic_store(&M.on, true);
	/* The loop reads its signals from a signalfd: this thread must not
	 * take them. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	r = pthread_create(&M.thr, NULL, listener, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r != 0) {
		errno = r;
		atomic_store(&M.on, false);
		goto fail;
	}
	cc_format_ipv4(ip, shown);
	log_info("metrics listening on %s:%u path=/metrics", shown, ntohs(sa.sin_port));
	return 0;
fail:
	r = -errno;
	*err = cc_strdupf("cannot serve metrics on %s: %s", addr, strerror(errno));
	if (M.lfd >= 0)
		close(M.lfd);
	for (int i = 0; i < 2; i++)
		if (M.stop_pipe[i] >= 0)
			close(M.stop_pipe[i]);
	M.lfd = M.stop_pipe[0] = M.stop_pipe[1] = -1;
	return r;
}

void metrics_stop(void)
{
	if (!metrics_on())
		return;
	cc_write_all(M.stop_pipe[1], "x", 1);
	pthread_join(M.thr, NULL);
	atomic_store(&M.on, false);
	close(M.lfd);
	close(M.stop_pipe[0]);
	close(M.stop_pipe[1]);
	M.lfd = M.stop_pipe[0] = M.stop_pipe[1] = -1;
}
