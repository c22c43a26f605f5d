#!/bin/bash
# Crash torture (issue 13 item 2): master serve is killed with SIGKILL at a
# random moment while tests/tools/torture-client registers nodes
# concurrently (new ones, and re-registrations of acknowledged ones), then
# restarted on the same state directory, TORTURE_CYCLES times (100).
# After every restart: every acknowledged registration ("ready" answer) is
# in the state with the role and overlay address it was given, the cluster
# stays formed once it was, `clusterctl state check` is clean after every
# kill, and no re-registration is answered with another decision.  The
# overlay is wireguard (its leases are the addresses), Docker a fake
# engine (bench/fake-docker), so answers are "ready" as in a real cluster.
. "$top_srcdir/tests/tap.sh"
require_cmd jq
. "$top_srcdir/tests/integration/controller-lib.sh"
CYCLES=${TORTURE_CYCLES:-100}
PER=${TORTURE_NODES:-12}
DRIVER=$top_builddir/tests/tools/torture-client
FAKE=$top_builddir/bench/fake-docker
WG=$top_builddir/plugins/overlay/wireguard/.libs/overlay-wireguard.so
for f in "$DRIVER" "$FAKE" "$WG"; do [ -x "$f" ] || [ -f "$f" ] || skip_all "$f not built"; done
ln -s "$WG" "$CT_PLUGINS/"

"$FAKE" "$CT_DIR/docker.sock" "$top_srcdir/tests/fixtures/docker/swarm.json" \
	"$top_srcdir/tests/fixtures/docker/info-manager.json" &
FAKE_PID=$!
trap 'kill -9 $FAKE_PID 2>/dev/null; ct_cleanup' EXIT
S=$CT_DIR/state
ACKS=$CT_DIR/acks
: >"$ACKS"

start() {
	CT_LOG=$CT_DIR/serve.log
	# Gone before the start: the port must not be read from the last run's log.
	rm -f "$CT_LOG"
	"$CLUSTERCTL" master serve --plugin-dir "$CT_PLUGINS" --state-dir "$S" --node-state-dir "$CT_DIR/node" \
		--listen 127.0.0.1:0 --insecure-plaintext --insecure-no-join-secret --docker-socket "$CT_DIR/docker.sock" \
		--advertise-addr 127.0.0.1 --overlay-provider wireguard --wireguard-pool 100.64.0.0/16 \
		--wait-for-minimum --min-managers 1 --min-workers 2 >"$CT_LOG" 2>&1 &
	CT_PID=$!
	CT_PORT=
	for _ in $(seq 1 200); do
		CT_PORT=$(sed -n 's/.*controller listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$CT_LOG" 2>/dev/null)
		[ -n "$CT_PORT" ] && return 0
		kill -0 "$CT_PID" 2>/dev/null || return 1
		sleep 0.02
	done
	return 1
}

failed_start=0 missing=0 changed=0 unclean=0 unformed=0 acked_total=0
for c in $(seq 1 "$CYCLES"); do
	if ! start; then
		failed_start=$((failed_start + 1))
		diag "cycle $c: the controller did not start: $(tail -n 3 "$CT_DIR/serve.log")"
		[ -n "$CT_PID" ] && kill -9 "$CT_PID" 2>/dev/null
		wait "$CT_PID" 2>/dev/null
		continue
	fi
	# What the restart loaded: every acknowledged decision, the same.
	if [ -s "$ACKS" ]; then
		"$CLUSTERCTL" state dump --json --state-dir "$S" 2>/dev/null >"$CT_DIR/dump.json"
		jq -r '.Nodes[] | "\(.Hostname) \(.Role) \(.Overlay.Record.Address // "-")"' "$CT_DIR/dump.json" |
			sort -u >"$CT_DIR/stored"
		sort -u "$ACKS" >"$CT_DIR/acked"
		lost=$(comm -23 "$CT_DIR/acked" "$CT_DIR/stored" | wc -l)
		if [ "$lost" -gt 0 ]; then
			missing=$((missing + lost))
			diag "cycle $c: acknowledged but not stored as answered: $(comm -23 "$CT_DIR/acked" "$CT_DIR/stored" | head -3 | tr '\n' ';')"
			# TORTURE_KEEP=DIR keeps the evidence: the files the kill
			# left, those after the restart, the dump and the logs.
			if [ -n "${TORTURE_KEEP:-}" ]; then
				mkdir -p "$TORTURE_KEEP/cycle-$c"
				cp -a "$CT_DIR/killed" "$S" "$CT_DIR/dump.json" "$CT_DIR/acked" "$CT_DIR/stored" \
					"$CT_DIR/serve.log" "$CT_DIR/prev-serve.log" "$TORTURE_KEEP/cycle-$c/" 2>/dev/null
			fi
		fi
		[ "$(jq -r .Cluster.Formed "$CT_DIR/dump.json")" = true ] || unformed=$((unformed + 1))
	fi
	"$DRIVER" --addr "127.0.0.1:$CT_PORT" --acks "$ACKS" --first $((c * PER)) --count "$PER" \
		--known $((PER / 2)) --concurrency 6 --seed "$c" >"$CT_DIR/driver.out" 2>&1 &
	dpid=$!
	sleep "0.$(printf '%03d' $((RANDOM % 120)))"
	kill -9 "$CT_PID" 2>/dev/null
	wait "$CT_PID" 2>/dev/null
	CT_PID=
	wait "$dpid"
	if [ -n "${TORTURE_KEEP:-}" ]; then
		rm -rf "$CT_DIR/killed" && cp -a "$S" "$CT_DIR/killed"
		cp "$CT_DIR/serve.log" "$CT_DIR/prev-serve.log"
	fi
	if [ $? -ne 0 ]; then
		changed=$((changed + 1))
		diag "cycle $c: $(grep -m3 -e CHANGED -e usage "$CT_DIR/driver.out" | tr '\n' ';')"
	fi
	acked_total=$((acked_total + $(sed -n 's/^answered=\([0-9]*\).*/\1/p' "$CT_DIR/driver.out")))
	if ! "$CLUSTERCTL" state check --state-dir "$S" >"$CT_DIR/check.out" 2>&1; then
		unclean=$((unclean + 1))
		diag "cycle $c: state check: $(grep -e DAMAGED -e ERROR "$CT_DIR/check.out" | head -2 | tr '\n' ';')"
		break
	fi
done
# A last restart: the state of the last kill loads too.
start
ok $? "a last restart serves"
kill -9 "$CT_PID" 2>/dev/null
wait "$CT_PID" 2>/dev/null
CT_PID=
nodes=$("$CLUSTERCTL" state dump --json --state-dir "$S" | jq '.Nodes | length')
diag "$CYCLES cycles: $acked_total ready answers acknowledged, $(sort -u "$ACKS" | wc -l) distinct decisions, $nodes nodes stored"
is "$failed_start" 0 "the controller restarted after every one of $CYCLES kills"
is "$missing" 0 "no acknowledged registration missing or changed in the state after any restart"
is "$changed" 0 "no re-registration answered with another role or overlay address"
is "$unclean" 0 "state check clean after every kill"
is "$unformed" 0 "the cluster stayed formed once it was"
ok $((acked_total < CYCLES)) "registrations were acknowledged between the kills ($acked_total)"
done_testing
