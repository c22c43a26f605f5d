/* LD_PRELOAD shim for the controller's event-loop tests: it slows down
 * (or fails), on purpose, what the loop must survive being slow (or failing).
 *
 *   SLOW_EPOLL_MS=N      sleep N ms before each epoll_wait, so that all
 *                        that happens meanwhile (a finished sync, a
 *                        client's reset) comes back in one batch, in the
 *                        order it happened
 *   SLOW_FDATASYNC_MS=N  sleep N ms before each fdatasync and fsync (a
 *                        slow disk, a FUSE file system)
 *   SLOW_FDATASYNC_FILE=PATH
 *                        the same, N read from PATH at every call (no
 *                        file: 0), so a test turns the slow disk on and
 *                        off while the program runs
 *   FAIL_FDATASYNC_FILE=PATH
 *                        while PATH exists, fdatasync and fsync fail
 *                        with EIO (a disk that went bad)
 *
 * Unset or 0: no delay.  Only the tests load it; nothing in clusterctl
 * knows it exists. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
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

static long file_ms(const char *name)
{
	const char *path = getenv(name);
	char buf[32];
	ssize_t n;
	int fd;

	if (!path || !*path || (fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return 0;
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	n = strtol(buf, NULL, 10);
	return n < 0 || n > 60000 ? 0 : n;
}

static long sync_ms(void)
{
	long ms = env_ms("SLOW_FDATASYNC_MS");
	return ms ? ms : file_ms("SLOW_FDATASYNC_FILE");
}

static bool sync_fails(void)
{
	const char *path = getenv("FAIL_FDATASYNC_FILE");
	return path && *path && access(path, F_OK) == 0;
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
	nap_ms(sync_ms());
	if (sync_fails()) {
		errno = EIO;
		return -1;
	}
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
	nap_ms(sync_ms());
	if (sync_fails()) {
		errno = EIO;
		return -1;
	}
	return real(fd);
}
