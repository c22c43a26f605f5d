#include "autoconfig.h"

#include <errno.h>
#include <stdlib.h>
#include <time.h>
#include <string.h>

#include "docker.h"
#include "log.h"
#include "swarm-mtu.h"

#define SWARM_MTU_WAIT_STEPS 20 /* of 250 ms */

uint32_t swarm_mtu_choose(const char *flag, uint32_t overlay_mtu, const char **why)
{
	bool asked = flag && *flag;

	if (asked && strcmp(flag, "auto") != 0) {
		/* config.c accepted only 576..9000 */
		*why = "--swarm-mtu";
		return (uint32_t)strtoul(flag, NULL, 10);
	}
	if (overlay_mtu <= MTU_FLOOR + SWARM_VXLAN_OVERHEAD) {
		*why = overlay_mtu ? "the overlay's MTU is too small to derive one from" : "the overlay reports no MTU";
		return 0;
	}
	if (!asked && overlay_mtu >= SWARM_DEFAULT_MTU) {
		*why = "the overlay carries Docker's default";
		return 0;
	}
	*why = asked ? "--swarm-mtu auto: the overlay's MTU less Swarm's VXLAN headers"
		     : "the overlay's MTU less Swarm's VXLAN headers (no --swarm-mtu given)";
	return overlay_mtu - SWARM_VXLAN_OVERHEAD;
}

bool swarm_mtu_fits(uint32_t net_mtu, uint32_t overlay_mtu, uint32_t *fit)
{
	uint32_t m = net_mtu ? net_mtu : SWARM_DEFAULT_MTU;

	*fit = overlay_mtu > SWARM_VXLAN_OVERHEAD ? overlay_mtu - SWARM_VXLAN_OVERHEAD : 0;
	return m + SWARM_VXLAN_OVERHEAD <= overlay_mtu;
}

bool swarm_mtu_check_node(struct docker *d, uint32_t overlay_mtu)
{
	uint32_t mtu = 0, fit;
	char *err = NULL;
	int r;

	if (!overlay_mtu)
		return true;
	/* A node that has just joined gets the ingress network from the
	 * managers a moment later: wait for it, briefly. */
	for (int i = 0; (r = docker_ingress_get_mtu(d, &mtu, &err)) == -ENOENT && i < SWARM_MTU_WAIT_STEPS; i++) {
		free(err);
		err = NULL;
		nanosleep(&(struct timespec){.tv_nsec = 250 * 1000000L}, NULL);
	}
	if (r < 0) {
		log_info("swarm ingress mtu not checked: %s", err ? err : "no ingress network on this node yet");
		free(err);
		return false;
	}
	if (swarm_mtu_fits(mtu, overlay_mtu, &fit))
		log_info("swarm ingress mtu=%u fits the overlay mtu=%u", mtu ? mtu : SWARM_DEFAULT_MTU, overlay_mtu);
	else
		log_warn("swarm ingress mtu=%u does not fit the overlay tunnel mtu=%u: Swarm's VXLAN adds %d bytes, so "
			 "full-size packets between services are lost (bulk transfers stall); recreate the swarm with "
			 "master init --swarm-mtu %u (or auto), or give the overlay a larger MTU",
			 mtu ? mtu : SWARM_DEFAULT_MTU, overlay_mtu, SWARM_VXLAN_OVERHEAD, fit);
	return true;
}
