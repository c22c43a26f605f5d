/* Running a program by argv (never a shell), with a deadline, capturing
 * its output. */
#ifndef CLUSTERCTL_SUBPROCESS_H
#define CLUSTERCTL_SUBPROCESS_H

#include <clusterctl/host.h>

/* Output beyond this is dropped (and noted) so a chatty child cannot make
 * us buffer without bound. */
#define SUBPROCESS_MAX_OUTPUT (16u << 20)

/* At the deadline the child's process group gets SIGTERM; what is still
 * there this much later gets SIGKILL.  Short: the caller has already
 * waited its whole deadline. */
#define SUBPROCESS_TERM_GRACE_MS 1000
/* After SIGKILL, how long to wait for the leader to be gone before
 * leaving it to a reaper thread (it can only linger stuck in the kernel). */
#define SUBPROCESS_KILL_WAIT_MS 1000
/* How often the leader's exit is looked at without a pidfd. */
#define SUBPROCESS_EXIT_POLL_MS 20

/* Run argv with a deadline over the whole run (output and exit).  Returns
 * 0 when the program ran, -errno when it could not be started; on a
 * timeout res->timed_out is 1 and res->exit_status -1, and nothing of its
 * process group is left: at the deadline it gets SIGTERM, after
 * SUBPROCESS_TERM_GRACE_MS SIGKILL.  The whole call takes at most
 * timeout_ms + SUBPROCESS_TERM_GRACE_MS + SUBPROCESS_KILL_WAIT_MS. */
int spawn_run(const char *const argv[], const char *const env_extra[], const char *stdin_data,
	      int timeout_ms, struct clusterctl_run_result *res);
void spawn_result_free(struct clusterctl_run_result *res);

#endif
