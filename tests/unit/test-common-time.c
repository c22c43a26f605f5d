/* common/cc-time: the monotonic and wall clocks in milliseconds, and the
 * time left until a deadline, ready for poll(). */
#include <limits.h>
#include <time.h>

#include "../tap.h"
#include "cc-time.h"

int main(void)
{
	int64_t a = cc_mono_ms(), ns = cc_mono_ns(), b;
	struct timespec ten = {0, 10 * 1000000L};
	int64_t wall = cc_wall_ms();
	time_t t = time(NULL);

	ok(ns / 1000000 >= a && ns / 1000000 - a < 1000, "ms and ns read the same clock");
	nanosleep(&ten, NULL);
	b = cc_mono_ms();
	ok(b >= a + 10, "the monotonic clock moved past a 10 ms sleep");
	ok(wall / 1000 >= (int64_t)t - 1 && wall / 1000 <= (int64_t)t + 1, "the wall clock is time(2) in ms");
	is_int(cc_remaining_ms(b - 5000), 0, "a deadline that passed leaves 0, not a negative poll timeout");
	ok(cc_remaining_ms(cc_mono_ms() + 60000) > 59000, "a deadline a minute ahead leaves about a minute");
	is_int(cc_remaining_ms(INT64_MAX / 2), INT_MAX, "a far deadline is clamped to INT_MAX");
	return done_testing();
}
