/* systemd's notify protocol as sd_notify(3) describes it: one datagram
 * to $NOTIFY_SOCKET (a path or an abstract "@name"), nothing at all when
 * the variable is unset, and WATCHDOG=1 at half of $WATCHDOG_USEC unless
 * $WATCHDOG_PID names another process. */
#include "autoconfig.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "../tap.h"
#include "sd-notify.h"

/* A bound, non-blocking datagram socket standing in for systemd. */
static int listener(const char *name)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	size_t n = strlen(name);
	socklen_t len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + 1);
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	memcpy(sa.sun_path, name, n);
	if (name[0] == '@') {
		sa.sun_path[0] = '\0';
		len--;
	}
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, len) < 0) {
		perror(name);
		exit(1);
	}
	return fd;
}

/* The next datagram, or "" when none is waiting. */
static const char *received(int fd)
{
	static char buf[512];
	ssize_t n = recv(fd, buf, sizeof buf - 1, 0);
	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

int main(void)
{
	char dir[] = "/tmp/test-sd-notify.XXXXXX", path[256], abstract[64], pid[32], other[32];
	struct notify_watchdog w;
	int fd, afd;

	if (!mkdtemp(dir))
		return skip_all("mkdtemp failed");
	snprintf(path, sizeof path, "%s/notify", dir);
	snprintf(abstract, sizeof abstract, "@clusterctl-test-notify-%ld", (long)getpid());
	fd = listener(path);
	afd = listener(abstract);

	unsetenv("NOTIFY_SOCKET");
	is_int(notify_send("READY=1"), 0, "no NOTIFY_SOCKET (not run by systemd): nothing to do, no error");

	setenv("NOTIFY_SOCKET", path, 1);
	is_int(notify_send("READY=1\nSTATUS=serving"), 0, "a path socket: sent");
	is_str(received(fd), "READY=1\nSTATUS=serving", "the message arrives as one datagram, as written");

	setenv("NOTIFY_SOCKET", abstract, 1);
	is_int(notify_send("STOPPING=1"), 0, "an abstract socket (@name): sent");
	is_str(received(afd), "STOPPING=1", "it arrives on the abstract name, not on a file");
	is_str(received(fd), "", "and nothing went to the path socket");

	notify_statef("READY=1\nSTATUS=%s %d", "formatted", 7);
	is_str(received(afd), "READY=1\nSTATUS=formatted 7", "notify_statef formats one message");

	setenv("NOTIFY_SOCKET", "relative/socket", 1);
	is_int(notify_send("READY=1"), -EAFNOSUPPORT, "a NOTIFY_SOCKET that is neither /path nor @name is refused");
	{
		char longname[200];
		memset(longname, 'x', sizeof longname - 1);
		longname[0] = '/';
		longname[sizeof longname - 1] = '\0';
		setenv("NOTIFY_SOCKET", longname, 1);
		is_int(notify_send("READY=1"), -ENAMETOOLONG, "a name longer than sun_path is refused, not cut");
	}
	snprintf(path + strlen(path), sizeof path - strlen(path), "-gone");
	setenv("NOTIFY_SOCKET", path, 1);
	is_int(notify_send("READY=1"), -ENOENT, "a socket that does not exist: the error is returned");

	/* The watchdog. */
	setenv("NOTIFY_SOCKET", abstract, 1);
	unsetenv("WATCHDOG_USEC");
	unsetenv("WATCHDOG_PID");
	notify_watchdog_init(&w, 1000);
	is_int(w.interval_ms, 0, "no WATCHDOG_USEC: the watchdog is off");
	ok(notify_watchdog_due(&w) > (int64_t)1 << 62, "and never wakes a loop");

	setenv("WATCHDOG_USEC", "3000000", 1);
	notify_watchdog_init(&w, 1000);
	is_int(w.interval_ms, 1500, "WATCHDOG_USEC=3000000 (3 s): a ping every 1.5 s, half the timeout");
	is_int(notify_watchdog_due(&w), 2500, "the first one 1.5 s after start");
	notify_watchdog_tick(&w, 2499);
	is_str(received(afd), "", "nothing before it is due");
	notify_watchdog_tick(&w, 2500);
	is_str(received(afd), "WATCHDOG=1", "WATCHDOG=1 once due");
	is_int(notify_watchdog_due(&w), 4000, "and the next one an interval later");

	snprintf(pid, sizeof pid, "%ld", (long)getpid());
	snprintf(other, sizeof other, "%ld", (long)getpid() + 1);
	setenv("WATCHDOG_PID", pid, 1);
	notify_watchdog_init(&w, 0);
	is_int(w.interval_ms, 1500, "WATCHDOG_PID naming this process: on");
	setenv("WATCHDOG_PID", other, 1);
	notify_watchdog_init(&w, 0);
	is_int(w.interval_ms, 0, "WATCHDOG_PID naming another process (inherited): off");
	unsetenv("WATCHDOG_PID");
	setenv("WATCHDOG_USEC", "soon", 1);
	notify_watchdog_init(&w, 0);
	is_int(w.interval_ms, 0, "a WATCHDOG_USEC that is no number: off");
	setenv("WATCHDOG_USEC", "1", 1);
	notify_watchdog_init(&w, 0);
	is_int(w.interval_ms, 1, "a 1 us watchdog still pings every millisecond, never busy-loops at 0");

	close(fd);
	close(afd);
	snprintf(path, sizeof path, "%s/notify", dir);
	unlink(path);
	rmdir(dir);
	return done_testing();
}
