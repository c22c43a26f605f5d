#include "autoconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cc-buf.h"
#include "cc-time.h"
#include "harden.h"
#include "log.h"
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

/* One child and the pipes we read it through.  The leader is not reaped
 * until we are done with its process group: while it is a zombie its pid
 * (the group's id) cannot be given to another process, so kill(-pid)
 * never reaches a stranger. */
struct child {
	pid_t pid;
	int pidfd; /* readable once the leader has exited; -1 without pidfd_open */
	bool exited;
	int out, err, in; /* our ends, -1 once closed */
	const char *in_data;
	size_t in_off, in_len;
	struct cc_buf ob, eb;
	bool dropped; /* output beyond SUBPROCESS_MAX_OUTPUT was read and dropped */
};

static int open_pidfd(pid_t pid)
{
#ifdef SYS_pidfd_open
	return (int)syscall(SYS_pidfd_open, pid, 0);
#else
	(void)pid;
	errno = ENOSYS;
	return -1;
#endif
}

/* Has the leader exited?  Looks without reaping (WNOWAIT). */
static void check_exited(struct child *c)
{
	siginfo_t si;

	if (c->exited)
		return;
	memset(&si, 0, sizeof si);
	if (waitid(P_PID, (id_t)c->pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0) {
		if (si.si_pid == c->pid)
			c->exited = true;
	} else if (errno == ECHILD) {
		/* Someone else reaped it (SIGCHLD ignored): it is gone. */
		c->exited = true;
	}
	if (c->exited && c->pidfd >= 0) {
		close(c->pidfd);
		c->pidfd = -1;
	}
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* A child that exits or closes its stdin before reading it all makes
 * the write fail with EPIPE, and raise SIGPIPE, which would end the whole
 * program wherever it is not ignored (node join, the agent): keep it
 * blocked on this thread for the write and take it back if it came. */
static ssize_t write_stdin(struct child *c)
{
	sigset_t pipe_set, old;
	ssize_t n;
	int saved;

	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
	n = write(c->in, c->in_data + c->in_off, c->in_len - c->in_off);
	saved = errno;
	if (n < 0 && errno == EPIPE && !sigismember(&old, SIGPIPE)) {
		const struct timespec none = {0, 0};
		while (sigtimedwait(&pipe_set, NULL, &none) < 0 && errno == EINTR)
			;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	errno = saved;
	return n;
}

static bool child_done(const struct child *c)
{
	return c->exited && c->out < 0 && c->err < 0;
}

/* Read the child's output, feed its stdin and watch for its exit until
 * it is done (exited and both pipes at EOF) or `until` (monotonic ms)
 * passes.  Returns 0, or -errno when poll itself failed. */
static int child_pump(struct child *c, int64_t until)
{
	while (!child_done(c)) {
		struct pollfd pfd[4];
		int nfd = 0, left = (int)(until - cc_mono_ms());

		if (left <= 0)
			return 0;
		if (c->out >= 0)
			pfd[nfd++] = (struct pollfd){.fd = c->out, .events = POLLIN};
		if (c->err >= 0)
			pfd[nfd++] = (struct pollfd){.fd = c->err, .events = POLLIN};
		if (c->in >= 0)
			pfd[nfd++] = (struct pollfd){.fd = c->in, .events = POLLOUT};
		if (c->pidfd >= 0)
			pfd[nfd++] = (struct pollfd){.fd = c->pidfd, .events = POLLIN};
		else if (!c->exited && left > SUBPROCESS_EXIT_POLL_MS)
			/* No pidfd (kernel < 5.3): look again every tick. */
			left = SUBPROCESS_EXIT_POLL_MS;
		if (poll(pfd, (nfds_t)nfd, left) < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		for (int i = 0; i < nfd; i++) {
			if (!pfd[i].revents)
				continue;
			if (pfd[i].fd == c->pidfd) {
				check_exited(c);
			} else if (pfd[i].fd == c->in) {
				ssize_t n = write_stdin(c);
				if (n > 0)
					c->in_off += (size_t)n;
				if ((n < 0 && errno != EAGAIN && errno != EINTR) || c->in_off == c->in_len)
					close_fd(&c->in);
			} else {
				char buf[8192];
				bool is_out = pfd[i].fd == c->out;
				struct cc_buf *sb = is_out ? &c->ob : &c->eb;
				ssize_t n = read(pfd[i].fd, buf, sizeof buf);
				if (n > 0) {
					if (sb->len + (size_t)n <= SUBPROCESS_MAX_OUTPUT)
						cc_buf_append(sb, buf, (size_t)n);
					else
						c->dropped = true;
				} else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
					close_fd(is_out ? &c->out : &c->err);
				}
			}
		}
		if (c->pidfd < 0)
			check_exited(c);
	}
	return 0;
}

static void signal_group(pid_t pid, int sig)
{
	/* The leader may have left its group (setsid); it still gets it. */
	if (kill(-pid, sig) < 0)
		kill(pid, sig);
}

/* The leader would not die even after SIGKILL (a process stuck in the
 * kernel, on a hung FUSE or NFS mount, cannot act on it): reap it when
 * it does, off the caller's thread, so the caller keeps its deadline. */
static void *reap_later(void *arg)
{
	pid_t pid = (pid_t)(intptr_t)arg;

	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
	return NULL;
}

int spawn_run(const char *const argv[], const char *const env_extra[], const char *stdin_data,
	      int timeout_ms, struct clusterctl_run_result *res)
{
	int out[2] = {-1, -1}, err[2] = {-1, -1}, in[2] = {-1, -1};
	struct child c = {.pid = -1, .pidfd = -1, .out = -1, .err = -1, .in = -1, .ob = CC_BUF_INIT,
			  .eb = CC_BUF_INIT};
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	char **env = NULL;
	int r = 0;
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
	r = strchr(argv[0], '/') ? posix_spawn(&c.pid, argv[0], &fa, &attr, (char *const *)argv, env)
				 : posix_spawnp(&c.pid, argv[0], &fa, &attr, (char *const *)argv, env);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	if (r != 0) {
		r = -r;
		c.pid = -1;
		goto out;
	}
	close_fd(&out[1]);
	close_fd(&err[1]);
	close_fd(&in[0]);
	c.out = out[0];
	c.err = err[0];
	c.in = in[1];
	out[0] = err[0] = in[1] = -1;
	c.in_data = stdin_data;
	c.in_len = stdin_data ? strlen(stdin_data) : 0;
	if (c.in_len == 0)
		close_fd(&c.in);
	else
		fcntl(c.in, F_SETFL, O_NONBLOCK);
	c.pidfd = open_pidfd(c.pid);

	/* The deadline covers the whole run: the output, and the exit after
	 * it (a child may close its output and go on, or leave a grandchild
	 * holding the pipe). */
	r = child_pump(&c, deadline);
	if (r == 0 && !child_done(&c)) {
		res->timed_out = 1;
		log_warn("program did not finish within its deadline, stopping its process group "
			 "program=%s pid=%ld timeout_ms=%d",
			 argv[0], (long)c.pid, timeout_ms);
		signal_group(c.pid, SIGTERM);
		r = child_pump(&c, cc_mono_ms() + SUBPROCESS_TERM_GRACE_MS);
	}
	if (!child_done(&c) && res->timed_out)
		log_warn("program still not done %d ms after SIGTERM, killing its process group program=%s pid=%ld",
			 SUBPROCESS_TERM_GRACE_MS, argv[0], (long)c.pid);
	/* A timed-out run leaves nothing behind: what is still in the group
	 * (a grandchild that closed its output and ignored SIGTERM) is
	 * killed while the unreaped leader still holds the group's id. */
	if (!child_done(&c) || res->timed_out)
		signal_group(c.pid, SIGKILL);
	if (!child_done(&c)) {
		/* A process outside the group (it called setsid) may still hold
		 * a pipe: what it writes now is not waited for. */
		close_fd(&c.out);
		close_fd(&c.err);
		close_fd(&c.in);
		(void)child_pump(&c, cc_mono_ms() + SUBPROCESS_KILL_WAIT_MS);
	}
	if (c.exited) {
		int status = 0;
		pid_t w;
		while ((w = waitpid(c.pid, &status, 0)) < 0 && errno == EINTR)
			;
		if (w == c.pid) {
			if (WIFEXITED(status))
				res->exit_status = WEXITSTATUS(status);
			else if (WIFSIGNALED(status))
				res->term_signal = WTERMSIG(status);
		}
	} else {
		pthread_t t;
		pthread_attr_t ta;
		log_error("program still running after SIGKILL (stuck in the kernel, e.g. on a hung mount); "
			  "giving up on it program=%s pid=%ld",
			  argv[0], (long)c.pid);
		if (pthread_attr_init(&ta) == 0) {
			pthread_attr_setdetachstate(&ta, PTHREAD_CREATE_DETACHED);
			if (pthread_create(&t, &ta, reap_later, (void *)(intptr_t)c.pid) != 0)
				log_error("cannot start a thread to reap it: it stays a zombie pid=%ld",
					  (long)c.pid);
			pthread_attr_destroy(&ta);
		}
	}
	c.pid = -1;
	/* Killed at the deadline: whatever the leader's own status was, the
	 * run did not finish, and a caller checking only exit_status must not
	 * take it for a success. */
	if (res->timed_out)
		res->exit_status = -1;
	if (c.dropped)
		log_warn("program wrote more than %u bytes on stdout or stderr: the rest was dropped program=%s",
			 SUBPROCESS_MAX_OUTPUT, argv[0]);
	cc_buf_append(&c.ob, "", 0);
	cc_buf_append(&c.eb, "", 0);
	if (c.ob.oom || c.eb.oom) {
		r = r ? r : -ENOMEM;
	} else {
		res->out_len = c.ob.len;
		res->err_len = c.eb.len;
		res->out = cc_buf_detach(&c.ob);
		res->err = cc_buf_detach(&c.eb);
	}
out:
	for (int i = 0; i < 2; i++) {
		close_fd(&out[i]);
		close_fd(&err[i]);
		close_fd(&in[i]);
	}
	close_fd(&c.out);
	close_fd(&c.err);
	close_fd(&c.in);
	close_fd(&c.pidfd);
	free(env);
	cc_buf_free(&c.ob);
	cc_buf_free(&c.eb);
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
