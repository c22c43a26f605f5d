/* Keeping the secrets a process holds (join token, Swarm tokens, overlay
 * auth keys) out of places other users or later readers can see them:
 * core dumps and ptrace, its own /proc/<pid>/cmdline and environ, and
 * the environment of the programs it runs. */
#ifndef CLUSTERCTL_HARDEN_H
#define CLUSTERCTL_HARDEN_H

#include <stdbool.h>
#include <stddef.h>

/* No core dumps, no ptrace or /proc/<pid>/mem by other users:
 * PR_SET_DUMPABLE 0 and RLIMIT_CORE 0.  0 or -errno. */
int harden_process(void);

/* Overwrite a value in place (an argv word or an environment string, both
 * in the memory /proc/<pid>/cmdline and environ read), once it has been
 * copied. */
void harden_wipe(char *value);

/* Wipe and remove NAME from this process' environment (the copy in the
 * configuration is all that is needed).  true when it was there. */
bool harden_wipe_env(const char *name);

/* Whether a variable of the environment (NAME=value) may pass to a
 * program we run: the locale, PATH, HOME, TZ, TMPDIR, and the proxy
 * settings; nothing of ours (CLUSTERCTL_*), nothing of systemd's
 * (NOTIFY_SOCKET, WATCHDOG_*, LISTEN_*), nothing else.  A program that
 * needs more gets it by name from its caller (env_extra). */
bool harden_env_allowed(const char *entry);

#endif
