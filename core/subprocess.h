/* Running a program by argv (never a shell), with a deadline, capturing
 * its output. */
#ifndef CLUSTERCTL_SUBPROCESS_H
#define CLUSTERCTL_SUBPROCESS_H

#include <clusterctl/host.h>

/* Output beyond this is dropped (and noted) so a chatty child cannot make
 * us buffer without bound. */
#define SUBPROCESS_MAX_OUTPUT (16u << 20)

int spawn_run(const char *const argv[], const char *const env_extra[], const char *stdin_data,
	      int timeout_ms, struct clusterctl_run_result *res);
void spawn_result_free(struct clusterctl_run_result *res);

#endif
