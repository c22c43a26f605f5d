/* The controller's Docker calls off the event loop; see docker-worker.h. */
#include "autoconfig.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "cc-buf.h"
#include "docker-worker.h"
#include "docker.h"
#include "http-unix.h"

#define SWARM_PORT 2377

struct docker_worker {
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int efd;
	char *socket, *advertise;
	struct docker *dk;              /* the thread's own */
	struct docker_result *jobs;     /* asked, not started; oldest first */
	struct docker_result *done;     /* finished, not collected; oldest first */
	bool tokens_pending;            /* loop thread only */
	bool stop;
	atomic_int cancel;
};

static void list_append(struct docker_result **head, struct docker_result *r)
{
	while (*head)
		head = &(*head)->next;
	r->next = NULL;
	*head = r;
}

void docker_result_free(struct docker_result *r)
{
	while (r) {
		struct docker_result *next = r->next;
		free(r->err);
		free(r->swarm_id);
		free(r->worker_token);
		free(r->manager_token);
		free(r->manager_addr);
		free(r->node_id);
		free(r->role);
		free(r->hostname);
		free(r);
		r = next;
	}
}

static int job_fail(struct docker_result *j, int r, const char *what, char *err)
{
	struct cc_buf sb = CC_BUF_INIT;
	cc_buf_printf(&sb, "%s: %s", what, err ? err : strerror(-r));
	free(err);
	j->r = r < 0 ? r : -EIO;
	j->err = cc_buf_detach(&sb);
	return j->r;
}

static char *manager_addr_from(const char *advertise, const struct docker_info *info)
{
	if (advertise && *advertise)
		return strchr(advertise, ':') ? strdup(advertise) : cc_strdupf("%s:%d", advertise, SWARM_PORT);
	if (info && info->node_addr && *info->node_addr)
		return cc_strdupf("%s:%d", info->node_addr, SWARM_PORT);
	return NULL;
}

static int open_engine(struct docker_worker *w, struct docker_result *j)
{
	char *err = NULL;
	int r;

	if (w->dk)
		return 0;
	if ((r = docker_open(w->socket, &w->dk, &err)) < 0)
		return job_fail(j, r, "Docker engine unavailable", err);
	return 0;
}

static int do_tokens(struct docker_worker *w, struct docker_result *j)
{
	struct docker_swarm sw = {0};
	struct docker_info info = {0};
	char *err = NULL;
	int r;

	if ((r = open_engine(w, j)) < 0)
		return r;
	if ((r = docker_swarm_inspect(w->dk, &sw, &err)) < 0) {
		/* The daemon may have restarted: reconnect next time. */
		docker_close(w->dk);
		w->dk = NULL;
		return job_fail(j, r, "this host is not a Swarm manager (run 'clusterctl master init')", err);
	}
	if ((!w->advertise || !*w->advertise) && (r = docker_get_info(w->dk, &info, &err)) < 0) {
		docker_swarm_free(&sw);
		return job_fail(j, r, "cannot read the engine's Swarm address", err);
	}
	j->manager_addr = manager_addr_from(w->advertise, &info);
	docker_info_free(&info);
	if (!j->manager_addr || !sw.worker_token || !*sw.worker_token || !sw.manager_token ||
	    !*sw.manager_token) {
		docker_swarm_free(&sw);
		return job_fail(j, -ENODATA, "incomplete Swarm information",
				strdup("no join tokens or manager address; pass --advertise-addr"));
	}
	j->worker_token = sw.worker_token;
	j->manager_token = sw.manager_token;
	j->swarm_id = sw.id;
	sw.worker_token = sw.manager_token = sw.id = NULL;
	docker_swarm_free(&sw);
	return 0;
}

static int do_set_role(struct docker_worker *w, struct docker_result *j)
{
	char *err = NULL;
	int r;

	if ((r = open_engine(w, j)) < 0)
		return r;
	if ((r = docker_node_set_role(w->dk, j->node_id, j->role, &err)) < 0)
		return job_fail(j, r, strcmp(j->role, "manager") == 0 ? "promote" : "demote", err);
	return 0;
}

static void *run(void *arg)
{
	struct docker_worker *w = arg;
	uint64_t one = 1;

	http_unix_set_cancel(&w->cancel);
	pthread_mutex_lock(&w->mu);
	for (;;) {
		struct docker_result *j;
		while (!w->jobs && !w->stop)
			pthread_cond_wait(&w->cv, &w->mu);
		if (w->stop)
			break;
		j = w->jobs;
		w->jobs = j->next;
		pthread_mutex_unlock(&w->mu);
		if (j->kind == DOCKER_JOB_TOKENS)
			do_tokens(w, j);
		else
			do_set_role(w, j);
		pthread_mutex_lock(&w->mu);
		list_append(&w->done, j);
		/* An eventfd counter does not block on a write of 1 until it
		 * nears 2^64; the loop reads it on every collect. */
		while (write(w->efd, &one, sizeof one) < 0 && errno == EINTR)
			;
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

int docker_worker_start(const char *socket, const char *advertise_addr, struct docker_worker **out)
{
	struct docker_worker *w = calloc(1, sizeof *w);
	int r;

	*out = NULL;
	if (!w)
		return -ENOMEM;
	w->efd = -1;
	if (!(w->socket = strdup(socket ? socket : "")) || !(w->advertise = strdup(advertise_addr ? advertise_addr : ""))) {
		r = -ENOMEM;
		goto fail;
	}
	if ((w->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0) {
		r = -errno;
		goto fail;
	}
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	atomic_init(&w->cancel, 0);
	if ((r = pthread_create(&w->thread, NULL, run, w)) != 0) {
		pthread_mutex_destroy(&w->mu);
		pthread_cond_destroy(&w->cv);
		r = -r;
		goto fail;
	}
	*out = w;
	return 0;
fail:
	if (w->efd >= 0)
		close(w->efd);
	free(w->socket);
	free(w->advertise);
	free(w);
	return r;
}

int docker_worker_fd(const struct docker_worker *w) { return w->efd; }
bool docker_worker_tokens_pending(const struct docker_worker *w) { return w->tokens_pending; }

static void submit(struct docker_worker *w, struct docker_result *j)
{
	pthread_mutex_lock(&w->mu);
	list_append(&w->jobs, j);
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
}

int docker_worker_tokens(struct docker_worker *w)
{
	struct docker_result *j;

	if (w->tokens_pending)
		return 0;
	if (!(j = calloc(1, sizeof *j)))
		return -ENOMEM;
	j->kind = DOCKER_JOB_TOKENS;
	w->tokens_pending = true;
	submit(w, j);
	return 0;
}

int docker_worker_set_role(struct docker_worker *w, const char *node_id, const char *role, const char *hostname)
{
	struct docker_result *j;
	char *nrole;

	if (!(nrole = strdup(role)))
		return -ENOMEM;
	pthread_mutex_lock(&w->mu);
	for (j = w->jobs; j; j = j->next)
		if (j->kind == DOCKER_JOB_SET_ROLE && strcmp(j->node_id, node_id) == 0) {
			free(j->role);
			j->role = nrole;
			pthread_mutex_unlock(&w->mu);
			return 0;
		}
	pthread_mutex_unlock(&w->mu);
	if (!(j = calloc(1, sizeof *j)) || !(j->node_id = strdup(node_id)) || !(j->hostname = strdup(hostname))) {
		docker_result_free(j);
		free(nrole);
		return -ENOMEM;
	}
	j->kind = DOCKER_JOB_SET_ROLE;
	j->role = nrole;
	submit(w, j);
	return 0;
}

struct docker_result *docker_worker_collect(struct docker_worker *w)
{
	struct docker_result *got;
	uint64_t n;

	while (read(w->efd, &n, sizeof n) < 0 && errno == EINTR)
		;
	pthread_mutex_lock(&w->mu);
	got = w->done;
	w->done = NULL;
	pthread_mutex_unlock(&w->mu);
	for (struct docker_result *r = got; r; r = r->next)
		if (r->kind == DOCKER_JOB_TOKENS)
			w->tokens_pending = false;
	return got;
}

void docker_worker_stop(struct docker_worker *w)
{
	if (!w)
		return;
	pthread_mutex_lock(&w->mu);
	w->stop = true;
	atomic_store(&w->cancel, 1);
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
	pthread_join(w->thread, NULL);
	docker_result_free(w->jobs);
	docker_result_free(w->done);
	if (w->dk)
		docker_close(w->dk);
	close(w->efd);
	pthread_mutex_destroy(&w->mu);
	pthread_cond_destroy(&w->cv);
	free(w->socket);
	free(w->advertise);
	free(w);
}
