/* stuck-docker: a Docker engine that hangs, for the tests that show no
 * answer of master serve waits on Docker.
 *
 *   stuck-docker SOCKET
 *       accepts every connection on the unix socket SOCKET, reads the
 *       requests and never answers one
 *   stuck-docker SOCKET SWARM_JSON INFO_JSON
 *       answers GET /_ping, .../swarm and .../info from the files (so the
 *       controller gets its join tokens) and hangs on everything else
 *       (reading a node, promoting, demoting)
 *
 * Every request it holds is counted on stdout ("held GET /v1.41/nodes/x"),
 * so a test can see that the controller did ask.  It runs until killed. */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define MAX_HELD 512

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	long n;
	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
	    (buf = calloc(1, (size_t)n + 1)) && fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

static void answer(int fd, const char *body)
{
	char head[256];
	int n = snprintf(head, sizeof head,
			 "HTTP/1.1 200 OK\r\nApi-Version: 1.41\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
			 "Connection: close\r\n\r\n",
			 *body == '{' ? "application/json" : "text/plain", strlen(body));
	if (write(fd, head, (size_t)n) < 0 || write(fd, body, strlen(body)) < 0)
		return;
}

int main(int argc, char **argv)
{
	static struct pollfd pf[MAX_HELD + 1];
	static int asked[MAX_HELD + 1]; /* a request line was read on pf[i] */
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	char *swarm = NULL, *info = NULL;
	int n = 1;

	if ((argc != 2 && argc != 4) || strlen(argv[1]) >= sizeof sa.sun_path) {
		fprintf(stderr, "usage: stuck-docker SOCKET [SWARM_JSON INFO_JSON]\n");
		return 2;
	}
	if (argc == 4 && (!(swarm = slurp(argv[2])) || !(info = slurp(argv[3])))) {
		fprintf(stderr, "stuck-docker: cannot read %s or %s\n", argv[2], argv[3]);
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	setvbuf(stdout, NULL, _IOLBF, 0);
	strcpy(sa.sun_path, argv[1]);
	unlink(argv[1]);
	pf[0].fd = socket(AF_UNIX, SOCK_STREAM, 0);
	pf[0].events = POLLIN;
	if (pf[0].fd < 0 || bind(pf[0].fd, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(pf[0].fd, 64) < 0) {
		perror("stuck-docker");
		return 1;
	}
	for (;;) {
		if (poll(pf, (nfds_t)n, -1) < 0) {
			if (errno == EINTR)
				continue;
			return 1;
		}
		if ((pf[0].revents & POLLIN) && n <= MAX_HELD) {
			int fd = accept(pf[0].fd, NULL, NULL);
			if (fd >= 0)
				asked[n] = 0, pf[n++] = (struct pollfd){.fd = fd, .events = POLLIN};
		}
		for (int i = 1; i < n; i++) {
			char req[4096], method[16], path[512];
			ssize_t got;
			if (!(pf[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			got = read(pf[i].fd, req, sizeof req - 1);
			if (got <= 0) { /* the client gave up */
				close(pf[i].fd);
				n--, asked[i] = asked[n], pf[i--] = pf[n];
				continue;
			}
			req[got] = '\0';
			if (asked[i] || sscanf(req, "%15s %511s", method, path) != 2)
				continue; /* the rest of a request already held */
			asked[i] = 1;
			if (swarm && strcmp(method, "GET") == 0 &&
			    (strcmp(path, "/_ping") == 0 || strstr(path, "/swarm") || strstr(path, "/info"))) {
				answer(pf[i].fd, strcmp(path, "/_ping") == 0 ? "OK" : strstr(path, "/swarm") ? swarm : info);
				close(pf[i].fd);
				n--, asked[i] = asked[n], pf[i--] = pf[n];
				continue;
			}
			printf("held %s %s\n", method, path);
		}
	}
}
