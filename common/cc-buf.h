/* A growable, always NUL-terminated string buffer, and printf into a new
 * string.  The one copy for the core and the plugins (libc only).
 *
 * Everything in common/ carries the cc_ prefix: a library the program
 * links may export a plain name of its own (libconfig has a
 * strbuf_append), and the dynamic linker would bind its calls to ours. */
#ifndef CLUSTERCTL_CC_BUF_H
#define CLUSTERCTL_CC_BUF_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

/* After an allocation failure `oom` is set and further appends are
 * ignored, so a caller builds the whole text and checks once. */
struct cc_buf {
	char *buf;
	size_t len, cap;
	bool oom;
};
#define CC_BUF_INIT {NULL, 0, 0, false}

void cc_buf_append(struct cc_buf *b, const void *s, size_t n);
void cc_buf_puts(struct cc_buf *b, const char *s);
void cc_buf_printf(struct cc_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void cc_buf_vprintf(struct cc_buf *b, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
/* Hand the text over ("" for an empty buffer; NULL after oom); the buffer
 * is reset either way. */
char *cc_buf_detach(struct cc_buf *b);
void cc_buf_free(struct cc_buf *b);

/* printf into a new malloc'd string; NULL when out of memory. */
char *cc_strdupf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *cc_vstrdupf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

#endif
