/* Files; see cc-file.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cc-buf.h"
#include "cc-file.h"

int cc_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	while (len) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* The rename is durable only once the directory entry is. */
int cc_fsync_dir_of(const char *path)
{
	char *dir = strdup(path), *slash;
	int fd, r = 0;

	if (!dir)
		return -ENOMEM;
	slash = strrchr(dir, '/');
	if (slash == dir)
		slash[1] = '\0';
	else if (slash)
		*slash = '\0';
	else
		strcpy(dir, ".");
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fsync(fd) < 0)
		r = -errno;
	if (fd >= 0)
		close(fd);
	free(dir);
	return r;
}

int cc_write_file_atomic_via(const char *path, const char *tmp, const void *data, size_t len, mode_t mode)
{
	int fd, r;

	/* A leftover of a crashed writer (or anything else planted there)
	 * goes; O_EXCL then refuses whatever appears in between. */
	unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	if (fd < 0)
		return -errno;
	if (fchmod(fd, mode) < 0) {
		r = -errno;
		goto fail;
	}
	if ((r = cc_write_all(fd, data, len)) < 0)
		goto fail;
	if (fsync(fd) < 0) {
		r = -errno;
		goto fail;
	}
	if (close(fd) < 0) {
		fd = -1;
		r = -errno;
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) < 0) {
		r = -errno;
		goto fail;
	}
	return cc_fsync_dir_of(path);
fail:
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	return r;
}

int cc_write_file_atomic(const char *path, const void *data, size_t len, mode_t mode)
{
	char *tmp = cc_strdupf("%s.tmp.%ld", path, (long)getpid());
	int r;

	if (!tmp)
		return -ENOMEM;
	r = cc_write_file_atomic_via(path, tmp, data, len, mode);
	free(tmp);
	return r;
}

int cc_read_file(const char *path, size_t max, char **out, size_t *len)
{
	char *buf = NULL, *nb;
	size_t have = 0, cap = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC), r = 0;

	*out = NULL;
	if (fd < 0)
		return -errno;
	for (;;) {
		ssize_t n;
		if (cap - have < 4096 + 1) {
			cap = cap ? cap * 2 : 4096 + 1;
			if (!(nb = realloc(buf, cap))) {
				r = -ENOMEM;
				break;
			}
			buf = nb;
		}
		n = read(fd, buf + have, cap - have - 1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			break;
		}
		if (n == 0)
			break;
		have += (size_t)n;
		if (have > max) {
			r = -EFBIG;
			break;
		}
	}
	close(fd);
	if (r < 0) {
		free(buf);
		return r;
	}
	buf[have] = '\0';
	*out = buf;
	if (len)
		*len = have;
	return 0;
}

int cc_mkdir_p(const char *path, mode_t mode)
{
	char *p;
	int r = 0;

	if (!path || !*path)
		return -EINVAL;
	if (!(p = strdup(path)))
		return -ENOMEM;
	for (char *s = p + 1;; s++) {
		if (*s == '/' || *s == '\0') {
			char c = *s;
			*s = '\0';
			if (mkdir(p, mode) < 0 && errno != EEXIST) {
				r = -errno;
				break;
			}
			*s = c;
			if (!c)
				break;
		}
	}
	if (r == 0) {
		struct stat st;
		if (stat(path, &st) < 0)
			r = -errno;
		else if (!S_ISDIR(st.st_mode))
			r = -ENOTDIR;
	}
	free(p);
	return r;
}
