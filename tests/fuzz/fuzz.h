/* Fuzz targets: one per parser of outside input (DEVELOPERS.md,
 * "Fuzzing").  Each tests/fuzz/fuzz-NAME.c defines the libFuzzer entry
 * point for one parser and is linked two ways:
 *   - with libFuzzer (./configure CC=clang --enable-fuzzing; make fuzz),
 *     which mutates tests/fuzz/corpus/NAME/ under ASan and UBSan;
 *   - with fuzz-replay.c in every other build, which runs the target
 *     over that corpus in `make check`, so every seed and every past
 *     finding stays a regression test without clang.
 * A target feeds its parser the bytes as they came (an exact-size copy,
 * so a read past the end is caught), frees everything, and checks what
 * must hold whatever the input: fuzz_require() aborts, which both
 * drivers report as a failure. */
#ifndef CLUSTERCTL_FUZZ_H
#define CLUSTERCTL_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
/* Optional, once before the first input (both drivers call it). */
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* The sanitizers' reporter writes where libFuzzer sends its reports even
 * when the target's stderr is closed (-close_fd_mask); absent in a build
 * without sanitizers, where stderr is the log. */
void __sanitizer_report_error_summary(const char *summary) __attribute__((weak));

static inline void fuzz_fail(const char *file, int line, const char *what)
{
	char msg[512];
	snprintf(msg, sizeof msg, "%s:%d: invariant broken: %s", file, line, what);
	if (__sanitizer_report_error_summary)
		__sanitizer_report_error_summary(msg);
	else
		fprintf(stderr, "%s\n", msg);
	abort();
}

#define fuzz_require(cond, what)                                                                   \
	do {                                                                                       \
		if (!(cond))                                                                       \
			fuzz_fail(__FILE__, __LINE__, what);                                       \
	} while (0)

/* libconfig 1.5 (Debian 12) leaks its string buffer when a file has a
 * syntax error right after a string ("listen \"= 1\";": 64 bytes, all
 * allocated inside libconfig).  Not ours to fix, and harmless in a
 * program that exits on a bad file; targets that load configuration
 * files tell LeakSanitizer to ignore leaks from inside libconfig, and
 * only those. */
#define FUZZ_IGNORE_LIBCONFIG_LEAKS                                                                \
	const char *__lsan_default_suppressions(void);                                             \
	const char *__lsan_default_suppressions(void) { return "leak:libconfig.so\n"; }

/* Text that may be quoted to a person or written into a log line: a
 * string with no control byte (below 0x20, or DEL). */
static inline bool fuzz_clean(const char *s)
{
	if (!s)
		return false;
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
	return true;
}

/* An optional text: absent, or clean and at most max bytes. */
static inline bool fuzz_clean_or_null(const char *s, size_t max)
{
	return !s || (strlen(s) <= max && fuzz_clean(s));
}

/* The same string, or both absent. */
static inline bool fuzz_same(const char *a, const char *b)
{
	return a && b ? strcmp(a, b) == 0 : a == b;
}

/* The input as a NUL-terminated string of exactly size+1 bytes (for
 * parsers that take C strings; an embedded NUL simply ends it there). */
static inline char *fuzz_strdup(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	fuzz_require(s != NULL, "out of memory");
	if (size)
		memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

/* The input as exactly size bytes, nothing after them: a parser that
 * takes (buf, len) and reads buf[len] is caught by ASan. */
static inline char *fuzz_memdup(const uint8_t *data, size_t size)
{
	char *s = malloc(size ? size : 1);
	fuzz_require(s != NULL, "out of memory");
	if (size)
		memcpy(s, data, size);
	return s;
}

/* Structured inputs are cut into pieces: a little-endian u16 length, then
 * that many bytes (fewer when the input ends first).  Returns 0 when
 * nothing is left. */
struct fuzz_cursor {
	const uint8_t *p;
	size_t left;
};

static inline int fuzz_next_piece(struct fuzz_cursor *c, const uint8_t **piece, size_t *len)
{
	size_t n;
	if (c->left < 2)
		return 0;
	n = (size_t)c->p[0] | (size_t)c->p[1] << 8;
	c->p += 2;
	c->left -= 2;
	if (n > c->left)
		n = c->left;
	*piece = c->p;
	*len = n;
	c->p += n;
	c->left -= n;
	return 1;
}

static inline uint8_t fuzz_byte(struct fuzz_cursor *c)
{
	uint8_t b;
	if (!c->left)
		return 0;
	b = c->p[0];
	c->p++;
	c->left--;
	return b;
}

#endif
