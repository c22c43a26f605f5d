/* Small helpers shared by every core module: a growable string buffer,
 * whole reads/writes, random bytes, durable file replacement. */
#ifndef CLUSTERCTL_UTIL_H
#define CLUSTERCTL_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "cc-file.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* A growable, always NUL-terminated buffer.  After an allocation failure
 * `oom` is set and further appends are ignored, so callers check once. */
struct cc_buf {
	char *buf;
	size_t len, cap;
	bool oom;
};
#define CC_BUF_INIT {NULL, 0, 0, false}
void cc_buf_append(struct cc_buf *sb, const char *s, size_t n);
void cc_buf_puts(struct cc_buf *sb, const char *s);
void cc_buf_printf(struct cc_buf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void cc_buf_vprintf(struct cc_buf *sb, const char *fmt, va_list ap);
/* Hand the buffer over (NULL after oom); the strbuf is reset. */
char *cc_buf_detach(struct cc_buf *sb);
void cc_buf_free(struct cc_buf *sb);

int cc_write_all(int fd, const void *buf, size_t len);
/* Files: the same crash-safe helpers the plugins use (plugin-file.h). */
static inline int cc_read_file(const char *path, size_t max, char **out, size_t *len)
{
	return cc_read_file(path, max, out, len);
}
static inline int cc_write_file_atomic(const char *path, const void *data, size_t len, mode_t mode)
{
	return cc_write_file_atomic(path, data, len, mode);
}
static inline int cc_fsync_dir_of(const char *path) { return cc_fsync_dir_of(path); }
static inline int cc_mkdir_p(const char *path, mode_t mode) { return cc_mkdir_p(path, mode); }
/* Cryptographically random bytes (getrandom). */
int random_bytes(void *buf, size_t len);
/* Hex of len random bytes into a malloc'd string. */
char *random_hex(size_t len);

bool cc_ipv4_valid(const char *s);
/* Parse a decimal integer in [min, max]; -EINVAL / -ERANGE. */
int parse_ll(const char *s, long long min, long long max, long long *out);
/* "true/false/yes/no/on/off/1/0"; -EINVAL otherwise. */
int parse_bool(const char *s, bool *out);
/* Monotonic clock in milliseconds. */
int64_t now_ms(void);
char *xstrdup_or_null(const char *s);
/* printf into a new malloc'd string; NULL when out of memory. */
char *cc_strdupf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
