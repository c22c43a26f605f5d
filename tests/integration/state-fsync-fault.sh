#!/bin/bash
# fdatasync failure (issue 13 item 4): when the sync of a batch fails the
# controller stops (fail-stop: nothing after it is acknowledged), and the
# next start writes a new generation -- a new image and a new log inode --
# rather than appending to the file whose pages the failed sync may have
# lost; no acknowledged registration is missing.  A failed fsync while a
# start writes its new generation stops that start with the old files
# intact.  The faults come from tests/tools/fsync-fault.c (LD_PRELOAD).
. "$top_srcdir/tests/tap.sh"
require_cmd jq
. "$top_srcdir/tests/integration/controller-lib.sh"
SHIM=$top_builddir/tests/tools/.libs/fsync-fault.so
[ -f "$SHIM" ] || skip_all "tests/tools/fsync-fault.so not built"

S=$CT_DIR/state
keys() { "$CLUSTERCTL" state dump --json --state-dir "$1" | jq -r '.Nodes[].Key' | sort | tr '\n' ' '; }

ct_start "$S" --insecure-no-join-secret
for i in 1 2; do reg "n$i" worker "192.0.2.$i" x >/dev/null; done
ct_stop TERM
ino_before=$(stat -c %i "$S/state.log")

# The 3rd fdatasync of state.log in this run fails: n3 and n4 are
# stored, n5's batch is the one whose sync fails.  n5 was never
# acknowledged; its bytes may still be in the page cache, so a restart
# in the same boot may keep it (harmless: it is what it was to be told).
LD_PRELOAD=$SHIM FSYNC_FAULT_PATH=/state.log FSYNC_FAULT_NTH=3 ct_start "$S" --insecure-no-join-secret
ok $? "controller starts (with the fsync fault armed)"
ino_run=$(stat -c %i "$S/state.log")
ok $((ino_run == ino_before)) "the start wrote a new log inode ($ino_before -> $ino_run)"
acked=
for i in 3 4 5 6; do
	r=$(reg "n$i" worker "192.0.2.$i" x 2>/dev/null)
	st=$(json_get "$r" .Status)
	diag "n$i: ${st:-no answer} $(json_get "$r" .Message)"
	[ "$i" -le 4 ] && { [ "$st" = waiting ] || [ "$st" = ready ]; } && acked="$acked n$i"
done
is "$acked" " n3 n4" "registrations before the failed sync are acknowledged"
ok $([ -z "$r" ] || [ "$(json_get "$r" .Status)" = error ]; echo $?) "nothing after it is (n6: ${r:-no answer})"
for _ in $(seq 1 100); do kill -0 "$CT_PID" 2>/dev/null || break; sleep 0.05; done
kill -0 "$CT_PID" 2>/dev/null
ok $((! $?)) "the controller stops after the failed fdatasync (fail-stop)"
wait "$CT_PID"
rc=$?
CT_PID=
ok $((rc == 0)) "and exits non-zero ($rc)"
like "$(cat "$CT_LOG")" "fsync-fault: fdatasync call 3" "the shim failed the 3rd fdatasync"
like "$(cat "$CT_LOG")" "cannot make registrations durable" "the controller logged why it stopped"
log_failed=$(stat -c %i "$S/state.log")

ct_start "$S" --insecure-no-join-secret
ok $? "restart on the same state dir"
ino_after=$(stat -c %i "$S/state.log")
ok $((ino_after == log_failed)) "the restart writes a new log inode instead of appending to the one whose sync failed"
like "$(cat "$CT_LOG")" "state loaded" "state loaded"
r=$(reg n7 worker 192.0.2.7 x)
is "$(json_get "$r" .Status)" waiting "and serves"
ct_stop KILL
k=$(keys "$S")
for n in n1 n2 n3 n4 n7; do
	like "$k" "host:$n " "acknowledged $n is in the state after the restarts"
done
"$CLUSTERCTL" state check --state-dir "$S" >/dev/null
is "$?" 0 "state check: clean"

# A fault while a start writes its new generation: that start stops, the
# files it found are left as they were.
sum=$(cd "$S" && sha256sum state.snap state.log)
LD_PRELOAD=$SHIM FSYNC_FAULT_PATH=/state.snap.tmp FSYNC_FAULT_NTH=1 ct_start "$S" --insecure-no-join-secret
ok $((! $?)) "a start whose new image cannot be synced does not serve"
wait "$CT_PID" 2>/dev/null
CT_PID=
like "$(cat "$CT_LOG")" "cannot write $S/state.snap" "and says which file it could not write"
is "$(cd "$S" && sha256sum state.snap state.log)" "$sum" "the state files are as they were"
ok $([ ! -e "$S/state.snap.tmp" ]; echo $?) "no temporary image is left"
ct_start "$S" --insecure-no-join-secret
ok $? "the next start serves"
ct_stop TERM
k=$(keys "$S")
ok $(for n in n1 n2 n3 n4 n7; do case $k in *"host:$n "*) ;; *) echo 1 ;; esac; done | grep -c 1) \
	"with every acknowledged node ($k)"
done_testing
