/* LD_PRELOAD shim for the controller's event-loop tests: it slows down,
 * on purpose, what the loop must survive being slow.
 *
 *   SLOW_EPOLL_MS=N      sleep N ms before each epoll_wait, so that all
 *                        that happens meanwhile (a finished sync, a
 *                        client's reset) comes back in one batch, in the
 *                        order it happened
 *   SLOW_FDATASYNC_MS=N  sleep N ms before each fdatasync and fsync (a
 *                        slow disk, a FUSE file system)
 *
 * Unset or 0: no delay.  Only the tests load it; nothing in clusterctl
 * knows it exists. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

static long env_ms(const char *name)
{
	const char *v = getenv(name);
	char *end;
	long n;

	if (!v || !*v)
		return 0;
	n = strtol(v, &end, 10);
	return *end || n < 0 || n > 60000 ? 0 : n;
}

static void nap_ms(long ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
	while (ms > 0 && nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

int epoll_wait(int ep, struct epoll_event *evs, int max, int timeout)
{
	static int (*real)(int, struct epoll_event *, int, int);

	if (!real)
		real = (int (*)(int, struct epoll_event *, int, int))dlsym(RTLD_NEXT, "epoll_wait");
	if (!real) {
		errno = ENOSYS;
		return -1;
	}
	nap_ms(env_ms("SLOW_EPOLL_MS"));
	return real(ep, evs, max, timeout);
}

int fdatasync(int fd)
{
	static int (*real)(int);

	if (!real)
		real = (int (*)(int))dlsym(RTLD_NEXT, "fdatasync");
	if (!real) {
		errno = ENOSYS;
		return -1;
	}
	nap_ms(env_ms("SLOW_FDATASYNC_MS"));
	return real(fd);
}

int fsync(int fd)
{
	static int (*real)(int);

	if (!real)
		real = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
	if (!real) {
		errno = ENOSYS;
		return -1;
	}
	nap_ms(env_ms("SLOW_FDATASYNC_MS"));
	return real(fd);
}
