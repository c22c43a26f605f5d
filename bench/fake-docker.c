/* fake-docker: the three Docker Engine API answers master serve needs to
 * hand out join tokens (GET /_ping, /swarm, /info), from recorded replies,
 * on a unix socket.  The scale benchmark uses it so that answers are
 * "ready" and carry the providers' payloads, as they do in a real
 * cluster; the controller caches the tokens, so this is asked once a
 * minute, never per registration.
 *
 *   fake-docker SOCKET SWARM_JSON INFO_JSON
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

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

static void answer(int fd, int status, const char *body)
{
	char head[256];
	int n = snprintf(head, sizeof head,
			 "HTTP/1.1 %d %s\r\nApi-Version: 1.41\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
			 "Connection: close\r\n\r\n",
			 status, status == 200 ? "OK" : "Not Found", status == 200 && *body == '{' ? "application/json" : "text/plain",
			 strlen(body));
	if (write(fd, head, (size_t)n) < 0 || write(fd, body, strlen(body)) < 0)
		return;
}

int main(int argc, char **argv)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	char *swarm, *info;
	int lfd;

	if (argc != 4 || strlen(argv[1]) >= sizeof sa.sun_path) {
		fprintf(stderr, "usage: fake-docker SOCKET SWARM_JSON INFO_JSON\n");
		return 2;
	}
	if (!(swarm = slurp(argv[2])) || !(info = slurp(argv[3]))) {
		fprintf(stderr, "fake-docker: cannot read the recorded answers\n");
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	strcpy(sa.sun_path, argv[1]);
	unlink(argv[1]);
	lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(lfd, 16) < 0) {
		perror("fake-docker");
		return 1;
	}
	for (;;) {
		char req[4096], path[512];
		ssize_t n;
		int fd = accept(lfd, NULL, NULL);
		if (fd < 0) {
			if (errno == EINTR)
				continue;
			return 1;
		}
		n = read(fd, req, sizeof req - 1);
		if (n > 0) {
			req[n] = '\0';
			if (sscanf(req, "GET %511s", path) != 1)
				answer(fd, 404, "not found");
			else if (strcmp(path, "/_ping") == 0)
				answer(fd, 200, "OK");
			else if (strstr(path, "/swarm"))
				answer(fd, 200, swarm);
			else if (strstr(path, "/info"))
				answer(fd, 200, info);
			else
				answer(fd, 404, "{\"message\":\"not found\"}");
		}
		close(fd);
	}
}
