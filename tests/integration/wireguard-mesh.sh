#!/bin/sh
# The wireguard overlay plugin in a three-host lab (h1 master, h2, h3),
# driven through the core's loader by tests/tools/wg-driver the way
# master init, master serve and node join call it.  wireguard-go serves
# wg0 in every host (this kernel has no WireGuard).  Also checks the
# core's don't-fragment MTU probe over the underlay and the overlay.
. "$top_srcdir/tests/tap.sh"
. "$top_srcdir/tests/lab/lab.sh"

PLUGIN=$top_builddir/plugins/overlay/wireguard/.libs/overlay-wireguard.so
DRIVER=$top_builddir/tests/tools/wg-driver
[ -f "$PLUGIN" ] && [ -x "$DRIVER" ] || skip_all "plugin or driver not built"
require_root
require_cmd wireguard-go wg ip
lab_init wg || skip_all "cannot build the lab"
lab_host h1 198.51.100.41
lab_host h2 198.51.100.42
lab_host h3 198.51.100.43
CTL=$LAB_DIR/ctl
mkdir -p "$CTL/records"

drv() { # drv HOST ARGS...: the driver on HOST with its node state dir
	local h=$1
	shift
	lab_exec "$h" "$DRIVER" --state-dir /var/lib/clusterctl --ip "$(lab_ip "$h")" --hostname "$h" \
		"$PLUGIN" "$@" 2>>"$LAB_DIR/driver.log"
}
jget() { # jget JSON KEY: a top-level scalar of a flat JSON object
	printf '%s' "$1" | sed -n "s/.*\"$2\":\"\{0,1\}\([^\",}]*\).*/\1/p"
}
plan_for() { # plan_for NODE: observe on NODE, plan on h1 (the controller), payload to a file
	drv "$1" observe >"$CTL/$1.observed" &&
		drv h1 plan "$1" "$(lab_ip "$1")" "$CTL/$1.observed" "$CTL/records" >"$CTL/$1.payload"
}
ensure_on() { drv "$1" ensure "$CTL/$1.payload"; }
wgkey() { lab_exec "$1" wg show wg0 public-key; }
# sysfs is the root namespace's in a lab host: read links through ip(8).
link_mtu() { lab_exec "$1" ip -o link show dev wg0 | sed -n 's/.* mtu \([0-9]*\) .*/\1/p'; }
link_index() { lab_exec "$1" ip -o link show dev wg0 | cut -d: -f1; }

# --- master init on h1 --------------------------------------------------
out=$(drv h1 master-prepare)
is "$(jget "$out" converged)" true "master_prepare on h1 converges"
is "$(jget "$out" address)" 100.96.0.1 "the master takes the pool's first address"
is "$(jget "$out" mtu)" 1420 "master link MTU 1420"
check "h1 wg0 carries 100.96.0.1/16" sh -c "ip -n clwgh1 -4 -o addr show dev wg0 | grep -q ' 100.96.0.1/16 '"
is "$(lab_exec h1 stat -c %a /var/lib/clusterctl/plugins/wireguard/private.key)" 600 "private key file is 0600"

# --- nodes h2, h3 join ---------------------------------------------------
check "plan h2 on the controller" plan_for h2
check "plan h3 on the controller" plan_for h3
like "$(cat "$CTL/h2.payload")" '"Address":"100.96.0.2/16"' "h2 is given 100.96.0.2/16"
like "$(cat "$CTL/h3.payload")" '"Address":"100.96.0.3/16"' "h3 is given 100.96.0.3/16"
like "$(cat "$CTL/h2.payload")" "\"Endpoint\":\"198.51.100.41:51820\"" "h2's payload lists the master at its underlay endpoint"
out=$(ensure_on h2)
is "$(jget "$out" converged)" true "ensure on h2 converges: $(jget "$out" message)"
out=$(ensure_on h3)
is "$(jget "$out" converged)" true "ensure on h3 converges"
is "$(jget "$out" ifname)" wg0 "ensure reports the interface"

# --- the master as a member, then everyone re-planned ------------------------
check "plan h1 (the master registering as a node)" plan_for h1
like "$(cat "$CTL/h1.payload")" '"Address":"100.96.0.1/16"' "the master keeps 100.96.0.1"
check "ensure on h1" ensure_on h1
check "re-plan h2" plan_for h2
check "re-plan h3" plan_for h3
like "$(cat "$CTL/h3.payload")" '"PeerSync":"unchanged"' "h3, which joined last, holds the current peer list: unchanged"
check "ensure on h2 again" ensure_on h2
check "ensure on h3 again" ensure_on h3
check "re-plan h2 at the current version" plan_for h2
like "$(cat "$CTL/h2.payload")" '"PeerSync":"unchanged"' "h2, once in step, is answered unchanged"

# --- traffic over the overlay ------------------------------------------
check "h2 -> h1 over the overlay" drv h2 ping 100.96.0.1
check "h3 -> h1 over the overlay" drv h3 ping 100.96.0.1
check "h2 -> h3 over the overlay" drv h2 ping 100.96.0.3
check "h3 -> h2 over the overlay" drv h3 ping 100.96.0.2
check "h1 -> h2 over the overlay" drv h1 ping 100.96.0.2
check "h1 -> h3 over the overlay" drv h1 ping 100.96.0.3

now=$(date +%s)
for h in h1 h2 h3; do
	hs=$(lab_exec $h wg show wg0 latest-handshakes)
	n=$(printf '%s\n' "$hs" | grep -c .)
	recent=$(printf '%s\n' "$hs" | awk -v now="$now" '$2 > 0 && now - $2 < 120 {c++} END {print c+0}')
	is "$n/$recent" "2/2" "$h: two peers, both with a recent handshake"
	addr=$(lab_exec $h ip -4 -o addr show dev wg0 | awk '{print $4}')
	case $addr in 100.96.0.[123]/16) ok 0 "$h: wg0 address $addr is in the pool" ;; *) ok 1 "$h: wg0 address '$addr'" ;; esac
	is "$(link_mtu $h)" 1420 "$h: wg0 MTU 1420"
done

# --- idempotence: ensure again changes nothing ----------------------------
idx=$(link_index h2)
hs_before=$(lab_exec h2 wg show wg0 latest-handshakes | sort)
case "$idx/$hs_before" in [0-9]*/?*) ok 0 "h2: wg0 ifindex $idx and handshakes read" ;; *) ok 1 "h2: wg0 ifindex and handshakes read" ;; esac
out=$(ensure_on h2)
like "$out" ", 0 changes (wireguard-go)" "re-running ensure on h2 makes no change"
is "$(link_index h2)" "$idx" "the interface was not recreated (same ifindex)"
is "$(lab_exec h2 wg show wg0 latest-handshakes | sort)" "$hs_before" "handshakes persist (no tunnel teardown)"
out=$(drv h2 status)
like "$out" '"LatestHandshake":' "status reports each peer's latest handshake"
like "$out" '"Running":true' "status: backend running"

# --- a departed peer is removed ------------------------------------------
# The core removes h3 (REMOVED); a retired key is history a restarted
# controller cannot replay, so the next start takes a new peer epoch and
# h2 fetches the whole list, which no longer names h3.
h3key=$(wgkey h3)
check "the controller removes h3" drv h1 remove h3 "$CTL/records"
check "re-plan h2 after h3 departed" plan_for h2
like "$(cat "$CTL/h2.payload")" '"PeerSync":"full"' "h2 gets the whole list again (new epoch)"
out=$(ensure_on h2)
is "$(jget "$out" converged)" true "ensure on h2 converges without h3"
peers=$(lab_exec h2 wg show wg0 peers)
case $peers in *"$h3key"*) ok 1 "h3 is no longer a peer of h2" ;; *) ok 0 "h3 is no longer a peer of h2" ;; esac
is "$(printf '%s\n' "$peers" | grep -c .)" 1 "h2 keeps exactly one peer (the master)"
is "$(link_index h2)" "$idx" "peer removal kept the interface"
check "h2 -> h1 still answers" drv h2 ping 100.96.0.1

# --- core/mtu-probe: don't-fragment ICMP, binary search --------------------
is "$(drv h2 mtu-probe 100.96.0.1 576 1500)" 1420 "mtu-probe over wg0 finds the overlay MTU 1420"
lab_exec h1 ip link set dev eth0 mtu 1400
# A veth takes frames up to MTU + 4 (VLAN allowance), so the largest
# echo h1 receives whole is 1400..1404; larger ones are dropped silently.
mtu=$(drv h2 mtu-probe 198.51.100.41 576 1500)
case $mtu in 140[0-4]) ok 0 "mtu-probe over the underlay finds h1's limit ($mtu, h1 eth0 MTU 1400)" ;;
*) ok 1 "mtu-probe over the underlay: got '$mtu', want 1400..1404" ;; esac
lab_exec h1 ip link set dev eth0 mtu 1500
if drv h2 mtu-probe 198.51.100.99 576 1500 >/dev/null; then ok 1 "mtu-probe to a silent address fails"; else ok 0 "mtu-probe to a silent address fails"; fi

diag "driver log: $(grep -c . "$LAB_DIR/driver.log" 2>/dev/null) lines; first: $(head -1 "$LAB_DIR/driver.log" 2>/dev/null)"
done_testing
