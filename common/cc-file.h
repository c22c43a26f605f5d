/* Whole-file reads and crash-safe writes: the one copy for what keeps
 * state on disk, in the core (join secret, node id, state store) and in
 * the plugins (keys, leases, payloads). */
#ifndef CLUSTERCTL_CC_FILE_H
#define CLUSTERCTL_CC_FILE_H

#include <stddef.h>
#include <sys/types.h>

/* Every byte of buf to fd, across short writes and EINTR.  0 or -errno. */
int cc_write_all(int fd, const void *buf, size_t len);

/* Replace `path` with `data` so that a crash leaves the old file or the
 * new one, never a mix: write a temporary beside it (created afresh, so a
 * symlink planted there is not followed), fsync it, rename it over path
 * (which replaces a symlink at path rather than writing through it),
 * fsync the directory.  The file gets exactly `mode`, whatever the umask.
 * The temporary is "<path>.tmp.<pid>", so two processes never share one.
 * 0 or -errno; on failure the temporary is gone. */
int cc_write_file_atomic(const char *path, const void *data, size_t len, mode_t mode);
/* The same with the caller's temporary name, for a single writer that
 * removes a leftover one at start (the state store). */
int cc_write_file_atomic_via(const char *path, const char *tmp, const void *data, size_t len, mode_t mode);

/* The whole file, NUL-terminated, at most `max` bytes (-EFBIG beyond);
 * *len (may be NULL) gets its length.  0 or -errno. */
int cc_read_file(const char *path, size_t max, char **out, size_t *len);
/* fsync the directory holding `path`: makes a rename in it durable. */
int cc_fsync_dir_of(const char *path);
/* mkdir -p: every missing component of an absolute path, with `mode`;
 * -ENOTDIR when the path exists as something else.  0 or -errno. */
int cc_mkdir_p(const char *path, mode_t mode);

#endif
