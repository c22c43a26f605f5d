/* Clocks in milliseconds: the one copy for the core and the plugins. */
#ifndef CLUSTERCTL_CC_TIME_H
#define CLUSTERCTL_CC_TIME_H

#include <stdint.h>

/* CLOCK_MONOTONIC: for deadlines and intervals, which a wall-clock step
 * (NTP, a person with `date`) must not move. */
int64_t cc_mono_ms(void);
/* The same clock in nanoseconds, for measurements finer than a
 * millisecond (latencies in bench/). */
int64_t cc_mono_ns(void);
/* CLOCK_REALTIME, ms since the epoch: for timestamps a person reads or
 * another host compares, never for a deadline. */
int64_t cc_wall_ms(void);
/* What is left until `deadline` (a cc_mono_ms() time), clamped to
 * 0..INT_MAX: ready for poll(). */
int cc_remaining_ms(int64_t deadline);

#endif
