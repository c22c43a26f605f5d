#include "autoconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cc-buf.h"
#include "secure-file.h"

int secure_file_read(const char *path, size_t max, bool private_, char **out, size_t *len, char **err)
{
	struct stat st;
	struct cc_buf in = CC_BUF_INIT;
	char chunk[4096];
	int fd, r = 0;

	*out = NULL;
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		r = -errno;
		if (r == -ENOENT)
			return r;
		if (r == -ELOOP)
			*err = cc_strdupf("%s is a symbolic link; refusing to follow it (replace it with the file "
					  "itself)",
					  path);
		else
			*err = cc_strdupf("cannot open %s: %s", path, strerror(-r));
		return r;
	}
	if (fstat(fd, &st) < 0) {
		r = -errno;
		*err = cc_strdupf("cannot stat %s: %s", path, strerror(-r));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		r = -EINVAL;
		*err = cc_strdupf("%s is not a regular file", path);
		goto out;
	}
	if (st.st_uid != geteuid() && st.st_uid != 0) {
		r = -EPERM;
		*err = cc_strdupf("%s is owned by uid %u, not by this user (uid %u) or root; chown it", path,
				  (unsigned)st.st_uid, (unsigned)geteuid());
		goto out;
	}
	if (st.st_mode & 022) {
		r = -EPERM;
		*err = cc_strdupf("%s is writable by group or others (mode %03o); chmod go-w it", path,
				  (unsigned)(st.st_mode & 0777));
		goto out;
	}
	if (private_ && (st.st_mode & 077)) {
		r = -EPERM;
		*err = cc_strdupf("%s is readable by group or others (mode %03o); chmod 600 it", path,
				  (unsigned)(st.st_mode & 0777));
		goto out;
	}
	for (;;) {
		ssize_t n = read(fd, chunk, sizeof chunk);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = -errno;
			*err = cc_strdupf("cannot read %s: %s", path, strerror(-r));
			goto out;
		}
		if (n == 0)
			break;
		if ((size_t)n > max - in.len) {
			r = -EFBIG;
			*err = cc_strdupf("%s is larger than %zu bytes", path, max);
			goto out;
		}
		cc_buf_append(&in, chunk, (size_t)n);
	}
	if (in.oom) {
		r = -ENOMEM;
		*err = cc_strdupf("out of memory reading %s", path);
		goto out;
	}
	if (len)
		*len = in.len;
	*out = cc_buf_detach(&in);
	if (!*out)
		r = -ENOMEM;
out:
	cc_buf_free(&in);
	close(fd);
	return r;
}
