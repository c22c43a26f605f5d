#include "autoconfig.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

static void strbuf_grow(struct cc_buf *sb, size_t extra)
{
	size_t need, cap;
	char *nb;

	if (sb->oom)
		return;
	if (extra > SIZE_MAX - sb->len - 1) {
		sb->oom = true;
		return;
	}
	need = sb->len + extra + 1;
	if (need <= sb->cap)
		return;
	cap = sb->cap ? sb->cap : 64;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	nb = realloc(sb->buf, cap);
	if (!nb) {
		sb->oom = true;
		return;
	}
	sb->buf = nb;
	sb->cap = cap;
}

void cc_buf_append(struct cc_buf *sb, const char *s, size_t n)
{
	strbuf_grow(sb, n);
	if (sb->oom)
		return;
	memcpy(sb->buf + sb->len, s, n);
	sb->len += n;
	sb->buf[sb->len] = '\0';
}

void cc_buf_puts(struct cc_buf *sb, const char *s) { cc_buf_append(sb, s, strlen(s)); }

void cc_buf_vprintf(struct cc_buf *sb, const char *fmt, va_list ap)
{
	va_list ap2;
	int n;

	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0) {
		sb->oom = true;
		return;
	}
	strbuf_grow(sb, (size_t)n);
	if (sb->oom)
		return;
	vsnprintf(sb->buf + sb->len, (size_t)n + 1, fmt, ap);
	sb->len += (size_t)n;
}

void cc_buf_printf(struct cc_buf *sb, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	cc_buf_vprintf(sb, fmt, ap);
	va_end(ap);
}

char *cc_buf_detach(struct cc_buf *sb)
{
	char *r = NULL;
	if (!sb->oom) {
		r = sb->buf ? sb->buf : strdup("");
		sb->buf = NULL;
	}
	cc_buf_free(sb);
	return r;
}

void cc_buf_free(struct cc_buf *sb)
{
	free(sb->buf);
	sb->buf = NULL;
	sb->len = sb->cap = 0;
	sb->oom = false;
}

int cc_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	while (len) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int random_bytes(void *buf, size_t len)
{
	char *p = buf;
	while (len) {
		ssize_t n = getrandom(p, len, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

char *random_hex(size_t len)
{
	unsigned char *raw = malloc(len);
	char *hex = malloc(len * 2 + 1);

	if (!raw || !hex || random_bytes(raw, len) < 0) {
		free(raw);
		free(hex);
		return NULL;
	}
	for (size_t i = 0; i < len; i++)
		snprintf(hex + 2 * i, 3, "%02x", raw[i]);
	free(raw);
	return hex;
}

bool cc_ipv4_valid(const char *s)
{
	struct in_addr a;
	return s && inet_pton(AF_INET, s, &a) == 1;
}

int parse_ll(const char *s, long long min, long long max, long long *out)
{
	char *end;
	long long v;

	if (!s || !*s)
		return -EINVAL;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (*end || end == s)
		return -EINVAL;
	if (errno == ERANGE || v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

int parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = {"true", "yes", "on", "1"};
	static const char *const no[] = {"false", "no", "off", "0"};
	for (size_t i = 0; s && i < ARRAY_SIZE(yes); i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = true;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*out = false;
			return 0;
		}
	}
	return -EINVAL;
}

int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

char *xstrdup_or_null(const char *s) { return s ? strdup(s) : NULL; }

char *cc_strdupf(const char *fmt, ...)
{
	struct cc_buf sb = CC_BUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	cc_buf_vprintf(&sb, fmt, ap);
	va_end(ap);
	return cc_buf_detach(&sb);
}
