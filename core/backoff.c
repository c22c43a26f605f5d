#include "autoconfig.h"

#include "backoff.h"
#include "cc-time.h"
#include "util.h"

void backoff_init(struct backoff *b, int64_t base_ms, int64_t cap_ms)
{
	b->base_ms = base_ms > 0 ? base_ms : 1;
	b->cap_ms = cap_ms > b->base_ms ? cap_ms : b->base_ms;
	b->attempt = 0;
	if (random_bytes(&b->rng, sizeof b->rng) < 0 || b->rng == 0)
		b->rng = 0x9e3779b97f4a7c15ULL ^ (uint64_t)cc_mono_ms();
}

void backoff_reset(struct backoff *b) { b->attempt = 0; }

static uint64_t next_rand(struct backoff *b)
{
	uint64_t x = b->rng;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return b->rng = x;
}

int64_t backoff_next(struct backoff *b, unsigned retry_after_s, int64_t now, int64_t deadline)
{
	int64_t ceiling = b->base_ms, delay;

	if (now >= deadline)
		return -1;
	/* Full jitter spreads a crowd of nodes that all started together. */
	for (unsigned i = 0; i < b->attempt && ceiling < b->cap_ms; i++)
		ceiling *= 2;
	if (ceiling > b->cap_ms)
		ceiling = b->cap_ms;
	delay = (int64_t)(next_rand(b) % (uint64_t)(ceiling + 1));
	if (b->attempt < 62)
		b->attempt++;
	if ((int64_t)retry_after_s * 1000 > delay)
		delay = (int64_t)retry_after_s * 1000;
	if (now + delay > deadline)
		delay = deadline - now;
	return delay;
}
