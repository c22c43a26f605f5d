#!/bin/bash
# Transient is not final.  What will pass by itself is answered
# "waiting" with RetryAfter, storing nothing: a provider's plan failing on
# a busy daemon (-EBUSY and the like), a state store that cannot write,
# a controller stopping after such a failure.  "error" is kept for what
# a person must fix: a plan that failed for good, an invalid request, a
# wrong secret.  And the node: node join retries a waiting answer within
# --join-deadline (then exit 3), and stops at an error (exit 4), as
# clusterctl(8) says.
. "$top_srcdir/tests/tap.sh"
require_cmd jq
. "$top_srcdir/tests/integration/controller-lib.sh"

SHIM=$top_builddir/tests/tools/.libs/slow-loop-shim.so
STUCK=$top_builddir/tests/tools/stuck-docker
FIXTURE=$top_builddir/tests/fixtures/plugins/.libs/plan-fixture.so
FIX=$top_srcdir/tests/fixtures/docker
[ -f "$SHIM" ] && [ -x "$STUCK" ] && [ -f "$FIXTURE" ] || skip_all "the shim, stuck-docker or plan-fixture is not built"
# plan-fixture: busy* nodes get -EBUSY, fail* nodes -EIO, others a plan.
ln -s "$FIXTURE" "$CT_PLUGINS/storage-planfix.so"
FAIL=$CT_DIR/disk-fails

S=$CT_DIR/state
SECRET=transient-$$-0123456789abcdef
ct_secret "$S" "$SECRET"
CT_WRAP="env LD_PRELOAD=$SHIM FAIL_FDATASYNC_FILE=$FAIL ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"
ct_start "$S" --storage-provider planfix
ok $? "controller starts with a storage plugin that can be busy"

# --- a provider busy: waiting, nothing stored ---------------------------------
r=$(reg busy-1 worker 192.0.2.21 "$SECRET")
is "$(json_get "$r" .Status)" waiting "a plan failing with EBUSY: Status waiting"
is "$(json_get "$r" .RetryAfter)" 5 "RetryAfter 5"
is "$(json_get "$r" .Message)" \
	'storage plugin "planfix": glusterd is busy with another transaction (planning node busy-1); retrying' \
	"Message: the plugin's reason, naming it and the node"
ok $(printf '%s' "$r" | grep -q -e Error -e SwarmJoinToken; echo $((!$?))) "no Error, no token"
like "$(cat "$CT_LOG")" "asked 127.0.0.1:" "the retry is logged"

# --- what a person must fix stays an error --------------------------------------
r=$(reg fail-1 worker 192.0.2.22 "$SECRET")
is "$(json_get "$r" .Status)" error "a plan failing for good (EIO): Status error"
is "$(json_get "$r" .Error)" 'storage plugin "planfix": the volume is gone: run master init (planning node fail-1)' \
	"Error: the plugin's reason"
r=$(reg ok-1 worker 192.0.2.23 wrong-0123456789abcdef)
is "$(json_get "$r" .Status)" error "a wrong secret: Status error"
r=$(ct_req '{"Hostname":"ok-1","Role":"chief","IP":"192.0.2.23"}')
is "$(json_get "$r" .Status)" error "an invalid request: Status error"
r=$(reg ok-1 worker 192.0.2.23 "$SECRET")
is "$(json_get "$r" .Status)" waiting "a node whose plan works: waiting only for the Swarm tokens (no Docker here)"
like "$(json_get "$r" .Message)" "Swarm join tokens" "so its Message says"
r=$(ct_status "$SECRET")
is "$(json_get "$r" '[.Nodes[].Hostname]|join(",")')" ok-1 "neither the busy nor the failed node was stored"

# --- the store cannot write: waiting, and the controller stops --------------------
exec 5<>"/dev/tcp/127.0.0.1/$CT_PORT"
printf '{"Hostname":"late-1",' >&5
sleep 0.2
touch "$FAIL"
r=$(reg disk-1 worker 192.0.2.24 "$SECRET")
is "$(json_get "$r" .Status)" waiting "fdatasync fails (EIO): Status waiting, not error"
is "$(json_get "$r" .RetryAfter)" 5 "RetryAfter 5"
is "$(json_get "$r" .Message)" \
	"the controller could not store the registration durably and is stopping; retrying (it answers again once restarted)" \
	"Message: why, and that it answers again once restarted"
printf '"Role":"worker","IP":"192.0.2.25","JoinSecret":"%s"}' "$SECRET" >&5
IFS= read -r -t 5 line <&5
exec 5<&-
is "$(json_get "$line" .Status)" waiting "a request completed while the controller stops: waiting"
is "$(json_get "$line" .Message)" \
	"the controller cannot write its state and is stopping; retrying (it answers again once restarted)" \
	"Message: it is stopping"
wait "$CT_PID"
rc=$?
CT_PID=
is "$rc" 1 "the controller stops, exit 1"
like "$(cat "$CT_LOG")" "cannot make registrations durable" "saying why"
rm -f "$FAIL"
CT_WRAP=
ct_start "$S" --storage-provider planfix
ok $? "it starts again"
r=$(ct_status "$SECRET")
like "$(json_get "$r" '[.Nodes[].Hostname]|join(",")')" ok-1 "with what was durable"

# --- the node: waiting is retried, error is final ----------------------------------
NSOCK=$CT_DIR/node-docker.sock
"$STUCK" "$NSOCK" "$FIX/swarm.json" "$FIX/info-inactive.json" >"$CT_DIR/node-docker.out" 2>&1 &
stuck=$!
trap 'kill $stuck 2>/dev/null; ct_cleanup' EXIT
for _ in $(seq 1 100); do [ -S "$NSOCK" ] && break; sleep 0.02; done
join() { # join HOSTNAME DEADLINE: node join against the controller; sets rc, ms
	local t0
	t0=$(date +%s%N)
	"$CLUSTERCTL" node join --insecure-plaintext --master "127.0.0.1:$CT_PORT" --join-secret "$SECRET" --hostname "$1" \
		--ip 192.0.2.50 --node-state-dir "$CT_DIR/node-$1" --docker-socket "$NSOCK" \
		--plugin-dir "$CT_PLUGINS" --storage-provider planfix --join-deadline "$2" --insecure-plaintext \
		>"$CT_DIR/join-$1.log" 2>&1
	rc=$?
	ms=$((($(date +%s%N) - t0) / 1000000))
}
join busy-node 8
is "$rc" 3 "node join on a busy provider: exit 3 once --join-deadline passed"
n=$(grep -c 'asked 127.0.0.1:[0-9]* to retry in 5 s: storage plugin "planfix": glusterd is busy' "$CT_LOG")
ok $((n < 2)) "it registered again after the waiting answer ($n registrations)"
ok $((n > 3)) "no sooner than RetryAfter 5 s: $n registrations in ${ms} ms"
like "$(cat "$CT_DIR/join-busy-node.log")" "controller says wait" "its log shows the waiting answers"
join fail-node 60
is "$rc" 4 "node join on a plan that failed for good: exit 4"
ok $((ms > 5000)) "at once, not at the deadline (${ms} ms)"
is "$(grep -c 'refused request from .*planning node fail-node' "$CT_LOG")" 1 "after one registration"
like "$(cat "$CT_DIR/join-fail-node.log")" "controller refused this node" "its log says the controller refused it"
ct_stop TERM
is "$CT_RC" 0 "SIGTERM: exit 0"

done_testing
