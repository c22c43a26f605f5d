/* Retry pacing for node join: capped exponential backoff with full
 * jitter, never sooner than the controller's RetryAfter, never past the
 * deadline. */
#ifndef CLUSTERCTL_BACKOFF_H
#define CLUSTERCTL_BACKOFF_H

#include <stdint.h>

struct backoff {
	int64_t base_ms, cap_ms;
	unsigned attempt;
	uint64_t rng; /* xorshift state; seeded from getrandom */
};

void backoff_init(struct backoff *b, int64_t base_ms, int64_t cap_ms);
/* Delay before the next try: uniform in [0, min(cap, base*2^attempt)],
 * raised to retry_after_s*1000 when the controller asked for that, and
 * clipped so it does not pass deadline_ms (absolute, cc_mono_ms() clock);
 * -1 when the deadline has passed. */
int64_t backoff_next(struct backoff *b, unsigned retry_after_s, int64_t now, int64_t deadline);
void backoff_reset(struct backoff *b);

#endif
