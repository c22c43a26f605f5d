/* notify-recorder SOCKET OUT: what systemd's end of NOTIFY_SOCKET sees.
 *
 * Binds a unix datagram socket at SOCKET (a path, or "@name" in the
 * abstract namespace), prints "listening" on stdout once bound, then
 * appends one line per datagram to OUT: "pid=<sender> <message>", the
 * message's newlines written as spaces.  The sender's pid comes from the
 * kernel (SO_PASSCRED), as systemd takes it to tell the main process
 * from its children.  Runs until SIGTERM or SIGINT. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static volatile sig_atomic_t stop;
static void on_signal(int sig) { stop = sig; }

int main(int argc, char **argv)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct sigaction sact = {.sa_handler = on_signal};
	size_t n;
	socklen_t salen;
	int fd, one = 1;
	FILE *out;

	if (argc != 3) {
		fprintf(stderr, "usage: notify-recorder SOCKET OUT\n");
		return 2;
	}
	n = strlen(argv[1]);
	if (n < 2 || n >= sizeof sa.sun_path) {
		fprintf(stderr, "notify-recorder: socket name length %zu out of range\n", n);
		return 2;
	}
	memcpy(sa.sun_path, argv[1], n);
	salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + 1);
	if (argv[1][0] == '@') {
		sa.sun_path[0] = '\0';
		salen--;
	}
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof one) < 0 ||
	    bind(fd, (struct sockaddr *)&sa, salen) < 0) {
		fprintf(stderr, "notify-recorder: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	out = fopen(argv[2], "a");
	if (!out) {
		fprintf(stderr, "notify-recorder: %s: %s\n", argv[2], strerror(errno));
		return 1;
	}
	/* No SA_RESTART: a signal ends the blocking recvmsg. */
	sigaction(SIGTERM, &sact, NULL);
	sigaction(SIGINT, &sact, NULL);
	printf("listening\n");
	fflush(stdout);
	while (!stop) {
		char buf[4096];
		union {
			struct cmsghdr h;
			char b[CMSG_SPACE(sizeof(struct ucred))];
		} ctl;
		struct iovec iov = {buf, sizeof buf - 1};
		struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = &ctl, .msg_controllen = sizeof ctl};
		struct ucred cred = {0};
		ssize_t got = recvmsg(fd, &m, 0);

		if (got < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "notify-recorder: recvmsg: %s\n", strerror(errno));
			return 1;
		}
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c))
			if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS)
				memcpy(&cred, CMSG_DATA(c), sizeof cred);
		buf[got] = '\0';
		for (ssize_t i = 0; i < got; i++)
			if (buf[i] == '\n' || buf[i] == '\0')
				buf[i] = ' ';
		fprintf(out, "pid=%ld %s\n", (long)cred.pid, buf);
		fflush(out);
	}
	fclose(out);
	if (argv[1][0] == '/')
		unlink(argv[1]);
	return 0;
}
