/* A tiny TAP producer for C tests: ok/not ok lines the automake TAP
 * driver counts.  Usage:
 *     plan(3);  ok(x == 1, "x is one");  is_int(a, b, "...");  return done_testing();
 */
#ifndef CLUSTERCTL_TEST_TAP_H
#define CLUSTERCTL_TEST_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int tap_n, tap_failed, tap_planned = -1;

static inline void plan(int n)
{
	tap_planned = n;
	printf("1..%d\n", n);
}

static inline int ok_(int cond, const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static inline int ok_(int cond, const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	tap_n++;
	printf("%s %d - ", cond ? "ok" : "not ok", tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (!cond) {
		tap_failed++;
		printf("#   failed at %s:%d\n", file, line);
	}
	fflush(stdout);
	return cond;
}
#define ok(cond, ...) ok_(!!(cond), __FILE__, __LINE__, __VA_ARGS__)

#define is_int(got, want, ...)                                                                     \
	do {                                                                                       \
		long long g_ = (long long)(got), w_ = (long long)(want);                           \
		if (!ok(g_ == w_, __VA_ARGS__))                                                    \
			printf("#   got %lld, want %lld\n", g_, w_);                                  \
	} while (0)

#define is_str(got, want, ...)                                                                     \
	do {                                                                                       \
		const char *g_ = (got), *w_ = (want);                                              \
		if (!ok(g_ && w_ ? strcmp(g_, w_) == 0 : g_ == w_, __VA_ARGS__))                   \
			printf("#   got \"%s\", want \"%s\"\n", g_ ? g_ : "(null)", w_ ? w_ : "(null)"); \
	} while (0)

#define like(got, needle, ...)                                                                     \
	do {                                                                                       \
		const char *g_ = (got), *n_ = (needle);                                            \
		if (!ok(g_ && strstr(g_, n_), __VA_ARGS__))                                        \
			printf("#   \"%s\" does not contain \"%s\"\n", g_ ? g_ : "(null)", n_);       \
	} while (0)

static inline void diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static inline void diag(const char *fmt, ...)
{
	va_list ap;
	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

/* Skip one test point the environment cannot run (reported as SKIP,
 * never as a pass); say which environment and why. */
static inline void skip(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static inline void skip(const char *fmt, ...)
{
	va_list ap;
	tap_n++;
	printf("ok %d # SKIP ", tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

/* Skip the whole file: a skip never passes silently under CI. */
static inline int skip_all(const char *why)
{
	const char *ci = getenv("CI");
	if (ci && strcmp(ci, "true") == 0) {
		printf("Bail out! required for CI but unavailable: %s\n", why);
		return 99;
	}
	printf("1..0 # SKIP %s\n", why);
	return 0;
}

static inline int done_testing(void)
{
	if (tap_planned < 0)
		printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}

#endif
