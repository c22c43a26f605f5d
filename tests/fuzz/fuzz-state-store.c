/* The controller's state files (core/state-store.c): the snapshot
 * state.snap and the log state.log, as a crash, a bad disk or a person
 * may leave them, loaded by state_store_open().
 *
 * Input: a flags byte, then the snapshot as one piece (u16 length and
 * bytes), then the log (the rest).  Flags: 1 recompute the CRC of every
 * whole record (so mutations reach the record decoder instead of
 * stopping at the checksum), 2 no snapshot file, 4 no log file.
 *
 * What must hold: a state directory is loaded or refused with a message,
 * never a crash; a refusal leaves both files byte for byte as they were,
 * and the offline tool's read-only load (INSPECT) of it either loads what
 * verifies or refuses with a message; what was loaded is consistent
 * (every node findable by its key, counts matching the roles); and
 * written back as a clean shutdown writes it, it loads again to exactly
 * the same nodes and cluster facts. */
#include "autoconfig.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"
#include "protocol.h"
#include "state-store.h"

#define HDR_LEN 16 /* magic and generation, then records */

static char dir[PATH_MAX];

/* Every file in the directory: the state files, their temporaries, and
 * the copies a format migration keeps (state.*.format1-<time>). */
static void empty_dir(void)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char p[PATH_MAX + 300];
	if (!d)
		return;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
		unlink(p);
	}
	closedir(d);
}

static void remove_dir(void)
{
	empty_dir();
	rmdir(dir);
}

/* A tmpfs when there is one: the store fsyncs, and a disk would make
 * every input cost milliseconds. */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *tmp = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	snprintf(dir, sizeof dir, "%s/clusterctl-fuzz-state-XXXXXX", tmp);
	fuzz_require(mkdtemp(dir) != NULL, "mkdtemp");
	atexit(remove_dir);
	return 0;
}

static uint32_t get_u32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* The record framing: u32 length, u32 crc32c of the payload, payload. */
static void fix_crcs(uint8_t *b, size_t len)
{
	size_t off = HDR_LEN;
	while (off + 9 <= len) {
		uint32_t n = get_u32(b + off), crc;
		if (n < 1 || n > len - off - 8)
			break;
		crc = crc32c(0, b + off + 8, n);
		for (int i = 0; i < 4; i++)
			b[off + 4 + i] = (uint8_t)(crc >> (8 * i));
		off += 8 + n;
	}
}

/* Write one state file as the input has it; *kept gets its bytes (NULL
 * when absent), to compare after a refusal. */
static void put(const char *name, const uint8_t *data, size_t len, bool present, bool fix, uint8_t **kept)
{
	char p[PATH_MAX + 32];
	uint8_t *copy = (uint8_t *)fuzz_memdup(data, len);
	int fd;

	*kept = NULL;
	snprintf(p, sizeof p, "%s/%s", dir, name);
	unlink(p);
	if (present) {
		if (fix)
			fix_crcs(copy, len);
		fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		fuzz_require(fd >= 0 && write(fd, copy, len) == (ssize_t)len && close(fd) == 0, "write a state file");
		*kept = copy;
		return;
	}
	free(copy);
}

/* Is the file exactly these bytes (absent: data NULL)? */
static bool unchanged(const char *name, const uint8_t *data, size_t len)
{
	char p[PATH_MAX + 32], *buf;
	struct stat st;
	bool same;
	int fd;

	snprintf(p, sizeof p, "%s/%s", dir, name);
	if (!data)
		return stat(p, &st) < 0;
	fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0 || (size_t)st.st_size != len) {
		if (fd >= 0)
			close(fd);
		return false;
	}
	buf = malloc(len ? len : 1);
	fuzz_require(buf != NULL, "out of memory");
	same = read(fd, buf, len) == (ssize_t)len && memcmp(buf, data, len) == 0;
	free(buf);
	close(fd);
	return same;
}

static bool same_node(const struct node_rec *a, const struct node_rec *b)
{
	bool same = fuzz_same(a->key, b->key) && fuzz_same(a->node_id, b->node_id) &&
		    fuzz_same(a->hostname, b->hostname) && fuzz_same(a->ip, b->ip) && fuzz_same(a->os, b->os) &&
		    fuzz_same(a->docker_version, b->docker_version) && fuzz_same(a->timestamp, b->timestamp) &&
		    a->cpu == b->cpu && a->memory == b->memory && a->requested_role == b->requested_role &&
		    a->assigned_role == b->assigned_role && a->last_status == b->last_status &&
		    a->gluster_capable == b->gluster_capable && a->swarm_reported == b->swarm_reported &&
		    a->swarm_control_available == b->swarm_control_available &&
		    fuzz_same(a->swarm_node_id, b->swarm_node_id) && fuzz_same(a->swarm_state, b->swarm_state) &&
		    fuzz_same(a->swarm_cluster_id, b->swarm_cluster_id) && a->first_seen_ms == b->first_seen_ms &&
		    a->last_seen_ms == b->last_seen_ms;
	for (int i = 0; same && i < STORE_NSLOTS; i++)
		same = fuzz_same(a->slot[i].plugin, b->slot[i].plugin) && fuzz_same(a->slot[i].record, b->slot[i].record);
	return same;
}

static void check_loaded(const struct state_store *s)
{
	unsigned managers = 0, workers = 0, m, w;
	for (size_t i = 0; i < state_store_count(s); i++) {
		const struct node_rec *r = state_store_node(s, i);
		fuzz_require(r && r->key && *r->key, "a node has a key");
		fuzz_require(state_store_find(s, r->key) == r && state_store_index(s, r->key) == (ssize_t)i,
			     "a node is found by its key");
		fuzz_require(r->assigned_role <= 1 && r->requested_role <= 1 && r->last_status <= 2,
			     "roles and status are known");
		fuzz_require(r->node_id && r->hostname && r->ip && r->os && r->docker_version && r->timestamp &&
				     r->swarm_node_id && r->swarm_state && r->swarm_cluster_id,
			     "a node's strings are never NULL");
		if (r->assigned_role == PROTO_ROLE_MANAGER)
			managers++;
		else
			workers++;
	}
	state_store_counts(s, &m, &w);
	fuzz_require(m == managers && w == workers, "the counts match the nodes");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_cursor in = {data, size};
	struct state_store *s = NULL, *second = NULL;
	struct node_rec *before = NULL;
	struct cluster_meta meta;
	const uint8_t *snap = NULL;
	size_t snap_len = 0, n;
	uint8_t flags = fuzz_byte(&in), *snap_bytes, *log_bytes;
	size_t log_len;
	char *err = NULL;
	int r;

	if (!fuzz_next_piece(&in, &snap, &snap_len))
		snap = in.p;
	log_len = in.left;
	empty_dir();
	put("state.snap", snap, snap_len, !(flags & 2), flags & 1, &snap_bytes);
	put("state.log", in.p, log_len, !(flags & 4), flags & 1, &log_bytes);

	r = state_store_open(dir, &s, &err);
	if (r < 0) {
		struct store_report rep;
		fuzz_require(r != -EBUSY, "the lock is free");
		fuzz_require(err && *err, "a refused state has a message");
		free(err);
		err = NULL;
		fuzz_require(unchanged("state.snap", snap_bytes, snap_len) && unchanged("state.log", log_bytes, log_len),
			     "a refused state is left byte for byte as it was");
		/* What `clusterctl state check` and `dump` do with it. */
		r = state_store_open_mode(dir, STORE_INSPECT, &s, &rep, &err);
		if (r == 0) {
			check_loaded(s);
			state_store_close(s, true, NULL);
		} else {
			fuzz_require(err && *err, "a state inspect refuses has a message");
		}
		free(err);
		store_report_free(&rep);
		fuzz_require(unchanged("state.snap", snap_bytes, snap_len) && unchanged("state.log", log_bytes, log_len),
			     "inspecting changes nothing");
		free(snap_bytes);
		free(log_bytes);
		return 0;
	}
	free(snap_bytes);
	free(log_bytes);
	check_loaded(s);
	n = state_store_count(s);
	before = calloc(n ? n : 1, sizeof *before);
	fuzz_require(before != NULL, "out of memory");
	for (size_t i = 0; i < n; i++)
		fuzz_require(node_rec_copy(&before[i], state_store_node(s, i)) == 0, "a loaded node copies");
	meta = *state_store_meta(s);
	meta.slot_holder = meta.slot_holder ? strdup(meta.slot_holder) : NULL;

	/* A clean shutdown writes it all back; it must load the same. */
	if (state_store_close(s, true, &err) < 0)
		fuzz_fail(__FILE__, __LINE__, err ? err : "a loaded state cannot be written back");
	if (state_store_open(dir, &s, &err) < 0)
		fuzz_fail(__FILE__, __LINE__, err ? err : "a written-back state does not load");
	check_loaded(s);
	fuzz_require(state_store_count(s) == n, "as many nodes after writing back");
	for (size_t i = 0; i < n; i++) {
		const struct node_rec *r2 = state_store_find(s, before[i].key);
		fuzz_require(r2 && same_node(r2, &before[i]), "every node the same after writing back");
		node_rec_free(&before[i]);
	}
	fuzz_require(state_store_meta(s)->formed == meta.formed &&
			     fuzz_same(state_store_meta(s)->slot_holder, meta.slot_holder) &&
			     state_store_meta(s)->slot_granted_ms == meta.slot_granted_ms,
		     "the cluster facts the same after writing back");
	fuzz_require(state_store_open(dir, &second, &err) == -EBUSY && err, "a second controller is refused");
	free(err);
	state_store_close(s, false, NULL);
	free(meta.slot_holder);
	free(before);
	return 0;
}
