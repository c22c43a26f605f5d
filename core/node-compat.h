/* What a node must share with the controller before it is planned at
 * all: the same overlay and storage providers (protocol version 2 says
 * which it runs).  A node that differs would converge half a cluster: a
 * node without the storage provider reports "converged" with services
 * writing to its local disk, so it is refused, naming both sides. */
#ifndef CLUSTERCTL_NODE_COMPAT_H
#define CLUSTERCTL_NODE_COMPAT_H

#include "protocol.h"

/* 0 when the node may go on (a field it did not send is not checked: a
 * version 1 node or a minimal client); -EINVAL with *err (malloc'd) saying
 * which provider differs, both names and the fix. */
int node_compat_check(const struct registration *reg, const char *overlay, const char *storage,
		      char **err);

#endif
