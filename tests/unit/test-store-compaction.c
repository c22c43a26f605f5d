/* Compaction in three steps (state-store.h), as master serve runs it with
 * the image written on the sync worker: begin takes the image of memory,
 * queued records included, and empties the queue; records put after
 * begin go to the new log; a failed image write poisons the store and
 * loses nothing that was durable before; and the sync worker runs the
 * image write as it runs an fdatasync. */
#define _GNU_SOURCE
#include "autoconfig.h"

#include <errno.h>
#include <ftw.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <stdint.h>
#include <unistd.h>

#include "../tap.h"
#include "protocol.h"
#include "state-store.h"
#include "sync-worker.h"

static char base[] = "/tmp/test-store-compaction-XXXXXX";

static int rm_cb(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(p);
}

static void put(struct state_store *s, int n)
{
	char key[32], host[32];
	struct node_rec r = {0};

	snprintf(key, sizeof key, "host:n%d", n);
	snprintf(host, sizeof host, "n%d", n);
	r.key = key;
	r.node_id = r.os = r.docker_version = r.timestamp = r.swarm_node_id = r.swarm_state =
		r.swarm_cluster_id = "";
	r.hostname = host;
	r.ip = "192.0.2.1";
	r.cpu = r.memory = -1;
	r.requested_role = r.assigned_role = PROTO_ROLE_WORKER;
	r.last_status = PROTO_WAITING;
	if (state_store_put_node(s, &r, NULL) < 0)
		diag("put n%d failed", n);
}

static bool has(struct state_store *s, int n)
{
	char key[32];
	snprintf(key, sizeof key, "host:n%d", n);
	return state_store_find(s, key) != NULL;
}

static int image_job(void *img) { return state_store_image_write(img); }

int main(void)
{
	struct state_store *s = NULL;
	struct store_image *img = NULL;
	struct sync_worker *w = NULL;
	char *err = NULL, dir[128], tmp[160];
	int res = 1;
	uint64_t empty_log;

	ok(mkdtemp(base) != NULL, "a scratch directory");
	snprintf(dir, sizeof dir, "%s/state", base);
	mkdir(dir, 0700);
	is_int(state_store_open(dir, &s, &err), 0, "a fresh store opens");
	empty_log = state_store_log_bytes(s);
	put(s, 1);
	put(s, 2);
	is_int(state_store_sync(s, &err), 0, "two nodes are durable in the log");
	is_int(state_store_compact_begin(s, false, &img, &err), 0, "a small log is not compacted");
	ok(img == NULL, "and no image is made");

	put(s, 3); /* decided, queued, not yet written */
	ok(state_store_dirty(s), "a third node is queued");
	is_int(state_store_compact_begin(s, true, &img, &err), 1, "a forced compaction begins");
	ok(img != NULL && !state_store_dirty(s), "the queue went into the image: nothing left to write");
	put(s, 4); /* decided while the image is being written */
	is_int(sync_worker_start(&w), 0, "the sync worker starts");
	sync_worker_call(w, image_job, img);
	ok(sync_worker_busy(w), "the worker is busy with the image");
	{
		struct pollfd p = {.fd = sync_worker_fd(w), .events = POLLIN};
		ok(poll(&p, 1, 10000) == 1 && sync_worker_collect(w, &res) == 1, "the worker reports it done");
	}
	is_int(res, 0, "the image and a fresh log are written");
	is_int(state_store_compact_finish(s, img, &err), 0, "the store takes the new log");
	img = NULL;
	ok(state_store_log_bytes(s) == empty_log, "which holds no record (%llu bytes, as a fresh store's)",
	   (unsigned long long)state_store_log_bytes(s));
	is_int(state_store_sync(s, &err), 0, "the node put during the compaction is written to it");
	ok(state_store_log_bytes(s) > empty_log, "so the new log grows");
	is_int(state_store_close(s, false, &err), 0, "closed as a crash would leave it");
	s = NULL;
	is_int(state_store_open(dir, &s, &err), 0, "reopened");
	ok(s && state_store_count(s) == 4 && has(s, 1) && has(s, 2) && has(s, 3) && has(s, 4),
	   "every node is there: from the image (1-3) and from the new log (4)");

	/* The image cannot be written: its temporary name is a directory. */
	put(s, 5);
	is_int(state_store_sync(s, &err), 0, "a fifth node is durable in the log");
	put(s, 6);
	snprintf(tmp, sizeof tmp, "%s/state.snap.tmp", dir);
	ok(mkdir(tmp, 0700) == 0, "the image's temporary name is taken by a directory");
	is_int(state_store_compact_begin(s, true, &img, &err), 1, "a compaction begins");
	ok(state_store_image_write(img) < 0, "writing the image fails");
	ok(state_store_compact_finish(s, img, &err) < 0, "finish reports the failure");
	img = NULL;
	ok(err && strstr(err, "state.snap"), "naming the file: %s", err ? err : "(none)");
	free(err);
	err = NULL;
	put(s, 7);
	ok(state_store_sync(s, &err) < 0, "the store is poisoned: nothing more is made durable");
	free(err);
	err = NULL;
	state_store_close(s, false, NULL);
	s = NULL;
	rmdir(tmp);
	is_int(state_store_open(dir, &s, &err), 0, "reopened after the failure");
	ok(s && has(s, 5) && !has(s, 6) && !has(s, 7),
	   "what was durable is kept; what was only queued (never answered) is not");

	state_store_close(s, false, NULL);
	sync_worker_stop(w);
	free(err);
	nftw(base, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
	return done_testing();
}
