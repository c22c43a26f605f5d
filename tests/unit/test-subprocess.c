/* core/subprocess.c: a program run by argv has a deadline over its whole
 * run, not only while it writes.  At the deadline its process group gets
 * SIGTERM, then SIGKILL after SUBPROCESS_TERM_GRACE_MS; the result says
 * it timed out, and nothing of the group is left.  The host service
 * `run` that plugins call is the same code. */
#include "autoconfig.h"

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../tap.h"
#include "cc-file.h"
#include "cc-time.h"
#include "host-services.h"
#include "subprocess.h"

/* Long enough for a shell to start and write its pid on a busy machine;
 * and this much past the bound still counts as "returned at the
 * deadline" (the children sleep 30 s). */
#define TIMEOUT_MS 1000
#define SLACK_MS 2500

static char pidfile[] = "/tmp/clusterctl-subprocess-XXXXXX";
static char pidenv[64];

/* The child wrote its pid ($$) to the pid file; with its own process
 * group that is also the group's id. */
static pid_t child_pgid(void)
{
	char *s = NULL;
	long v = 0;

	if (cc_read_file(pidfile, 64, &s, NULL) == 0 && s)
		v = strtol(s, NULL, 10);
	free(s);
	return (pid_t)v;
}

/* Signals are delivered, and orphans reaped by init, a moment after
 * spawn_run returns: give the group that moment, no more. */
static bool group_gone(pid_t pgid)
{
	int64_t until = cc_mono_ms() + 2000;

	if (pgid <= 1)
		return false;
	while (!(kill(-pgid, 0) < 0 && errno == ESRCH)) {
		struct timespec ms10 = {0, 10 * 1000000L};
		if (cc_mono_ms() > until)
			return false;
		nanosleep(&ms10, NULL);
	}
	return true;
}

struct timed_run {
	struct clusterctl_run_result res;
	int rc;
	int64_t ms;
};

static struct timed_run run_sh(const char *script, const char *stdin_data, int timeout_ms)
{
	const char *argv[] = {"sh", "-c", script, NULL};
	const char *env[] = {pidenv, NULL};
	struct timed_run t;
	int64_t t0;

	if (truncate(pidfile, 0) < 0)
		diag("cannot empty %s: %s", pidfile, strerror(errno));
	t0 = cc_mono_ms();
	t.rc = spawn_run(argv, env, stdin_data, timeout_ms, &t.res);
	t.ms = cc_mono_ms() - t0;
	return t;
}

/* Killed at the deadline: the common facts of every hung child. */
static void check_killed(struct timed_run *t, const char *what, int64_t min_ms, int64_t max_ms)
{
	pid_t pgid = child_pgid();

	is_int(t->rc, 0, "%s: the program ran (rc 0)", what);
	is_int(t->res.timed_out, 1, "%s: the result says it timed out", what);
	is_int(t->res.exit_status, -1, "%s: a timed-out run has no exit status", what);
	if (!ok(t->ms >= min_ms && t->ms <= max_ms, "%s: returned after %lld ms, within [%lld, %lld]", what,
		(long long)t->ms, (long long)min_ms, (long long)max_ms))
		diag("the deadline does not hold");
	ok(pgid > 1, "%s: the child recorded its pid (%ld)", what, (long)pgid);
	ok(group_gone(pgid), "%s: its process group %ld is gone", what, (long)pgid);
}

int main(void)
{
	struct timed_run t;
	int fd = mkstemp(pidfile);

	if (fd < 0)
		return 99;
	close(fd);
	snprintf(pidenv, sizeof pidenv, "PIDFILE=%s", pidfile);

	t = run_sh("printf out; printf err >&2; exit 3", NULL, 5000);
	is_int(t.rc, 0, "a program that exits is run (rc 0)");
	is_int(t.res.exit_status, 3, "its exit status is reported");
	is_int(t.res.timed_out, 0, "a program that finishes in time did not time out");
	is_str(t.res.out, "out", "its stdout is captured");
	is_str(t.res.err, "err", "its stderr is captured apart");
	spawn_result_free(&t.res);

	t = run_sh("cat", "to stdin", 5000);
	is_str(t.res.out, "to stdin", "stdin_data reaches the child");
	spawn_result_free(&t.res);

	/* Output is bounded: what passes SUBPROCESS_MAX_OUTPUT is read (the
	 * child is not blocked) and dropped. */
	{
		char script[128];
		snprintf(script, sizeof script, "head -c %u /dev/zero | tr '\\0' x; exit 4",
			 SUBPROCESS_MAX_OUTPUT + (1u << 20));
		t = run_sh(script, NULL, 20000);
		is_int(t.res.exit_status, 4, "a child writing 1 MiB past the output cap runs to its end");
		ok(t.res.out_len <= SUBPROCESS_MAX_OUTPUT && t.res.out_len > SUBPROCESS_MAX_OUTPUT - 65536,
		   "its stdout is kept up to the cap (%zu bytes of %u)", t.res.out_len, SUBPROCESS_MAX_OUTPUT);
		spawn_result_free(&t.res);
	}

	/* 1 MiB for a child that never reads it: EPIPE, not SIGPIPE (which
	 * would end this test, as it would node join). */
	{
		char *big = malloc(1 << 20);
		if (!big)
			return 99;
		memset(big, 'x', (1 << 20) - 1);
		big[(1 << 20) - 1] = '\0';
		t = run_sh("exec <&-; exit 7", big, 5000);
		is_int(t.res.exit_status, 7, "a child that closes its stdin unread: the caller survives, the status is 7");
		is_int(t.res.timed_out, 0, "... and it did not time out");
		spawn_result_free(&t.res);
		free(big);
	}

	t = run_sh("exec >&- 2>&-; sleep 0.3; exit 5", NULL, 5000);
	is_int(t.res.exit_status, 5, "a child that closes its output and then exits: its status is waited for");
	is_int(t.res.timed_out, 0, "... and it did not time out");
	spawn_result_free(&t.res);

	/* The case that used to block for ever: pipes at EOF, child alive. */
	t = run_sh("echo $$ >\"$PIDFILE\"; exec >&- 2>&-; sleep 30", NULL, TIMEOUT_MS);
	check_killed(&t, "closed its output and sleeps", TIMEOUT_MS, TIMEOUT_MS + SLACK_MS);
	is_int(t.res.term_signal, SIGTERM, "closed its output and sleeps: SIGTERM was enough");
	spawn_result_free(&t.res);

	t = run_sh("echo $$ >\"$PIDFILE\"; echo started; sleep 30 & exit 0", NULL, TIMEOUT_MS);
	check_killed(&t, "left a grandchild holding the pipe", TIMEOUT_MS, TIMEOUT_MS + SLACK_MS);
	is_str(t.res.out, "started\n", "left a grandchild holding the pipe: what it wrote before is kept");
	spawn_result_free(&t.res);

	t = run_sh("echo $$ >\"$PIDFILE\"; trap '' TERM; sleep 30", NULL, TIMEOUT_MS);
	check_killed(&t, "ignores SIGTERM", TIMEOUT_MS + SUBPROCESS_TERM_GRACE_MS,
		     TIMEOUT_MS + SUBPROCESS_TERM_GRACE_MS + SLACK_MS);
	is_int(t.res.term_signal, SIGKILL, "ignores SIGTERM: SIGKILL after the grace");
	spawn_result_free(&t.res);

	/* What a plugin calls: the host service `run`. */
	{
		struct clusterctl_plugin desc = {.name = "demo"};
		struct clusterctl_host host;
		struct host_ctx *hctx = NULL;
		struct clusterctl_run_result res = CLUSTERCTL_RUN_RESULT_INIT;
		const char *argv[] = {"sh", "-c", "echo $$ >\"$PIDFILE\"; exec >&- 2>&-; sleep 30", NULL};
		const char *env[] = {pidenv, NULL};
		int64_t t0;
		int rc;

		if (truncate(pidfile, 0) < 0)
			diag("cannot empty %s: %s", pidfile, strerror(errno));
		ok(host_services_init(&host, &hctx, &desc, NULL) == 0, "the host services table is set up");
		t0 = cc_mono_ms();
		rc = host.run(host.ctx, argv, env, NULL, TIMEOUT_MS, &res);
		t.ms = cc_mono_ms() - t0;
		t.rc = rc;
		t.res = res;
		check_killed(&t, "host service run, closed its output and sleeps", TIMEOUT_MS,
			     TIMEOUT_MS + SLACK_MS);
		host.run_result_free(&res);
		host_ctx_free(hctx);
	}

	unlink(pidfile);
	return done_testing();
}
