#!/bin/bash
# master serve with a real Docker engine (a lab host with dockerd and an
# initialised swarm): tokens only in "ready" answers, gating waiting ->
# ready across a clean restart and a kill -9, managers one at a time with
# the slot released by a reachable manager or by the timeout, the manager
# cap, and decisions that survive restarts.
. "$top_srcdir/tests/tap.sh"
require_root
require_cmd jq docker dockerd
. "$top_srcdir/tests/integration/controller-lib.sh"
. "$top_srcdir/tests/lab/lab.sh"

lab_init ct || skip_all "cannot build the lab"
ct_lab_down() {
	local rc=$?
	ct_cleanup
	lab_down
	return $rc
}
trap ct_lab_down EXIT
H1=198.51.100.71
lab_host h1 $H1 || skip_all "cannot create a lab host"
lab_start_dockerd h1 || { ok 1 "dockerd starts in the lab"; done_testing; exit 1; }
lab_exec h1 docker swarm init --advertise-addr $H1 >/dev/null 2>&1
WTOKEN=$(lab_exec h1 docker swarm join-token -q worker)
MTOKEN=$(lab_exec h1 docker swarm join-token -q manager)
like "$MTOKEN" SWMTKN- "the lab engine is a swarm manager"
# The engine's socket lives in the host's mount namespace.
SOCK=/proc/$(cat "$LAB_DIR/h1/holder.pid")/root/run/docker.sock

S=$CT_DIR/state
SECRET=lab-$$-0123456789abcdef
ct_secret "$S" "$SECRET"
FLAGS="--wait-for-minimum --min-managers 1 --min-workers 2 --max-managers 3 --manager-join-timeout 3"
start() { ct_start "$S" $FLAGS --docker-socket "$SOCK"; }
swarm_mgr='"Observed":{"Swarm":{"LocalNodeState":"active","ControlAvailable":true,"NodeID":"x"}}'

start
ok $? "controller starts against the lab engine"

r=$(reg w1 worker 192.0.2.1 "$SECRET")
is "$(json_get "$r" .Status)" waiting "first worker: waiting"
is "$(json_get "$r" '[.RegisteredManagers,.MinManagers,.RegisteredWorkers,.MinWorkers]|join(",")')" \
	"0,1,1,2" "waiting answer carries counts and thresholds"
ok $(printf '%s' "$r" | grep -q -e SWMTKN -e SwarmJoinToken; echo $((!$?))) "no token while waiting"
like "$(cat "$CT_LOG")" "gating: waiting node=host:w1 managers=0/1 workers=1/2" "gating decision logged"

ct_stop TERM
is "$CT_RC" 0 "clean stop while waiting"
start
r=$(reg w1 worker 192.0.2.1 "$SECRET")
is "$(json_get "$r" '[.Status,.RegisteredWorkers]|join(",")')" "waiting,1" "after a restart w1 is still one worker"
r=$(reg w2 worker 192.0.2.2 "$SECRET")
is "$(json_get "$r" '[.Status,.RegisteredWorkers]|join(",")')" "waiting,2" "second worker: still waiting for a manager"

ct_stop 9
start
ok $? "restart after kill -9"
r=$(reg m1 manager 192.0.2.11 "$SECRET")
is "$(json_get "$r" .Status)" ready "the manager that meets the minimum is ready"
is "$(json_get "$r" .SwarmRole)" manager "as a manager"
is "$(json_get "$r" .SwarmJoinToken)" "$MTOKEN" "with the engine's manager token"
is "$(json_get "$r" .SwarmManagerAddr)" "$H1:2377" "manager address detected from the engine"
is "$(json_get "$r" .OverlayType)" none "OverlayType from the started overlay plugin"
is "$(json_get "$r" .GlusterEnabled)" false "GlusterEnabled from the storage plugin"
like "$(cat "$CT_LOG")" "gating: cluster formed managers=1/1 workers=2/2" "formation logged"

r=$(reg w1 worker 192.0.2.1 "$SECRET")
is "$(json_get "$r" '[.Status,.SwarmRole,.SwarmJoinToken]|join(",")')" "ready,worker,$WTOKEN" \
	"w1 is now ready with the worker token"

# Managers one at a time.
r=$(reg m2 manager 192.0.2.12 "$SECRET")
is "$(json_get "$r" .Status)" waiting "second manager waits while the first joins"
like "$(json_get "$r" .Message)" "one at a time" "and is told why"
ok $(printf '%s' "$r" | grep -q SWMTKN; echo $((!$?))) "without a token"
r=$(reg w3 worker 192.0.2.3 "$SECRET")
is "$(json_get "$r" .Status)" ready "workers do not wait for the manager slot"
r=$(reg m1 manager 192.0.2.11 "$SECRET" "$swarm_mgr")
is "$(json_get "$r" .Status)" ready "m1 reports a reachable manager"
like "$(cat "$CT_LOG")" "manager slot: released" "the slot is released"
r=$(reg m2 manager 192.0.2.12 "$SECRET")
is "$(json_get "$r" '[.Status,.SwarmRole]|join(",")')" "ready,manager" "now m2 gets its manager token"
r=$(reg m3 manager 192.0.2.13 "$SECRET")
is "$(json_get "$r" .Status)" waiting "m3 waits for m2"
t0=$(date +%s)
for _ in $(seq 1 40); do
	r=$(reg m3 manager 192.0.2.13 "$SECRET")
	[ "$(json_get "$r" .Status)" = ready ] && break
	sleep 0.25
done
t1=$(date +%s)
is "$(json_get "$r" '[.Status,.SwarmRole]|join(",")')" "ready,manager" \
	"m2 never reported back: after --manager-join-timeout m3 gets the slot"
ok $((t1 - t0 <= 5 ? 0 : 1)) "within the timeout ($((t1 - t0)) s)"

# The cap: three managers already.
r=$(reg m4 manager 192.0.2.14 "$SECRET")
is "$(json_get "$r" '[.Status,.SwarmRole,.SwarmJoinToken]|join(",")')" "ready,worker,$WTOKEN" \
	"a fourth manager over --max-managers 3 joins as a worker"
like "$(json_get "$r" .Message)" "maximum of 3 managers" "with a Message saying why"

# Decisions survive a crash.
ct_stop 9
start
r=$(reg w9 worker 192.0.2.9 "$SECRET")
is "$(json_get "$r" .Status)" ready "after kill -9 the cluster is still formed: a new worker is ready"
r=$(reg m4 manager 192.0.2.14 "$SECRET")
is "$(json_get "$r" .SwarmRole)" worker "the capped manager stays a worker"
r=$(ct_status "$SECRET")
is "$(json_get "$r" '[.ClusterFormed,.RegisteredManagers,.RegisteredWorkers]|join(",")')" "true,3,5" \
	"status: formed, 3 managers, 5 workers"
ct_stop TERM
is "$CT_RC" 0 "SIGTERM: exit 0"

# Manager rights are separate (issue 11, item 3): with a manager token in
# the state dir, only it grants the manager role.
MSECRET=mgr-$$-0123456789abcdef
(umask 077 && printf '%s\n' "$MSECRET" >"$S/manager-secret")
start
ok $? "the controller starts with a manager token"
r=$(reg m5 manager 192.0.2.15 "$SECRET")
is "$(json_get "$r" '[.Status,.SwarmRole,.SwarmJoinToken]|join(",")')" "ready,worker,$WTOKEN" \
	"asking for manager with the join token: a worker, with the worker token"
ok $(printf '%s' "$r" | grep -qF "$MTOKEN"; echo $((!$?))) "the manager token is nowhere in the answer"
is "$(json_get "$r" .Message)" \
	"asked for the manager role with the join token: only the manager token (manager-secret on the master) grants it; registered as a worker" \
	"and the Message says why"
like "$(cat "$CT_LOG")" "node m5 (127.0.0.1:" "the controller logs the attempt with the peer"
r=$(reg m1 manager 192.0.2.11 "$MSECRET" "$swarm_mgr")
is "$(json_get "$r" '[.Status,.SwarmRole,.SwarmJoinToken]|join(",")')" "ready,manager,$MTOKEN" \
	"the manager token gets the manager role and token"
r=$(ct_status "$MSECRET")
is "$(json_get "$r" .Status)" ready "the manager token answers status too"
ct_stop TERM

done_testing
