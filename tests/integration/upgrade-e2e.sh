#!/bin/bash
# Upgrades without a rebuild of the cluster (issue 12 item 8), on a
# three-host lab with real dockerd and wireguard-go:
#   h1: master init + master serve --overlay-provider wireguard
#   h2, h3: agents (heartbeat every 2 s)
# The controller is replaced in place: stopped, started again from a new
# binary (tests/tools/clusterctl-next, the same program saying version
# "+next") on the same state dir, and every node stays ready and on the
# mesh; status shows who runs what once a node is upgraded too, and a node
# whose agent stopped shows as stale.  Then that node is removed with
# clusterctl node remove (issue 12 item 1): refused while it is still up in
# the Swarm, then forced: it leaves the Swarm, the master's wg0 at once
# and h3's with its next heartbeat, and the controller's state.
. "$top_srcdir/tests/tap.sh"
. "$top_srcdir/tests/lab/lab.sh"
. "$top_srcdir/tests/integration/e2e-lib.sh"
bin=$top_builddir/clusterctl
next=$top_builddir/tests/tools/clusterctl-next
DRIVER=$top_builddir/tests/tools/wg-driver
export CLUSTERCTL_PLUGIN_DIR=$top_builddir/tests/plugins-installed
[ -e "$CLUSTERCTL_PLUGIN_DIR/overlay-wireguard.so" ] && [ -x "$next" ] && [ -x "$DRIVER" ] ||
	skip_all "the wireguard plugin, tests/tools/clusterctl-next or wg-driver is not built"
require_root
require_cmd wireguard-go wg curl jq
lab_init up || skip_all "cannot build the lab"
for h in 1 2 3; do
	lab_host h$h 198.51.100.8$h || skip_all "cannot build lab host h$h"
	lab_start_dockerd h$h || skip_all "dockerd does not start in a lab host"
done
M=198.51.100.81:7000
state=/data/GlusterFS/0001/orchestration
FLAGS="--overlay-provider wireguard"
old=$("$bin" --version | awk '{print $2}')
new=$("$next" --version | awk '{print $2}')
ping_ov() { lab_exec "$1" "$DRIVER" x ping "$2"; }
status_json() { lab_exec h1 "$1" status --json 2>/dev/null; }
# ready_all BIN: every registered node's last answer was "ready" and none is stale
ready_all() {
	[ "$(status_json "$1" | jq -r '[.Nodes[] | select(.Status == "ready" and .Stale == false)] | length')" = 2 ]
}
serve_with() { # serve_with BINARY [flags]: the controller on h1
	local b=$1
	shift
	lab_exec h1 setsid "$b" master serve $FLAGS "$@" </dev/null >>"$LAB_DIR/h1/controller.log" 2>&1 &
	lab_wait 20 lab_exec h1 bash -c 'exec 3<>/dev/tcp/127.0.0.1/7000'
}
stop_serve() {
	local pid
	pid=$(serve_pid)
	[ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null
	lab_wait 20 sh -c "! kill -0 $pid 2>/dev/null"
}
agent() { # agent HOST BINARY
	lab_spawn "$1" "agent-$(basename "$2")" env CLUSTERCTL_JOIN_SECRET="$secret" "$2" agent $FLAGS --master $M \
		--heartbeat-interval 2
}

out=$(lab_exec h1 "$bin" master init $FLAGS 2>&1)
ok $? "master init on h1"
secret=$(lab_exec h1 cat $state/join-secret)
serve_with "$bin" --stale-after 6
ok $? "the controller ($old) serves"
agent h2 "$bin"
agent h3 "$bin"
lab_wait 90 ready_all "$bin"
ok $? "h2 and h3 run their agents and are ready"
lab_wait 30 ping_ov h2 100.96.0.3
ok $? "h2 reaches h3 over the overlay"
is "$(status_json "$bin" | jq -r '[.Nodes[].ClusterctlVersion] | unique | join(",")')" "$old" \
	"status: both nodes run $old"

# --- the controller replaced in place ---------------------------------------
stop_serve
ok $? "the old controller stops on SIGTERM"
like "$(cat "$LAB_DIR/h1/controller.log")" "state flushed" "and flushes its state"
serve_with "$next" --stale-after 6 --metrics-listen 127.0.0.1:9450
ok $? "the new binary ($new) serves the same state dir"
is "$(lab_exec h1 "$next" status --json | jq -r '.Nodes | length')" 2 "it knows both nodes from the state it found"
mark=$(wc -l <"$LAB_DIR/h2/agent-clusterctl.log")
lab_wait 30 sh -c "tail -n +$((mark + 1)) '$LAB_DIR/h2/agent-clusterctl.log' | grep -q 'controller says ready'"
ok $? "h2's agent is answered ready by the new controller"
lab_wait 30 ready_all "$next"
ok $? "every node is ready and heard from after the replacement"
is "$(api h1 /nodes | jq -r '[.[] | select(.Status.State == "ready")] | length')" 3 "the Swarm has its three nodes ready"
lab_wait 30 ping_ov h3 100.96.0.1
ok $? "h3 reaches the master over the overlay (the new controller restored its peers)"
# The metrics of a live WireGuard controller (issue 12 item 6).
plans() { lab_exec h1 curl -sf http://127.0.0.1:9450/metrics >"$LAB_DIR/metrics.txt" &&
	[ "$(awk '$1 == "clusterctl_plugin_plan_duration_seconds_count{provider=\"wireguard\",kind=\"overlay\"}" {print $2}' "$LAB_DIR/metrics.txt")" -ge 2 ]; }
lab_wait 20 plans
ok $? "the new controller serves /metrics, with both nodes' heartbeats planned"
if command -v promtool >/dev/null 2>&1; then
	out=$(promtool check metrics <"$LAB_DIR/metrics.txt" 2>&1)
	ok $? "promtool check metrics accepts it${out:+: $out}"
elif [ "${CI:-}" = true ]; then
	ok 1 "promtool check metrics: promtool is required under CI (Debian's prometheus package)"
else
	tap_n=$((tap_n + 1))
	echo "ok $tap_n # SKIP needs promtool (Debian's prometheus package)"
fi
n=$(awk '$1 == "clusterctl_plugin_plan_duration_seconds_count{provider=\"wireguard\",kind=\"overlay\"}" {print $2}' "$LAB_DIR/metrics.txt")
ok $([ "${n:-0}" -ge 2 ]; echo $?) "WireGuard's plan latency is measured ($n plans)"
n=$(awk '$1 == "clusterctl_registrations_total{outcome=\"ready\"}" {print $2}' "$LAB_DIR/metrics.txt")
ok $([ "${n:-0}" -ge 2 ]; echo $?) "and the ready registrations counted ($n)"
ok $(grep -q 'heartbeat round did not converge' "$LAB_DIR/h2/agent-clusterctl.log" "$LAB_DIR/h3/agent-clusterctl.log"; echo $((!$?))) \
	"no agent round failed across the replacement"

# --- a node upgraded too: who runs what -------------------------------------
kill $(host_pid h3 clusterctl) 2>/dev/null
agent h3 "$next"
lab_wait 30 sh -c "[ \"\$(nsenter --target $(cat "$LAB_DIR/h1/holder.pid") --net --mount --uts '$next' status --json | jq -r '.Nodes[] | select(.Hostname==\"h3\") | .ClusterctlVersion')\" = '$new' ]"
ok $? "h3 on the new binary: status says it runs $new"
st=$(status_json "$next")
is "$(printf '%s' "$st" | jq -r '.Nodes[] | select(.Hostname=="h2") | .ClusterctlVersion')" "$old" \
	"and h2 still runs $old, one release behind, accepted"
is "$(printf '%s' "$st" | jq -r '[.Nodes[].ProtocolVersion] | unique | join(",")')" 2 "both speak protocol 2"
like "$(lab_exec h1 "$next" status 2>&1)" "$new" "the status table shows the versions"

# --- a stopped node is stale ------------------------------------------------
kill $(host_pid h2 clusterctl) 2>/dev/null
lab_wait 20 sh -c "[ \"\$(nsenter --target $(cat "$LAB_DIR/h1/holder.pid") --net --mount --uts '$next' status --json | jq -r '.Nodes[] | select(.Hostname==\"h2\") | .Stale')\" = true ]"
ok $? "h2, whose agent stopped, is shown stale after --stale-after"
st=$(status_json "$next")
is "$(printf '%s' "$st" | jq -r '.StaleNodes')" 1 "the cluster counts one stale node"
like "$(lab_exec h1 "$next" status 2>&1)" "STALE" "the table marks it"
is "$(printf '%s' "$st" | jq -r '.Nodes[] | select(.Hostname=="h3") | .Stale')" false "h3 is not stale"
is "$(printf '%s' "$st" | jq -r '.Nodes[] | select(.Hostname=="h3") | .Health.Overlay.PeersCount')" 2 \
	"h3's heartbeat carries its tunnel's health: two peers"

# --- node remove ------------------------------------------------------------
h2key=$(lab_exec h2 wg show wg0 public-key)
out=$(lab_exec h1 "$next" node remove h2 2>&1); rc=$?
is "$rc" 1 "node remove h2 while its dockerd still runs: refused (exit 1)"
like "$out" "still up in the Swarm" "saying it is still up, and what to do"
is "$(status_json "$next" | jq -r '[.Nodes[].Hostname] | index("h2") != null')" true "nothing changed: h2 is still registered"
out=$(lab_exec h1 "$next" node remove h2 --force 2>&1); rc=$?
is "$rc" 0 "node remove h2 --force succeeds"
printf '%s\n' "$out" | sed 's/^/# /'
like "$out" "swarm: docker node rm" "it reports the Swarm step"
like "$out" "overlay provider wireguard: peer" "the overlay step"
like "$out" "forgotten, durably" "and the controller's"
is "$(api h1 /nodes | jq -r '[.[].Description.Hostname] | index("h2")')" null "h2 is no longer a Swarm node"
ok $(lab_exec h1 wg show wg0 peers | grep -qxF "$h2key"; echo $((!$?))) "the master dropped h2's peer at once"
lab_wait 20 sh -c "! nsenter --target $(cat "$LAB_DIR/h3/holder.pid") --net --mount --uts wg show wg0 peers | grep -qxF '$h2key'"
ok $? "h3 dropped h2's peer with its next heartbeat"
st=$(status_json "$next")
is "$(printf '%s' "$st" | jq -r '[.Nodes[].Hostname] | join(",")')" h3 "status lists h3 only"
is "$(printf '%s' "$st" | jq -r '.RegisteredWorkers')" 1 "the counts are recomputed"
stop_serve
serve_with "$next" --stale-after 6
is "$(status_json "$next" | jq -r '[.Nodes[].Hostname] | join(",")')" h3 "after a restart h2 stays removed"
stop_serve
done_testing
