#include "autoconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cc-buf.h"
#include "cc-time.h"
#include "harden.h"
#include "subprocess.h"
#include "util.h"

extern char **environ;

static char **build_env(const char *const extra[])
{
	size_t n = 0, m = 0;
	char **env;

	while (environ[n])
		n++;
	while (extra && extra[m])
		m++;
	env = calloc(n + m + 1, sizeof *env);
	if (!env)
		return NULL;
	/* extra entries first: getenv() returns the first match.  Of our
	 * own environment only an allow-list passes: a child never sees a
	 * secret we were given (CLUSTERCTL_JOIN_SECRET) or systemd's. */
	for (size_t i = 0; i < m; i++)
		env[i] = (char *)extra[i];
	for (size_t i = 0, k = m; i < n; i++)
		if (harden_env_allowed(environ[i]))
			env[k++] = environ[i];
	return env;
}

int spawn_run(const char *const argv[], const char *const env_extra[], const char *stdin_data,
	      int timeout_ms, struct clusterctl_run_result *res)
{
	int out[2] = {-1, -1}, err[2] = {-1, -1}, in[2] = {-1, -1};
	struct cc_buf ob = CC_BUF_INIT, eb = CC_BUF_INIT;
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	size_t in_off = 0, in_len = stdin_data ? strlen(stdin_data) : 0;
	char **env = NULL;
	pid_t pid = -1;
	int r = 0, status = 0;
	int64_t deadline = cc_mono_ms() + (timeout_ms > 0 ? timeout_ms : 30000);

	memset(res, 0, sizeof *res);
	res->exit_status = -1;
	if (!argv || !argv[0])
		return -EINVAL;
	if (pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0 || pipe2(in, O_CLOEXEC) < 0) {
		r = -errno;
		goto out;
	}
	env = build_env(env_extra);
	if (!env) {
		r = -ENOMEM;
		goto out;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, in[0], 0);
	posix_spawn_file_actions_adddup2(&fa, out[1], 1);
	posix_spawn_file_actions_adddup2(&fa, err[1], 2);
	posix_spawnattr_init(&attr);
	/* Own process group, so a timeout kills grandchildren too; default
	 * signal dispositions whatever the controller blocked. */
	{
		sigset_t none, all;
		sigemptyset(&none);
		sigfillset(&all);
		posix_spawnattr_setsigmask(&attr, &none);
		posix_spawnattr_setsigdefault(&attr, &all);
		posix_spawnattr_setpgroup(&attr, 0);
		posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
							POSIX_SPAWN_SETSIGDEF);
	}
	r = strchr(argv[0], '/') ? posix_spawn(&pid, argv[0], &fa, &attr, (char *const *)argv, env)
				 : posix_spawnp(&pid, argv[0], &fa, &attr, (char *const *)argv, env);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	if (r != 0) {
		r = -r;
		pid = -1;
		goto out;
	}
	close(out[1]);
	close(err[1]);
	close(in[0]);
	out[1] = err[1] = in[0] = -1;
	if (in_len == 0) {
		close(in[1]);
		in[1] = -1;
	} else {
		fcntl(in[1], F_SETFL, O_NONBLOCK);
	}

	while (out[0] >= 0 || err[0] >= 0) {
		struct pollfd pfd[3];
		int nfd = 0, left = (int)(deadline - cc_mono_ms());
		if (left <= 0) {
			res->timed_out = 1;
			kill(-pid, SIGKILL);
			break;
		}
		if (out[0] >= 0)
			pfd[nfd++] = (struct pollfd){.fd = out[0], .events = POLLIN};
		if (err[0] >= 0)
			pfd[nfd++] = (struct pollfd){.fd = err[0], .events = POLLIN};
		if (in[1] >= 0)
			pfd[nfd++] = (struct pollfd){.fd = in[1], .events = POLLOUT};
		if (poll(pfd, (nfds_t)nfd, left) < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			kill(-pid, SIGKILL);
			break;
		}
		for (int i = 0; i < nfd; i++) {
			if (!pfd[i].revents)
				continue;
			if (pfd[i].fd == in[1]) {
				ssize_t n = write(in[1], stdin_data + in_off, in_len - in_off);
				if (n > 0)
					in_off += (size_t)n;
				if ((n < 0 && errno != EAGAIN && errno != EINTR) || in_off == in_len) {
					close(in[1]);
					in[1] = -1;
				}
				continue;
			}
			{
				char buf[8192];
				struct cc_buf *sb = pfd[i].fd == out[0] ? &ob : &eb;
				ssize_t n = read(pfd[i].fd, buf, sizeof buf);
				if (n > 0) {
					if (sb->len + (size_t)n <= SUBPROCESS_MAX_OUTPUT)
						cc_buf_append(sb, buf, (size_t)n);
				} else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
					if (pfd[i].fd == out[0]) {
						close(out[0]);
						out[0] = -1;
					} else {
						close(err[0]);
						err[0] = -1;
					}
				}
			}
		}
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	pid = -1;
	if (WIFEXITED(status))
		res->exit_status = WEXITSTATUS(status);
	else if (WIFSIGNALED(status))
		res->term_signal = WTERMSIG(status);
	cc_buf_append(&ob, "", 0);
	cc_buf_append(&eb, "", 0);
	if (ob.oom || eb.oom) {
		r = r ? r : -ENOMEM;
	} else {
		res->out_len = ob.len;
		res->err_len = eb.len;
		res->out = cc_buf_detach(&ob);
		res->err = cc_buf_detach(&eb);
	}
out:
	for (int i = 0; i < 2; i++) {
		if (out[i] >= 0)
			close(out[i]);
		if (err[i] >= 0)
			close(err[i]);
		if (in[i] >= 0)
			close(in[i]);
	}
	if (pid > 0) {
		kill(-pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	free(env);
	cc_buf_free(&ob);
	cc_buf_free(&eb);
	return r;
}

void spawn_result_free(struct clusterctl_run_result *res)
{
	if (!res)
		return;
	free(res->out);
	free(res->err);
	res->out = res->err = NULL;
	res->out_len = res->err_len = 0;
}
