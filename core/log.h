/* Logging: "[2026-11-26T22:00:00Z] - [INFO] - message key=value" lines on
 * stderr, also appended to a log file when one is set. */
#ifndef CLUSTERCTL_LOG_H
#define CLUSTERCTL_LOG_H

#include <stdarg.h>
#include <clusterctl/host.h>

/* Parse "debug|info|warn|error"; -1 when unknown. */
int log_level_parse(const char *s);
const char *log_level_name(int level);
void log_set_level(int level);
int log_get_level(void);
/* Append to path (created 0600); -errno on failure.  NULL closes. */
int log_set_file(const char *path);
/* Open the log file again by its name (SIGHUP, after logrotate); 0 when
 * there is none.  Logs the outcome. */
int log_reopen(void);
int log_enabled(int level);

void log_msg(int level, const char *fmt, ...) CLUSTERCTL_PRINTF(2, 3);
/* `suffix` (may be NULL) is appended after the message, e.g. "plugin=x". */
void log_vmsg(int level, const char *suffix, const char *fmt, va_list ap) CLUSTERCTL_PRINTF(3, 0);

#define log_debug(...) log_msg(CLUSTERCTL_LOG_DEBUG, __VA_ARGS__)
#define log_info(...) log_msg(CLUSTERCTL_LOG_INFO, __VA_ARGS__)
#define log_warn(...) log_msg(CLUSTERCTL_LOG_WARN, __VA_ARGS__)
#define log_error(...) log_msg(CLUSTERCTL_LOG_ERROR, __VA_ARGS__)

#endif
