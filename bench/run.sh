#!/bin/bash
# Benchmark master serve against the bare-server bound.
#   bench/run.sh [BUILD_DIR]     (default: ./_build; run `make` there first)
# Environment: NODES (10000), CONC (1000; needs that many open files plus
# slack: `ulimit -n` here is 20000), BENCH_DIR (a directory on the disk
# to measure; not tmpfs, where fsync costs nothing).
set -u
B=$(cd "${1:-_build}" && pwd) || exit 2
NODES=${NODES:-10000}
CONC=${CONC:-1000}
W=${BENCH_DIR:-$B/bench-run}
rm -rf "$W"
mkdir -p "$W/plugins" "$W/state"
ln -s "$B/plugins/overlay/none/.libs/overlay-none.so" "$B/plugins/storage/none/.libs/storage-none.so" "$W/plugins/"
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done' EXIT

port_of() { # port_of LOG: wait for the controller's "listening" line
	for _ in $(seq 1 200); do
		p=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$1")
		[ -n "$p" ] && { echo "$p"; return 0; }
		sleep 0.05
	done
	return 1
}

echo "== bare server (no parsing, no state, no fsync)"
"$B/bench/bare-server" 127.0.0.1:17931 2>/dev/null &
PIDS+=($!)
sleep 0.3
"$B/bench/loadgen" --addr 127.0.0.1:17931 --nodes "$NODES" --requests "$NODES" --concurrency "$CONC" | tee "$W/bare.out"

echo "== master serve: $NODES new nodes, durable (state dir $W/state)"
"$B/clusterctl" master serve --plugin-dir "$W/plugins" --state-dir "$W/state" --listen 127.0.0.1:0 \
	--insecure-no-join-secret --insecure-plaintext --max-connections-per-source 0 --docker-socket "$W/no-docker.sock" --log-level warn \
	--max-connections 4096 >"$W/serve.log" 2>&1 &
CPID=$!
PIDS+=($CPID)
# --log-level warn hides the listening line: find the port from /proc.
sleep 0.5
PORT=$(ss -ltnp 2>/dev/null | awk -v pid="pid=$CPID," '$0 ~ pid {split($4, a, ":"); print a[length(a)]}' | head -1)
[ -n "$PORT" ] || { echo "controller did not start"; cat "$W/serve.log"; exit 1; }
"$B/bench/loadgen" --addr "127.0.0.1:$PORT" --nodes "$NODES" --requests "$NODES" --concurrency "$CONC" \
	--manager-every 1000 | tee "$W/durable.out"
# The aim: durable rate >= 0.8x the bound's, p99 <= 2x the bound's.
field() { sed -n "s/.* $2=\([0-9.]*\).*/\1/p" "$1"; }
awk -v br="$(field "$W/bare.out" rate)" -v dr="$(field "$W/durable.out" rate)" \
	-v bp="$(field "$W/bare.out" p99)" -v dp="$(field "$W/durable.out" p99)" \
	'BEGIN { printf "durable/bare: rate %.2fx (aim >= 0.80x), p99 %.2fx (aim <= 2x)\n", dr / br, dp / bp }'
echo "controller RSS with $NODES nodes: $(awk '/VmRSS/ {print $2, $3}' /proc/$CPID/status)"
echo "== master serve: $NODES re-registrations (heartbeats)"
"$B/bench/loadgen" --addr "127.0.0.1:$PORT" --nodes "$NODES" --requests "$NODES" --concurrency "$CONC" \
	--manager-every 1000
echo "controller RSS: $(awk '/VmRSS/ {print $2, $3}' /proc/$CPID/status)"
echo "log: $(du -h "$W/state/state.log" | cut -f1), image: $(du -h "$W/state/state.snap" 2>/dev/null | cut -f1)"
kill -TERM "$CPID"
wait "$CPID"
echo "SIGTERM exit status: $?"

echo "== restart: reload of $NODES nodes"
t0=$(date +%s%N)
"$B/clusterctl" master serve --plugin-dir "$W/plugins" --state-dir "$W/state" --listen 127.0.0.1:0 \
	--insecure-no-join-secret --insecure-plaintext --max-connections-per-source 0 --docker-socket "$W/no-docker.sock" >"$W/serve2.log" 2>&1 &
CPID=$!
PIDS+=($CPID)
port_of "$W/serve2.log" >/dev/null
t1=$(date +%s%N)
grep -o 'state loaded.*' "$W/serve2.log"
echo "start to listening (includes the plugin scan and the Docker probe): $(((t1 - t0) / 1000000)) ms"
echo "controller RSS after reload: $(awk '/VmRSS/ {print $2, $3}' /proc/$CPID/status)"
kill -TERM "$CPID"
wait "$CPID"
