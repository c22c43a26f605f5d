/* `clusterctl master serve`: the controller (cmd_master_serve in app.h).
 * One event loop (epoll) serves every connection; see controller.c for
 * the life of a request and doc/controller-protocol.md for the wire
 * extensions.  Shared with `clusterctl status`: */
#ifndef CLUSTERCTL_CONTROLLER_H
#define CLUSTERCTL_CONTROLLER_H

#include <stddef.h>

/* Parse "a.b.c.d:port" (port 0..65535). */
int parse_ipv4_port(const char *s, char ip[16], unsigned *port);

#endif
