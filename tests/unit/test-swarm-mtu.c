/* issue 12 item 7: Swarm's networks sized to the overlay tunnel.
 * master init: with an overlay whose MTU is below 1500 the ingress MTU
 * comes from it unless --swarm-mtu says otherwise; node join: a network
 * fits when it plus VXLAN's 50 bytes fits the tunnel. */
#include "autoconfig.h"

#include "../tap.h"
#include "swarm-mtu.h"

int main(void)
{
	const char *why = "";
	uint32_t fit;

	is_int(swarm_mtu_choose(NULL, 1420, &why), 1370, "no flag, WireGuard's 1420: ingress 1370");
	like(why, "no --swarm-mtu given", "and the log says it was derived by default");
	is_int(swarm_mtu_choose("", 1280, &why), 1230, "no flag, a 1280 tunnel: 1230");
	is_int(swarm_mtu_choose(NULL, 1500, &why), 0, "no flag, a 1500 overlay: Docker's default");
	is_int(swarm_mtu_choose(NULL, 0, &why), 0, "no flag, no overlay MTU (overlay none): Docker's default");
	like(why, "reports no MTU", "and says why");
	is_int(swarm_mtu_choose("1400", 1420, &why), 1400, "--swarm-mtu 1400 wins over the overlay");
	is_int(swarm_mtu_choose("1500", 1420, &why), 1500, "even a value that does not fit: the admin's call");
	is_int(swarm_mtu_choose("auto", 1420, &why), 1370, "--swarm-mtu auto: the overlay less 50");
	is_int(swarm_mtu_choose("auto", 9000, &why), 8950, "auto also follows a tunnel above 1500");
	is_int(swarm_mtu_choose("auto", 600, &why), 0, "a tunnel too small to derive from keeps the default");

	ok(swarm_mtu_fits(1370, 1420, &fit), "ingress 1370 fits a 1420 tunnel");
	ok(!swarm_mtu_fits(0, 1420, &fit), "Docker's default 1500 does not fit a 1420 tunnel");
	is_int(fit, 1370, "and 1370 would");
	ok(!swarm_mtu_fits(1400, 1420, &fit), "1400 does not fit a 1420 tunnel (1450 > 1420)");
	ok(swarm_mtu_fits(0, 1550, &fit), "the default fits a 1550 tunnel");
	return done_testing();
}
