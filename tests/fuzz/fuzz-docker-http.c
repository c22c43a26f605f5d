/* Docker Engine replies as they arrive, through the real client
 * (core/docker.c over core/http-unix.c and libcurl): a fake engine on a
 * unix socket answers each request with the next HTTP response of the
 * input.  This reaches what fuzz-docker cannot call directly: the
 * Api-Version header (on_header), the /_ping negotiation, and the
 * network list behind the ingress MTU (find_ingress, options_mtu).
 *
 * Input: HTTP responses, each a little-endian u16 length and its bytes,
 * answering in turn: /_ping, /info, /networks, /nodes, /swarm.  A request
 * with no response left gets the connection closed.
 *
 * What must hold: every call succeeds or fails with a negative errno and
 * a message free of control bytes; nothing hangs (the engine closes
 * after each response) and nothing leaks. */
#include "autoconfig.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "docker.h"
#include "fuzz.h"
#include "http-unix.h"

static char dir[PATH_MAX - 32], sock_path[PATH_MAX];
static int listen_fd = -1;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct fuzz_cursor replies; /* what the engine answers next */

static void cleanup(void)
{
	unlink(sock_path);
	rmdir(dir);
}

/* The fake engine: read a request's head, answer with the next reply. */
static void *engine(void *arg)
{
	/* The reply is copied: a client that stopped reading (a short
	 * Content-Length) may let the next input start, and free this one,
	 * while the rest is still being sent. */
	static char req[65536];
	static uint8_t reply[65536];
	(void)arg;
	for (;;) {
		const uint8_t *piece;
		size_t len = 0, got = 0;
		int fd = accept(listen_fd, NULL, NULL);
		if (fd < 0)
			continue;
		while (got < sizeof req - 1) {
			ssize_t n = recv(fd, req + got, sizeof req - 1 - got, 0);
			if (n <= 0)
				break;
			got += (size_t)n;
			req[got] = '\0';
			if (strstr(req, "\r\n\r\n"))
				break;
		}
		pthread_mutex_lock(&lock);
		if (fuzz_next_piece(&replies, &piece, &len))
			memcpy(reply, piece, len);
		else
			len = 0;
		pthread_mutex_unlock(&lock);
		for (size_t off = 0; off < len;) {
			ssize_t n = send(fd, reply + off, len - off, MSG_NOSIGNAL);
			if (n <= 0)
				break;
			off += (size_t)n;
		}
		close(fd);
	}
	return NULL;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *tmp = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	pthread_t t;

	fuzz_require(http_unix_global_init() == 0, "libcurl initialises");
	snprintf(dir, sizeof dir, "%s/clusterctl-fuzz-docker-XXXXXX", tmp);
	fuzz_require(mkdtemp(dir) != NULL, "mkdtemp");
	snprintf(sock_path, sizeof sock_path, "%s/docker.sock", dir);
	fuzz_require(strlen(sock_path) < sizeof sa.sun_path, "a short socket path");
	strcpy(sa.sun_path, sock_path);
	listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	fuzz_require(listen_fd >= 0 && bind(listen_fd, (struct sockaddr *)&sa, sizeof sa) == 0 &&
			     listen(listen_fd, 8) == 0,
		     "the fake engine listens");
	atexit(cleanup);
	fuzz_require(pthread_create(&t, NULL, engine, NULL) == 0, "the fake engine starts");
	pthread_detach(t);
	return 0;
}

static void outcome(int r, char *err)
{
	if (r < 0) {
		fuzz_require(r >= -4095, "a failure is a negative errno");
		fuzz_require(err && *err && fuzz_clean(err), "with a clean message");
	}
	free(err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct docker *d = NULL;
	struct docker_info info;
	struct docker_node *nodes = NULL;
	struct docker_swarm sw;
	size_t n = 0;
	uint32_t mtu;
	char *err = NULL;
	int r;

	pthread_mutex_lock(&lock);
	replies = (struct fuzz_cursor){data, size};
	pthread_mutex_unlock(&lock);

	r = docker_open(sock_path, &d, &err);
	outcome(r, err);
	if (r < 0)
		return 0;
	fuzz_require(docker_api_version(d) != NULL, "an open engine has an API version");
	err = NULL;
	r = docker_get_info(d, &info, &err);
	outcome(r, err);
	if (r == 0)
		docker_info_free(&info);
	err = NULL;
	r = docker_ingress_get_mtu(d, &mtu, &err);
	outcome(r, err);
	fuzz_require(r < 0 || mtu <= 65535, "an ingress MTU fits 16 bits");
	err = NULL;
	r = docker_node_list(d, &nodes, &n, &err);
	outcome(r, err);
	if (r == 0)
		docker_nodes_free(nodes, n);
	err = NULL;
	r = docker_swarm_inspect(d, &sw, &err);
	outcome(r, err);
	if (r == 0)
		docker_swarm_free(&sw);
	docker_close(d);
	return 0;
}
