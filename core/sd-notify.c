#include "autoconfig.h"

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"
#include "sd-notify.h"
#include "util.h"

/* Fill `sa` from $NOTIFY_SOCKET; returns the address length, 0 when the
 * variable is unset or empty, -errno when it is not an address we can
 * use (systemd 252 passes only these two forms). */
static int notify_address(struct sockaddr_un *sa)
{
	const char *e = getenv("NOTIFY_SOCKET");
	size_t n;

	if (!e || !*e)
		return 0;
	n = strlen(e);
	if (e[0] != '/' && e[0] != '@')
		return -EAFNOSUPPORT;
	if (n < 2 || n >= sizeof sa->sun_path)
		return -ENAMETOOLONG;
	memset(sa, 0, sizeof *sa);
	sa->sun_family = AF_UNIX;
	memcpy(sa->sun_path, e, n);
	if (e[0] == '@') {
		/* Abstract: a leading NUL, and the length says where it ends. */
		sa->sun_path[0] = '\0';
		return (int)(offsetof(struct sockaddr_un, sun_path) + n);
	}
	return (int)(offsetof(struct sockaddr_un, sun_path) + n + 1);
}

int notify_send(const char *state)
{
	struct sockaddr_un sa;
	size_t len = strlen(state);
	ssize_t sent;
	int fd, r, salen = notify_address(&sa);

	if (salen <= 0)
		return salen;
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	sent = sendto(fd, state, len, MSG_NOSIGNAL, (struct sockaddr *)&sa, (socklen_t)salen);
	r = sent < 0 ? -errno : (size_t)sent == len ? 0 : -EMSGSIZE;
	close(fd);
	return r;
}

void notify_statef(const char *fmt, ...)
{
	static bool warned;
	char *msg = NULL;
	va_list ap;
	int r;

	if (!getenv("NOTIFY_SOCKET"))
		return;
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	r = msg ? notify_send(msg) : -ENOMEM;
	if (r < 0 && !warned) {
		log_warn("cannot notify systemd NOTIFY_SOCKET=%s error=\"%s\" (the unit may time out or be "
			 "restarted by its watchdog)",
			 getenv("NOTIFY_SOCKET"), strerror(-r));
		warned = true;
	}
	free(msg);
}

void notify_watchdog_init(struct notify_watchdog *w, int64_t now)
{
	const char *usec = getenv("WATCHDOG_USEC"), *pid = getenv("WATCHDOG_PID");
	long long us, p;

	w->interval_ms = 0;
	w->next_ms = INT64_MAX;
	if (!usec || parse_ll(usec, 1, INT64_MAX / 1000, &us) < 0)
		return;
	if (pid && (parse_ll(pid, 1, INT32_MAX, &p) < 0 || p != (long long)getpid()))
		return;
	w->interval_ms = us / 2000 > 0 ? us / 2000 : 1;
	w->next_ms = now + w->interval_ms;
}

int64_t notify_watchdog_due(const struct notify_watchdog *w) { return w->interval_ms ? w->next_ms : INT64_MAX; }

void notify_watchdog_tick(struct notify_watchdog *w, int64_t now)
{
	if (!w->interval_ms || now < w->next_ms)
		return;
	w->next_ms = now + w->interval_ms;
	notify_statef("WATCHDOG=1");
}
