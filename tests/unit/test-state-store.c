/* State store: reload gives the same state, a crash at any byte of the
 * last write reloads to a consistent prefix, re-registration never double
 * counts, a second opener is refused.  Damage is refused, not cut: a bad
 * record before the end of the log or anywhere in an image stops the
 * open and leaves every byte as it was; salvage keeps every record that
 * verifies.  Every start writes a new generation; format 1 (a fixture
 * the old code wrote) loads and is migrated with a copy kept; a newer
 * format is refused. */
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
	/* Header and the format record naming this clusterctl: */
	ok(s && state_store_log_bytes(s) == 16 + 9 + 4 + strlen("clusterctl " PACKAGE_VERSION) + 8,
	   "log restarted empty after the image");
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
	size_t len, bad = 0, refused = 0, bad_msg = 0, changed = 0;

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

	/* The image is only ever renamed into place whole: a cut one is
	 * damage (a disk's or a person's), never a crash, and is refused
	 * with the file and offset named and its bytes left alone. */
	for (size_t off = 0; off < len; off++) {
		char *t = newdir("snap"), *after = NULL;
		struct state_store *u = NULL;
		size_t alen = 0;
		write_bytes(fpath(t, "state.snap"), snap, off);
		if (state_store_open(t, &u, &err) == 0) {
			bad++;
			state_store_close(u, false, NULL);
			continue;
		}
		if (!err || !strstr(err, "state.snap") || !strstr(err, "byte ") || !strstr(err, "state salvage"))
			bad_msg++;
		free(err);
		err = NULL;
		if (cc_read_file(fpath(t, "state.snap"), 1 << 20, &after, &alen) < 0 || alen != off ||
		    memcmp(after, snap, off) != 0 || access(fpath(t, "state.log"), F_OK) == 0)
			changed++;
		free(after);
		refused++;
	}
	is_int(bad, 0, "an image cut at any of its %zu byte offsets is refused, not loaded in part", len);
	is_int(bad_msg, 0, "each refusal names the file, the offset and state salvage");
	is_int(changed, 0, "and leaves the image byte for byte as it was, with no log started");
	is_int(refused, len, "(%zu refusals)", len);
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

static char *slurp(const char *path, size_t *len)
{
	char *b = NULL;
	*len = 0;
	if (cc_read_file(path, 1 << 24, &b, len) < 0)
		return NULL;
	return b;
}

static bool same_file(const char *path, const char *data, size_t len)
{
	size_t n;
	char *b = slurp(path, &n);
	bool same = b && n == len && memcmp(b, data, len) == 0;
	free(b);
	return same;
}

/* A log of six records, one sync each; offs[i] is where record i
 * begins (after the header and format record), offs[6] the end. */
static char *six_record_log(const char *d, size_t *len, uint64_t offs[7])
{
	struct state_store *s = open_ok(d);
	int k = 0;
	if (!s)
		return NULL;
	offs[k++] = state_store_log_bytes(s);
	for (int i = 0; i < 6; i++) {
		put(s, i, 1, i == 0 ? PROTO_ROLE_MANAGER : PROTO_ROLE_WORKER);
		state_store_sync(s, NULL);
		offs[k++] = state_store_log_bytes(s);
	}
	state_store_close(s, false, NULL);
	return slurp(fpath(d, "state.log"), len);
}

static void test_damage_refused(void)
{
	char *d = newdir("dmg-src"), *log, *err = NULL, want[64];
	uint64_t offs[7];
	size_t len, nbad = 0, nmsg = 0, nchanged = 0;
	struct state_store *s;
	struct store_report rep;

	log = six_record_log(d, &len, offs);
	if (!log) {
		ok(0, "write a log of six records");
		return;
	}
	/* A flipped bit in each record but the last: acknowledged records
	 * follow it, so it is damage and nothing may be cut. */
	for (int i = 0; i < 5; i++) {
		char *t = newdir("dmg");
		log[offs[i] + 12] ^= 0x10;
		write_bytes(fpath(t, "state.log"), log, len);
		if (state_store_open(t, &s, &err) != -EBADMSG) {
			nbad++;
			state_store_close(s, false, NULL);
		}
		snprintf(want, sizeof want, "byte %llu of %zu", (unsigned long long)offs[i], len);
		if (!err || !strstr(err, "state.log is damaged") || !strstr(err, want) ||
		    !strstr(err, "clusterctl state check --state-dir") || !strstr(err, "clusterctl state salvage --state-dir"))
			nmsg++;
		if (i == 2)
			diag("%s", err ? err : "(no message)");
		free(err);
		err = NULL;
		if (!same_file(fpath(t, "state.log"), log, len) || access(fpath(t, "state.snap"), F_OK) == 0)
			nchanged++;
		log[offs[i] + 12] ^= 0x10;
	}
	is_int(nbad, 0, "a bad checksum in any record before the last refuses the open");
	is_int(nmsg, 0, "saying which file, at which byte, and the check and salvage commands");
	is_int(nchanged, 0, "and the log is byte for byte as it was, no image written");

	/* A length field flipped so the record seems to run past the end:
	 * the records after it still verify, so this is no torn tail. */
	{
		char *t = newdir("dmg-len");
		char save = log[offs[1] + 3];
		log[offs[1] + 3] = 0x7f;
		write_bytes(fpath(t, "state.log"), log, len);
		is_int(state_store_open(t, &s, &err), -EBADMSG,
		       "a length running past the end, with intact records after it, is damage too");
		free(err);
		err = NULL;
		ok(same_file(fpath(t, "state.log"), log, len), "(log unchanged)");
		log[offs[1] + 3] = save;
	}

	/* What a filesystem may leave after a crash: the size grown, the
	 * new block still zeros.  Nothing verifies in it: a torn tail. */
	{
		char *t = newdir("zeros");
		char *z = calloc(1, len + 4096);
		memcpy(z, log, len);
		write_bytes(fpath(t, "state.log"), z, len + 4096);
		s = open_ok(t);
		ok(s && state_store_count(s) == 6 && has(s, 5, 1, PROTO_ROLE_WORKER),
		   "a tail of zeros after the last record is a torn tail: every record kept");
		state_store_close(s, false, NULL);
		/* The last write only partly on disk, zeros after it. */
		z[offs[5] + 12] ^= 0x10;
		t = newdir("zeros-bad");
		write_bytes(fpath(t, "state.log"), z, len + 4096);
		s = open_ok(t);
		ok(s && state_store_count(s) == 5 && !state_store_find(s, "host:node-5"),
		   "a bad last record followed by zeros is a torn tail too: the 5 before it kept");
		state_store_close(s, false, NULL);
		free(z);
	}

	/* check/dump look without changing anything; salvage keeps every
	 * record that verifies and the damaged file beside the new ones. */
	{
		char *t = newdir("salvage"), *kept = NULL;
		size_t klen;
		log[offs[2] + 12] ^= 0x10; /* node 2's record */
		write_bytes(fpath(t, "state.log"), log, len);
		ok(state_store_open_mode(t, STORE_INSPECT, &s, &rep, &err) == 0 && rep.log.ndamage == 1 &&
			   rep.log.damage[0].offset == offs[2] && rep.log.damage[0].length == offs[3] - offs[2] &&
			   state_store_count(s) == 5 && !state_store_find(s, "host:node-2"),
		   "inspect: one damaged stretch, at the record's offset and as long as it, 5 nodes that verify");
		ok(s && state_store_put_node(s, state_store_node(s, 0), NULL) < 0, "inspect writes nothing");
		state_store_close(s, true, NULL);
		store_report_free(&rep);
		ok(same_file(fpath(t, "state.log"), log, len) && access(fpath(t, "state.snap"), F_OK) < 0 &&
			   access(fpath(t, "controller.lock"), F_OK) < 0,
		   "and leaves the directory as it was (not even a lock file)");
		ok(state_store_open_mode(t, STORE_SALVAGE, &s, &rep, &err) == 0 && rep.log.ndamage == 1 &&
			   state_store_count(s) == 5 && has(s, 5, 1, PROTO_ROLE_WORKER),
		   "salvage keeps the 5 records that verify, those after the damage included");
		ok(!rep.cluster_record, "and reports that no cluster record verified (none was written)");
		state_store_close(s, false, NULL);
		kept = rep.kept[1] ? slurp(rep.kept[1], &klen) : NULL;
		ok(kept && klen == len && memcmp(kept, log, len) == 0 && strstr(rep.kept[1], "state.log.salvaged-"),
		   "the damaged log is kept, byte for byte, as state.log.salvaged-<time>");
		free(kept);
		store_report_free(&rep);
		s = open_ok(t);
		ok(s && state_store_count(s) == 5 && has(s, 0, 1, PROTO_ROLE_MANAGER),
		   "master serve starts on the salvaged generation");
		state_store_close(s, false, NULL);
		log[offs[2] + 12] ^= 0x10;
	}
	free(err);
	free(log);
}

/* After a failed fdatasync the old inode may have lost pages the cache
 * still shows: no start appends to a file an earlier run wrote. */
static void test_new_generation_each_start(void)
{
	char *d = newdir("gen-each");
	struct state_store *s = open_ok(d);
	struct stat a, b, c;
	bool fresh = true;

	if (!s)
		return;
	put(s, 1, 1, PROTO_ROLE_MANAGER);
	state_store_sync(s, NULL);
	state_store_close(s, false, NULL);
	stat(fpath(d, "state.log"), &a);
	for (int i = 0; i < 3; i++) {
		s = open_ok(d);
		fresh = fresh && s && has(s, 1, 1, PROTO_ROLE_MANAGER);
		stat(fpath(d, "state.log"), &b);
		fresh = fresh && b.st_ino != a.st_ino && stat(fpath(d, "state.snap"), &c) == 0;
		put(s, 2, i + 1, PROTO_ROLE_WORKER);
		state_store_sync(s, NULL);
		state_store_close(s, false, NULL);
		a = b;
	}
	s = open_ok(d);
	ok(fresh && s && has(s, 2, 3, PROTO_ROLE_WORKER) && state_store_count(s) == 2,
	   "every start writes a new image and a new log inode, and loses nothing");
	state_store_close(s, false, NULL);
}

static size_t count_kept(const char *d, const char *what)
{
	char cmd[640];
	size_t n = 0;
	FILE *f;
	snprintf(cmd, sizeof cmd, "ls '%s' | grep -c '%s'", d, what);
	f = popen(cmd, "r");
	if (f) {
		if (fscanf(f, "%zu", &n) != 1)
			n = 0;
		pclose(f);
	}
	return n;
}

static void test_format1_fixture(void)
{
	char *d = newdir("v1"), *snap, *log, *err = NULL, *kept;
	size_t slen, llen, klen;
	struct state_store *s = NULL;
	struct store_report rep;
	const struct node_rec *r;

	snap = slurp(STATE_FIXTURES "/v1/state.snap", &slen);
	log = slurp(STATE_FIXTURES "/v1/state.log", &llen);
	if (!snap || !log || memcmp(snap, "CCSNAP01", 8) != 0 || memcmp(log, "CCLOG001", 8) != 0) {
		ok(0, "read the format 1 fixture");
		free(snap);
		free(log);
		return;
	}
	write_bytes(fpath(d, "state.snap"), snap, slen);
	write_bytes(fpath(d, "state.log"), log, llen);
	ok(state_store_open_mode(d, STORE_SERVE, &s, &rep, &err) == 0, "a format 1 state dir opens");
	if (!s) {
		diag("%s", err);
		free(err);
		free(snap);
		free(log);
		return;
	}
	r = state_store_find(s, "id:bench-7");
	ok(state_store_count(s) == 8 && state_store_meta(s)->formed &&
		   streq(state_store_meta(s)->slot_holder, "id:bench-3") && r && r->assigned_role == PROTO_ROLE_WORKER &&
		   r->slot[0].record && strstr(r->slot[0].record, "\"Address\":\"100.64.0.9\""),
	   "with its 8 nodes, the cluster formed, the slot holder and bench-7's lease (as expected.txt)");
	ok(rep.snap.format == 1 && rep.log.format == 1 && rep.log.replayed && rep.cluster_record,
	   "reported as format 1, log replayed, the cluster record found");
	kept = rep.kept[0] ? slurp(rep.kept[0], &klen) : NULL;
	ok(kept && klen == slen && memcmp(kept, snap, slen) == 0 && strstr(rep.kept[0], "state.snap.format1-"),
	   "the format 1 image is kept as state.snap.format1-<time>");
	free(kept);
	kept = rep.kept[1] ? slurp(rep.kept[1], &klen) : NULL;
	ok(kept && klen == llen && memcmp(kept, log, llen) == 0, "and the log as state.log.format1-<time>");
	free(kept);
	store_report_free(&rep);
	state_store_close(s, false, NULL);
	free(snap);
	free(log);
	snap = slurp(fpath(d, "state.snap"), &slen);
	log = slurp(fpath(d, "state.log"), &llen);
	ok(snap && log && memcmp(snap, "CCSNAP02", 8) == 0 && memcmp(log, "CCLOG002", 8) == 0,
	   "the new generation is format 2");
	s = open_ok(d);
	ok(s && state_store_count(s) == 8 && count_kept(d, "format1") == 2,
	   "and the next start migrates nothing more");
	state_store_close(s, false, NULL);
	free(snap);
	free(log);
}

static void test_newer_format(void)
{
	static const char *const names[] = {"state.snap", "state.log"};
	static const char *const magics[] = {"CCSNAP03", "CCLOG003"};
	for (int i = 0; i < 2; i++) {
		char *d = newdir("newer"), *err = NULL, data[64];
		struct state_store *s = NULL;
		memset(data, 0, sizeof data);
		memcpy(data, magics[i], 8);
		data[8] = 7;
		write_bytes(fpath(d, names[i]), data, sizeof data);
		is_int(state_store_open(d, &s, &err), -EPROTONOSUPPORT, "%s in format 3 is refused", names[i]);
		like(err, "newer clusterctl", "as written by a newer clusterctl");
		ok(same_file(fpath(d, names[i]), data, sizeof data), "and left as it was");
		free(err);
		state_store_close(s, false, NULL);
	}
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
	test_damage_refused();
	test_new_generation_each_start();
	test_format1_fixture();
	test_newer_format();
	test_scale();
	rm_rf(base);
	return done_testing();
}
