/* `clusterctl status`: the part of the table that comes from heartbeats
 * (node-health.h): quorum, stale nodes, and per node the program version,
 * the age of its last registration and its providers' health. */
#ifndef CLUSTERCTL_STATUS_HEALTH_H
#define CLUSTERCTL_STATUS_HEALTH_H

#include <stdio.h>

#include "ctl-client.h"

void status_health_print(FILE *out, const struct ctl_status *st);

#endif
