/* Small, crash-safe file helpers for what keeps state on disk: plugins
 * (keys, leases, payloads, fstab) and the core (join secret, node id,
 * state store), which links this convenience library too.  libc only. */
#ifndef CLUSTERCTL_PLUGIN_FILE_H
#define CLUSTERCTL_PLUGIN_FILE_H

#include <stddef.h>
#include <sys/types.h>

/* Replace `path` with `data` so that a crash leaves the old file or the
 * new one, never a mix: write a temporary beside it, fsync, rename,
 * fsync the directory.  The file gets exactly `mode`, whatever the
 * umask.  0 or -errno. */
int cc_write_file_atomic(const char *path, const void *data, size_t len, mode_t mode);
/* The whole file, NUL-terminated, at most `max` bytes (-EFBIG beyond);
 * *len (may be NULL) gets its length.  0 or -errno. */
int cc_read_file(const char *path, size_t max, char **out, size_t *len);
/* fsync the directory holding `path`: makes a rename in it durable. */
int cc_fsync_dir_of(const char *path);
/* mkdir -p: every missing component of an absolute path, with `mode`;
 * -ENOTDIR when the path exists as something else.  0 or -errno. */
int cc_mkdir_p(const char *path, mode_t mode);

#endif
