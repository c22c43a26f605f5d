/* The cluster's join secret: <state-dir>/join-secret, one line, mode 0600.
 * It gates the Swarm tokens the controller hands out (protocol.md,
 * Security). */
#ifndef CLUSTERCTL_JOIN_SECRET_H
#define CLUSTERCTL_JOIN_SECRET_H

#include <stdbool.h>

#define JOIN_SECRET_FILE "join-secret"
#define JOIN_SECRET_MAX 256

/* Read and validate a secret file (printable, no spaces, 16..256 bytes,
 * one line).  -ENOENT when absent; other errors with *err set. */
int join_secret_read(const char *path, char **secret, char **err);
/* The secret a command sends to the controller (status, node remove):
 * `given` (--join-secret), else the file `file` (--join-secret-file),
 * else, on the master, the first of `names` (NULL-terminated, tried in
 * order) that exists in state_dir.  0 with *secret, which stays NULL when
 * no file was named and none of the state dir's exists; -errno with *err
 * when a named or existing file cannot be used. */
int join_secret_find(const char *given, const char *file, const char *state_dir, const char *const names[],
		     char **secret, char **err);
/* Keep the existing secret or create a random one (32 bytes, hex).
 * *created tells which.  A secret file with loose permissions is fixed. */
int join_secret_ensure(const char *state_dir, char **secret, bool *created, char **err);
/* Constant-time comparison: equal length and bytes. */
bool join_secret_equal(const char *a, const char *b);

#endif
