/* Reading a file that holds a secret or a key: never through a symlink
 * someone planted (O_NOFOLLOW), only a regular file owned by this user
 * (root for the services) that nobody else may write.  A key another
 * user could replace is a key an attacker chose. */
#ifndef CLUSTERCTL_SECURE_FILE_H
#define CLUSTERCTL_SECURE_FILE_H

#include <stdbool.h>
#include <stddef.h>

/* The whole file (at most max bytes), NUL-terminated.  -ENOENT when it
 * does not exist (no message); otherwise 0, or -errno with *err saying
 * what is wrong with the file and how to fix it.  private_: the file
 * must not be readable by group or others either. */
int secure_file_read(const char *path, size_t max, bool private_, char **out, size_t *len, char **err);

#endif
