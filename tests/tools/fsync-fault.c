/* fsync-fault: an LD_PRELOAD shim that makes the Nth fdatasync()/fsync()
 * on a chosen file fail with EIO, as a disk error does, for the tests of
 * the controller's fail-stop and of what the next start does.
 *
 *   FSYNC_FAULT_NTH=N       the Nth matching call fails (1 = the first)
 *   FSYNC_FAULT_EVERY=1     and every matching call after it
 *   FSYNC_FAULT_PATH=SUFFIX count only calls on an fd whose path ends so
 *                           (e.g. "/state.log"); default: every call
 *
 * A failed call does not sync: after a real EIO the kernel may already
 * have dropped the dirty pages, which the test cannot imitate, so the
 * store must never rely on those bytes (a restart writes a new
 * generation).  Each failure is reported on stderr. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static long counted;

static int matches(int fd)
{
	const char *want = getenv("FSYNC_FAULT_PATH");
	char link[64], path[PATH_MAX];
	ssize_t n;
	size_t w;

	if (!want || !*want)
		return 1;
	snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
	n = readlink(link, path, sizeof path - 1);
	if (n < 0)
		return 0;
	path[n] = '\0';
	w = strlen(want);
	return (size_t)n >= w && strcmp(path + n - w, want) == 0;
}

/* 1: this call must fail. */
static int fault(int fd, const char *what)
{
	const char *nth = getenv("FSYNC_FAULT_NTH"), *every = getenv("FSYNC_FAULT_EVERY");
	long n = nth ? strtol(nth, NULL, 10) : 0;
	long k;

	if (n <= 0 || !matches(fd))
		return 0;
	k = __atomic_add_fetch(&counted, 1, __ATOMIC_SEQ_CST);
	if (k == n || (k > n && every && *every == '1')) {
		fprintf(stderr, "fsync-fault: %s call %ld on fd %d fails with EIO\n", what, k, fd);
		return 1;
	}
	return 0;
}

int fdatasync(int fd)
{
	static int (*real)(int);
	if (fault(fd, "fdatasync")) {
		errno = EIO;
		return -1;
	}
	if (!real)
		real = (int (*)(int))dlsym(RTLD_NEXT, "fdatasync");
	return real ? real(fd) : (errno = ENOSYS, -1);
}

int fsync(int fd)
{
	static int (*real)(int);
	if (fault(fd, "fsync")) {
		errno = EIO;
		return -1;
	}
	if (!real)
		real = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
	return real ? real(fd) : (errno = ENOSYS, -1);
}
