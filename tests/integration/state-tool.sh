#!/bin/bash
# The controller's state offline, as clusterctl(8) STATE FILES says:
# `state check` exits 0 on a clean directory and names file and offset of
# damage; `state dump --json` prints what loads; `master serve` refuses a
# damaged directory with the file, the offset and the recovery commands,
# changing no byte; `state salvage` keeps every record that verifies in
# a new generation, the damaged files kept aside, and master serve starts
# on it.  A directory in format 1 (tests/fixtures/state/v1, written by the
# clusterctl before the format had a version) loads with the same nodes
# and decisions, is migrated with a copy kept; a newer format is refused.
. "$top_srcdir/tests/tap.sh"
require_cmd jq sha256sum
. "$top_srcdir/tests/integration/controller-lib.sh"
WG=$top_builddir/plugins/overlay/wireguard/.libs/overlay-wireguard.so
[ -f "$WG" ] || skip_all "the wireguard plugin is not built"
ln -s "$WG" "$CT_PLUGINS/"
FIX=$top_srcdir/tests/fixtures/state/v1

sums() { (cd "$1" && sha256sum state.snap state.log 2>/dev/null); }
# The facts expected.txt holds, from a dump: one line for the cluster
# record, one per node, sorted.
facts() {
	jq -r '"cluster formed=\(if .Cluster.Formed then 1 else 0 end) slot_holder=\(.Cluster.SlotHolder // "-")",
	       (.Nodes[] | "node \(.Key) hostname=\(.Hostname) ip=\(.IP) role=\(if .Role == "manager" then 1 else 0 end) requested=\(if .RequestedRole == "manager" then 1 else 0 end) status=\({"ready":0,"waiting":1,"error":2}[.LastStatus]) overlay=\(.Overlay.Plugin // "-") \(.Overlay.Record | if . == null then "-" else tojson end) storage=\(.Storage.Plugin // "-") \(.Storage.Record | if . == null then "-" else tojson end)")' | sort
}

# --- format 1: the fixture loads, as the old binary loaded it --------------
V1=$CT_DIR/v1
mkdir -p "$V1" && cp "$FIX/state.snap" "$FIX/state.log" "$V1/"
out=$("$CLUSTERCTL" state check --state-dir "$V1")
is "$?" 0 "state check: a format 1 directory is clean"
like "$out" "state.snap: format 1" "and says it is format 1"
is "$("$CLUSTERCTL" state dump --json --state-dir "$V1" | facts)" "$(cat "$FIX/expected.txt")" \
	"state dump --json of format 1: every node and decision the old binary loaded (expected.txt)"
is "$(sums "$V1")" "$(cd "$FIX" && sha256sum state.snap state.log)" "check and dump change no byte"
ct_start "$V1" --insecure-no-join-secret --overlay-provider wireguard --wireguard-pool 100.64.0.0/24 \
	--node-state-dir "$CT_DIR/node"
ok $? "master serve starts on the format 1 directory"
like "$(cat "$CT_LOG")" "migrated from format 1 to 2" "and says it migrated the state"
like "$(cat "$CT_LOG")" "nodes=8 managers=3 workers=5 formed=yes" "with every node and the cluster formed"
ct_stop TERM
is "$CT_RC" 0 "clean stop"
is "$(cd "$V1" && sha256sum state.snap.format1-* state.log.format1-* | cut -d' ' -f1)" \
	"$(cd "$FIX" && sha256sum state.snap state.log | cut -d' ' -f1)" \
	"the format 1 files are kept, byte for byte, as state.{snap,log}.format1-<time>"
is "$(head -c 8 "$V1/state.snap")" CCSNAP02 "the state is format 2 now"
is "$("$CLUSTERCTL" state dump --json --state-dir "$V1" | facts)" "$(cat "$FIX/expected.txt")" \
	"with the same nodes and decisions"
like "$("$CLUSTERCTL" state check --state-dir "$V1")" "written by clusterctl " "state check names the writer"

# --- damage in the middle of the log ---------------------------------------
S=$CT_DIR/dmg
ct_start "$S" --insecure-no-join-secret
for i in 1 2 3 4 5; do
	reg "n$i" worker "192.0.2.$i" x >/dev/null
done
ct_stop KILL
out=$("$CLUSTERCTL" state check --state-dir "$S")
is "$?" 0 "state check after a kill -9: clean"
like "$out" "clean: 5 nodes" "with the 5 registered nodes"
# Byte 80 lies in the first node record (header 16 bytes, then the format
# record): four acknowledged records follow it.
printf '\x5a' | dd of="$S/state.log" bs=1 seek=80 conv=notrunc status=none
before=$(sums "$S")
ct_start "$S" --insecure-no-join-secret
ok $((! $?)) "master serve refuses to start on a log damaged before its end"
wait "$CT_PID" 2>/dev/null
rc=$?
CT_PID=
ok $((rc == 0)) "and exits non-zero ($rc)"
off=$("$CLUSTERCTL" state dump --json --state-dir "$S" 2>/dev/null | jq '.Files[1].Damage[0].Offset')
ok $((!(off > 16 && off <= 80))) "state dump --json: the damage is in the log at byte $off"
msg=$(cat "$CT_LOG")
like "$msg" "$S/state.log is damaged at byte $off of" "the refusal names the file and the offset"
like "$msg" "clusterctl state salvage --state-dir $S" "and the recovery command"
is "$(sums "$S")" "$before" "and the state files are byte for byte as they were"
out=$("$CLUSTERCTL" state check --state-dir "$S")
is "$?" 1 "state check: exit 1 on damage"
like "$out" "state.log: DAMAGED at byte $off" "naming the file and the offset"
like "$out" "4 nodes" "and what verifies: the 4 nodes after it"
is "$(sums "$S")" "$before" "state check changes nothing"

# salvage: never beside a running controller (here one whose log was
# damaged under it); a clean state is left alone
ct_start "$CT_DIR/clean" --insecure-no-join-secret
reg n1 worker 192.0.2.1 x >/dev/null
reg n2 worker 192.0.2.2 x >/dev/null
printf '\x5a' | dd of="$CT_DIR/clean/state.log" bs=1 seek=80 conv=notrunc status=none
"$CLUSTERCTL" state salvage --state-dir "$CT_DIR/clean" >"$CT_DIR/busy.out" 2>&1
is "$?" 1 "state salvage refuses while a controller holds the directory"
like "$(cat "$CT_DIR/busy.out")" "another controller" "and says why"
ct_stop TERM
like "$("$CLUSTERCTL" state salvage --state-dir "$CT_DIR/clean")" "nothing to salvage" \
	"a clean state is not salvaged"

out=$("$CLUSTERCTL" state salvage --state-dir "$S")
is "$?" 0 "state salvage on the damaged directory"
like "$out" "dropped state.log bytes $off to" "says what it dropped"
like "$out" "4 nodes" "and what it kept"
kept=$(ls "$S" | grep '^state.log.salvaged-')
is "$(sha256sum <"$S/$kept")" "$(printf '%s\n' "$before" | grep state.log | sed 's/ .*/  -/')" \
	"the damaged log is kept, byte for byte, as $kept"
"$CLUSTERCTL" state check --state-dir "$S" >/dev/null
is "$?" 0 "state check: the new generation is clean"
ct_start "$S" --insecure-no-join-secret
ok $? "master serve starts on the salvaged state"
like "$(cat "$CT_LOG")" "nodes=4" "with the 4 nodes that verified"
r=$(reg n1 worker 192.0.2.1 x)
is "$(json_get "$r" .RegisteredWorkers)" 5 "and the node whose record was lost registers again"
ct_stop TERM

# --- a newer format --------------------------------------------------------
N=$CT_DIR/newer
mkdir -p "$N"
{ printf 'CCSNAP03'; head -c 40 /dev/zero; } >"$N/state.snap"
before=$(sums "$N")
"$CLUSTERCTL" state check --state-dir "$N" >"$CT_DIR/newer.out" 2>&1
is "$?" 1 "state check refuses a newer format"
ct_start "$N" --insecure-no-join-secret
ok $((! $?)) "and so does master serve"
wait "$CT_PID" 2>/dev/null
CT_PID=
like "$(cat "$CT_LOG")" "state format 3, written by a newer clusterctl" "saying a newer clusterctl wrote it"
is "$(sums "$N")" "$before" "and leaving it as it was"

done_testing
