/* The driver of a fuzz target in a build without libFuzzer: run the
 * target once over every file of its corpus, each in a child process
 * with a time limit, and report one TAP line per file.  A crash, a
 * sanitizer report, a leak (LSan exits non-zero), an abort from
 * fuzz_require() or a hang is a "not ok" naming the file.
 *
 *   tests/fuzz/fuzz-NAME              replays tests/fuzz/corpus/NAME/
 *                                     ($top_srcdir, else the configured
 *                                     source tree)
 *   tests/fuzz/fuzz-NAME FILE|DIR...  replays those (a finding, say) */
#include "autoconfig.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fuzz.h"

/* The targets' inputs are small; a parser that needs this long on one
 * of them hangs. */
#define REPLAY_TIMEOUT_S 30
#define REPLAY_MAX_INPUT (16u << 20)

int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

struct list {
	char **v;
	size_t n, cap;
};

static int list_add(struct list *l, const char *path)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		char **v = realloc(l->v, cap * sizeof *v);
		if (!v)
			return -ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	if (!(l->v[l->n] = strdup(path)))
		return -ENOMEM;
	l->n++;
	return 0;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A file, or every regular file of a directory (sorted, dot files left
 * out), into l. */
static int collect(struct list *l, const char *path)
{
	struct stat st;
	struct dirent *e;
	DIR *d;
	size_t first = l->n;
	int r = 0;

	if (stat(path, &st) < 0)
		return -errno;
	if (!S_ISDIR(st.st_mode))
		return list_add(l, path);
	if (!(d = opendir(path)))
		return -errno;
	while ((e = readdir(d))) {
		char *p;
		if (e->d_name[0] == '.')
			continue;
		if (asprintf(&p, "%s/%s", path, e->d_name) < 0) {
			r = -ENOMEM;
			break;
		}
		if (stat(p, &st) == 0 && S_ISREG(st.st_mode))
			r = list_add(l, p);
		free(p);
		if (r < 0)
			break;
	}
	closedir(d);
	qsort(l->v + first, l->n - first, sizeof *l->v, by_name);
	return r;
}

static int read_input(const char *path, uint8_t **out, size_t *len)
{
	struct stat st;
	uint8_t *buf = NULL;
	size_t off = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC), r = 0;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		r = -errno;
		goto out;
	}
	if ((size_t)st.st_size > REPLAY_MAX_INPUT) {
		r = -EFBIG;
		goto out;
	}
	/* Exactly the file's size: the target copies what it needs. */
	if (!(buf = malloc(st.st_size ? (size_t)st.st_size : 1))) {
		r = -ENOMEM;
		goto out;
	}
	while (off < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + off, (size_t)st.st_size - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			r = n < 0 ? -errno : -EIO;
			goto out;
		}
		off += (size_t)n;
	}
	*out = buf;
	*len = off;
	buf = NULL;
out:
	free(buf);
	close(fd);
	return r;
}

/* One input in a child, so a crash names its file and the others still
 * run.  Returns NULL when it passed, else why not (static text). */
static const char *run_one(const char *path, int *argc, char ***argv, char *why, size_t whysz)
{
	pid_t pid;
	int status;

	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		snprintf(why, whysz, "fork: %s", strerror(errno));
		return why;
	}
	if (pid == 0) {
		uint8_t *buf = NULL;
		size_t len = 0;
		int r = read_input(path, &buf, &len);
		if (r < 0) {
			fprintf(stderr, "cannot read %s: %s\n", path, strerror(-r));
			_exit(3);
		}
		alarm(REPLAY_TIMEOUT_S);
		if (LLVMFuzzerInitialize)
			LLVMFuzzerInitialize(argc, argv);
		LLVMFuzzerTestOneInput(buf, len);
		free(buf);
		exit(0); /* exit(), not _exit(): LeakSanitizer checks at exit */
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			snprintf(why, whysz, "waitpid: %s", strerror(errno));
			return why;
		}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return NULL;
	if (WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM)
		snprintf(why, whysz, "hung: still running after %d s", REPLAY_TIMEOUT_S);
	else if (WIFSIGNALED(status))
		snprintf(why, whysz, "killed by signal %d (%s)", WTERMSIG(status), strsignal(WTERMSIG(status)));
	else
		snprintf(why, whysz, "exit status %d (a sanitizer report or a leak: see the log)",
			 WEXITSTATUS(status));
	return why;
}

int main(int argc, char **argv)
{
	const char *base = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
	const char *top = getenv("top_srcdir");
	struct list inputs = {0};
	FILE *tap;
	char name[256], why[256], *corpus = NULL;
	int failed = 0, fd, r = 0;

	/* The TAP stream gets its own descriptor; whatever the parsers
	 * print goes to stderr (the log), never between TAP lines. */
	if ((fd = dup(STDOUT_FILENO)) < 0 || !(tap = fdopen(fd, "w")) || dup2(STDERR_FILENO, STDOUT_FILENO) < 0) {
		perror("fuzz-replay: stdout");
		return 99;
	}
	if (strncmp(base, "lt-", 3) == 0)
		base += 3;
	if (strncmp(base, "fuzz-", 5) == 0)
		base += 5;
	snprintf(name, sizeof name, "%s", base);

	if (argc > 1) {
		for (int i = 1; i < argc && r == 0; i++)
			if ((r = collect(&inputs, argv[i])) < 0)
				fprintf(tap, "Bail out! cannot read %s: %s\n", argv[i], strerror(-r));
	} else {
		if (asprintf(&corpus, "%s/tests/fuzz/corpus/%s", top && *top ? top : FUZZ_SRCDIR, name) < 0) {
			fprintf(tap, "Bail out! out of memory\n");
			return 99;
		}
		if ((r = collect(&inputs, corpus)) < 0)
			fprintf(tap, "Bail out! cannot read the corpus %s: %s\n", corpus, strerror(-r));
	}
	if (r == 0 && inputs.n == 0) {
		/* Replaying nothing would pass while checking nothing. */
		fprintf(tap, "Bail out! no inputs for fuzz target %s (seed corpus: tests/fuzz/corpus/%s/)\n",
			name, name);
		r = -ENOENT;
	}
	if (r < 0) {
		fclose(tap);
		return 99;
	}
	fprintf(tap, "1..%zu\n", inputs.n);
	for (size_t i = 0; i < inputs.n; i++) {
		const char *bad;
		fflush(tap);
		bad = run_one(inputs.v[i], &argc, &argv, why, sizeof why);
		fprintf(tap, "%s %zu - %s: %s%s%s\n", bad ? "not ok" : "ok", i + 1, name, inputs.v[i],
			bad ? ": " : "", bad ? bad : "");
		if (bad) {
			fprintf(tap, "#   reproduce: %s %s\n", argv[0], inputs.v[i]);
			failed++;
		}
		free(inputs.v[i]);
	}
	free(inputs.v);
	free(corpus);
	fclose(tap);
	return failed ? 1 : 0;
}
