#!/bin/bash
# Scale benchmark (issue 14): master serve with overlay none, overlay
# wireguard and storage gluster, in one run, at several cluster sizes.
#   bench/scale.sh [BUILD_DIR]     (default ./_build; run `make` there first)
# Environment: SIZES ("1000 5000 10000"), CONC (100), BENCH_DIR (a
# directory on the disk to measure; not tmpfs).
#
# Every answer is "ready" (bench/fake-docker hands the controller its join
# tokens), so answers carry the providers' payloads as in a real cluster.
# Each simulated node sends what a real one does: wireguard, its own
# public key, listen port, underlay address and the peer-list version it
# holds; gluster, the Observed.Storage of a client (GlusterCapable false).
# The gluster controller reads its volume from a fake CLI on recorded
# answers (bench/fake-gluster): a real replica-3 volume would measure
# glusterd, not the controller, and client plans never call it.
# Phases, each its own line per mode and size (bench/loadgen), plus the
# controller's CPU time per request in that phase (--server-pid):
#   new        every node's first registration
#   sync       wireguard: every node registers until it holds the whole
#              peer list (pages); others: one more registration each
#   heartbeat  one more registration of every node: steady state
set -u
B=$(cd "${1:-_build}" && pwd) || exit 2
S=$(cd "$(dirname "$0")/.." && pwd)
SIZES=${SIZES:-1000 5000 10000}
CONC=${CONC:-100}
W=${BENCH_DIR:-$B/bench-scale}
rm -rf "$W"
mkdir -p "$W/bin"
ln -s "$S/bench/fake-gluster" "$W/bin/gluster"
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done' EXIT

"$B/bench/fake-docker" "$W/docker.sock" "$S/tests/fixtures/docker/swarm.json" \
	"$S/tests/fixtures/docker/info-manager.json" &
PIDS+=("$!")

plugins() { # plugins DIR SO...: a plugin dir with these modules
	local d=$1 so
	shift
	mkdir -p "$d"
	for so in "$@"; do ln -s "$B/plugins/$so" "$d/"; done
}

for N in $SIZES; do
	for mode in none wireguard gluster; do
		R=$W/$mode-$N
		mkdir -p "$R/state" "$R/node"
		case $mode in
		none)
			plugins "$R/plugins" overlay/none/.libs/overlay-none.so storage/none/.libs/storage-none.so
			FLAGS="" LG="" PH=new,sync,heartbeat ;;
		wireguard)
			plugins "$R/plugins" overlay/wireguard/.libs/overlay-wireguard.so storage/none/.libs/storage-none.so
			FLAGS="--overlay-provider wireguard --wireguard-pool 100.64.0.0/16"
			LG="--overlay wireguard" PH=new,sync,heartbeat ;;
		gluster)
			plugins "$R/plugins" overlay/none/.libs/overlay-none.so storage/gluster/.libs/storage-gluster.so
			FLAGS="--storage-provider gluster --gluster-volume gv0 --gluster-replica 3"
			LG="--storage gluster" PH=new,sync,heartbeat ;;
		esac
		# shellcheck disable=SC2086
		PATH=$W/bin:$PATH \
			"$B/clusterctl" master serve --plugin-dir "$R/plugins" --state-dir "$R/state" \
			--node-state-dir "$R/node" --listen 127.0.0.1:0 --insecure-no-join-secret --insecure-plaintext --max-connections-per-source 0 \
			--docker-socket "$W/docker.sock" --advertise-addr 127.0.0.1 --log-level warn \
			--max-connections 4096 $FLAGS >"$R/serve.log" 2>&1 &
		CPID=$!
		PIDS+=("$CPID")
		PORT=
		for _ in $(seq 1 100); do
			PORT=$(ss -ltnp 2>/dev/null | awk -v pid="pid=$CPID," '$0 ~ pid {split($4, a, ":"); print a[length(a)]}' | head -1)
			[ -n "$PORT" ] && break
			sleep 0.05
		done
		[ -n "$PORT" ] || { echo "controller did not start"; cat "$R/serve.log"; exit 1; }
		echo "== nodes=$N mode=$mode"
		# shellcheck disable=SC2086
		"$B/bench/loadgen" --addr "127.0.0.1:$PORT" --nodes "$N" --concurrency "$CONC" --manager-every 1000 \
			--phases "$PH" --server-pid "$CPID" $LG | sed "s/^/mode=$mode /"
		echo "mode=$mode nodes=$N controller_rss=$(awk '/VmRSS/ {print $2 $3}' /proc/$CPID/status)"
		kill -TERM "$CPID"
		wait "$CPID"
		grep -c WARN "$R/serve.log" | sed "s/^/mode=$mode nodes=$N warn_lines=/"
		grep WARN "$R/serve.log" | head -3
	done
done
