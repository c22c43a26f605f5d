#!/bin/bash
# The node side of the crash torture (issue 13 item 2): on a lab host,
# `node join` and `agent` are killed with SIGKILL at random moments while
# they converge (the WireGuard overlay through wireguard-go, the Swarm,
# the GlusterFS mount and its fstab line), NODE_TORTURE_CYCLES times
# (10), alternating the two; then a re-run converges and leaves no
# half-state: no temporary file in the node's state or fstab directory,
# every JSON file the node keeps parses, one fstab line and one mount for
# the volume, one wg0 and one wireguard-go, no other WireGuard interface,
# the node once in the Swarm and once among the master's peers; and a
# second run changes nothing.
. "$top_srcdir/tests/tap.sh"
. "$top_srcdir/tests/lab/lab.sh"
. "$top_srcdir/tests/integration/gluster-lib.sh"
. "$top_srcdir/tests/integration/e2e-lib.sh"

require_root
require_cmd wireguard-go wg curl jq glusterd gluster mount.glusterfs losetup findmnt
[ -e /dev/fuse ] || skip_all "needs /dev/fuse"
bin=$top_builddir/clusterctl
export CLUSTERCTL_PLUGIN_DIR=${CLUSTERCTL_TEST_PLUGIN_DIR:-$top_builddir/tests/plugins-installed}
[ -x "$bin" ] && [ -e "$CLUSTERCTL_PLUGIN_DIR/overlay-wireguard.so" ] &&
	[ -e "$CLUSTERCTL_PLUGIN_DIR/storage-gluster.so" ] || skip_all "clusterctl, the wireguard or the gluster plugin not built"
CYCLES=${NODE_TORTURE_CYCLES:-10}

lab_init nk || skip_all "cannot build the lab"
trap 'exit 1' HUP INT TERM PIPE
IP1=198.51.100.91 IP2=198.51.100.92
# h1: master with a brick; h2: a Gluster client (no brick file system).
lab_host h1 $IP1 || skip_all "cannot build lab host h1"
lab_host h2 $IP2 || skip_all "cannot build lab host h2"
( (lab_start_dockerd h1 && lab_start_glusterd h1) >"$LAB_DIR/h1/start.out" 2>&1; echo $? >"$LAB_DIR/h1/start.rc") &
p1=$!
(lab_start_dockerd h2 >"$LAB_DIR/h2/start.out" 2>&1; echo $? >"$LAB_DIR/h2/start.rc") &
p2=$!
lab_brick_fs h1 /data/glusterfs/bricks || skip_all "no loop device for bricks"
wait $p1 $p2
for h in h1 h2; do
	[ "$(cat "$LAB_DIR/$h/start.rc")" = 0 ] || { sed 's/^/# /' "$LAB_DIR/$h/start.out"; skip_all "daemons did not start on $h"; }
done
T0=$(date +%s)
at "lab up"

M=$IP1:7000
FLAGS="--overlay-provider wireguard --storage-provider gluster"
export CLUSTERCTL_GLUSTER_PERSIST_MOUNT=true CLUSTERCTL_GLUSTER_FSTAB=/etc/clusterctl/fstab
MNT=/data/GlusterFS/0001
state=$MNT/orchestration
# shellcheck disable=SC2086
out=$(lab_exec h1 "$bin" master init $FLAGS 2>&1)
ok $? "master init on h1"
printf '%s\n' "$out" >>"$LAB_DIR/h1/init.log"
secret=$(lab_exec h1 cat $state/join-secret)
serve
ok $? "master serve on h1"
at "master up"

# ---- kill node join / agent at random moments ------------------------------
killed=0
for c in $(seq 1 "$CYCLES"); do
	if [ $((c % 2)) = 1 ]; then what="node join --join-deadline 60"; else what="agent --heartbeat-interval 1"; fi
	# shellcheck disable=SC2086
	lab_exec h2 env CLUSTERCTL_JOIN_SECRET="$secret" "$bin" $what $FLAGS --master "$M" \
		>>"$LAB_DIR/h2/torture.log" 2>&1 &
	job=$!
	# Early cycles land in the first convergence, later ones in re-runs
	# and the agent's heartbeats.
	sleep "$((RANDOM % 3)).$((RANDOM % 10))"
	pids=$(host_pid h2 clusterctl)
	[ -n "$pids" ] && kill -9 $pids 2>/dev/null && killed=$((killed + 1))
	wait $job 2>/dev/null
	diag "cycle $c: ${what%% --*}, its last line: $(grep '^\[' "$LAB_DIR/h2/torture.log" | tail -n 1 | cut -c1-160)"
done
ok $((killed == 0)) "$killed of $CYCLES runs were killed before they ended"
at "torture done"

# ---- a re-run converges, with no half-state --------------------------------
JOIN_DEADLINE=90 join h2
is "$rc" 0 "node join after the kills converges"
like "$out" "node join done: converged" "with its final line"
is "$(lab_exec h2 find /var/lib/clusterctl /etc/clusterctl -name '*.tmp*' | tr '\n' ' ')" "" \
	"no temporary file left in the node's state or fstab directory"
bad=
for f in $(lab_exec h2 find /var/lib/clusterctl -name '*.json'); do
	lab_exec h2 jq -e . "$f" >/dev/null 2>&1 || bad="$bad $f"
done
is "$bad" "" "every JSON file the node keeps parses"
is "$(lab_exec h2 grep -c " $MNT glusterfs " /etc/clusterctl/fstab)" 1 "one fstab line for the volume"
is "$(lab_exec h2 awk -v m=$MNT '$5 == m' /proc/self/mountinfo | wc -l)" 1 "one mount at $MNT (none stacked)"
check "and it is the volume" is_fuse h2 $MNT
is "$(lab_exec h2 ip -o link show | awk -F': ' '{print $2}' | sed 's/@.*//' | grep -c '^wg')" 1 \
	"one WireGuard interface on h2"
is "$(host_pid h2 wireguard-go | wc -w)" 1 "one wireguard-go"
key=$(wgkey h2)
is "$(lab_exec h1 wg show wg0 peers | grep -cxF "$key")" 1 "h2 is once among h1's peers"
nodes=$(api h1 /nodes)
is "$(printf '%s' "$nodes" | jq '[.[] | select(.Description.Hostname == "h2")] | length')" 1 \
	"h2 is once in the Swarm ($(printf '%s' "$nodes" | jq -c '[.[] | {h: .Description.Hostname, s: .Status.State}]'))"
lab_exec h1 sh -c "echo from-h1 > $MNT/torture.txt"
is "$(lab_exec h2 cat $MNT/torture.txt 2>&1)" from-h1 "a file written on h1 is read on h2"
tunnel_up() { [ "$(handshakes h2)" = 1/1 ]; }
lab_wait 30 tunnel_up
ok $? "h2's one peer, h1, has a recent handshake ($(handshakes h2))"
sums=$(lab_exec h2 md5sum /etc/clusterctl/fstab)
JOIN_DEADLINE=60 join h2
is "$rc" 0 "node join again"
is "$(lab_exec h2 md5sum /etc/clusterctl/fstab)" "$sums" "changes no fstab line"
is "$(host_pid h2 wireguard-go | wc -w)" 1 "and starts no second wireguard-go"
at "checked"
done_testing
