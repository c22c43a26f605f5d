/* Background fdatasync for the controller; see sync-worker.h. */
#include "autoconfig.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "cc-time.h"
#include "metrics.h"
#include "sync-worker.h"

struct sync_worker {
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int efd;
	int fd;          /* to sync; -1 when nothing is asked */
	int (*fn)(void *); /* or this to call, NULL when nothing is asked */
	void *arg;
	int result;
	bool busy;       /* asked and not yet collected (loop thread only) */
	bool done;       /* finished, result set */
	bool stop;
};

static void *run(void *arg)
{
	struct sync_worker *w = arg;
	uint64_t one = 1;

	pthread_mutex_lock(&w->mu);
	for (;;) {
		int fd, r;
		int (*fn)(void *);
		void *fn_arg;
		int64_t t0;
		while (w->fd < 0 && !w->fn && !w->stop)
			pthread_cond_wait(&w->cv, &w->mu);
		if (w->fd < 0 && !w->fn)
			break;
		fd = w->fd;
		fn = w->fn;
		fn_arg = w->arg;
		pthread_mutex_unlock(&w->mu);
		if (fn) {
			r = fn(fn_arg);
		} else {
			t0 = cc_mono_ns();
			r = fdatasync(fd) < 0 ? -errno : 0;
			metrics_fsync_seconds((double)(cc_mono_ns() - t0) / 1e9);
		}
		pthread_mutex_lock(&w->mu);
		w->fd = -1;
		w->fn = NULL;
		w->result = r;
		w->done = true;
		/* An eventfd counter never blocks a write of 1 here: the loop
		 * reads it before asking again. */
		while (write(w->efd, &one, sizeof one) < 0 && errno == EINTR)
			;
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

int sync_worker_start(struct sync_worker **out)
{
	struct sync_worker *w = calloc(1, sizeof *w);
	int r;

	*out = NULL;
	if (!w)
		return -ENOMEM;
	w->fd = -1;
	w->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (w->efd < 0) {
		r = -errno;
		free(w);
		return r;
	}
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	if ((r = pthread_create(&w->thread, NULL, run, w)) != 0) {
		close(w->efd);
		pthread_mutex_destroy(&w->mu);
		pthread_cond_destroy(&w->cv);
		free(w);
		return -r;
	}
	*out = w;
	return 0;
}

int sync_worker_fd(const struct sync_worker *w) { return w->efd; }
bool sync_worker_busy(const struct sync_worker *w) { return w->busy; }

void sync_worker_request(struct sync_worker *w, int fd)
{
	pthread_mutex_lock(&w->mu);
	w->fd = fd;
	w->done = false;
	w->busy = true;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
}

void sync_worker_call(struct sync_worker *w, int (*fn)(void *), void *arg)
{
	pthread_mutex_lock(&w->mu);
	w->fn = fn;
	w->arg = arg;
	w->done = false;
	w->busy = true;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
}

int sync_worker_collect(struct sync_worker *w, int *result)
{
	uint64_t n;
	int got = 0;

	while (read(w->efd, &n, sizeof n) < 0 && errno == EINTR)
		;
	pthread_mutex_lock(&w->mu);
	if (w->busy && w->done) {
		*result = w->result;
		w->busy = w->done = false;
		got = 1;
	}
	pthread_mutex_unlock(&w->mu);
	return got;
}

void sync_worker_stop(struct sync_worker *w)
{
	if (!w)
		return;
	pthread_mutex_lock(&w->mu);
	w->stop = true;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
	pthread_join(w->thread, NULL);
	close(w->efd);
	pthread_mutex_destroy(&w->mu);
	pthread_cond_destroy(&w->cv);
	free(w);
}
