/* torture-client: concurrent registrations against a controller that the
 * test kills at a random moment (tests/integration/state-torture.sh).
 *
 *   torture-client --addr IP:PORT --acks FILE --first K --count N
 *                  [--known M] [--concurrency C] [--seed S]
 *
 * C threads register nodes t-K .. t-(K+N-1) (every 7th asks to be a
 * manager) and M nodes picked from those FILE already lists, each with a
 * WireGuard public key of its own, one connection per request.  Every
 * "ready" answer is an acknowledged decision: a line "t-I ROLE ADDRESS"
 * (SwarmRole, the overlay address without its prefix length) is appended
 * to FILE with one write(), before the next request of that thread.  A
 * node FILE already lists must be answered with the same role and
 * address: anything else is printed as "DECISION CHANGED" and makes the
 * exit status 1.  Connections refused or cut (the controller was killed)
 * end a thread quietly: they acknowledged nothing. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#define MAX_NODES 100000
#define MAX_ANSWER (1 << 20)

struct known {
	char role[16];
	char addr[48];
	bool set;
};

static struct sockaddr_in sa;
static struct known *known;      /* by node index */
static long *work;               /* node indexes to register */
static long nwork, next_work;
static int acks_fd;
static int changed, answered;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;

static void node_key(long n, char out[45])
{
	static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	unsigned char raw[33] = {0};
	for (int i = 0; i < 8; i++)
		raw[i] = (unsigned char)(n >> (8 * i));
	raw[31] = 0x42; /* not all zero: some checks refuse that key */
	for (int i = 0, o = 0; i < 33; i += 3, o += 4) {
		unsigned v = (unsigned)raw[i] << 16 | (unsigned)raw[i + 1] << 8 | raw[i + 2];
		out[o] = b64[v >> 18 & 63];
		out[o + 1] = b64[v >> 12 & 63];
		out[o + 2] = b64[v >> 6 & 63];
		out[o + 3] = b64[v & 63];
	}
	out[43] = '=';
	out[44] = '\0';
}

/* One registration; the answer's text in *out.  -1: no answer. */
static int exchange(long n, char **out)
{
	char req[1024], ip[24], key[45], *buf = NULL;
	size_t got = 0;
	struct timeval tv = {5, 0};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), len;

	*out = NULL;
	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0)
		goto fail;
	snprintf(ip, sizeof ip, "10.%ld.%ld.%ld", (n >> 16) & 255, (n >> 8) & 255, (n & 255) % 250 + 1);
	node_key(n, key);
	len = snprintf(req, sizeof req,
		       "{\"Hostname\":\"t-%ld\",\"Role\":\"%s\",\"IP\":\"%s\",\"NodeID\":\"torture-%ld\","
		       "\"JoinSecret\":\"x\",\"Observed\":{\"Overlay\":{\"PublicKey\":\"%s\",\"ListenPort\":51820,"
		       "\"Interface\":\"wg0\",\"UnderlayIP\":\"%s\",\"PeerVersion\":\"\"}}}\n",
		       n, n % 7 == 0 ? "manager" : "worker", ip, n, key, ip);
	if (write(fd, req, (size_t)len) != len)
		goto fail;
	buf = malloc(MAX_ANSWER + 1);
	if (!buf)
		goto fail;
	for (;;) {
		ssize_t r = read(fd, buf + got, MAX_ANSWER - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
		if (memchr(buf + got - r, '\n', (size_t)r) || got == MAX_ANSWER)
			break;
	}
	close(fd);
	if (!got || !memchr(buf, '\n', got)) {
		free(buf); /* cut: the controller died before answering */
		return -1;
	}
	buf[got] = '\0';
	*out = buf;
	return 0;
fail:
	free(buf);
	close(fd);
	return -1;
}

static const char *jstr(json_object *o, const char *k)
{
	json_object *v;
	return o && json_object_object_get_ex(o, k, &v) && json_object_is_type(v, json_type_string)
		       ? json_object_get_string(v)
		       : NULL;
}

static void take(long n, const char *answer)
{
	json_object *root = json_tokener_parse(answer), *pl = NULL;
	const char *status = jstr(root, "Status"), *role = jstr(root, "SwarmRole"), *addr = NULL;
	char line[160], a[48] = "";
	int len;

	if (status && strcmp(status, "ready") == 0 && json_object_object_get_ex(root, "OverlayPayload", &pl))
		addr = jstr(pl, "Address");
	if (!status || strcmp(status, "ready") != 0 || !role || !addr) {
		if (!status || strcmp(status, "waiting") != 0) {
			pthread_mutex_lock(&mu);
			fprintf(stderr, "t-%ld: unexpected answer %.300s\n", n, answer);
			pthread_mutex_unlock(&mu);
		}
		json_object_put(root);
		return;
	}
	snprintf(a, sizeof a, "%.*s", (int)strcspn(addr, "/"), addr);
	pthread_mutex_lock(&mu);
	answered++;
	if (known[n].set && (strcmp(known[n].role, role) != 0 || strcmp(known[n].addr, a) != 0)) {
		fprintf(stderr, "DECISION CHANGED t-%ld: was %s %s, now %s %s\n", n, known[n].role, known[n].addr,
			role, a);
		changed++;
	}
	len = snprintf(line, sizeof line, "t-%ld %s %s\n", n, role, a);
	if (write(acks_fd, line, (size_t)len) != len)
		fprintf(stderr, "cannot record t-%ld's answer: %s\n", n, strerror(errno));
	pthread_mutex_unlock(&mu);
	json_object_put(root);
}

static void *worker(void *arg)
{
	(void)arg;
	for (;;) {
		long i = __atomic_fetch_add(&next_work, 1, __ATOMIC_SEQ_CST), n;
		char *answer;
		if (i >= nwork)
			return NULL;
		n = work[i];
		if (exchange(n, &answer) < 0)
			return NULL; /* the controller is gone */
		take(n, answer);
		free(answer);
	}
}

static int load_known(const char *path)
{
	FILE *f = fopen(path, "r");
	char role[16], addr[48];
	long n;
	if (!f)
		return errno == ENOENT ? 0 : -1;
	while (fscanf(f, " t-%ld %15s %47s", &n, role, addr) == 3) {
		if (n < 0 || n >= MAX_NODES)
			continue;
		if (known[n].set && (strcmp(known[n].role, role) != 0 || strcmp(known[n].addr, addr) != 0)) {
			fprintf(stderr, "DECISION CHANGED t-%ld (in the acks file): %s %s, then %s %s\n", n,
				known[n].role, known[n].addr, role, addr);
			changed++;
		}
		snprintf(known[n].role, sizeof known[n].role, "%s", role);
		snprintf(known[n].addr, sizeof known[n].addr, "%s", addr);
		known[n].set = true;
	}
	fclose(f);
	return 0;
}

int main(int argc, char **argv)
{
	const char *addr = NULL, *acks = NULL;
	long first = 0, count = 0, nknown = 0, conc = 8, seed = 1;
	pthread_t th[64];
	char host[64];
	int port;

	for (int i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--addr"))
			addr = argv[i + 1];
		else if (!strcmp(argv[i], "--acks"))
			acks = argv[i + 1];
		else if (!strcmp(argv[i], "--first"))
			first = atol(argv[i + 1]);
		else if (!strcmp(argv[i], "--count"))
			count = atol(argv[i + 1]);
		else if (!strcmp(argv[i], "--known"))
			nknown = atol(argv[i + 1]);
		else if (!strcmp(argv[i], "--concurrency"))
			conc = atol(argv[i + 1]);
		else if (!strcmp(argv[i], "--seed"))
			seed = atol(argv[i + 1]);
	}
	if (!addr || !acks || sscanf(addr, "%63[^:]:%d", host, &port) != 2 || first < 0 || count < 0 ||
	    first + count > MAX_NODES || conc < 1 || conc > 64) {
		fprintf(stderr, "usage: torture-client --addr IP:PORT --acks FILE --first K --count N [--known M] "
				"[--concurrency C<=64] [--seed S]\n");
		return 2;
	}
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, host, &sa.sin_addr) != 1)
		return 2;
	known = calloc(MAX_NODES, sizeof *known);
	work = calloc((size_t)(count + nknown), sizeof *work);
	if (!known || !work || load_known(acks) < 0)
		return 2;
	srandom((unsigned)seed);
	/* The new nodes and, interleaved, re-registrations of known ones. */
	{
		long cand[MAX_NODES / 10], nc = 0;
		for (long n = 0; n < MAX_NODES && nc < (long)(sizeof cand / sizeof cand[0]); n++)
			if (known[n].set)
				cand[nc++] = n;
		for (long i = 0; i < count; i++)
			work[nwork++] = first + i;
		for (long i = 0; nc && i < nknown; i++)
			work[nwork++] = cand[random() % nc];
		for (long i = nwork - 1; i > 0; i--) {
			long j = random() % (i + 1), t = work[i];
			work[i] = work[j];
			work[j] = t;
		}
	}
	acks_fd = open(acks, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (acks_fd < 0)
		return 2;
	for (long i = 0; i < conc; i++)
		pthread_create(&th[i], NULL, worker, NULL);
	for (long i = 0; i < conc; i++)
		pthread_join(th[i], NULL);
	close(acks_fd);
	printf("answered=%d changed=%d\n", answered, changed);
	free(known);
	free(work);
	return changed ? 1 : 0;
}
