#include "autoconfig.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cc-buf.h"
#include "cc-file.h"
#include "log.h"
#include "protocol.h"
#include "state-store.h"
#include "util.h"

#define LOG_MAGIC "CCLOG001"
#define SNAP_MAGIC "CCSNAP01"
#define HDR_LEN 16           /* magic + u64 generation */
#define REC_HDR 8            /* u32 length + u32 crc */
#define REC_MAX (1u << 20)   /* a record longer than this is corruption */
#define COMPACT_MIN_LOG (4u << 20)

enum { REC_NODE = 'N', REC_META = 'M', REC_END = 'E' };

struct state_store {
	char *dir;
	char *log_path, *snap_path;
	int lock_fd, log_fd;
	uint64_t log_gen, log_size, snap_size;
	struct node_rec **v;
	size_t n, cap;
	size_t *ht;          /* open addressing: index + 1, 0 empty */
	size_t ht_cap;
	unsigned managers, workers;
	struct cluster_meta meta;
	struct cc_buf wbuf;  /* records not yet written */
	bool poisoned;
};

/* ---- CRC-32C ---------------------------------------------------------- */

static uint32_t crc_table[256];

static void crc_init(void)
{
	if (crc_table[1])
		return;
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;
		for (int k = 0; k < 8; k++)
			c = c & 1 ? 0x82F63B78u ^ (c >> 1) : c >> 1;
		crc_table[i] = c;
	}
}

uint32_t crc32c(uint32_t crc, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	crc_init();
	crc = ~crc;
	while (len--)
		crc = crc_table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return ~crc;
}

/* ---- errors ----------------------------------------------------------- */

static int fail(char **err, int r, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(char **err, int r, const char *fmt, ...)
{
	struct cc_buf sb = CC_BUF_INIT;
	va_list ap;
	if (err) {
		va_start(ap, fmt);
		cc_buf_vprintf(&sb, fmt, ap);
		va_end(ap);
		free(*err);
		*err = cc_buf_detach(&sb);
	}
	return r;
}

/* ---- records ---------------------------------------------------------- */

static void put_u8(struct cc_buf *b, uint8_t v) { cc_buf_append(b, (const char *)&v, 1); }

static void put_u64(struct cc_buf *b, uint64_t v)
{
	char le[8];
	for (int i = 0; i < 8; i++)
		le[i] = (char)(v >> (8 * i));
	cc_buf_append(b, le, 8);
}

static void put_u32_at(char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (char)(v >> (8 * i));
}

static uint32_t get_u32_at(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put_str(struct cc_buf *b, const char *s)
{
	char len[4];
	if (!s) {
		put_u32_at(len, 0xffffffffu);
		cc_buf_append(b, len, 4);
		return;
	}
	put_u32_at(len, (uint32_t)strlen(s));
	cc_buf_append(b, len, 4);
	cc_buf_append(b, s, strlen(s));
}

/* Start a record; rec_end() fills in length and checksum. */
static size_t rec_begin(struct cc_buf *b, uint8_t type)
{
	size_t at = b->len;
	cc_buf_append(b, "\0\0\0\0\0\0\0\0", REC_HDR);
	put_u8(b, type);
	return at;
}

static void rec_end(struct cc_buf *b, size_t at)
{
	uint32_t len;
	if (b->oom)
		return;
	len = (uint32_t)(b->len - at - REC_HDR);
	put_u32_at(b->buf + at, len);
	put_u32_at(b->buf + at + 4, crc32c(0, b->buf + at + REC_HDR, len));
}

static const char *nz(const char *s) { return s ? s : ""; }

static void encode_node(struct cc_buf *b, const struct node_rec *r, const char *replaces)
{
	size_t at = rec_begin(b, REC_NODE);
	put_str(b, replaces);
	put_str(b, r->key);
	put_str(b, nz(r->node_id));
	put_str(b, nz(r->hostname));
	put_str(b, nz(r->ip));
	put_str(b, nz(r->os));
	put_str(b, nz(r->docker_version));
	put_str(b, nz(r->timestamp));
	put_u64(b, (uint64_t)r->cpu);
	put_u64(b, (uint64_t)r->memory);
	put_u8(b, r->requested_role);
	put_u8(b, r->assigned_role);
	put_u8(b, r->last_status);
	put_u8(b, (uint8_t)(r->gluster_capable | r->swarm_reported << 1 | r->swarm_control_available << 2));
	put_str(b, nz(r->swarm_node_id));
	put_str(b, nz(r->swarm_state));
	put_str(b, nz(r->swarm_cluster_id));
	put_u64(b, (uint64_t)r->first_seen_ms);
	put_u64(b, (uint64_t)r->last_seen_ms);
	put_u8(b, STORE_NSLOTS);
	for (int i = 0; i < STORE_NSLOTS; i++) {
		put_str(b, r->slot[i].plugin);
		put_str(b, r->slot[i].record);
	}
	rec_end(b, at);
}

static void encode_meta(struct cc_buf *b, const struct cluster_meta *m)
{
	size_t at = rec_begin(b, REC_META);
	put_u8(b, m->formed);
	put_str(b, m->slot_holder);
	put_u64(b, (uint64_t)m->slot_granted_ms);
	rec_end(b, at);
}

struct rd {
	const uint8_t *p;
	size_t left;
	bool bad;
};

static uint8_t get_u8(struct rd *r)
{
	if (r->left < 1) {
		r->bad = true;
		return 0;
	}
	r->left--;
	return *r->p++;
}

static uint64_t get_u64(struct rd *r)
{
	uint64_t v = 0;
	if (r->left < 8) {
		r->bad = true;
		return 0;
	}
	for (int i = 0; i < 8; i++)
		v |= (uint64_t)r->p[i] << (8 * i);
	r->p += 8;
	r->left -= 8;
	return v;
}

/* NULL for the "absent" marker and on error (r->bad tells them apart). */
static char *get_str(struct rd *r)
{
	uint32_t n;
	char *s;
	if (r->left < 4) {
		r->bad = true;
		return NULL;
	}
	n = get_u32_at(r->p);
	r->p += 4;
	r->left -= 4;
	if (n == 0xffffffffu)
		return NULL;
	if (n > r->left || memchr(r->p, '\0', n)) {
		r->bad = true;
		return NULL;
	}
	s = malloc((size_t)n + 1);
	if (!s) {
		r->bad = true;
		return NULL;
	}
	memcpy(s, r->p, n);
	s[n] = '\0';
	r->p += n;
	r->left -= n;
	return s;
}

static char *get_str_nn(struct rd *r)
{
	char *s = get_str(r);
	if (!s && !r->bad)
		r->bad = true; /* these fields are never absent */
	return s;
}

void node_rec_free(struct node_rec *r)
{
	if (!r)
		return;
	free(r->key);
	free(r->node_id);
	free(r->hostname);
	free(r->ip);
	free(r->os);
	free(r->docker_version);
	free(r->timestamp);
	free(r->swarm_node_id);
	free(r->swarm_state);
	free(r->swarm_cluster_id);
	for (int i = 0; i < STORE_NSLOTS; i++) {
		free(r->slot[i].plugin);
		free(r->slot[i].record);
	}
	memset(r, 0, sizeof *r);
}

static int decode_node(struct rd *d, struct node_rec *r, char **replaces)
{
	uint8_t flags, nslots;

	memset(r, 0, sizeof *r);
	*replaces = get_str(d);
	r->key = get_str_nn(d);
	r->node_id = get_str_nn(d);
	r->hostname = get_str_nn(d);
	r->ip = get_str_nn(d);
	r->os = get_str_nn(d);
	r->docker_version = get_str_nn(d);
	r->timestamp = get_str_nn(d);
	r->cpu = (int64_t)get_u64(d);
	r->memory = (int64_t)get_u64(d);
	r->requested_role = get_u8(d);
	r->assigned_role = get_u8(d);
	r->last_status = get_u8(d);
	flags = get_u8(d);
	r->gluster_capable = flags & 1;
	r->swarm_reported = flags & 2;
	r->swarm_control_available = flags & 4;
	r->swarm_node_id = get_str_nn(d);
	r->swarm_state = get_str_nn(d);
	r->swarm_cluster_id = get_str_nn(d);
	r->first_seen_ms = (int64_t)get_u64(d);
	r->last_seen_ms = (int64_t)get_u64(d);
	nslots = get_u8(d);
	for (int i = 0; i < nslots && !d->bad; i++) {
		char *p = get_str(d), *rec = get_str(d);
		if (i < STORE_NSLOTS) {
			r->slot[i].plugin = p;
			r->slot[i].record = rec;
		} else {
			free(p);
			free(rec);
		}
	}
	if (d->bad || d->left || r->requested_role > 1 || r->assigned_role > 1 || r->last_status > 2 ||
	    !*r->key) {
		node_rec_free(r);
		free(*replaces);
		*replaces = NULL;
		return -EINVAL;
	}
	return 0;
}

int node_rec_copy(struct node_rec *dst, const struct node_rec *src)
{
	struct cc_buf b = CC_BUF_INIT;
	struct rd d;
	char *replaces = NULL;
	int r;

	/* One code path for copying and for the disk format. */
	encode_node(&b, src, NULL);
	if (b.oom)
		return -ENOMEM;
	d.p = (const uint8_t *)b.buf + REC_HDR + 1;
	d.left = b.len - REC_HDR - 1;
	d.bad = false;
	r = decode_node(&d, dst, &replaces);
	free(replaces);
	cc_buf_free(&b);
	return r < 0 ? -ENOMEM : 0;
}

/* ---- index ------------------------------------------------------------ */

static uint64_t hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ull;
	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211ull;
	return h;
}

static ssize_t index_find(const struct state_store *s, const char *key)
{
	size_t i;
	if (!s->ht_cap)
		return -1;
	for (i = hash_str(key) & (s->ht_cap - 1); s->ht[i]; i = (i + 1) & (s->ht_cap - 1))
		if (strcmp(s->v[s->ht[i] - 1]->key, key) == 0)
			return (ssize_t)i;
	return -1;
}

static void index_insert(struct state_store *s, size_t idx)
{
	size_t i = hash_str(s->v[idx]->key) & (s->ht_cap - 1);
	while (s->ht[i])
		i = (i + 1) & (s->ht_cap - 1);
	s->ht[i] = idx + 1;
}

static int index_rebuild(struct state_store *s, size_t cap)
{
	size_t *ht = calloc(cap, sizeof *ht);
	if (!ht)
		return -ENOMEM;
	free(s->ht);
	s->ht = ht;
	s->ht_cap = cap;
	for (size_t i = 0; i < s->n; i++)
		index_insert(s, i);
	return 0;
}

static void count(struct state_store *s, const struct node_rec *r, int delta)
{
	unsigned *c = r->assigned_role == PROTO_ROLE_MANAGER ? &s->managers : &s->workers;
	*c = (unsigned)((int)*c + delta);
}

/* Take ownership of *rec (its fields move into the store). */
static int apply_node(struct state_store *s, struct node_rec *rec, const char *replaces)
{
	ssize_t slot;
	int r;

	if (replaces && strcmp(replaces, rec->key) != 0 && (slot = index_find(s, replaces)) >= 0) {
		/* Remove the old identity: move the last node into its place. */
		size_t idx = s->ht[slot] - 1;
		count(s, s->v[idx], -1);
		node_rec_free(s->v[idx]);
		free(s->v[idx]);
		s->v[idx] = s->v[--s->n];
		if ((r = index_rebuild(s, s->ht_cap)) < 0)
			return r;
	}
	slot = index_find(s, rec->key);
	if (slot >= 0) {
		struct node_rec *cur = s->v[s->ht[slot] - 1];
		count(s, cur, -1);
		node_rec_free(cur);
		*cur = *rec;
		memset(rec, 0, sizeof *rec);
		count(s, cur, +1);
		return 0;
	}
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 64;
		struct node_rec **v = realloc(s->v, cap * sizeof *v);
		if (!v)
			return -ENOMEM;
		s->v = v;
		s->cap = cap;
	}
	s->v[s->n] = malloc(sizeof **s->v);
	if (!s->v[s->n])
		return -ENOMEM;
	*s->v[s->n] = *rec;
	memset(rec, 0, sizeof *rec);
	s->n++;
	count(s, s->v[s->n - 1], +1);
	/* Keep the table at most half full. */
	if (s->n * 2 > s->ht_cap)
		return index_rebuild(s, s->ht_cap ? s->ht_cap * 2 : 128);
	index_insert(s, s->n - 1);
	return 0;
}

static void meta_set(struct cluster_meta *dst, bool formed, char *holder, int64_t granted)
{
	free(dst->slot_holder);
	dst->formed = formed;
	dst->slot_holder = holder;
	dst->slot_granted_ms = granted;
}

/* Apply one framed record's payload.  -EINVAL: not a valid record. */
static int apply_record(struct state_store *s, uint8_t type, const uint8_t *p, size_t len,
			uint64_t *end_count)
{
	struct rd d = {p, len, false};
	struct node_rec rec;
	char *replaces = NULL;
	int r;

	switch (type) {
	case REC_NODE:
		if (decode_node(&d, &rec, &replaces) < 0)
			return -EINVAL;
		r = apply_node(s, &rec, replaces);
		node_rec_free(&rec);
		free(replaces);
		return r;
	case REC_META: {
		uint8_t formed = get_u8(&d);
		char *holder = get_str(&d);
		uint64_t granted = get_u64(&d);
		if (d.bad || d.left || formed > 1) {
			free(holder);
			return -EINVAL;
		}
		meta_set(&s->meta, formed, holder, (int64_t)granted);
		return 0;
	}
	case REC_END:
		if (!end_count)
			return -EINVAL;
		*end_count = get_u64(&d);
		return d.bad || d.left ? -EINVAL : 0;
	}
	return -EINVAL;
}

/* Apply records from buf[off..len).  Returns the offset after the last
 * complete, valid record (the rest is a torn or corrupt tail); -ENOMEM
 * only on allocation failure.  *saw_end is set when an END record closed
 * the sequence with the right count. */
static ssize_t replay(struct state_store *s, const uint8_t *buf, size_t off, size_t len, bool *saw_end,
		      size_t *nrec)
{
	uint64_t end_count = 0;
	*nrec = 0;
	if (saw_end)
		*saw_end = false;
	while (len - off >= REC_HDR + 1) {
		uint32_t n = get_u32_at(buf + off), crc = get_u32_at(buf + off + 4);
		int r;
		if (n < 1 || n > REC_MAX || n > len - off - REC_HDR)
			break;
		if (crc32c(0, buf + off + REC_HDR, n) != crc)
			break;
		if (buf[off + REC_HDR] == REC_END) {
			if (!saw_end || apply_record(s, REC_END, buf + off + REC_HDR + 1, n - 1, &end_count) < 0)
				break;
			*saw_end = end_count == *nrec;
			off += REC_HDR + n;
			break;
		}
		r = apply_record(s, buf[off + REC_HDR], buf + off + REC_HDR + 1, n - 1, NULL);
		if (r == -ENOMEM)
			return r;
		if (r < 0)
			break;
		off += REC_HDR + n;
		(*nrec)++;
	}
	return (ssize_t)off;
}

/* ---- files ------------------------------------------------------------ */

static char *path_join(const char *dir, const char *name)
{
	struct cc_buf sb = CC_BUF_INIT;
	cc_buf_printf(&sb, "%s/%s", dir, name);
	return cc_buf_detach(&sb);
}

static void header(char out[HDR_LEN], const char *magic, uint64_t gen)
{
	memcpy(out, magic, 8);
	for (int i = 0; i < 8; i++)
		out[8 + i] = (char)(gen >> (8 * i));
}

static bool parse_header(const uint8_t *buf, size_t len, const char *magic, uint64_t *gen)
{
	struct rd d = {buf + 8, 8, false};
	if (len < HDR_LEN || memcmp(buf, magic, 8) != 0)
		return false;
	*gen = get_u64(&d);
	return true;
}

/* Write path durably under a fixed temporary name (so a crash leaves at
 * most that file, removed at the next open). */
static int write_durably(const char *path, const char *data, size_t len, char **err)
{
	char *tmp = cc_strdupf("%s.tmp", path);
	int r;

	if (!tmp)
		return fail(err, -ENOMEM, "out of memory");
	r = cc_write_file_atomic_via(path, tmp, data, len, 0600);
	if (r < 0)
		r = fail(err, r, "cannot write %s (through %s, fsync and rename): %s", path, tmp, strerror(-r));
	free(tmp);
	return r;
}

static int new_log(struct state_store *s, uint64_t gen, char **err)
{
	char hdr[HDR_LEN];
	int r, fd;

	header(hdr, LOG_MAGIC, gen);
	if ((r = write_durably(s->log_path, hdr, HDR_LEN, err)) < 0)
		return r;
	fd = open(s->log_path, O_WRONLY | O_APPEND | O_CLOEXEC);
	if (fd < 0)
		return fail(err, -errno, "cannot open %s: %s", s->log_path, strerror(errno));
	if (s->log_fd >= 0)
		close(s->log_fd);
	s->log_fd = fd;
	s->log_gen = gen;
	s->log_size = HDR_LEN;
	return 0;
}

static int take_lock(struct state_store *s, char **err)
{
	char *path = path_join(s->dir, "controller.lock"), pid[32];
	int r = 0;

	if (!path)
		return fail(err, -ENOMEM, "out of memory");
	s->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (s->lock_fd < 0) {
		r = fail(err, -errno, "cannot open %s: %s", path, strerror(errno));
		goto out;
	}
	if (flock(s->lock_fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno == EWOULDBLOCK) {
			ssize_t n = pread(s->lock_fd, pid, sizeof pid - 1, 0);
			pid[n > 0 ? n : 0] = '\0';
			pid[strcspn(pid, "\n")] = '\0';
			r = fail(err, -EBUSY,
				 "another controller (pid %s) is using the state directory %s; two "
				 "controllers must never write the same state: stop it first",
				 *pid ? pid : "unknown", s->dir);
		} else {
			r = fail(err, -errno, "cannot lock %s: %s", path, strerror(errno));
		}
		goto out;
	}
	snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
	if (ftruncate(s->lock_fd, 0) < 0 || pwrite(s->lock_fd, pid, strlen(pid), 0) < 0)
		r = fail(err, -errno, "cannot write %s: %s", path, strerror(errno));
out:
	free(path);
	return r;
}

static int load_snapshot(struct state_store *s, uint64_t *gen, char **err)
{
	char *buf = NULL;
	size_t len = 0, nrec;
	ssize_t end;
	bool complete;
	int r;

	*gen = 0;
	r = cc_read_file(s->snap_path, (size_t)1 << 30, &buf, &len);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return fail(err, r, "cannot read %s: %s", s->snap_path, strerror(-r));
	if (!parse_header((const uint8_t *)buf, len, SNAP_MAGIC, gen)) {
		/* The image is only ever renamed into place complete: a bad
		 * header is damage, not a crash, and guessing could replay
		 * the wrong log.  A person must look. */
		r = fail(err, -EINVAL, "%s is not a clusterctl state image (bad header); move it away "
				       "to start from the log alone",
			 s->snap_path);
		goto out;
	}
	end = replay(s, (const uint8_t *)buf, HDR_LEN, len, &complete, &nrec);
	if (end < 0) {
		r = fail(err, (int)end, "out of memory loading %s", s->snap_path);
		goto out;
	}
	if (!complete)
		log_error("state image %s is damaged after %zu complete records (byte %zd of %zu); "
			  "continuing with those",
			  s->snap_path, nrec, end, len);
	s->snap_size = len;
	r = 0;
out:
	free(buf);
	return r;
}

static int load_log(struct state_store *s, uint64_t snap_gen, char **err)
{
	char *buf = NULL;
	size_t len = 0, nrec;
	ssize_t end;
	uint64_t gen;
	int r;

	r = cc_read_file(s->log_path, (size_t)1 << 31, &buf, &len);
	if (r == -ENOENT)
		return new_log(s, snap_gen + 1, err);
	if (r < 0)
		return fail(err, r, "cannot read %s: %s", s->log_path, strerror(-r));
	if (!parse_header((const uint8_t *)buf, len, LOG_MAGIC, &gen)) {
		r = fail(err, -EINVAL, "%s is not a clusterctl state log (bad header); move it away "
				       "to start from the image alone",
			 s->log_path);
		goto out;
	}
	if (gen <= snap_gen) {
		/* A crash after the image was written and before the new log
		 * was started: the image already holds all of it. */
		r = new_log(s, snap_gen + 1, err);
		goto out;
	}
	end = replay(s, (const uint8_t *)buf, HDR_LEN, len, NULL, &nrec);
	if (end < 0) {
		r = fail(err, (int)end, "out of memory loading %s", s->log_path);
		goto out;
	}
	s->log_fd = open(s->log_path, O_WRONLY | O_APPEND | O_CLOEXEC);
	if (s->log_fd < 0) {
		r = fail(err, -errno, "cannot open %s: %s", s->log_path, strerror(errno));
		goto out;
	}
	if ((size_t)end < len) {
		/* A torn tail: the crash came before its fsync, so no node
		 * was ever told about it.  Cut it so appends follow valid
		 * records. */
		log_warn("dropping %zu bytes of an incomplete record at the end of %s (a crash during a "
			 "write); %zu records kept",
			 len - (size_t)end, s->log_path, nrec);
		if (ftruncate(s->log_fd, end) < 0 || fdatasync(s->log_fd) < 0) {
			r = fail(err, -errno, "cannot truncate %s: %s", s->log_path, strerror(errno));
			goto out;
		}
	}
	s->log_gen = gen;
	s->log_size = (uint64_t)end;
	r = 0;
out:
	free(buf);
	return r;
}

static void remove_tmp(const char *path)
{
	struct cc_buf sb = CC_BUF_INIT;
	cc_buf_printf(&sb, "%s.tmp", path);
	if (!sb.oom)
		unlink(sb.buf);
	cc_buf_free(&sb);
}

static void store_free(struct state_store *s)
{
	for (size_t i = 0; i < s->n; i++) {
		node_rec_free(s->v[i]);
		free(s->v[i]);
	}
	free(s->v);
	free(s->ht);
	meta_set(&s->meta, false, NULL, 0);
	cc_buf_free(&s->wbuf);
	if (s->log_fd >= 0)
		close(s->log_fd);
	if (s->lock_fd >= 0)
		close(s->lock_fd); /* releases the flock */
	free(s->log_path);
	free(s->snap_path);
	free(s->dir);
	free(s);
}

int state_store_open(const char *dir, struct state_store **out, char **err)
{
	struct state_store *s = calloc(1, sizeof *s);
	uint64_t snap_gen;
	int r;

	*out = NULL;
	if (!s)
		return fail(err, -ENOMEM, "out of memory");
	s->lock_fd = s->log_fd = -1;
	s->dir = strdup(dir);
	s->log_path = path_join(dir, "state.log");
	s->snap_path = path_join(dir, "state.snap");
	if (!s->dir || !s->log_path || !s->snap_path) {
		r = fail(err, -ENOMEM, "out of memory");
		goto fail;
	}
	if ((r = cc_mkdir_p(dir, 0700)) < 0) {
		r = fail(err, r, "cannot create the state directory %s: %s", dir, strerror(-r));
		goto fail;
	}
	/* The lock comes before any read or write of the state files. */
	if ((r = take_lock(s, err)) < 0)
		goto fail;
	remove_tmp(s->log_path);
	remove_tmp(s->snap_path);
	if ((r = load_snapshot(s, &snap_gen, err)) < 0 || (r = load_log(s, snap_gen, err)) < 0)
		goto fail;
	*out = s;
	return 0;
fail:
	store_free(s);
	return r;
}

size_t state_store_count(const struct state_store *s) { return s->n; }
const struct node_rec *state_store_node(const struct state_store *s, size_t i)
{
	return i < s->n ? s->v[i] : NULL;
}

const struct node_rec *state_store_find(const struct state_store *s, const char *key)
{
	ssize_t slot = index_find(s, key);
	return slot >= 0 ? s->v[s->ht[slot] - 1] : NULL;
}

ssize_t state_store_index(const struct state_store *s, const char *key)
{
	ssize_t slot = index_find(s, key);
	return slot >= 0 ? (ssize_t)(s->ht[slot] - 1) : -1;
}

void state_store_counts(const struct state_store *s, unsigned *managers, unsigned *workers)
{
	*managers = s->managers;
	*workers = s->workers;
}

const struct cluster_meta *state_store_meta(const struct state_store *s) { return &s->meta; }

int state_store_put_node(struct state_store *s, const struct node_rec *rec, const char *replaces)
{
	struct node_rec copy;
	size_t before = s->wbuf.len;
	int r;

	if (s->poisoned)
		return -EIO;
	if (!rec->key || !*rec->key)
		return -EINVAL;
	if ((r = node_rec_copy(&copy, rec)) < 0)
		return r;
	encode_node(&s->wbuf, rec, replaces);
	if (s->wbuf.oom) {
		node_rec_free(&copy);
		return -ENOMEM;
	}
	if ((r = apply_node(s, &copy, replaces)) < 0) {
		s->wbuf.len = before;
		node_rec_free(&copy);
		return r;
	}
	return 0;
}

int state_store_put_meta(struct state_store *s, const struct cluster_meta *m)
{
	char *holder = NULL;
	if (s->poisoned)
		return -EIO;
	if (m->slot_holder && !(holder = strdup(m->slot_holder)))
		return -ENOMEM;
	encode_meta(&s->wbuf, m);
	if (s->wbuf.oom) {
		free(holder);
		return -ENOMEM;
	}
	meta_set(&s->meta, m->formed, holder, m->slot_granted_ms);
	return 0;
}

bool state_store_dirty(const struct state_store *s) { return s->wbuf.len > 0; }

int state_store_write_queue(struct state_store *s, int *fd, char **err)
{
	int r;
	*fd = s->log_fd;
	if (s->poisoned)
		return fail(err, -EIO, "the state store failed earlier; restart the controller");
	if (!s->wbuf.len)
		return 0;
	if ((r = cc_write_all(s->log_fd, s->wbuf.buf, s->wbuf.len)) < 0) {
		s->poisoned = true;
		return fail(err, r, "cannot write %s: %s", s->log_path, strerror(-r));
	}
	s->log_size += s->wbuf.len;
	s->wbuf.len = 0;
	return 1;
}

int state_store_synced(struct state_store *s, int result, char **err)
{
	if (result == 0 && !s->poisoned)
		return 0;
	/* After a failed fsync the page cache may hold data the disk never
	 * got: nothing may be acknowledged from here on. */
	s->poisoned = true;
	return fail(err, result < 0 ? result : -EIO, "cannot sync %s: %s", s->log_path,
		    strerror(result < 0 ? -result : EIO));
}

int state_store_sync(struct state_store *s, char **err)
{
	int fd, r;
	if ((r = state_store_write_queue(s, &fd, err)) <= 0)
		return r;
	return state_store_synced(s, fdatasync(fd) < 0 ? -errno : 0, err);
}

uint64_t state_store_log_bytes(const struct state_store *s) { return s->log_size; }

/* A compaction's I/O, prepared on the loop and done wherever the caller
 * likes: the image and the empty log's header are made in memory, so the
 * thread that writes them touches nothing of the store. */
struct store_image {
	char *snap_path, *log_path;
	struct cc_buf snap;
	char log_hdr[HDR_LEN];
	uint64_t log_gen;
	int log_fd;                /* the new log, opened by image_write */
	int r;                     /* image_write's result */
	char *err;
};

static void image_free(struct store_image *img)
{
	if (!img)
		return;
	if (img->log_fd >= 0)
		close(img->log_fd);
	cc_buf_free(&img->snap);
	free(img->snap_path);
	free(img->log_path);
	free(img->err);
	free(img);
}

int state_store_compact_begin(struct state_store *s, bool force, struct store_image **out, char **err)
{
	struct store_image *img;
	size_t at;

	*out = NULL;
	if (s->poisoned)
		return fail(err, -EIO, "the state store failed earlier; restart the controller");
	if (!force && (s->log_size < COMPACT_MIN_LOG || s->log_size < s->snap_size))
		return 0;
	if (!(img = calloc(1, sizeof *img)))
		return fail(err, -ENOMEM, "out of memory writing the state image");
	img->log_fd = -1;
	img->log_gen = s->log_gen + 1;
	img->snap_path = strdup(s->snap_path);
	img->log_path = strdup(s->log_path);
	header(img->log_hdr, LOG_MAGIC, img->log_gen);
	{
		char hdr[HDR_LEN];
		header(hdr, SNAP_MAGIC, s->log_gen);
		cc_buf_append(&img->snap, hdr, HDR_LEN);
	}
	for (size_t i = 0; i < s->n; i++)
		encode_node(&img->snap, s->v[i], NULL);
	encode_meta(&img->snap, &s->meta);
	at = rec_begin(&img->snap, REC_END);
	put_u64(&img->snap, s->n + 1);
	rec_end(&img->snap, at);
	if (img->snap.oom || !img->snap_path || !img->log_path) {
		image_free(img);
		return fail(err, -ENOMEM, "out of memory writing the state image");
	}
	/* The image holds every queued record too: they are durable when it
	 * is, and are not written to the old log. */
	s->wbuf.len = 0;
	*out = img;
	return 1;
}

int state_store_image_write(struct store_image *img)
{
	int r = write_durably(img->snap_path, img->snap.buf, img->snap.len, &img->err);
	if (r == 0 && (r = write_durably(img->log_path, img->log_hdr, HDR_LEN, &img->err)) == 0 &&
	    (img->log_fd = open(img->log_path, O_WRONLY | O_APPEND | O_CLOEXEC)) < 0)
		r = fail(&img->err, -errno, "cannot open %s: %s", img->log_path, strerror(errno));
	return img->r = r;
}

int state_store_compact_finish(struct state_store *s, struct store_image *img, char **err)
{
	int r = img->r;

	if (r < 0) {
		/* The queued records went into the image only. */
		s->poisoned = true;
		fail(err, r, "%s", img->err ? img->err : strerror(-r));
	} else {
		if (s->log_fd >= 0)
			close(s->log_fd);
		s->log_fd = img->log_fd;
		img->log_fd = -1;
		s->log_gen = img->log_gen;
		s->log_size = HDR_LEN;
		s->snap_size = img->snap.len;
	}
	image_free(img);
	return r;
}

int state_store_compact(struct state_store *s, bool force, char **err)
{
	struct store_image *img;
	int r = state_store_compact_begin(s, force, &img, err);

	if (r <= 0) {
		if (r < 0)
			s->poisoned = true;
		return r;
	}
	state_store_image_write(img);
	return state_store_compact_finish(s, img, err);
}

int state_store_close(struct state_store *s, bool flush, char **err)
{
	int r = 0;
	if (!s)
		return 0;
	if (flush && !s->poisoned)
		r = state_store_compact(s, true, err);
	store_free(s);
	return r;
}
