#!/bin/bash
# Compaction's I/O is off the event loop.  When the log passes 4 MiB the
# controller writes a fresh state image and an empty log, each with an
# fsync of the file and of the directory; on a slow disk (here: every
# fsync takes 700 ms, from the slow-loop shim) that is seconds.  The sync
# worker does it; meanwhile the loop answers what needs no disk (status,
# refusals) at once, and registrations wait for the disk as they always
# do, then are answered, durable.
#
# The bound is a stall detector: an answer that waited for the
# compaction would take seconds; 100 ms is the issue's bound.
. "$top_srcdir/tests/tap.sh"
require_cmd jq
. "$top_srcdir/tests/integration/controller-lib.sh"

SHIM=$top_builddir/tests/tools/.libs/slow-loop-shim.so
PROBE=$top_builddir/tests/tools/ctl-probe
[ -f "$SHIM" ] && [ -x "$PROBE" ] || skip_all "tests/tools/slow-loop-shim.so or ctl-probe not built"
BOUND_MS=100
DELAY=$CT_DIR/fsync-ms

S=$CT_DIR/state
SECRET=disk-$$-0123456789abcdef
ct_secret "$S" "$SECRET"
CT_WRAP="env LD_PRELOAD=$SHIM SLOW_FDATASYNC_FILE=$DELAY ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"
# All 800 come from 127.0.0.1: no per-source cap in this test.
ct_start "$S" --log-level debug --max-connections 1000 --max-connections-per-source 0
ok $? "controller starts with a disk whose speed the test sets"

# About 1 KiB of log per registration with these fields.
big=$(head -c 250 /dev/zero | tr '\0' o)
req() {
	printf '{"Hostname":"%s","Role":"worker","IP":"192.0.2.9","OS":"%s","DockerVersion":"%s","JoinSecret":"%s"}' \
		"$1" "$big" "$big" "$SECRET"
}
log_size() { stat -c %s "$S/state.log"; }
# Fill the log to just under the 4 MiB compaction threshold, disk fast.
n=0
while [ "$(log_size)" -lt $((3700 * 1024)) ] && [ $n -lt 40 ]; do
	n=$((n + 1))
	"$PROBE" answer "$CT_PORT" 10000 200 "$(req fill)" >/dev/null || break
done
ok $(grep -q 'compacting the state log' "$CT_LOG"; echo $((!$?))) \
	"the log is filled to $(log_size) bytes, no compaction yet"

# Slow the disk, and cross the threshold: one batch, its sync, then the
# compaction (four fsyncs, about 3 s).
echo 700 >"$DELAY"
"$PROBE" answer "$CT_PORT" 60000 800 "$(req cross)" >"$CT_DIR/cross.out" &
cross=$!
for _ in $(seq 1 400); do grep -q 'compacting the state log' "$CT_LOG" && break; sleep 0.01; done
ok $(grep -q 'compacting the state log' "$CT_LOG"; echo $?) "the compaction starts"
worst=0 bad=0 probes=0
for _ in $(seq 1 10); do
	out=$("$PROBE" answer "$CT_PORT" 10000 4 "{\"Query\":\"status\",\"JoinSecret\":\"$SECRET\"}")
	probes=$((probes + 4))
	m=$(printf '%s\n' "$out" | awk '$1 > m { m = $1 } END { print m + 0 }')
	[ "$m" -gt "$worst" ] && worst=$m
	[ "$m" -le $BOUND_MS ] || bad=1
	printf '%s\n' "$out" | cut -d' ' -f2- | jq -e '.Status == "ready"' >/dev/null || bad=1
	sleep 0.1
done
ok $(grep -q 'state log compacted' "$CT_LOG"; echo $((!$?))) \
	"$probes status queries were answered while the compaction was still writing"
ok $bad "each within ${BOUND_MS} ms (slowest ${worst} ms)"
r=$(ct_req 'not json')
like "$(json_get "$r" .Error)" "not valid JSON" "a refusal is answered meanwhile too"
# A registration now waits for the disk: its record is in the image
# being written, or in the new log after it.
"$PROBE" answer "$CT_PORT" 60000 1 "$(req during)" >"$CT_DIR/during.out" &
during=$!

wait "$cross"
ok $? "the 800 registrations that cross the threshold are all answered"
is "$(cut -d' ' -f2- "$CT_DIR/cross.out" | jq -r .Status | sort -u)" waiting "with their usual answer (no Docker here)"
for _ in $(seq 1 300); do grep -q 'state log compacted' "$CT_LOG" && break; sleep 0.05; done
ok $(grep -q 'state log compacted' "$CT_LOG"; echo $?) "the compaction finishes"
wait "$during"
ok $? "the registration sent during the compaction is answered"
is "$(cut -d' ' -f2- "$CT_DIR/during.out" | jq -r .RegisteredWorkers)" 3 "and counted (nodes fill, cross, during)"
ok $(($(log_size) > 64 * 1024)) "the log starts afresh ($(log_size) bytes)"
ok $([ -s "$S/state.snap" ]; echo $?) "and the state image is written"
rm -f "$DELAY"
r=$(reg after worker 192.0.2.10 "$SECRET")
is "$(json_get "$r" .RegisteredWorkers)" 4 "registrations go on in the new log (and node after)"

ct_stop TERM
is "$CT_RC" 0 "SIGTERM: exit 0"
CT_WRAP=
ct_start "$S"
r=$(ct_status "$SECRET")
is "$(json_get "$r" '[.Nodes[].Hostname]|sort|join(",")')" "after,cross,during,fill" \
	"a restart loads the compacted state with every node"
ct_stop TERM
ok $(grep -q -e 'AddressSanitizer' -e 'runtime error' -e 'LeakSanitizer' "$CT_DIR"/controller.*.log; echo $((!$?))) \
	"no sanitizer report in the controller's output"

done_testing
