/* `clusterctl master serve`: the controller (cmd_master_serve in app.h).
 * One event loop (epoll) serves every connection; see controller.c for
 * the life of a request and doc/controller-protocol.md for the wire
 * extensions.  Shared with `clusterctl status`: */
#ifndef CLUSTERCTL_CONTROLLER_H
#define CLUSTERCTL_CONTROLLER_H

#include <stddef.h>

#define JOIN_SECRET_FILE "join-secret"
#define JOIN_SECRET_MAX 512

/* Read a join secret file: one line, surrounding whitespace dropped.
 * -ENOENT when missing; -EINVAL (with *err) when empty or too long. */
int join_secret_read(const char *path, char **secret, char **err);

/* Parse "a.b.c.d:port" (port 0..65535). */
int parse_ipv4_port(const char *s, char ip[16], unsigned *port);

#endif
