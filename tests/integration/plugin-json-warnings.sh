#!/bin/bash
# What a plugin hands back as JSON is input like any other: node join
# sends Observed.<Kind> only when observe() or ensure()'s observed_json is
# a JSON object, and otherwise warns naming the plugin and the operation
# and registers without it (the controller never sees the text).  A good
# observed_json from ensure() is delivered with the next registration.  A real
# controller on 127.0.0.1 and bench/fake-docker's recorded Engine API
# answers stand in for the cluster.
. "$top_srcdir/tests/tap.sh"
. "$top_srcdir/tests/integration/controller-lib.sh"
CC=${CC:-cc}
command -v "$CC" >/dev/null 2>&1 || skip_all "needs a C compiler ($CC)"
fake=$top_builddir/bench/fake-docker
[ -x "$fake" ] || skip_all "bench/fake-docker not built"
P=$CT_DIR/json-plugins
mkdir -m 755 "$P"
for sw in BAD_OBSERVE_JSON BAD_ENSURE_OBSERVED GOOD_ENSURE_OBSERVED; do
	mkdir -m 755 "$P/$sw"
	$CC -shared -fPIC -I"$top_srcdir/include" -D$sw "$top_srcdir/tests/fixtures/plugins/harness-plugin.c" \
		-o "$P/$sw/overlay-hx.so"
	cp "$top_builddir/plugins/storage/none/.libs/storage-none.so" "$P/$sw/"
	chmod 755 "$P/$sw"/*.so
done
"$fake" "$CT_DIR/docker.sock" "$top_srcdir/tests/fixtures/docker/swarm.json" \
	"$top_srcdir/tests/fixtures/docker/info-manager.json" &
FAKE=$!
trap 'kill "$FAKE" 2>/dev/null; ct_cleanup' EXIT
for _ in $(seq 1 50); do [ -S "$CT_DIR/docker.sock" ] && break; sleep 0.05; done
# The controller runs the same overlay provider as its nodes.
ct_start "$CT_DIR/state" --insecure-no-join-secret --docker-socket "$CT_DIR/docker.sock" \
	--plugin-dir "$P/BAD_ENSURE_OBSERVED" --overlay-provider hx
ok $? "a controller is up on 127.0.0.1:$CT_PORT"

join() { # join SWITCH: node join with the fixture built with -DSWITCH
	name=$(printf '%s' "$1" | tr 'A-Z_' 'a-z-')
	out=$(timeout 60 "$CLUSTERCTL" node join --insecure-plaintext --master "127.0.0.1:$CT_PORT" --plugin-dir "$P/$1" \
		--overlay-provider hx --docker-socket "$CT_DIR/docker.sock" --node-state-dir "$CT_DIR/node-$1" \
		--hostname "$name" --join-deadline 3 2>&1)
}
join BAD_OBSERVE_JSON
like "$out" '[WARN] - overlay plugin "hx": observe returned Observed text that is not a JSON object of at most 64 KiB; the registration goes without it' \
	"observe() answering no JSON: a WARN naming the plugin and observe"
like "$out" "registering master=127.0.0.1:$CT_PORT hostname=bad-observe-json" "and the node registers all the same"
join BAD_ENSURE_OBSERVED
like "$out" '[WARN] - overlay plugin "hx": ensure returned Observed text that is not a JSON object of at most 64 KiB; the registration goes without it' \
	"ensure() handing back observed_json that is no JSON: a WARN naming the plugin and ensure"
n=$(printf '%s\n' "$out" | grep -c "registering master=127.0.0.1:$CT_PORT hostname=bad-ensure-observed")
[ "$n" -ge 2 ]; ok $? "and the node registers again without it ($n registrations)"
bad=$(grep -c 'Observed' "$CT_LOG")
is "$bad" 0 "the controller never received (and refused) the broken text"
join GOOD_ENSURE_OBSERVED
like "$(cat "$CT_LOG")" 'plan node=good-ensure-observed observed={"PublicKey":"abc"}' \
	"observe()'s JSON reaches the controller's plan as Observed.Overlay"
like "$(cat "$CT_LOG")" 'plan node=good-ensure-observed observed={"FromEnsure":1}' \
	"and ensure()'s observed_json is what the next registration sends in its place"
ct_stop TERM
done_testing
