/* What a client may hold before it is authenticated (core/conn-limit.c):
 * connections per source address, and the shared budget for unfinished
 * requests beyond each connection's own allowance. */
#include "autoconfig.h"

#include <stdlib.h>

#include "../tap.h"
#include "conn-limit.h"

#define A 0xc0000201u /* 192.0.2.1 */
#define B 0xc0000202u

static void test_sources(void)
{
	struct source_limit l;
	int taken = 0;

	ok(source_limit_init(&l, 3) == 0, "a limit of 3 per address");
	for (int i = 0; i < 5; i++)
		taken += source_limit_take(&l, A);
	is_int(taken, 3, "an address gets 3 connections, not 5");
	is_int(source_limit_count(&l, A), 3, "and holds 3");
	ok(source_limit_take(&l, B), "another address is not affected");
	source_limit_put(&l, A);
	ok(source_limit_take(&l, A), "a closed connection frees a place");
	for (int i = 0; i < 3; i++)
		source_limit_put(&l, A);
	is_int(source_limit_count(&l, A), 0, "all closed: nothing is counted");
	source_limit_put(&l, A);
	is_int(source_limit_count(&l, A), 0, "a put too many changes nothing");
	for (uint32_t ip = 1; ip <= 10000; ip++)
		source_limit_take(&l, 0x0a000000u + ip);
	is_int(source_limit_count(&l, 0x0a000000u + 7777), 1, "10,000 addresses are counted apart");
	source_limit_free(&l);

	ok(source_limit_init(&l, 0) == 0, "0: no limit");
	for (int i = 0; i < 1000; i++)
		taken += source_limit_take(&l, A);
	is_int(source_limit_count(&l, A), 1000, "1,000 from one address");
	source_limit_free(&l);
}

static void test_budget(void)
{
	struct preauth_budget b = {.max = 100, .free_each = 10};
	size_t h1 = 0, h2 = 0, h3 = 0;

	ok(preauth_update(&b, &h1, 10), "a connection's own allowance is free");
	is_int(b.shared, 0, "and draws nothing from the shared budget");
	ok(preauth_update(&b, &h1, 70), "beyond it the shared budget pays");
	is_int(b.shared, 60, "60 of 100");
	ok(!preauth_update(&b, &h2, 60), "a second one that would take it past 100 is refused");
	is_int(h2, 0, "and nothing changes for it");
	is_int(b.shared, 60, "nor for the budget");
	ok(preauth_update(&b, &h3, 10), "a small request still fits while the budget is spent");
	ok(preauth_update(&b, &h1, 0), "a finished request gives its bytes back");
	is_int(b.shared, 0, "all of them");
	ok(preauth_update(&b, &h2, 60), "then the refused size fits");
	preauth_release(&b, &h2);
	is_int(b.shared, 0, "a closed connection releases what it held");
	is_int(h2, 0, "and holds nothing");
}

int main(void)
{
	test_sources();
	test_budget();
	return done_testing();
}
