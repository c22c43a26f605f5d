/* Many hostile clients of the controller, for controller-preauth.sh:
 *
 *   hostile-clients ADDR:PORT --conns N --sources M --mode worst|slow
 *                   [--tls] [--hold SECONDS] [--bytes B]
 *
 * N connections from M source addresses (127.1.0.1 ...: the whole of
 * 127/8 is loopback), each over TLS when asked (a hostile client can
 * finish a handshake: it needs no secret).  worst: each sends at once
 * the request that costs most before its secret is checked and stays
 * open: an object that never closes, full of empty objects (the JSON
 * that made json-c's tree grow to 17 MB for 64 KiB) up to just under
 * the value cap, then long strings.  slow: each sends one byte of a
 * request a second (slowloris).  --bytes: send only the first B bytes
 * of the worst request (what a connection may hold without drawing on
 * the controller's shared budget).  Prints "opened=O closed_by_server=C"
 * after --hold seconds, then exits (closing them all). */
#include "autoconfig.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

struct client {
	int fd;
	SSL *ssl;
	size_t sent;
	bool closed;
};

static int tcp_connect(uint32_t src, const struct sockaddr_in *dst)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(src)};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 || connect(fd, (const struct sockaddr *)dst, sizeof *dst) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Send what the socket takes now; false once the server closed. */
static bool send_some(struct client *c, const char *p, size_t n)
{
	ssize_t w;
	if (c->ssl) {
		int m = SSL_write(c->ssl, p, (int)n);
		ERR_clear_error();
		if (m > 0)
			return true;
		int e = SSL_get_error(c->ssl, m);
		return e == SSL_ERROR_WANT_WRITE || e == SSL_ERROR_WANT_READ;
	}
	w = send(c->fd, p, n, MSG_NOSIGNAL | MSG_DONTWAIT);
	return w >= 0 || errno == EAGAIN;
}

/* Whether the server has closed the connection: what it sent (a TLS
 * ticket, an error answer) is read and dropped until the end or until
 * nothing more is there. */
static bool server_done(struct client *c)
{
	char b[4096];
	for (;;) {
		ssize_t n = recv(c->fd, b, sizeof b, MSG_DONTWAIT);
		if (n > 0)
			continue;
		return n == 0 || errno != EAGAIN;
	}
}

int main(int argc, char **argv)
{
	struct sockaddr_in dst = {.sin_family = AF_INET};
	int conns = 100, sources = 1, hold = 5;
	bool tls = false, slow = false;
	char host[64];
	unsigned port;
	struct client *cl;
	char *worst;
	size_t wlen = 0, cap = 60000;
	SSL_CTX *ctx = NULL;
	int opened = 0, closed = 0;
	size_t limit = 0;

	if (argc < 2 || sscanf(argv[1], "%63[0-9.]:%u", host, &port) != 2) {
		fprintf(stderr, "usage: hostile-clients IP:PORT [--conns N] [--sources M] [--mode worst|slow] [--tls] "
				"[--hold S]\n");
		return 2;
	}
	for (int i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--conns") && i + 1 < argc)
			conns = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--sources") && i + 1 < argc)
			sources = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--hold") && i + 1 < argc)
			hold = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--mode") && i + 1 < argc)
			slow = !strcmp(argv[++i], "slow");
		else if (!strcmp(argv[i], "--bytes") && i + 1 < argc)
			limit = (size_t)atol(argv[++i]);
		else if (!strcmp(argv[i], "--tls"))
			tls = true;
	}
	signal(SIGPIPE, SIG_IGN);
	inet_pton(AF_INET, host, &dst.sin_addr);
	dst.sin_port = htons((uint16_t)port);
	if (tls) {
		ctx = SSL_CTX_new(TLS_client_method());
		SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	}
	/* The worst request: '{"a":[' and '{},' to just under 4,096 values
	 * (each '{' and each ',' is one), then one string that never ends,
	 * up to the size limit. */
	worst = malloc(cap + 1);
	wlen = (size_t)sprintf(worst, "{\"a\":[");
	for (int v = 0; v < 2040; v++)
		wlen += (size_t)sprintf(worst + wlen, "{},");
	wlen += (size_t)sprintf(worst + wlen, "\"");
	memset(worst + wlen, 'x', cap - wlen);
	wlen = limit && limit < cap ? limit : cap;

	cl = calloc((size_t)conns, sizeof *cl);
	for (int i = 0; i < conns; i++) {
		uint32_t src = (127u << 24) | (1u << 16) | (uint32_t)(1 + i % sources);
		cl[i].fd = tcp_connect(src, &dst);
		if (cl[i].fd < 0) {
			cl[i].closed = true;
			continue;
		}
		if (tls) {
			cl[i].ssl = SSL_new(ctx);
			SSL_set_fd(cl[i].ssl, cl[i].fd);
			if (SSL_connect(cl[i].ssl) != 1) {
				ERR_clear_error();
				cl[i].closed = true;
				continue;
			}
		}
		fcntl(cl[i].fd, F_SETFL, O_NONBLOCK);
		opened++;
		if (!slow)
			cl[i].closed = !send_some(&cl[i], worst, wlen);
	}
	for (int t = 0; t < hold; t++) {
		if (slow)
			for (int i = 0; i < conns; i++)
				if (!cl[i].closed && cl[i].sent < wlen)
					cl[i].closed = !send_some(&cl[i], worst + cl[i].sent++, 1);
		sleep(1);
	}
	for (int i = 0; i < conns; i++)
		if (cl[i].closed || server_done(&cl[i]))
			closed++;
	printf("opened=%d closed_by_server=%d\n", opened, closed);
	fflush(stdout);
	for (int i = 0; i < conns; i++) {
		if (cl[i].ssl)
			SSL_free(cl[i].ssl);
		if (cl[i].fd >= 0)
			close(cl[i].fd);
	}
	free(cl);
	free(worst);
	SSL_CTX_free(ctx);
	return 0;
}
