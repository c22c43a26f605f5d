/* Secrets out of argv, environments and cores (issue 11, item 6): a
 * process holding secrets cannot dump core or be traced by other users;
 * a secret given in the environment is wiped from it once copied; the
 * programs clusterctl runs get an allow-listed environment, never ours;
 * a join secret comes from a file (safe: no symlink, nobody else may
 * write it) or standard input. */
#include "autoconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../tap.h"
#include "harden.h"
#include "join-secret.h"
#include "subprocess.h"

#define SECRET "CCTL1-0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef-s3cr3t-s3cr3t-s3cr3t"

static void test_allow_list(void)
{
	ok(harden_env_allowed("PATH=/usr/bin"), "PATH passes to a child");
	ok(harden_env_allowed("LC_ALL=C.UTF-8") && harden_env_allowed("LANG=C"), "the locale passes");
	ok(harden_env_allowed("https_proxy=http://proxy:3128"), "proxy settings pass");
	ok(!harden_env_allowed("CLUSTERCTL_JOIN_SECRET=" SECRET), "CLUSTERCTL_JOIN_SECRET does not");
	ok(!harden_env_allowed("CLUSTERCTL_LOG_LEVEL=debug"), "nor any other CLUSTERCTL_ variable");
	ok(!harden_env_allowed("NOTIFY_SOCKET=/run/systemd/notify"), "nor systemd's NOTIFY_SOCKET");
	ok(!harden_env_allowed("TS_AUTHKEY=tskey-abc"), "nor anything not on the list");
	ok(!harden_env_allowed("PATHX=1") && !harden_env_allowed("PAT=1") && !harden_env_allowed("PATH"),
	   "names match whole, and an entry needs its '='");
	ok(!harden_env_allowed("LC_=x"), "LC_ alone is no locale variable");
}

static void test_child_env(void)
{
	static const char *const argv[] = {"/usr/bin/env", NULL};
	static const char *const extra[] = {"NB_SETUP_KEY=given-by-name", NULL};
	struct clusterctl_run_result res = CLUSTERCTL_RUN_RESULT_INIT;

	setenv("CLUSTERCTL_JOIN_SECRET", SECRET, 1);
	setenv("NOTIFY_SOCKET", "/run/systemd/notify", 1);
	setenv("LC_ALL", "C", 1);
	ok(spawn_run(argv, extra, NULL, 5000, &res) == 0 && res.exit_status == 0, "a child runs (env)");
	ok(res.out && !strstr(res.out, "s3cr3t"), "it does not get the join secret of our environment");
	ok(res.out && !strstr(res.out, "NOTIFY_SOCKET"), "nor NOTIFY_SOCKET");
	ok(res.out && strstr(res.out, "LC_ALL=C\n"), "but the locale");
	ok(res.out && strstr(res.out, "PATH="), "and PATH");
	ok(res.out && strstr(res.out, "NB_SETUP_KEY=given-by-name\n"), "and what its caller gives it by name");
	spawn_result_free(&res);
	unsetenv("NOTIFY_SOCKET");
}

static void test_wipe(void)
{
	char *entry;

	/* putenv keeps our string: it is the memory /proc/<pid>/environ
	 * would show. */
	entry = strdup("CLUSTERCTL_JOIN_SECRET=" SECRET);
	putenv(entry);
	ok(harden_wipe_env("CLUSTERCTL_JOIN_SECRET"), "the secret is found in the environment");
	ok(getenv("CLUSTERCTL_JOIN_SECRET") == NULL, "and removed from it");
	ok(strstr(entry, "s3cr3t") == NULL, "and its bytes are overwritten where they were");
	ok(strncmp(entry, "CLUSTERCTL_JOIN_SECRET=xxxx", 27) == 0, "with x's");
	ok(!harden_wipe_env("CLUSTERCTL_JOIN_SECRET"), "a second wipe finds nothing");
	free(entry);
}

static void test_process(void)
{
	struct rlimit rl;

	is_int(prctl(PR_GET_DUMPABLE, 0, 0, 0, 0), 1, "a process starts dumpable");
	is_int(harden_process(), 0, "harden_process succeeds");
	is_int(prctl(PR_GET_DUMPABLE, 0, 0, 0, 0), 0, "after it the process is not dumpable (no core, no ptrace)");
	ok(getrlimit(RLIMIT_CORE, &rl) == 0 && rl.rlim_cur == 0 && rl.rlim_max == 0, "and its core limit is 0");
}

static void test_secret_file(void)
{
	char dir[] = "/tmp/clusterctl-harden-XXXXXX", path[300], link[300], *s = NULL, *err = NULL, want[1024];
	int fd;

	if (!mkdtemp(dir))
		return;
	snprintf(path, sizeof path, "%s/join-secret", dir);
	snprintf(link, sizeof link, "%s/link", dir);
	fd = open(path, O_CREAT | O_WRONLY, 0600);
	ok(fd >= 0 && write(fd, SECRET "\n", sizeof SECRET) == (ssize_t)sizeof SECRET, "a join secret file");
	close(fd);
	ok(join_secret_read(path, &s, &err) == 0 && s && strcmp(s, SECRET) == 0, "is read");
	free(s);
	symlink(path, link);
	is_int(join_secret_read(link, &s, &err), -ELOOP, "a join secret file that is a symlink is refused");
	snprintf(want, sizeof want,
		 "cannot use join secret %s: %s is a symbolic link; refusing to follow it (replace it with the file "
		 "itself)",
		 link, link);
	is_str(err, want, "saying so");
	free(err);
	err = NULL;
	chmod(path, 0666);
	is_int(join_secret_read(path, &s, &err), -EPERM, "a join secret file anyone may write is refused");
	snprintf(want, sizeof want,
		 "cannot use join secret %s: %s is writable by group or others (mode 666); chmod go-w it", path, path);
	is_str(err, want, "naming the mode and the fix");
	free(err);
	err = NULL;
	unlink(link);
	unlink(path);
	rmdir(dir);

	/* "-": standard input. */
	{
		int p[2], saved = dup(0);
		ok(pipe(p) == 0 && write(p[1], SECRET "\n", sizeof SECRET) == (ssize_t)sizeof SECRET,
		   "a secret on a pipe");
		close(p[1]);
		dup2(p[0], 0);
		close(p[0]);
		ok(join_secret_read("-", &s, &err) == 0 && s && strcmp(s, SECRET) == 0,
		   "--join-secret-file - reads it from standard input");
		free(s);
		dup2(saved, 0);
		close(saved);
	}
}

int main(void)
{
	test_allow_list();
	test_child_env();
	test_wipe();
	test_secret_file();
	test_process();
	return done_testing();
}
