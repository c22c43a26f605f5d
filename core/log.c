#include "autoconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "cc-buf.h"
#include "cc-file.h"
#include "cc-time.h"
#include "log.h"
#include "util.h"

static int log_level = CLUSTERCTL_LOG_INFO;
static int log_fd = -1;
static char *log_path; /* what log_reopen() opens again */
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

static const char *const level_names[] = {"DEBUG", "INFO", "WARN", "ERROR"};

int log_level_parse(const char *s)
{
	static const char *const names[] = {"debug", "info", "warn", "error"};
	for (int i = 0; i < 4; i++)
		if (s && strcasecmp(s, names[i]) == 0)
			return i;
	if (s && strcasecmp(s, "warning") == 0)
		return CLUSTERCTL_LOG_WARN;
	return -1;
}

const char *log_level_name(int level)
{
	return level >= 0 && level <= 3 ? level_names[level] : "INFO";
}

void log_set_level(int level) { log_level = level; }
int log_get_level(void) { return log_level; }
int log_enabled(int level) { return level >= log_level; }

int log_set_file(const char *path)
{
	int fd = -1;
	char *copy = NULL;

	if (path && *path) {
		if (!(copy = strdup(path)))
			return -ENOMEM;
		fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
		if (fd < 0) {
			int e = -errno;
			free(copy);
			return e;
		}
	}
	pthread_mutex_lock(&log_lock);
	if (log_fd >= 0)
		close(log_fd);
	log_fd = fd;
	free(log_path);
	log_path = copy;
	pthread_mutex_unlock(&log_lock);
	return 0;
}

/* logrotate moves the file away and sends SIGHUP: the lines after it go
 * to a new file of the same name.  When it cannot be opened the old one
 * is kept (losing lines silently would be worse than writing them to the
 * rotated file). */
int log_reopen(void)
{
	int fd, r = 0;

	pthread_mutex_lock(&log_lock);
	if (log_path) {
		fd = open(log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
		if (fd < 0) {
			r = -errno;
		} else {
			if (log_fd >= 0)
				close(log_fd);
			log_fd = fd;
		}
	}
	pthread_mutex_unlock(&log_lock);
	if (r < 0)
		log_warn("cannot reopen the log file %s: %s (still writing to the old one)", log_path, strerror(-r));
	else if (log_path)
		log_info("log file reopened path=%s", log_path);
	return r;
}

void log_vmsg(int level, const char *suffix, const char *fmt, va_list ap)
{
	struct cc_buf sb = CC_BUF_INIT;
	char ts[32];
	time_t now;
	struct tm tm;

	if (!log_enabled(level))
		return;
	now = (time_t)(cc_wall_ms() / 1000);
	gmtime_r(&now, &tm);
	strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", &tm);
	cc_buf_printf(&sb, "[%s] - [%s] - ", ts, log_level_name(level));
	cc_buf_vprintf(&sb, fmt, ap);
	if (suffix && *suffix)
		cc_buf_printf(&sb, " %s", suffix);
	/* One line per entry, whatever the message held. */
	for (size_t i = 0; i < sb.len; i++)
		if (sb.buf[i] == '\n' || sb.buf[i] == '\r')
			sb.buf[i] = ' ';
	cc_buf_append(&sb, "\n", 1);
	if (sb.oom)
		return;
	pthread_mutex_lock(&log_lock);
	cc_write_all(STDERR_FILENO, sb.buf, sb.len);
	if (log_fd >= 0)
		cc_write_all(log_fd, sb.buf, sb.len);
	pthread_mutex_unlock(&log_lock);
	cc_buf_free(&sb);
}

void log_msg(int level, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_vmsg(level, NULL, fmt, ap);
	va_end(ap);
}
