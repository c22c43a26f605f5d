/* String buffers; see cc-buf.h. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cc-buf.h"

/* Room for `extra` more bytes and the NUL, doubling; sets oom instead of
 * overflowing a size_t. */
static void grow(struct cc_buf *b, size_t extra)
{
	size_t need, cap;
	char *nb;

	if (b->oom)
		return;
	if (extra > SIZE_MAX - b->len - 1) {
		b->oom = true;
		return;
	}
	need = b->len + extra + 1;
	if (need <= b->cap)
		return;
	cap = b->cap ? b->cap : 64;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	nb = realloc(b->buf, cap);
	if (!nb) {
		b->oom = true;
		return;
	}
	b->buf = nb;
	b->cap = cap;
}

void cc_buf_append(struct cc_buf *b, const void *s, size_t n)
{
	grow(b, n);
	if (b->oom)
		return;
	if (n)
		memcpy(b->buf + b->len, s, n);
	b->len += n;
	b->buf[b->len] = '\0';
}

void cc_buf_puts(struct cc_buf *b, const char *s) { cc_buf_append(b, s, strlen(s)); }

void cc_buf_vprintf(struct cc_buf *b, const char *fmt, va_list ap)
{
	va_list ap2;
	int n;

	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0) {
		b->oom = true;
		return;
	}
	grow(b, (size_t)n);
	if (b->oom)
		return;
	vsnprintf(b->buf + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
}

void cc_buf_printf(struct cc_buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	cc_buf_vprintf(b, fmt, ap);
	va_end(ap);
}

char *cc_buf_detach(struct cc_buf *b)
{
	char *r = NULL;
	if (!b->oom) {
		r = b->buf ? b->buf : strdup("");
		b->buf = NULL;
	}
	cc_buf_free(b);
	return r;
}

void cc_buf_free(struct cc_buf *b)
{
	free(b->buf);
	b->buf = NULL;
	b->len = b->cap = 0;
	b->oom = false;
}

char *cc_vstrdupf(const char *fmt, va_list ap)
{
	struct cc_buf b = CC_BUF_INIT;
	cc_buf_vprintf(&b, fmt, ap);
	return cc_buf_detach(&b);
}

char *cc_strdupf(const char *fmt, ...)
{
	va_list ap;
	char *s;
	va_start(ap, fmt);
	s = cc_vstrdupf(fmt, ap);
	va_end(ap);
	return s;
}
