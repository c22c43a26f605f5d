/* systemd's service notification protocol, spoken without libsystemd:
 * each message is one datagram of "KEY=VALUE" lines sent to the unix
 * socket named by $NOTIFY_SOCKET (a path, or "@name" for the abstract
 * namespace).  A Type=notify unit is started once READY=1 arrives;
 * STOPPING=1 says shutdown has begun; with WatchdogSec= set, systemd
 * passes $WATCHDOG_USEC and expects WATCHDOG=1 at least that often. */
#ifndef CLUSTERCTL_SD_NOTIFY_H
#define CLUSTERCTL_SD_NOTIFY_H

#include <stdint.h>

/* Send `state` ("READY=1\nSTATUS=...") as one datagram.  0 when sent or
 * when there is no $NOTIFY_SOCKET (not run by systemd); -errno when the
 * variable is malformed or the send fails (the caller logs it: a lost
 * notification must not stop the service). */
int notify_send(const char *state);

/* printf into one message and send it; a failure is logged (once per
 * process: the watchdog would repeat it) and otherwise ignored. */
void notify_statef(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The keep-alive: WATCHDOG=1 every half of $WATCHDOG_USEC, the margin
 * systemd recommends.  Off when the variable is unset, malformed, or
 * $WATCHDOG_PID names another process (an inherited environment). */
struct notify_watchdog {
	int64_t interval_ms; /* 0: off */
	int64_t next_ms;     /* now_ms() of the next ping */
};
void notify_watchdog_init(struct notify_watchdog *w, int64_t now);
/* When the next ping is due (INT64_MAX when off): loops wake by then. */
int64_t notify_watchdog_due(const struct notify_watchdog *w);
/* Ping if due (through notify_statef). */
void notify_watchdog_tick(struct notify_watchdog *w, int64_t now);

#endif
