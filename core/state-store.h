/* The controller's durable state under --state-dir.
 *
 * Files:
 *   controller.lock  flock()ed for the controller's lifetime (holds its pid)
 *   state.snap       a full image: header, one record per node, the
 *                    cluster record, an end record with the count
 *   state.log        append-only records written since that image
 *   state.{snap,log}.<why>-<UTC time>
 *                    earlier files kept by a format migration ("format1")
 *                    or by `clusterctl state salvage` ("salvaged")
 * Each file starts with a magic that names it and its format (STORE_FORMAT;
 * format 1, before the version had a record of its own, is read and
 * migrated) and a generation.  Every record is framed as
 * u32 length | u32 crc32c | u8 type | payload.  A bad record in the log
 * that runs to the end of the file, with nothing that verifies after it,
 * is a torn tail (a crash during a write whose fdatasync never returned,
 * so never acknowledged): it is dropped.  Anything else that does not
 * verify -- a bad record before the end of the log, any damage in an
 * image -- is damage: master serve refuses to start and changes nothing,
 * and `clusterctl state check|dump|salvage` (state-tool.c) inspect and
 * recover.  A snapshot names the generation it covers, so a crash between
 * writing an image and starting a fresh log never replays twice.
 *
 * Every start writes a new generation (an image of what was loaded and an
 * empty log, each renamed into place): a restart never appends to a file
 * an earlier run wrote, whose pages a failed fsync may have lost.
 *
 * Writes are buffered: state_store_put_*() change memory and queue a
 * record; state_store_sync() writes the queue and fdatasync()s once for
 * the whole batch.  A response may be sent once the sync returned. */
#ifndef CLUSTERCTL_STATE_STORE_H
#define CLUSTERCTL_STATE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define STORE_MAX_PLUGIN_RECORD (16u * 1024) /* bytes of a plugin's record_json */
enum { STORE_SLOT_OVERLAY = 0, STORE_SLOT_STORAGE = 1, STORE_NSLOTS = 2 };

/* One node.  Strings are never NULL in a stored record ("" when absent),
 * except plugin records (NULL: none). */
struct node_rec {
	char *key;            /* "id:<NodeID>" or "host:<Hostname>" */
	char *node_id, *hostname, *ip, *os, *docker_version, *timestamp;
	int64_t cpu, memory;  /* -1: unknown */
	uint8_t requested_role, assigned_role; /* enum proto_role */
	uint8_t last_status;  /* enum proto_status of the last answer */
	bool gluster_capable;
	bool swarm_reported, swarm_control_available;
	char *swarm_node_id, *swarm_state, *swarm_cluster_id;
	int64_t first_seen_ms, last_seen_ms; /* wall clock */
	struct {
		char *plugin;     /* provider name the record belongs to */
		char *record;     /* opaque JSON text */
	} slot[STORE_NSLOTS];
};

struct cluster_meta {
	bool formed;
	char *slot_holder;       /* NULL: free */
	int64_t slot_granted_ms;
};

struct state_store;

/* The format this version writes; it reads 1 to STORE_FORMAT. */
#define STORE_FORMAT 2

/* What loading found, file by file (`clusterctl state check`). */
struct store_damage {
	uint64_t offset, length; /* bytes that do not verify (length 0: something missing at offset) */
	char *why;
};
struct store_file_report {
	bool present;
	unsigned format;           /* 0: the header is not a state file's */
	uint64_t generation, bytes, records;
	char *writer;              /* "clusterctl X" (format 2 on), else NULL */
	int64_t written_ms;
	bool replayed;             /* log: newer than the image, so applied */
	uint64_t torn_at, torn_bytes; /* log: an unfinished last write (torn_bytes 0: none) */
	size_t ndamage;
	struct store_damage *damage;
	uint64_t dropped_bytes;
};
struct store_report {
	struct store_file_report snap, log;
	char *kept[2];             /* where a migration or salvage kept the old image and log */
	bool cluster_record;       /* a cluster record (formed, manager slot) verified */
};
void store_report_free(struct store_report *rep);

enum store_mode {
	STORE_SERVE,   /* lock, refuse damage, migrate, start a new generation */
	STORE_INSPECT, /* read only, no lock: load every record that verifies */
	STORE_SALVAGE, /* lock, load every record that verifies, keep the old
			* files aside, start a new generation from what loaded */
};

/* Open in a mode; *rep (may be NULL) gets what loading found, also when
 * INSPECT or SALVAGE fail after reading.  Damage is -EBADMSG in SERVE
 * mode only; a newer format than STORE_FORMAT is -EPROTONOSUPPORT in
 * every mode. */
int state_store_open_mode(const char *dir, enum store_mode mode, struct state_store **out,
			  struct store_report *rep, char **err);

/* Lock dir (refusing when another controller holds it), load the image
 * and replay the log, start a new generation.  -EBUSY when locked by
 * someone else; -EBADMSG for damage (the files are left as they are). */
int state_store_open(const char *dir, struct state_store **out, char **err);
/* flush: sync, write a fresh image and reset the log (a clean shutdown).
 * Without flush the files are left as they are, like a crash would. */
int state_store_close(struct state_store *s, bool flush, char **err);

size_t state_store_count(const struct state_store *s);
const struct node_rec *state_store_node(const struct state_store *s, size_t i);
const struct node_rec *state_store_find(const struct state_store *s, const char *key);
/* Position of key for state_store_node(), -1 when absent. */
ssize_t state_store_index(const struct state_store *s, const char *key);
/* Nodes by assigned role. */
void state_store_counts(const struct state_store *s, unsigned *managers, unsigned *workers);
const struct cluster_meta *state_store_meta(const struct state_store *s);

/* Insert or replace the node with rec->key (a deep copy is kept).  With
 * replaces != NULL the record under that other key is removed in the
 * same record (a node that first came without a NodeID). */
int state_store_put_node(struct state_store *s, const struct node_rec *rec, const char *replaces);
int state_store_put_meta(struct state_store *s, const struct cluster_meta *m);
/* Forget the node with key for good (clusterctl node remove), durably at
 * once: the log has no record for a deletion, so the whole state is
 * written as a fresh image (O(n), an admin's rare act).  The manager slot
 * it held is freed with it.  Only while no fdatasync is in flight (it
 * replaces the log, as compaction does).  -ENOENT when there is none. */
int state_store_forget_node(struct state_store *s, const char *key, char **err);
/* A write failed earlier: memory no longer matches the disk. */
bool state_store_poisoned(const struct state_store *s);
/* Bytes queued but not yet durable. */
bool state_store_dirty(const struct state_store *s);
/* Write the queue and fdatasync once.  After a failure the store is
 * poisoned (every later call fails): memory no longer matches disk. */
int state_store_sync(struct state_store *s, char **err);
/* The same in two halves, for an fdatasync on another thread: write the
 * queue and hand back the fd to sync (1; 0 when nothing was queued, so
 * nothing needs a sync); nothing may change the log files until the sync
 * is reported.  Then report the sync's result (0 or -errno), which
 * poisons the store on failure. */
int state_store_write_queue(struct state_store *s, int *fd, char **err);
int state_store_synced(struct state_store *s, int result, char **err);
/* Write a fresh image and start an empty log when the log has grown
 * past its threshold (or always with force). */
int state_store_compact(struct state_store *s, bool force, char **err);
/* The same in three steps, for doing its I/O on another thread.  begin:
 * when due (or forced), the image of what is in memory, queued records
 * included (the queue is emptied: they become durable with the image),
 * in *img: 1; 0 when not due.  Nothing may write the log from then until
 * finish.  image_write (any thread): writes the image and a fresh log,
 * durably; touches nothing but img; 0 or -errno.  finish: adopts the new
 * log, or poisons the store when image_write failed; frees img. */
struct store_image;
int state_store_compact_begin(struct state_store *s, bool force, struct store_image **img, char **err);
int state_store_image_write(struct store_image *img);
int state_store_compact_finish(struct state_store *s, struct store_image *img, char **err);
/* Bytes in the log file (tests, compaction policy). */
uint64_t state_store_log_bytes(const struct state_store *s);

void node_rec_free(struct node_rec *r);
int node_rec_copy(struct node_rec *dst, const struct node_rec *src);

/* CRC-32C (Castagnoli), exported for tests. */
uint32_t crc32c(uint32_t crc, const void *buf, size_t len);

#endif
