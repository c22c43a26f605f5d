/* Sizing Swarm's networks to the overlay tunnel they run inside.
 * Swarm's VXLAN adds SWARM_VXLAN_OVERHEAD bytes to every packet: over a
 * tunnel whose MTU is below the LAN's 1500 an ingress network left at
 * Docker's 1500 loses every full-size packet (bulk transfers stall while
 * small requests work), which is why master init sizes it by default and
 * node join checks it. */
#ifndef CLUSTERCTL_SWARM_MTU_H
#define CLUSTERCTL_SWARM_MTU_H

#include <stdbool.h>
#include <stdint.h>

#include "mtu-probe.h"

#define SWARM_DEFAULT_MTU 1500 /* Docker's, when a network sets none */

/* The ingress MTU master init gives a new Swarm: --swarm-mtu N wins;
 * "auto" and no flag derive it from the overlay link MTU (0: none
 * reported), except that without the flag a tunnel of 1500 or more
 * keeps Docker's default.  0 means Docker's default.  *why (static text)
 * says which rule chose it. */
uint32_t swarm_mtu_choose(const char *flag, uint32_t overlay_mtu, const char **why);

/* Whether a network of MTU net_mtu (0: Docker's default) fits inside a
 * tunnel of MTU overlay_mtu with the VXLAN overhead; the largest MTU that
 * would fit in *fit. */
bool swarm_mtu_fits(uint32_t net_mtu, uint32_t overlay_mtu, uint32_t *fit);

struct docker;
/* node join, once in the Swarm: warn when the ingress network does not
 * fit the overlay tunnel of MTU overlay_mtu (0: no overlay MTU, nothing
 * to check), saying what to do.  Informational only: never fails a join.
 * false when it could not look yet (no ingress network on this node). */
bool swarm_mtu_check_node(struct docker *d, uint32_t overlay_mtu);

#endif
