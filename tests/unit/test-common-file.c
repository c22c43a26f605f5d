/* common/cc-file: a crash-safe replacement is "temporary, fsync, rename,
 * fsync the directory", with exactly the mode asked for; a symlink at the
 * target is replaced, never written through; on any failure the old file
 * stays and no temporary is left.  Linked with --wrap=fsync and
 * --wrap=rename, so the test sees the order of the durable steps and can
 * make one fail. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../tap.h"
#include "cc-file.h"

int __real_fsync(int fd);
int __real_rename(const char *from, const char *to);
int __wrap_fsync(int fd);
int __wrap_rename(const char *from, const char *to);

/* "F" fsync of a regular file, "D" of a directory, "R" a rename. */
static char steps[32];
static int fail_fsync; /* errno for the next fsync of a regular file */

static void step(char c)
{
	size_t n = strlen(steps);
	if (n + 1 < sizeof steps) {
		steps[n] = c;
		steps[n + 1] = '\0';
	}
}

int __wrap_fsync(int fd)
{
	struct stat st;
	bool dir = fstat(fd, &st) == 0 && S_ISDIR(st.st_mode);
	step(dir ? 'D' : 'F');
	if (!dir && fail_fsync) {
		errno = fail_fsync;
		fail_fsync = 0;
		return -1;
	}
	return __real_fsync(fd);
}

int __wrap_rename(const char *from, const char *to)
{
	step('R');
	return __real_rename(from, to);
}

static char dir[64];

static char *at(const char *name)
{
	static char p[4][128];
	static int k;
	k = (k + 1) % 4;
	snprintf(p[k], sizeof p[k], "%s/%s", dir, name);
	return p[k];
}

/* The names in dir other than want1/want2: a leftover temporary. */
static int strays(const char *want1, const char *want2)
{
	char cmd[256], line[256];
	int n = 0;
	FILE *f;
	snprintf(cmd, sizeof cmd, "ls -A %s", dir);
	f = popen(cmd, "r");
	while (f && fgets(line, sizeof line, f)) {
		line[strcspn(line, "\n")] = '\0';
		if (strcmp(line, want1) && (!want2 || strcmp(line, want2))) {
			diag("stray file %s", line);
			n++;
		}
	}
	if (f)
		pclose(f);
	return n;
}

static void test_write(void)
{
	char *text = NULL;
	size_t len = 0;
	struct stat st;

	umask(077);
	steps[0] = '\0';
	is_int(cc_write_file_atomic(at("f"), "one\n", 4, 0644), 0, "a new file");
	is_str(steps, "FRD", "written, fsync'd, renamed, then the directory fsync'd");
	ok(stat(at("f"), &st) == 0 && (st.st_mode & 07777) == 0644, "with mode 0644 despite umask 077");
	ok(cc_read_file(at("f"), 100, &text, &len) == 0 && len == 4 && strcmp(text, "one\n") == 0,
	   "and the content");
	free(text);
	umask(022);
	is_int(cc_write_file_atomic(at("f"), "two", 3, 0600), 0, "replacing it");
	ok(stat(at("f"), &st) == 0 && (st.st_mode & 07777) == 0600, "takes the new mode");
	is_int(strays("f", NULL), 0, "no temporary is left");

	fail_fsync = EIO;
	steps[0] = '\0';
	is_int(cc_write_file_atomic(at("f"), "three", 5, 0600), -EIO, "a failed fsync is the error");
	ok(strchr(steps, 'R') == NULL, "and nothing was renamed");
	ok(cc_read_file(at("f"), 100, &text, NULL) == 0 && strcmp(text, "two") == 0, "the old file stays");
	free(text);
	is_int(strays("f", NULL), 0, "the temporary is removed");

	/* A symlink at the target: rename replaces the link itself, so the
	 * file it points at is never written. */
	{
		FILE *v = fopen(at("victim"), "w");
		fputs("untouched", v);
		fclose(v);
	}
	ok(symlink(at("victim"), at("link")) == 0, "a symlink at the target");
	is_int(cc_write_file_atomic(at("link"), "new", 3, 0600), 0, "writing over it");
	ok(lstat(at("link"), &st) == 0 && S_ISREG(st.st_mode), "makes the target a regular file");
	ok(cc_read_file(at("victim"), 100, &text, NULL) == 0 && strcmp(text, "untouched") == 0,
	   "and leaves the file the link pointed at alone");
	free(text);
	unlink(at("link"));
	unlink(at("victim"));

	/* A leftover temporary (a crashed writer) or a symlink planted under
	 * the temporary's name is removed, not written through. */
	ok(symlink(at("victim"), at("s.tmp")) == 0, "a symlink planted at the temporary's name");
	is_int(cc_write_file_atomic_via(at("s"), at("s.tmp"), "x", 1, 0600), 0, "a write with that temporary");
	ok(access(at("victim"), F_OK) < 0 && errno == ENOENT, "did not create the link's target");
	is_int(strays("f", "s"), 0, "and nothing but the files is left");
	unlink(at("s"));

	is_int(cc_write_file_atomic(at("no/such/dir/f"), "x", 1, 0600), -ENOENT, "a missing directory: -ENOENT");
	ok(mkdir(at("d"), 0700) == 0, "a directory");
	is_int(cc_write_file_atomic(at("d"), "x", 1, 0600), -EISDIR, "is not replaced by a file: -EISDIR");
	is_int(strays("f", "d"), 0, "and no temporary is left");
	rmdir(at("d"));
}

static void test_read(void)
{
	char *text = (char *)1;
	size_t len = 9;

	is_int(cc_read_file(at("missing"), 10, &text, &len), -ENOENT, "reading a missing file: -ENOENT");
	ok(text == NULL, "and no buffer");
	cc_write_file_atomic(at("r"), "0123456789", 10, 0600);
	is_int(cc_read_file(at("r"), 9, &text, &len), -EFBIG, "a file over the limit: -EFBIG");
	ok(cc_read_file(at("r"), 10, &text, &len) == 0 && len == 10 && text[10] == '\0',
	   "exactly at the limit: read and terminated");
	free(text);
	cc_write_file_atomic(at("e"), "", 0, 0600);
	ok(cc_read_file(at("e"), 10, &text, &len) == 0 && len == 0 && text && !*text, "an empty file: \"\"");
	free(text);
	unlink(at("r"));
	unlink(at("e"));
}

static void test_mkdir_write_all(void)
{
	struct stat st;
	int p[2];
	char got[8] = {0};

	is_int(cc_mkdir_p(at("a/b/c"), 0700), 0, "mkdir -p of three levels");
	ok(stat(at("a/b/c"), &st) == 0 && S_ISDIR(st.st_mode), "they exist");
	is_int(cc_mkdir_p(at("a/b/c"), 0700), 0, "again: nothing to do");
	is_int(cc_mkdir_p(at("f/x"), 0700), -ENOTDIR, "below a regular file: -ENOTDIR");
	is_int(cc_mkdir_p(at("f"), 0700), -ENOTDIR, "a regular file where the directory goes: -ENOTDIR");
	is_int(cc_mkdir_p("", 0700), -EINVAL, "an empty path: -EINVAL");
	rmdir(at("a/b/c"));
	rmdir(at("a/b"));
	rmdir(at("a"));

	ok(pipe(p) == 0, "a pipe");
	is_int(cc_write_all(p[1], "abcdefg", 7), 0, "cc_write_all");
	ok(read(p[0], got, sizeof got) == 7 && strcmp(got, "abcdefg") == 0, "every byte arrived");
	close(p[0]);
	is_int(cc_write_all(p[1], "x", 1), -EPIPE, "to a closed pipe: -EPIPE");
	close(p[1]);
}

int main(void)
{
	snprintf(dir, sizeof dir, "/tmp/cc-file-XXXXXX");
	if (!mkdtemp(dir))
		return skip_all("no temporary directory");
	signal(SIGPIPE, SIG_IGN);
	test_write();
	test_read();
	test_mkdir_write_all();
	unlink(at("f"));
	rmdir(dir);
	return done_testing();
}
