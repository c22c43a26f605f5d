#!/bin/bash
# The whole product on three lab hosts, each with its own dockerd,
# glusterd, a loop-mounted brick file system and wireguard-go:
#   h1: master init + master serve --overlay-provider wireguard
#       --storage-provider gluster
#   h2: node join --role manager, h3: node join --role worker, same flags
# Checks the headline: a 3-node Swarm whose nodes are advertised on their
# overlay (100.64.0.0/10) addresses; a full WireGuard mesh; a started
# replica-3 volume whose bricks and peers are named by the overlay
# addresses, so Gluster traffic goes through the tunnel (and bulk data
# crosses wg0's smaller MTU intact); the volume mounted on every host; a
# file written on h2 read on h3; re-running node join on h2 changes
# nothing; after the master loses its controller, tunnel and mount (a reboot),
# master init + master serve bring them back and the Swarm recovers.
. "$top_srcdir/tests/tap.sh"
. "$top_srcdir/tests/lab/lab.sh"
. "$top_srcdir/tests/integration/gluster-lib.sh"
. "$top_srcdir/tests/integration/e2e-lib.sh"

require_root
require_cmd wireguard-go wg curl jq glusterd gluster mount.glusterfs losetup findmnt ss
[ -e /dev/fuse ] || skip_all "needs /dev/fuse"
bin=$top_builddir/clusterctl
export CLUSTERCTL_PLUGIN_DIR=${CLUSTERCTL_TEST_PLUGIN_DIR:-$top_builddir/tests/plugins-installed}
[ -x "$bin" ] && [ -e "$CLUSTERCTL_PLUGIN_DIR/overlay-wireguard.so" ] &&
	[ -e "$CLUSTERCTL_PLUGIN_DIR/storage-gluster.so" ] || skip_all "clusterctl, the wireguard or the gluster plugin not built"

lab_init fs || skip_all "cannot build the lab"
# a signal must still tear the lab down (lab.sh traps EXIT only)
trap 'exit 1' HUP INT TERM PIPE
IP1=198.51.100.61 IP2=198.51.100.62 IP3=198.51.100.63
OV1=100.96.0.1 OV2=100.96.0.2 OV3=100.96.0.3 # the wireguard pool's first addresses, in join order
gl_hosts_up $IP1 $IP2 $IP3
T0=$(date +%s)
at "lab up"

M=$IP1:7000
FLAGS="--overlay-provider wireguard --storage-provider gluster"
MNT=/data/GlusterFS/0001
state=$MNT/orchestration
BRICK=/data/glusterfs/bricks/clusterctl
in_cgnat() { # 100.64.0.0/10: 100.64.0.0 - 100.127.255.255
	local a=${1%%.*} r=${1#*.}
	[ "$a" = 100 ] && [ "${r%%.*}" -ge 64 ] && [ "${r%%.*}" -le 127 ]
}
# brick_peers HOST: the remote addresses of HOST's established connections
# to brick ports (glusterfsd listens from 49152 up), sorted
brick_peers() {
	lab_exec "$1" ss -Htn state established '( dport >= :49152 )' | awk '{print $4}' | sed 's/:[0-9]*$//' | sort -u | tr '\n' ' '
}

# ---- master ------------------------------------------------------------------
# shellcheck disable=SC2086
out=$(lab_exec h1 "$bin" master init $FLAGS 2>&1)
ok $? "master init --overlay-provider wireguard --storage-provider gluster succeeds on h1"
printf '%s\n' "$out" >>"$LAB_DIR/h1/init.log"
like "$out" "swarm address chosen ip=$OV1 source=\"overlay address\"" "the Swarm is advertised on h1's overlay address"
like "$out" "node join --master $M " "the join line names h1's LAN address, which nodes reach before the overlay"
like "$out" "--role worker --overlay-provider wireguard --storage-provider gluster" "and both providers"
like "$out" "clusterctl master serve --overlay-provider wireguard --storage-provider gluster" \
	"the controller's line names both providers too (without them it hands nodes no overlay)"
is "$(wgaddr h1)" $OV1/16 "h1's wg0 holds the pool's first address"
is "$(bricks)" "$OV1:$BRICK " "the volume's first brick is named by h1's overlay address"
check "h1 has the volume mounted at $MNT" is_fuse h1 $MNT
check "the state dir is on the volume" is_fuse h1 $state
secret=$(lab_exec h1 cat $state/join-secret)
mtoken=$(lab_exec h1 cat $state/manager-secret) # what a manager joins with
serve
ok $? "master serve with both providers listens on :7000"
at "master up"

# ---- nodes ---------------------------------------------------------------------
join h2 --role manager
is "$rc" 0 "node join --role manager on h2 succeeds"
like "$out" "node join done: converged" "with its final line"
like "$out" "overlay path mtu=" "h2 measured the overlay path to the manager"
# h3 joins while h2 does not know it yet (h2's agent, which learns later
# peers, starts only once h3 is under way): growing the volume needs h2's
# glusterd to reach h3 over the mesh, so the first add-brick fails, and
# glusterd leaves the volume's id on h3's brick, which would fail every
# later add-brick.  Once h2 has h3 as a peer, h3's join must converge.
# shellcheck disable=SC2086
lab_exec h3 env CLUSTERCTL_JOIN_SECRET="$secret" "$bin" node join $FLAGS --master $M --role worker \
	--join-deadline 60 >"$LAB_DIR/h3/join-bg.log" 2>&1 &
h3job=$!
lab_wait 40 grep -q "add-brick clusterctl failed: .*Host $OV3 not connected" "$LAB_DIR/h1/controller.log"
ok $? "h3's first add-brick fails: h2 cannot reach h3 over the mesh yet"
lab_spawn h2 agent env CLUSTERCTL_JOIN_SECRET="$mtoken" "$bin" agent $FLAGS --master $M --role manager \
	--heartbeat-interval 1
wait $h3job
is "$?" 0 "node join --role worker on h3 succeeds once h2's agent has given h2 its new peer"
out=$(cat "$LAB_DIR/h3/join-bg.log")
case $out in *"node join done: converged"*) ;; *) printf '%s\n' "$out" | grep -E 'WARN|ERROR' | tail -8 | sed 's/^/# h3: /' ;; esac
printf '%s\n' "$out" >>"$LAB_DIR/h3/join.log"
like "$out" "node join done: converged" "with its final line"
like "$out" "gluster cleared the volume-id" "h3 cleared the tag the failed add-brick left on its (never served) brick"
at "nodes joined"

# ---- the Swarm -----------------------------------------------------------------
nodes=$(api h1 /nodes)
is "$(printf '%s' "$nodes" | jq length)" 3 "the Swarm has three nodes"
is "$(printf '%s' "$nodes" | jq -r '.[] | "\(.Description.Hostname)=\(.Status.Addr)"' | sort | tr '\n' ' ')" \
	"h1=$OV1 h2=$OV2 h3=$OV3 " "every node's Status.Addr is its overlay address"
for a in $(printf '%s' "$nodes" | jq -r '.[].Status.Addr'); do
	in_cgnat "$a"
	ok $? "$a is inside 100.64.0.0/10"
done
is "$(printf '%s' "$nodes" | jq -r '.[] | select(.ManagerStatus) | "\(.Description.Hostname)=\(.ManagerStatus.Addr)"' | sort | tr '\n' ' ')" \
	"h1=$OV1:2377 h2=$OV2:2377 " "h1 and h2 are managers reached on the overlay"
is "$(printf '%s' "$nodes" | jq -r '.[] | select(.ManagerStatus.Leader) | .Description.Hostname')" h1 "h1 leads"

# ---- the mesh ------------------------------------------------------------------
lab_wait 30 full_mesh
ok $? "full WireGuard mesh: every host has two peers, each with a recent handshake"
for h in h1 h2 h3; do diag "$h latest-handshakes: $(handshakes $h)"; done
eps=$(for h in h1 h2 h3; do lab_exec $h wg show wg0 endpoints | awk '{print $2}'; done | sort -u | tr '\n' ' ')
is "$eps" "$IP1:51820 $IP2:51820 $IP3:51820 " "every peer's endpoint is a LAN address"

# ---- the volume ------------------------------------------------------------------
info=$(vinfo)
is "$(echo "$info" | xmlval statusStr)" Started "volume clusterctl is started"
is "$(echo "$info" | xmlval typeStr)" Replicate "of type Replicate"
is "$(echo "$info" | xmlval replicaCount)" 3 "replica 3"
is "$(bricks)" "$OV1:$BRICK $OV2:$BRICK $OV3:$BRICK " "its three bricks are named by the hosts' overlay addresses"
is "$(lab_exec h1 gluster --mode=script --xml peer status | sed -n 's:.*<hostname>\([^<]*\)</hostname>.*:\1:p' | sort -u | tr '\n' ' ')" \
	"$OV2 $OV3 " "h1's glusterd knows its peers h2 and h3 by their overlay addresses"
for h in h1 h2 h3; do check "$h has the volume mounted at $MNT (fuse.glusterfs)" is_fuse $h $MNT; done

# ---- data through the tunnel --------------------------------------------------------
gl_data_through h2 h3
# 4 MiB of random data: TCP segments fill wg0's MTU (1420), below the LAN's
lab_exec h2 sh -c "head -c 4194304 /dev/urandom > $MNT/bulk.bin"
sum=$(lab_exec h2 md5sum $MNT/bulk.bin | cut -c1-32)
is "$(lab_exec h3 md5sum $MNT/bulk.bin 2>&1 | cut -c1-32)" "$sum" "4 MiB written on h2 read on h3, intact"
for h in h2 h3; do
	p=$(brick_peers $h)
	case " $p" in
	*" 198.51."*) ok 1 "$h's mount reaches the bricks over the overlay only"; diag "brick connections to: $p" ;;
	*" 100.96.0."*) ok 0 "$h's mount reaches the bricks over the overlay only ($p)" ;;
	*) ok 1 "$h's mount reaches the bricks over the overlay only"; diag "no brick connections seen: '$p'" ;;
	esac
done
at "data through"

# ---- re-running node join on h2 ------------------------------------------------------
snap() {
	local h
	for h in h1 h2 h3; do printf '%s %s %s|' "$h" "$(wgaddr $h)" "$(peers $h)"; done
	api h1 /nodes | jq -r '.[] | "\(.ID) \(.Status.Addr)"' | sort | tr '\n' ' '
	vinfo | grep -v '<opErrstr'
}
before=$(snap)
lines=$(wc -l <"$LAB_DIR/h1/controller.log")
join h2 --role manager
is "$rc" 0 "re-running node join on h2: exit 0"
like "$out" "swarm membership already as asked role=manager" "its Swarm membership is left alone"
like "$out" "controller note: brick $OV2:$BRICK is in volume clusterctl" "its brick is already in the volume"
is "$(snap)" "$before" "WireGuard addresses and peers, Swarm nodes and the volume are unchanged"
check "the controller ran no gluster change (probe, add-brick, start, heal)" \
	not sh -c "tail -n +$((lines + 1)) '$LAB_DIR/h1/controller.log' | grep -qE 'gluster (peer probe|add-brick|volume start|volume heal)'"
at "re-run"

# ---- the master restarts ----------------------------------------------------------------
# What a reboot takes away on h1: the controller, wireguard-go (so wg0 and
# its peers: h2, the other Swarm manager, is out of reach and the Swarm
# has no leader) and the volume's FUSE client.  clusterctl-master.service
# brings it back with master init (ExecStartPre), then master serve, whose
# state dir is on the volume: the volume must be writable, so wg0 must
# have its peers back before anything registers.
fuse_pid() { # the FUSE client of HOST's mount
	local p
	for p in $(host_pid "$1" glusterfs); do
		tr '\0' '\n' </proc/"$p"/cmdline | grep -qx -- --process-name && tr '\0' '\n' </proc/"$p"/cmdline | grep -qx fuse &&
			echo "$p"
	done
}
leaderless() { api h1 /info | jq -r .Swarm.Error | grep -q 'does not have a leader'; }
pid=$(serve_pid)
[ -n "$pid" ] && kill "$pid" && lab_wait 20 sh -c "! kill -0 $pid 2>/dev/null"
ok $? "the controller stops"
# shellcheck disable=SC2046 # one pid a word
kill $(host_pid h1 wireguard-go) $(fuse_pid h1) 2>/dev/null
lab_wait 10 not lab_exec h1 ip link show dev wg0
ok $? "h1's wireguard-go is gone, and wg0 with it"
lab_exec h1 umount $MNT 2>/dev/null # gone already when the client died first
check "h1's volume is unmounted" not is_fuse h1 $MNT
lab_wait 45 leaderless
ok $? "h1's Swarm has lost its leader (h2 is out of reach), as after a reboot"
at "h1 down"
# shellcheck disable=SC2086
out=$(lab_exec h1 "$bin" master init $FLAGS 2>&1)
ok $? "master init on h1 again succeeds"
printf '%s\n' "$out" >>"$LAB_DIR/h1/init.log"
like "$out" "the swarm has no leader now" "it says the Swarm has no leader, and goes on"
like "$out" "wireguard master peers restored ifname=wg0 peers=2" "it brings wg0 back with both nodes as peers"
check "h1 has the volume mounted again" is_fuse h1 $MNT
lab_wait 20 lab_exec h1 sh -c "echo after-restart > $MNT/after.txt"
ok $? "h1 can write to the volume before the controller runs"
serve
ok $? "master serve comes back on its state dir on the volume"
lab_wait 30 full_mesh
ok $? "the mesh is whole again"
# Docker's raft re-elects once the managers reach each other again over
# the restored wg0 (seen here: about 30 s), and the nodes report in.
leader_back() { api h1 /info | jq -e '.Swarm.ControlAvailable and .Swarm.Error == ""' >/dev/null; }
all_ready() { [ "$(api h1 /nodes | jq '[.[] | select(.Status.State == "ready")] | length')" = 3 ]; }
lab_wait 120 leader_back
ok $? "the Swarm has a leader again"
lab_wait 120 all_ready
ok $? "and all three nodes are ready in it"
diag "h1's Swarm: $(api h1 /info | jq -c '.Swarm | {LocalNodeState, Error}')"
lab_wait 20 lab_exec h3 grep -qx after-restart $MNT/after.txt
ok $? "h3 reads what h1 wrote after the restart"
at "end"
done_testing
