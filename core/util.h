/* Small helpers shared by every core module: a growable string buffer,
 * whole reads/writes, random bytes, durable file replacement. */
#ifndef CLUSTERCTL_UTIL_H
#define CLUSTERCTL_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "plugin-file.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* A growable, always NUL-terminated buffer.  After an allocation failure
 * `oom` is set and further appends are ignored, so callers check once. */
struct strbuf {
	char *buf;
	size_t len, cap;
	bool oom;
};
#define STRBUF_INIT {NULL, 0, 0, false}
void strbuf_append(struct strbuf *sb, const char *s, size_t n);
void strbuf_puts(struct strbuf *sb, const char *s);
void strbuf_printf(struct strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void strbuf_vprintf(struct strbuf *sb, const char *fmt, va_list ap);
/* Hand the buffer over (NULL after oom); the strbuf is reset. */
char *strbuf_detach(struct strbuf *sb);
void strbuf_free(struct strbuf *sb);

int write_all(int fd, const void *buf, size_t len);
/* Files: the same crash-safe helpers the plugins use (plugin-file.h). */
static inline int read_file(const char *path, size_t max, char **out, size_t *len)
{
	return cp_read_file(path, max, out, len);
}
static inline int write_file_atomic(const char *path, const void *data, size_t len, mode_t mode)
{
	return cp_write_file_atomic(path, data, len, mode);
}
static inline int fsync_dir_of(const char *path) { return cp_fsync_dir_of(path); }
static inline int mkdir_p(const char *path, mode_t mode) { return cp_mkdir_p(path, mode); }
/* Cryptographically random bytes (getrandom). */
int random_bytes(void *buf, size_t len);
/* Hex of len random bytes into a malloc'd string. */
char *random_hex(size_t len);

bool str_is_ipv4(const char *s);
/* Parse a decimal integer in [min, max]; -EINVAL / -ERANGE. */
int parse_ll(const char *s, long long min, long long max, long long *out);
/* "true/false/yes/no/on/off/1/0"; -EINVAL otherwise. */
int parse_bool(const char *s, bool *out);
/* Monotonic clock in milliseconds. */
int64_t now_ms(void);
char *xstrdup_or_null(const char *s);
/* printf into a new malloc'd string; NULL when out of memory. */
char *strdupf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
