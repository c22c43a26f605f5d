/* bare-server: the upper bound for the controller's throughput.  Same
 * transport as master serve (epoll, one request per connection, the end
 * of the first JSON object ends it), but no parsing, no state, no fsync:
 * it counts braces and writes a canned answer.
 *
 *   bare-server 127.0.0.1:7100 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cc-net.h"

static const char answer[] =
	"{\"Status\":\"waiting\",\"RegisteredManagers\":0,\"RegisteredWorkers\":1,\"MinManagers\":0,"
	"\"MinWorkers\":0,\"RetryAfter\":5,\"Message\":\"bare server\"}\n";

struct conn {
	int fd;
	int depth;
	bool in_str, esc;
	size_t total;
};

/* True once the first top-level object is complete. */
static bool scan(struct conn *c, const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char ch = p[i];
		if (c->in_str) {
			if (c->esc)
				c->esc = false;
			else if (ch == '\\')
				c->esc = true;
			else if (ch == '"')
				c->in_str = false;
		} else if (ch == '"') {
			c->in_str = true;
		} else if (ch == '{' || ch == '[') {
			c->depth++;
		} else if (ch == '}' || ch == ']') {
			if (--c->depth == 0)
				return true;
		}
	}
	return false;
}

int main(int argc, char **argv)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	struct epoll_event ev, evs[256];
	char buf[16384];
	const char *addr = argc > 1 ? argv[1] : "127.0.0.1:7100";
	uint32_t ip;
	uint16_t port;
	int lfd, ep, one = 1;

	if (cc_parse_ipv4_port(addr, 0, &ip, &port) < 0) {
		fprintf(stderr, "bare-server: the address must be ip:port, not %s\n", addr);
		return 2;
	}
	sa.sin_addr.s_addr = htonl(ip);
	sa.sin_port = htons(port);
	signal(SIGPIPE, SIG_IGN);
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (bind(lfd, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(lfd, 1024) < 0) {
		perror("bare-server: listen");
		return 1;
	}
	ep = epoll_create1(0);
	ev.events = EPOLLIN;
	ev.data.ptr = NULL;
	epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
	fprintf(stderr, "bare-server listening on %s\n", addr);
	for (;;) {
		int n = epoll_wait(ep, evs, 256, -1);
		for (int i = 0; i < n; i++) {
			struct conn *c = evs[i].data.ptr;
			if (!c) {
				int fd;
				while ((fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
					c = calloc(1, sizeof *c);
					c->fd = fd;
					ev.events = EPOLLIN;
					ev.data.ptr = c;
					epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
				}
				continue;
			}
			for (;;) {
				ssize_t r = read(c->fd, buf, sizeof buf);
				bool end = false;
				if (r < 0 && errno == EAGAIN)
					break;
				if (r <= 0 || (c->total += (size_t)r) > 65536)
					end = true;
				else if (scan(c, buf, (size_t)r)) {
					if (send(c->fd, answer, sizeof answer - 1, MSG_NOSIGNAL) < 0)
						perror("bare-server: send");
					end = true;
				}
				if (end) {
					close(c->fd);
					free(c);
					break;
				}
			}
		}
	}
}
