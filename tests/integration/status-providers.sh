#!/bin/sh
# clusterctl status on a node also shows what this host's providers say
# of themselves (their status() operation), in the table and in --json,
# checked like any plugin output: an answer that is no JSON object is a
# warning naming the plugin, never printed raw.  Only the chosen
# providers are loaded, with the host key command = "status", and status
# creates no data directory.  Against a real controller on 127.0.0.1.
. "$top_srcdir/tests/tap.sh"
. "$top_srcdir/tests/integration/controller-lib.sh"
CC=${CC:-cc}
command -v "$CC" >/dev/null 2>&1 || skip_all "needs a C compiler ($CC)"
command -v jq >/dev/null 2>&1 || skip_all "needs jq"
P=$CT_DIR/status-plugins
mkdir -m 755 "$P"
$CC -shared -fPIC -I"$top_srcdir/include" "$top_srcdir/plugins/overlay/example/example.c" -o "$P/overlay-example.so"
$CC -shared -fPIC -I"$top_srcdir/include" -DBAD_STATUS_ARRAY "$top_srcdir/tests/fixtures/plugins/harness-plugin.c" \
	-o "$P/overlay-hx.so"
cp "$top_builddir/plugins/storage/none/.libs/storage-none.so" "$P/"
chmod 755 "$P"/*.so

ct_start "$CT_DIR/state" --insecure-no-join-secret
ok $? "a controller is up on 127.0.0.1:$CT_PORT"
st() { # st FLAGS...
	out=$("$CLUSTERCTL" status --insecure-plaintext --plugin-dir "$P" --master "127.0.0.1:$CT_PORT" --state-dir "$CT_DIR/state" "$@" \
		2>"$CT_DIR/err")
	rc=$?
	err=$(cat "$CT_DIR/err")
}
st --overlay-provider example --example-interface lo
is "$rc" 0 "status with the example overlay: exit 0"
like "$out" "Registered: 0 managers" "the controller's view is there"
like "$out" 'Local providers (this host):' "and a section for this host's providers"
like "$out" '  Overlay example: {"Interface":"lo","Up":true,"Address":"127.0.0.1"}' "with the example's own status()"
st --overlay-provider example --example-interface lo --json
is "$(printf '%s' "$out" | jq -c '.LocalProviders.Overlay')" \
	'{"Provider":"example","Status":{"Interface":"lo","Up":true,"Address":"127.0.0.1"}}' \
	"--json has it under LocalProviders"
is "$(printf '%s' "$out" | jq -r '.LocalProviders.Storage.Provider')" none \
	"and the storage provider's (none) beside it"
st --overlay-provider hx
is "$rc" 0 "a provider answering no JSON object does not fail status"
like "$err" 'overlay plugin "hx": status returned text that is not a JSON object of at most 65536 bytes; not shown' \
	"it is a warning naming the plugin and the operation"
like "$out" "  Overlay hx: the plugin's status is not a JSON object" "and the table says so instead of printing it"
case $out in *'[1,2]'*) ok 1 "the raw answer is never printed" ;; *) ok 0 "the raw answer is never printed" ;; esac
st --overlay-provider example --example-interface lo --master 127.0.0.1:1
is "$rc" 1 "with the controller away status fails (exit 1)"
like "$out" '  Overlay example: {"Interface":"lo"' "but still shows this host's providers"
st --overlay-provider example --example-retry-after 0
is "$rc" 2 "a bad provider option is a usage error on status too (exit 2)"
like "$err" 'example-retry-after wants a whole number in 1..3600, got "0"' "it is named with clusterctl's message"
[ ! -e /var/lib/clusterctl/plugins/example ]; ok $? "status created no data directory for the plugin"
ct_stop TERM
done_testing
