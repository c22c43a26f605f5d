/* State store: reload gives the same state, a crash at any byte of the
 * last write reloads to a consistent prefix, a torn image likewise,
 * re-registration never double counts, a second opener is refused. */
#define _GNU_SOURCE
#include "autoconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../tap.h"
#include "cc-file.h"
#include "cc-time.h"
#include "log.h"
#include "protocol.h"
#include "state-store.h"
#include "util.h"

static char base[256];

static int rm_cb(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(p);
}

static void rm_rf(const char *p) { nftw(p, rm_cb, 16, FTW_DEPTH | FTW_PHYS); }

static char *newdir(const char *name)
{
	static char buf[8][512];
	static int i;
	char *d = buf[i++ % 8];
	snprintf(d, 512, "%s/%s", base, name);
	rm_rf(d);
	mkdir(d, 0700);
	return d;
}

static char *fpath(const char *dir, const char *name)
{
	static char buf[4][512];
	static int i;
	char *p = buf[i++ % 4];
	snprintf(p, 512, "%s/%s", dir, name);
	return p;
}

static int write_bytes(const char *path, const char *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	int r;
	if (fd < 0)
		return -errno;
	r = cc_write_all(fd, data, len);
	close(fd);
	return r;
}

/* A node record whose every field depends on (n, version). */
static void make_node(struct node_rec *r, int n, int version, int role)
{
	char buf[128];
	memset(r, 0, sizeof *r);
	snprintf(buf, sizeof buf, "host:node-%d", n);
	r->key = strdup(buf);
	r->node_id = strdup("");
	snprintf(buf, sizeof buf, "node-%d", n);
	r->hostname = strdup(buf);
	snprintf(buf, sizeof buf, "10.0.%d.%d", n / 250, n % 250 + 1);
	r->ip = strdup(buf);
	snprintf(buf, sizeof buf, "Linux v%d", version);
	r->os = strdup(buf);
	r->docker_version = strdup("24.0.7");
	r->timestamp = strdup("2026-01-01T00:00:00Z");
	r->cpu = n;
	r->memory = (int64_t)version << 30;
	r->requested_role = (uint8_t)role;
	r->assigned_role = (uint8_t)role;
	r->last_status = PROTO_READY;
	r->gluster_capable = version & 1;
	r->swarm_reported = true;
	r->swarm_control_available = role == PROTO_ROLE_MANAGER;
	r->swarm_node_id = strdup("swid");
	r->swarm_state = strdup("active");
	r->swarm_cluster_id = strdup("");
	r->first_seen_ms = 1000;
	r->last_seen_ms = 1000 + version;
	r->slot[0].plugin = strdup("none");
	snprintf(buf, sizeof buf, "{\"v\":%d}", version);
	r->slot[0].record = strdup(buf);
}

static bool streq(const char *a, const char *b) { return (!a && !b) || (a && b && strcmp(a, b) == 0); }

static bool node_eq(const struct node_rec *a, const struct node_rec *b)
{
	if (!a || !b)
		return false;
	for (int i = 0; i < STORE_NSLOTS; i++)
		if (!streq(a->slot[i].plugin, b->slot[i].plugin) || !streq(a->slot[i].record, b->slot[i].record))
			return false;
	return streq(a->key, b->key) && streq(a->node_id, b->node_id) && streq(a->hostname, b->hostname) &&
	       streq(a->ip, b->ip) && streq(a->os, b->os) && streq(a->docker_version, b->docker_version) &&
	       streq(a->timestamp, b->timestamp) && a->cpu == b->cpu && a->memory == b->memory &&
	       a->requested_role == b->requested_role && a->assigned_role == b->assigned_role &&
	       a->last_status == b->last_status && a->gluster_capable == b->gluster_capable &&
	       a->swarm_reported == b->swarm_reported &&
	       a->swarm_control_available == b->swarm_control_available &&
	       streq(a->swarm_node_id, b->swarm_node_id) && streq(a->swarm_state, b->swarm_state) &&
	       streq(a->swarm_cluster_id, b->swarm_cluster_id) && a->first_seen_ms == b->first_seen_ms &&
	       a->last_seen_ms == b->last_seen_ms;
}

static int put(struct state_store *s, int n, int version, int role)
{
	struct node_rec r;
	int rc;
	make_node(&r, n, version, role);
	rc = state_store_put_node(s, &r, NULL);
	node_rec_free(&r);
	return rc;
}

/* Does the store hold node n at exactly this version? */
static bool has(const struct state_store *s, int n, int version, int role)
{
	struct node_rec r;
	bool eq;
	make_node(&r, n, version, role);
	eq = node_eq(state_store_find(s, r.key), &r);
	node_rec_free(&r);
	return eq;
}

static struct state_store *open_ok(const char *dir)
{
	struct state_store *s = NULL;
	char *err = NULL;
	if (state_store_open(dir, &s, &err) < 0) {
		diag("open %s: %s", dir, err);
		free(err);
		return NULL;
	}
	return s;
}

static void test_reload_and_counts(void)
{
	char *d = newdir("reload"), *err = NULL;
	struct state_store *s = open_ok(d), *s2 = NULL;
	struct cluster_meta m = {.formed = true, .slot_holder = "host:node-1", .slot_granted_ms = 4242};
	unsigned mg, wk;
	int r;

	ok(s != NULL, "open a fresh state dir");
	if (!s)
		return;
	ok(put(s, 1, 1, PROTO_ROLE_MANAGER) == 0 && put(s, 2, 1, PROTO_ROLE_WORKER) == 0 &&
		   put(s, 3, 1, PROTO_ROLE_WORKER) == 0,
	   "three registrations");
	ok(put(s, 2, 2, PROTO_ROLE_WORKER) == 0 && put(s, 2, 3, PROTO_ROLE_WORKER) == 0,
	   "node 2 registers twice more");
	ok(state_store_put_meta(s, &m) == 0, "cluster record");
	state_store_counts(s, &mg, &wk);
	ok(state_store_count(s) == 3 && mg == 1 && wk == 2, "re-registration is not counted twice (3 nodes, 1+2)");
	ok(state_store_dirty(s), "writes are queued until sync");

	/* Second controller on the same directory. */
	r = state_store_open(d, &s2, &err);
	is_int(r, -EBUSY, "a second opener is refused");
	like(err, "another controller", "and told why");
	free(err);
	err = NULL;
	ok(s2 == NULL, "and gets no store");

	ok(state_store_sync(s, &err) == 0, "one sync for the batch");
	ok(!state_store_dirty(s), "nothing queued after sync");
	state_store_close(s, false, NULL); /* like a crash: no image written */

	s = open_ok(d);
	ok(s != NULL, "reopen after a crash");
	if (!s)
		return;
	state_store_counts(s, &mg, &wk);
	ok(state_store_count(s) == 3 && mg == 1 && wk == 2, "same counts after reload");
	ok(has(s, 1, 1, PROTO_ROLE_MANAGER) && has(s, 2, 3, PROTO_ROLE_WORKER) && has(s, 3, 1, PROTO_ROLE_WORKER),
	   "every node as last written");
	ok(state_store_meta(s)->formed && streq(state_store_meta(s)->slot_holder, "host:node-1") &&
		   state_store_meta(s)->slot_granted_ms == 4242,
	   "cluster record reloaded (formed, manager slot)");

	/* A role change moves the node between the counts. */
	put(s, 3, 4, PROTO_ROLE_MANAGER);
	state_store_counts(s, &mg, &wk);
	ok(mg == 2 && wk == 1, "role change updates both counts");

	/* Clean shutdown: image + empty log. */
	ok(state_store_close(s, true, &err) == 0, "flush on close");
	s = open_ok(d);
	ok(s && state_store_count(s) == 3 && has(s, 3, 4, PROTO_ROLE_MANAGER) && state_store_meta(s)->formed,
	   "reload from the image");
	ok(s && state_store_log_bytes(s) == 16, "log restarted empty after the image");
	state_store_close(s, false, NULL);
	free(err);
}

static void test_rekey(void)
{
	char *d = newdir("rekey");
	struct state_store *s = open_ok(d);
	struct node_rec r;

	if (!s)
		return;
	put(s, 7, 1, PROTO_ROLE_WORKER);
	make_node(&r, 7, 2, PROTO_ROLE_WORKER);
	free(r.key);
	r.key = strdup("id:abc");
	free(r.node_id);
	r.node_id = strdup("abc");
	ok(state_store_put_node(s, &r, "host:node-7") == 0, "a node sends its NodeID for the first time");
	ok(state_store_count(s) == 1 && state_store_find(s, "id:abc") && !state_store_find(s, "host:node-7"),
	   "its hostname record becomes the NodeID record, counted once");
	state_store_sync(s, NULL);
	state_store_close(s, false, NULL);
	s = open_ok(d);
	ok(s && state_store_count(s) == 1 && node_eq(state_store_find(s, "id:abc"), &r),
	   "the move survives a reload");
	node_rec_free(&r);
	state_store_close(s, false, NULL);
}

/* clusterctl node remove: the node is gone for good, at once, with its
 * manager slot; the others are kept; a reload (even after a crash, with
 * no clean close) does not bring it back. */
static void test_forget(void)
{
	char *d = newdir("forget"), *err = NULL;
	struct state_store *s = open_ok(d);
	struct cluster_meta m = {.formed = true, .slot_holder = "host:node-2", .slot_granted_ms = 5};
	unsigned mg, wk;

	if (!s)
		return;
	put(s, 1, 1, PROTO_ROLE_WORKER);
	put(s, 2, 1, PROTO_ROLE_MANAGER);
	put(s, 3, 1, PROTO_ROLE_WORKER);
	state_store_put_meta(s, &m);
	state_store_sync(s, NULL);
	ok(state_store_forget_node(s, "host:node-2", &err) == 0, "a node is forgotten (%s)", err ? err : "");
	state_store_counts(s, &mg, &wk);
	ok(state_store_count(s) == 2 && !state_store_find(s, "host:node-2") && mg == 0 && wk == 2,
	   "it is gone and no longer counted");
	ok(!state_store_meta(s)->slot_holder && state_store_meta(s)->formed, "its manager slot is freed, formed kept");
	is_int(state_store_forget_node(s, "host:node-2", &err), -ENOENT, "forgetting it again: -ENOENT");
	like(err, "no node host:node-2", "saying which");
	free(err);
	err = NULL;
	put(s, 4, 1, PROTO_ROLE_WORKER); /* queued, not synced: a crash loses only this */
	state_store_close(s, false, NULL);
	s = open_ok(d);
	ok(s && state_store_count(s) == 2 && has(s, 1, 1, PROTO_ROLE_WORKER) && has(s, 3, 1, PROTO_ROLE_WORKER) &&
		   !state_store_find(s, "host:node-2"),
	   "after a crash the forgotten node stays forgotten, the others are there");
	state_store_close(s, false, NULL);
}

/* Crash at every byte of the last write. */
static void test_torn_log(void)
{
	char *d = newdir("torn-src"), *log = NULL;
	struct state_store *s = open_ok(d);
	uint64_t before, after;
	size_t len, bad = 0, badtail = 0;

	if (!s)
		return;
	for (int i = 0; i < 4; i++)
		put(s, i, 1, i == 0 ? PROTO_ROLE_MANAGER : PROTO_ROLE_WORKER);
	state_store_sync(s, NULL);
	before = state_store_log_bytes(s);
	/* The last write holds an update of node 1 and a new node 9. */
	put(s, 1, 2, PROTO_ROLE_WORKER);
	put(s, 9, 1, PROTO_ROLE_WORKER);
	state_store_sync(s, NULL);
	after = state_store_log_bytes(s);
	state_store_close(s, false, NULL);
	if (cc_read_file(fpath(d, "state.log"), 1 << 20, &log, &len) < 0 || len != after) {
		ok(0, "read the log back");
		return;
	}

	for (uint64_t off = before; off <= after; off++) {
		char *t = newdir("torn");
		struct state_store *u;
		bool full = off == after, consistent;
		write_bytes(fpath(t, "state.log"), log, off);
		u = open_ok(t);
		if (!u) {
			bad++;
			continue;
		}
		/* Either the whole last write or none of node 9; node 1 at
		 * version 1 or 2 (both records whole); never a partial one. */
		consistent = has(u, 0, 1, PROTO_ROLE_MANAGER) && has(u, 2, 1, PROTO_ROLE_WORKER) &&
			     has(u, 3, 1, PROTO_ROLE_WORKER) &&
			     (has(u, 1, 1, PROTO_ROLE_WORKER) || has(u, 1, 2, PROTO_ROLE_WORKER)) &&
			     (state_store_count(u) == 4 || (state_store_count(u) == 5 && has(u, 9, 1, PROTO_ROLE_WORKER)));
		if (full)
			consistent = consistent && state_store_count(u) == 5 && has(u, 1, 2, PROTO_ROLE_WORKER);
		if (off == before)
			consistent = consistent && state_store_count(u) == 4 && has(u, 1, 1, PROTO_ROLE_WORKER);
		if (!consistent)
			bad++;
		/* Appending after the cut must give a readable log. */
		put(u, 20, 1, PROTO_ROLE_WORKER);
		state_store_sync(u, NULL);
		{
			size_t n = state_store_count(u);
			state_store_close(u, false, NULL);
			u = open_ok(t);
			if (!u || state_store_count(u) != n || !has(u, 20, 1, PROTO_ROLE_WORKER))
				badtail++;
			state_store_close(u, false, NULL);
		}
	}
	is_int(bad, 0, "log cut at each of %llu byte offsets of the last write reloads to a consistent prefix",
	       (unsigned long long)(after - before + 1));
	is_int(badtail, 0, "and a write after each such crash is readable after the next reload");

	/* Garbage instead of a clean cut: a bit flip in the last record. */
	{
		char *t = newdir("flip");
		struct state_store *u;
		log[after - 3] ^= 0x40;
		write_bytes(fpath(t, "state.log"), log, len);
		u = open_ok(t);
		ok(u && !state_store_find(u, "host:node-9") && has(u, 1, 2, PROTO_ROLE_WORKER),
		   "a record with a bad checksum is dropped, the ones before it kept");
		state_store_close(u, false, NULL);
	}
	free(log);
}

static void test_torn_snapshot(void)
{
	char *d = newdir("snap-src"), *snap = NULL, *err = NULL;
	struct state_store *s = open_ok(d);
	size_t len, bad = 0, refused = 0, prefix_counts = 0;

	if (!s)
		return;
	for (int i = 0; i < 5; i++)
		put(s, i, 3, PROTO_ROLE_WORKER);
	state_store_close(s, true, NULL);
	if (cc_read_file(fpath(d, "state.snap"), 1 << 20, &snap, &len) < 0) {
		ok(0, "read the image back");
		return;
	}
	/* Stale temporary image from a crash while writing one. */
	write_bytes(fpath(d, "state.snap.tmp"), snap, len / 2);
	s = open_ok(d);
	ok(s && state_store_count(s) == 5 && access(fpath(d, "state.snap.tmp"), F_OK) < 0,
	   "a half-written temporary image is ignored and removed");
	state_store_close(s, false, NULL);

	for (size_t off = 0; off < len; off++) {
		char *t = newdir("snap");
		struct state_store *u = NULL;
		size_t n;
		bool consistent = true;
		write_bytes(fpath(t, "state.snap"), snap, off);
		if (state_store_open(t, &u, &err) < 0) {
			free(err);
			err = NULL;
			if (off < 16)
				refused++;
			else
				bad++;
			continue;
		}
		n = state_store_count(u);
		/* The prefix: nodes 0..n-1, each whole. */
		for (size_t i = 0; i < n; i++)
			consistent = consistent && has(u, (int)i, 3, PROTO_ROLE_WORKER);
		if (!consistent || n > 5)
			bad++;
		if (off > 16 && n > 0)
			prefix_counts++;
		state_store_close(u, false, NULL);
	}
	is_int(bad, 0, "image cut at every byte offset loads a consistent prefix of whole records");
	is_int(refused, 16, "an image without even its header is refused, not guessed at");
	ok(prefix_counts > 0, "longer cuts keep the records before the cut");
	free(snap);
}

/* A crash after writing the image and before starting the new log: the
 * old log must not be replayed over the newer image. */
static void test_image_then_crash(void)
{
	char *d = newdir("gen"), *old = NULL;
	struct state_store *s = open_ok(d);
	size_t len;

	if (!s)
		return;
	put(s, 1, 1, PROTO_ROLE_WORKER);
	state_store_sync(s, NULL);
	cc_read_file(fpath(d, "state.log"), 1 << 20, &old, &len);
	put(s, 1, 2, PROTO_ROLE_WORKER);
	state_store_compact(s, true, NULL);
	state_store_close(s, false, NULL);
	write_bytes(fpath(d, "state.log"), old, len); /* the log the crash left */
	s = open_ok(d);
	ok(s && has(s, 1, 2, PROTO_ROLE_WORKER), "an older log is not replayed over a newer image");
	state_store_close(s, false, NULL);
	free(old);
}

static void test_scale(void)
{
	char *d = newdir("scale");
	struct state_store *s = open_ok(d);
	int64_t t0;
	double ms;
	const int N = 10000;

	if (!s)
		return;
	for (int i = 0; i < N; i++)
		put(s, i, 1, i < 3 ? PROTO_ROLE_MANAGER : PROTO_ROLE_WORKER);
	state_store_sync(s, NULL);
	state_store_close(s, false, NULL);
	t0 = cc_mono_ns();
	s = open_ok(d);
	ms = (double)(cc_mono_ns() - t0) / 1e6;
	ok(s && state_store_count(s) == (size_t)N && has(s, N - 1, 1, PROTO_ROLE_WORKER),
	   "10,000 nodes reload from the log");
	diag("reload of %d nodes from the log: %.1f ms", N, ms);
	state_store_close(s, true, NULL);
	t0 = cc_mono_ns();
	s = open_ok(d);
	ms = (double)(cc_mono_ns() - t0) / 1e6;
	ok(s && state_store_count(s) == (size_t)N, "10,000 nodes reload from the image");
	/* Printed, not asserted: the 100 ms aim is a benchmark's (bench/run.sh
	 * and bench/README.md), and a unit test under ASan or on a busy
	 * machine is no measurement. */
	diag("reload of %d nodes from the image: %.1f ms", N, ms);
	state_store_close(s, false, NULL);
}

int main(void)
{
	const char *tmp = getenv("TMPDIR");
	log_set_level(CLUSTERCTL_LOG_ERROR + 1);
	snprintf(base, sizeof base, "%s/test-state-store.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(base))
		return skip_all("cannot create a temporary directory");
	test_reload_and_counts();
	test_rekey();
	test_forget();
	test_torn_log();
	test_torn_snapshot();
	test_image_then_crash();
	test_scale();
	rm_rf(base);
	return done_testing();
}
