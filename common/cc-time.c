/* Clocks; see cc-time.h. */
#include <limits.h>
#include <time.h>

#include "cc-time.h"

/* clock_gettime cannot fail for these two clocks on Linux. */
int64_t cc_mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t cc_mono_ms(void) { return cc_mono_ns() / 1000000; }

int64_t cc_wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int cc_remaining_ms(int64_t deadline)
{
	int64_t left = deadline - cc_mono_ms();
	return left < 0 ? 0 : left > INT_MAX ? INT_MAX : (int)left;
}
