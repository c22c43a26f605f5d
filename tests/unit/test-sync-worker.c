/* The controller's background fdatasync: a requested sync is reported on
 * the eventfd with its result, an error comes back as -errno, the worker
 * is busy exactly from request to collection, and it stops cleanly with
 * or without a sync in flight. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sync-worker.h"
#include "../tap.h"

/* Wait for the completion the way the event loop does: poll the fd. */
static int wait_done(struct sync_worker *w, int *res)
{
	for (int i = 0; i < 100; i++) {
		struct pollfd p = {.fd = sync_worker_fd(w), .events = POLLIN};
		if (poll(&p, 1, 100) == 1 && sync_worker_collect(w, res) == 1)
			return 1;
	}
	return 0;
}

int main(void)
{
	struct sync_worker *w = NULL;
	char path[] = "/tmp/test-sync-worker-XXXXXX";
	int fd = mkstemp(path), pipefd[2], res = 1;

	ok(fd >= 0 && pipe(pipefd) == 0, "a file and a pipe to sync");
	is_int(sync_worker_start(&w), 0, "the worker starts");
	ok(w && !sync_worker_busy(w), "and is idle");
	is_int(sync_worker_collect(w, &res), 0, "nothing to collect before a request");

	ok(write(fd, "record", 6) == 6, "a record is written");
	sync_worker_request(w, fd);
	ok(sync_worker_busy(w), "busy once a sync is asked");
	ok(wait_done(w, &res), "its completion shows on the eventfd");
	is_int(res, 0, "fdatasync of a file succeeds");
	ok(!sync_worker_busy(w), "idle again once collected");

	/* fdatasync on a pipe is EINVAL: a failure must reach the loop. */
	sync_worker_request(w, pipefd[0]);
	ok(wait_done(w, &res), "a failed sync is reported too");
	is_int(res, -EINVAL, "as -errno");

	/* Stopping with a sync in flight waits for it (the test would hang
	 * or crash otherwise); NULL is a no-op. */
	sync_worker_request(w, fd);
	sync_worker_stop(w);
	sync_worker_stop(NULL);

	close(fd);
	close(pipefd[0]);
	close(pipefd[1]);
	unlink(path);
	return done_testing();
}
