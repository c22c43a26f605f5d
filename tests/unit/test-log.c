/* Logging: "[utc] - [LEVEL] - message key=value" lines on stderr and in
 * CLUSTERCTL_LOG_FILE, filtered by level; plugins' lines carry their name. */
#include "autoconfig.h"

#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../tap.h"
#include "cc-file.h"
#include "host-services.h"
#include "log.h"
#include "util.h"

static char errpath[] = "/tmp/clusterctl-log-XXXXXX";
static char filepath[300];

static char *slurp(const char *path)
{
	char *s = NULL;
	if (cc_read_file(path, 1 << 20, &s, NULL) < 0)
		return strdup("");
	return s;
}

static int count_lines(const char *s)
{
	int n = 0;
	for (; *s; s++)
		n += *s == '\n';
	return n;
}

int main(void)
{
	regex_t re;
	char *err, *file;
	int fd = mkstemp(errpath);
	struct clusterctl_plugin desc = {.name = "demo"};
	struct clusterctl_host host;
	struct host_ctx *hctx;

	if (fd < 0 || dup2(fd, STDERR_FILENO) < 0)
		return 99;
	snprintf(filepath, sizeof filepath, "%s.file", errpath);
	regcomp(&re,
		"^\\[[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z\\] - \\[INFO\\] - "
		"node registered hostname=n1 managers=1$",
		REG_EXTENDED | REG_NEWLINE);

	is_int(log_level_parse("debug"), CLUSTERCTL_LOG_DEBUG, "debug parses");
	is_int(log_level_parse("WARN"), CLUSTERCTL_LOG_WARN, "levels are case-insensitive");
	is_int(log_level_parse("loud"), -1, "unknown level refused");

	ok(log_set_file(filepath) == 0, "log file opens");
	log_set_level(CLUSTERCTL_LOG_INFO);
	log_info("node registered hostname=%s managers=%d", "n1", 1);
	log_debug("hidden at info level");
	log_warn("multi\nline message");
	log_set_level(CLUSTERCTL_LOG_ERROR);
	log_warn("hidden at error level");
	log_error("shown at error level");
	log_set_level(CLUSTERCTL_LOG_DEBUG);
	log_debug("shown at debug level");

	host_services_init(&host, &hctx, &desc, NULL);
	host.log(host.ctx, CLUSTERCTL_LOG_INFO, "peer added key=%s", "abc");
	host.log(host.ctx, 42, "a bogus level from a plugin is logged as INFO");
	host_ctx_free(hctx);
	log_set_file(NULL);

	err = slurp(errpath);
	file = slurp(filepath);
	ok(regexec(&re, err, 0, NULL, 0) == 0, "an INFO line has the exact format");
	ok(!strstr(err, "hidden at info level"), "DEBUG is filtered at level info");
	ok(!strstr(err, "hidden at error level"), "WARN is filtered at level error");
	like(err, "] - [ERROR] - shown at error level\n", "ERROR passes at level error");
	like(err, "] - [DEBUG] - shown at debug level\n", "DEBUG passes at level debug");
	like(err, "] - [WARN] - multi line message\n", "a message with a newline stays one line");
	like(err, "] - [INFO] - peer added key=abc plugin=demo\n", "a plugin's line carries plugin=<name>");
	like(err, "] - [INFO] - a bogus level from a plugin is logged as INFO plugin=demo",
	     "a bogus level from a plugin is clamped");
	is_int(count_lines(err), 6, "six lines written to stderr");
	is_str(file, err, "the log file holds exactly the same lines");
	ok(log_set_file("/nonexistent/dir/x.log") < 0, "an unwritable log file is reported");

	free(err);
	free(file);
	regfree(&re);
	unlink(errpath);
	unlink(filepath);
	return done_testing();
}
