/* common/cc-buf: a buffer that grows as text is added, is always
 * NUL-terminated, and after one failed allocation stays failed so the
 * caller checks once at the end. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../tap.h"
#include "cc-buf.h"

static void test_growth(void)
{
	struct cc_buf b = CC_BUF_INIT;
	char *s;

	cc_buf_append(&b, "", 0);
	ok(b.buf && b.len == 0 && b.buf[0] == '\0', "an empty append still gives a terminated string");
	for (int i = 0; i < 1000; i++)
		cc_buf_printf(&b, "%03d,", i);
	ok(!b.oom && b.len == 4000 && b.cap > b.len && b.buf[b.len] == '\0',
	   "4000 bytes in small pieces: the capacity grew past them, NUL-terminated");
	ok(memcmp(b.buf, "000,001,", 8) == 0 && memcmp(b.buf + 3996, "999,", 4) == 0,
	   "and nothing was lost while it grew");
	cc_buf_free(&b);
	ok(b.buf == NULL && b.len == 0 && b.cap == 0, "free resets the buffer");

	cc_buf_puts(&b, "a\0b");
	cc_buf_append(&b, "c\0d", 3);
	ok(b.len == 4 && memcmp(b.buf, "ac\0d", 5) == 0, "puts stops at a NUL, append copies it");
	s = cc_buf_detach(&b);
	ok(s && memcmp(s, "ac\0d", 5) == 0 && b.buf == NULL, "detach hands the text over");
	free(s);

	s = cc_buf_detach(&b);
	is_str(s, "", "detach of an empty buffer is \"\", not NULL");
	free(s);

	{
		char big[5000];
		memset(big, 'x', sizeof big - 1);
		big[sizeof big - 1] = '\0';
		cc_buf_printf(&b, "<%s>", big);
		ok(!b.oom && b.len == sizeof big + 1 && b.buf[0] == '<' && b.buf[b.len - 1] == '>',
		   "one printf larger than any first guess");
		cc_buf_free(&b);
	}
}

static void test_oom(void)
{
	struct cc_buf b = CC_BUF_INIT;

	cc_buf_puts(&b, "kept");
	/* A length no allocation can hold: the size check trips, nothing is
	 * read from the (short) source. */
	cc_buf_append(&b, "x", SIZE_MAX - 2);
	ok(b.oom, "an append that cannot fit sets oom");
	ok(b.len == 4 && strcmp(b.buf, "kept") == 0, "and leaves the text as it was");
	cc_buf_puts(&b, "more");
	cc_buf_printf(&b, "%d", 42);
	ok(b.oom && b.len == 4, "later appends are ignored");
	ok(cc_buf_detach(&b) == NULL, "detach after oom gives NULL");
	ok(b.buf == NULL && !b.oom, "and frees and resets the buffer");
}

static void test_strdupf(void)
{
	char *s = cc_strdupf("%s=%d", "n", 7);
	is_str(s, "n=7", "cc_strdupf formats into a new string");
	free(s);
}

int main(void)
{
	test_growth();
	test_oom();
	test_strdupf();
	return done_testing();
}
