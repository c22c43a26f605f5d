#!/bin/bash
# Issue 5 end to end: a Swarm over the wireguard overlay on a three-host
# lab with real dockerd and wireguard-go (this kernel has no WireGuard).
#   h1: master init + master serve --overlay-provider wireguard
#   h2, then h3: node join --overlay-provider wireguard --master <h1 LAN>
# Checks: a 3-node Swarm whose every node advertises its overlay address;
# the master learns each node as a peer from the controller itself, so
# every pair of hosts completes a handshake; h2, which joined before h3,
# gains h3 through its agent without its tunnel being recreated; node
# join measures the overlay path MTU; re-running join and init changes
# nothing; the tunnel outlives node join and the lab teardown ends it.
. "$top_srcdir/tests/tap.sh"
. "$top_srcdir/tests/lab/lab.sh"
. "$top_srcdir/tests/integration/e2e-lib.sh"
bin=$top_builddir/clusterctl
DRIVER=$top_builddir/tests/tools/wg-driver
export CLUSTERCTL_PLUGIN_DIR=$top_builddir/tests/plugins-installed
[ -e "$CLUSTERCTL_PLUGIN_DIR/overlay-wireguard.so" ] && [ -x "$DRIVER" ] ||
	skip_all "the wireguard plugin or tests/tools/wg-driver is not built"
require_root
require_cmd wireguard-go wg curl jq
lab_init we || skip_all "cannot build the lab"
for h in 1 2 3; do
	lab_host h$h 198.51.100.5$h || skip_all "cannot build lab host h$h"
	lab_start_dockerd h$h || skip_all "dockerd does not start in a lab host"
done
M=198.51.100.51:7000
state=/data/GlusterFS/0001/orchestration
FLAGS="--overlay-provider wireguard"
# (CT_WRAP runs the controller, node join and the agent under a checker: e2e-lib.sh)

wgpid() { host_pid "$1" wireguard-go; }
in_pool() { case $1 in 100.96.*) return 0 ;; *) return 1 ;; esac; } # default pool 100.96.0.0/16
ping_ov() { lab_exec "$1" "$DRIVER" x ping "$2"; }

# --- master ------------------------------------------------------------
out=$(lab_exec h1 "$bin" master init $FLAGS 2>&1)
ok $? "master init --overlay-provider wireguard succeeds on h1"
printf '%s\n' "$out" >>"$LAB_DIR/h1/init.log"
like "$out" "node join --master 198.51.100.51:7000 " "the join line names h1's LAN address, which nodes reach before the overlay"
like "$out" "--overlay-provider wireguard" "and the overlay provider"
is "$(wgaddr h1)" 100.96.0.1/16 "h1's wg0 holds the pool's first address"
is "$(api h1 /info | jq -r .Swarm.NodeAddr)" 100.96.0.1 "the Swarm on h1 is advertised on the overlay address"
# issue 12 item 7: no --swarm-mtu, a 1420 tunnel: ingress gets 1420 - 50.
is "$(api h1 '/networks?filters=%7B%22name%22%3A%5B%22ingress%22%5D%7D' | jq -r '.[0].Options["com.docker.network.driver.mtu"]')" \
	1370 "without --swarm-mtu the ingress network is sized to the tunnel (1420 - 50)"
like "$out" "swarm ingress mtu=1370 overlay_mtu=1420" "and master init says where it came from"
secret=$(lab_exec h1 cat $state/join-secret)
mtoken=$(lab_exec h1 cat $state/manager-secret) # what a manager joins with
serve
ok $? "master serve --overlay-provider wireguard listens on :7000"

# --- h2 joins ------------------------------------------------------------
join h2
is "$rc" 0 "node join on h2 succeeds"
like "$out" "node join done: converged" "with the final success line"
mtu=$(printf '%s\n' "$out" | sed -n 's/.*overlay path mtu=\([0-9]*\) manager=100\.96\.0\.1 .*/\1/p' | head -1)
if [ -n "$mtu" ] && [ "$mtu" -ge 1280 ] && [ "$mtu" -le 1420 ]; then
	ok 0 "node join measured the overlay path to the manager: mtu=$mtu (<= wg0 MTU 1420)"
else
	ok 1 "node join measured the overlay path to the manager: got '$mtu'"
fi
like "$out" "swarm_vxlan_mtu=$((mtu - 50))" "and names what is left for Swarm's VXLAN"
like "$out" "swarm ingress mtu=1370 fits the overlay mtu=1420" "node join checks that Swarm's ingress fits the tunnel"
is "$(wgaddr h2)" 100.96.0.2/16 "h2's wg0 holds 100.96.0.2"
check "wireguard-go on h2 outlives node join (its UAPI answers)" lab_exec h2 wg show wg0 public-key
check "the master has h2 as a peer" has_peer h1 "$(wgkey h2)"

# h2 keeps itself in step; h3 comes later.
lab_spawn h2 agent env CLUSTERCTL_JOIN_SECRET="$secret" ${CT_WRAP:-} "$bin" agent $FLAGS --master $M --heartbeat-interval 1
h2_idx=$(ifindex h2)
h2_pid=$(wgpid h2)

# --- h3 joins ------------------------------------------------------------
join h3
is "$rc" 0 "node join on h3 succeeds"
like "$out" "overlay path mtu=" "h3 measured its overlay path too"
is "$(wgaddr h3)" 100.96.0.3/16 "h3's wg0 holds 100.96.0.3"
is "$(lab_exec h3 wg show wg0 peers | grep -c .)" 2 "h3, the late joiner, starts with both h1 and h2 as peers"
lab_wait 30 has_peer h2 "$(wgkey h3)"
ok $? "h2, which joined first, gains h3 as a peer through its agent"
is "$(ifindex h2)/$(wgpid h2)" "$h2_idx/$h2_pid" "without its tunnel being recreated (same wg0, same wireguard-go)"
check "the master has h3 as a peer" has_peer h1 "$(wgkey h3)"

# --- the Swarm -------------------------------------------------------------
nodes=$(api h1 /nodes)
is "$(printf '%s' "$nodes" | jq length)" 3 "the Swarm has three nodes"
is "$(printf '%s' "$nodes" | jq -r '.[] | "\(.Description.Hostname)=\(.Status.Addr)"' | sort | tr '\n' ' ')" \
	"h1=100.96.0.1 h2=100.96.0.2 h3=100.96.0.3 " "every node's Status.Addr is its overlay address"
is "$(printf '%s' "$nodes" | jq -r '.[] | select(.ManagerStatus) | "\(.Description.Hostname)=\(.ManagerStatus.Addr)"')" \
	"h1=100.96.0.1:2377" "the manager's ManagerStatus.Addr is on the overlay"
for h in h1 h2 h3; do
	a=$(api $h /info | jq -r .Swarm.NodeAddr)
	in_pool "$a" && [ "$a/16" = "$(wgaddr $h)" ]
	ok $? "$h: /info Swarm.NodeAddr $a is its wg0 address, inside the pool"
done

# --- the mesh --------------------------------------------------------------
for pair in h1:100.96.0.2 h1:100.96.0.3 h2:100.96.0.1 h2:100.96.0.3 h3:100.96.0.1 h3:100.96.0.2; do
	lab_wait 20 ping_ov "${pair%%:*}" "${pair#*:}"
	ok $? "${pair%%:*} -> ${pair#*:}: ICMP echo over the overlay"
done
# The nodes register with their overlay address once the tunnel is up:
# peers must still be pointed at the LAN (the node's UnderlayIP).
eps=$(for h in h1 h2 h3; do lab_exec $h wg show wg0 endpoints | awk '{print $2}'; done | sort -u | tr '\n' ' ')
is "$eps" "198.51.100.51:51820 198.51.100.52:51820 198.51.100.53:51820 " \
	"every peer's endpoint is its host's LAN address, never an overlay address"
lab_wait 30 full_mesh
ok $? "full mesh: every host has two peers, each with a recent handshake"
for h in h1 h2 h3; do diag "$h latest-handshakes: $(handshakes $h)"; done
like "$(cat "$LAB_DIR/h1/controller.log")" "master peers in step ifname=wg0" \
	"the controller's thread brought the master's own wg0 in step at start"
check "and put each joining node on it, one peer at a time" \
	grep -qE "master peer set ifname=wg0|master peers changed ifname=wg0" "$LAB_DIR/h1/controller.log"

# --- idempotence -----------------------------------------------------------
snap() {
	local h
	for h in h1 h2 h3; do
		printf '%s %s %s %s|' "$h" "$(wgkey $h)" "$(wgaddr $h)" "$(peers $h)"
	done
	api h1 /nodes | jq -r '.[] | "\(.ID) \(.Status.Addr)"' | sort | tr '\n' ' '
}
before=$(snap)
join h2
is "$rc" 0 "re-running node join on h2 succeeds"
like "$out" "swarm membership already as asked" "and leaves its Swarm membership alone"
join h3
is "$rc" 0 "re-running node join on h3 succeeds"
out=$(lab_exec h1 "$bin" master init $FLAGS 2>&1)
ok $? "re-running master init on h1 succeeds"
like "$out" "swarm already initialised here: nothing to do" "and leaves the Swarm alone"
is "$(snap)" "$before" "keys, addresses, peers and Swarm nodes are all unchanged"
is "$(ifindex h2)/$(wgpid h2)" "$h2_idx/$h2_pid" "h2's tunnel is still the one it joined with"

# --- the tunnel's lifetime -------------------------------------------------
pid=$(wgpid h3)
[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null
ok $? "h3's wireguard-go (pid '$pid') is running after node join returned"
lab_host_down h3
lab_wait 10 sh -c "! kill -0 $pid 2>/dev/null"
ok $? "tearing down the lab host ends its wireguard-go"
done_testing
