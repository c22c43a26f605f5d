#!/bin/sh
# clusterctl-plugin-test, the harness installed with the SDK, as a plugin
# author uses it (clusterctl-plugin(7), TESTING A PLUGIN):
#  - it runs the shipped example's observe, ensure and status without a
#    cluster, against this host's real links, and the example keeps the
#    contract: a missing interface is "not yet" with retry_after, never
#    a fatal error; its options are checked as clusterctl checks them;
#  - programs and HTTP are answered from fixtures or refused, and every
#    host call is recorded;
#  - each breach of the contract is named and exits 3: invalid JSON from
#    observe, status and plan, a failure without error(), an out-struct
#    whose size was overwritten, a plan over its budget;
#  - under valgrind (LeakSanitizer when the harness is an ASan build) the
#    example leaks nothing, and a plugin that leaks is
#    caught (the harness frees what the operations hand back, as the
#    host does, so what is left is the plugin's).
. "$top_srcdir/tests/tap.sh"
CC=${CC:-cc}
command -v "$CC" >/dev/null 2>&1 || skip_all "needs a C compiler ($CC)"
pt=$top_builddir/clusterctl-plugin-test
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
$CC -std=c99 -shared -fPIC -I"$top_srcdir/include" "$top_srcdir/plugins/overlay/example/example.c" \
	-o "$dir/overlay-example.so"
ok $? "the example builds"
fx() { # fx NAME CFLAGS...: the contract-breaking fixture
	n=$1; shift
	$CC -shared -fPIC -I"$top_srcdir/include" "$@" "$top_srcdir/tests/fixtures/plugins/harness-plugin.c" \
		-o "$dir/overlay-$n.so"
}
pt_run() { # pt_run PLUGIN ARGS...: sets out, rc
	p=$1; shift
	out=$("$pt" "$dir/overlay-$p.so" "$@" 2>"$dir/stderr")
	rc=$?
	err=$(cat "$dir/stderr")
}
flat() { printf '%s' "$1" | tr -d ' \n'; }

# --- the example, operation by operation ------------------------------------
pt_run example --op observe --option interface=lo
is "$rc" 0 "observe on lo: exit 0"
like "$(flat "$out")" '"Observed":{"Interface":"lo","Up":true,"Address":"127.0.0.1"}' "it reports the link and its address"
like "$(flat "$out")" '"Violations":[]' "within the contract"
pt_run example --op status --option interface=lo
like "$(flat "$out")" '"Status":{"Interface":"lo","Up":true' "status answers a JSON object"
pt_run example --op ensure --option interface=lo
is "$rc" 0 "ensure on lo: exit 0"
like "$(flat "$out")" '"Converged":true,"Address":"127.0.0.1","Ifname":"lo"' "converged with the address"
like "$err" "] - [INFO] - overlay ready interface=lo address=127.0.0.1 plugin=example" \
	"its log line goes through the host's log, in the house format"
like "$(flat "$out")" '{"Call":"log","Level":"info","Message":"overlayreadyinterface=loaddress=127.0.0.1"}' \
	"and is recorded as a host call"
pt_run example --op ensure --option interface=nosuch0 --option retry-after=7
is "$rc" 0 "ensure with no such interface yet: exit 0, not a failure"
like "$(flat "$out")" '"Converged":false' "it is not converged"
like "$(flat "$out")" '"RetryAfter":7' "and asks to be tried again after retry-after"
like "$out" '"Message":"overlay interface nosuch0 not found yet: start your VPN"' "saying what is missing"
pt_run example --op observe --option interface=lo --option verbose=YES --log-level debug
like "$(flat "$out")" '{"Call":"config_get","Key":"verbose","Value":"true"}' "a boolean option reaches it as \"true\""
like "$err" "looked interface=lo up=1" "and its debug line is logged"
pt_run example --op ensure --option retry-after=0
is "$rc" 2 "an option out of range: exit 2"
like "$err" 'example-retry-after wants a whole number in 1..3600, got "0"' "with clusterctl's own message"
pt_run example --op ensure --option colour=blue
is "$rc" 2 "an option the plugin does not have: exit 2"
like "$err" 'plugin example has no option "example-colour"' "naming it"
pt_run example --op dance
is "$rc" 2 "an unknown operation: exit 2"

# --- fixtures and refusals ----------------------------------------------------
fx hx
pt_run hx --op ensure
is "$rc" 0 "a plugin whose programs and requests are refused still runs"
like "$out" '"Message":"run=-1 exit=-1 out= http=-111 status=0 body="' "run() and http_unix() were refused"
like "$(flat "$out")" '{"Call":"run","Argv":["wg","show","wg0"],"TimeoutMs":2000,"Stdin":false,"Answer":"refused"' \
	"and the program it asked for is recorded"
printf '[{"Argv":["wg","show","wg0"],"Exit":0,"Stdout":"peer: x"}]\n' >"$dir/run.json"
printf '[{"Method":"GET","Url":"http://local/status","Status":200,"Body":"ok"}]\n' >"$dir/http.json"
pt_run hx --op ensure --run-fixture "$dir/run.json" --http-fixture "$dir/http.json"
like "$out" '"Message":"run=0 exit=0 out=peer: x http=0 status=200 body=ok"' "fixtures answer run() and http_unix()"
like "$(flat "$out")" '"Answer":"fixture"' "and the record says so"
pt_run hx --op plan --input '{"Node":{"Hostname":"n7"},"NewNode":false}'
is "$rc" 0 "plan: exit 0"
like "$(flat "$out")" '"Payload":{"For":"n7","New":false},"Record":{"Lease":"100.96.0.2"}' "the plan's payload and record"
pt_run hx --op node-event --input '{"Kind":"removed","Node":{"Hostname":"n7"}}'
like "$(flat "$out")" '"Message":"eventkind=4node=n7"' "node-event delivers the kind and the node"

pt_run hx --op forget --input '{"Node":{"Hostname":"n7"},"Force":true}'
is "$rc" 0 "forget (ABI 1.1): exit 0"
like "$out" '"Message":"dropped n7 (forced)"' "it gets the node and the force flag, and its message is shown"
fx busy -DFORGET_BUSY
pt_run busy --op forget --input '{"Node":{"Hostname":"n7"}}'
is "$rc" 1 "forget refusing (-EBUSY): exit 1"
like "$out" '"Error":"overlay plugin \"hx\": node n7 is still syncing: try again later"' "with the plugin's reason"
pt_run example --op forget
like "$(flat "$out")" '"Skipped":"thepluginhasnoforget(ABI1.0)"' "a plugin without forget has nothing to do"

# --- breaches of the contract: exit 3, named ---------------------------------
breach() { # breach NAME SWITCH OP "needle" "description"
	fx "$1" "-D$2"
	pt_run "$1" --op "$3"
	is "$rc" 3 "$5: exit 3"
	like "$out" "$4" "$5: named"
}
breach badobs BAD_OBSERVE_JSON observe "observe: the answer is not a JSON object" "observe answering no JSON"
breach badstatus BAD_STATUS_ARRAY status "status: the answer is not a JSON object" "status answering an array"
breach silent SILENT_FAILURE ensure "ensure: returned -5 without calling error()" "a failure without a message"
like "$out" '"Error":"overlay plugin \"hx\": Input/output error"' "the failure itself is still reported"
breach badensobs BAD_ENSURE_OBSERVED ensure "ensure: observed_json is not a JSON object" "ensure handing back observed_json that is no JSON"
breach badsize BAD_SIZE ensure "ensure: the plugin changed ensure_out.struct_size" "an overwritten struct_size"
breach badplan BAD_PLAN_PAYLOAD plan 'returned a payload that is not a JSON object' "a plan payload that is no JSON"
breach slow SLOW_PLAN plan "over the 100 ms budget" "a plan over its budget"

# --- leaks: under valgrind, or ASan/LSan when the harness was built with it -------
if ldd "$pt" 2>/dev/null | grep -q libasan; then
	# valgrind cannot run an ASan program; LeakSanitizer does the same here.
	checker=LeakSanitizer
	lost="detected memory leaks"
	vg() { # vg PLUGIN ARGS...
		p=$1; shift
		ASAN_OPTIONS=detect_leaks=1 LSAN_OPTIONS=exitcode=99 CLUSTERCTL_NO_DLCLOSE=1 \
			"$pt" "$dir/overlay-$p.so" "$@" >/dev/null 2>"$dir/vg"
		rc=$?
	}
else
	command -v valgrind >/dev/null 2>&1 || skip_all "needs valgrind (tools/deps-debian.sh installs it)"
	checker=valgrind
	lost="definitely lost"
	vg() { # vg PLUGIN ARGS...
		p=$1; shift
		CLUSTERCTL_NO_DLCLOSE=1 valgrind -q --leak-check=full --errors-for-leak-kinds=definite \
			--error-exitcode=99 "$pt" "$dir/overlay-$p.so" "$@" >/dev/null 2>"$dir/vg"
		rc=$?
	}
fi
for op in observe ensure status; do
	vg example --op "$op" --option interface=lo
	is "$rc" 0 "$checker: the example's $op has no leak and no memory error"
done
vg example --op ensure --option interface=nosuch0
is "$rc" 0 "$checker: nor has its retry path"
fx leak -DLEAK
vg leak --op observe
is "$rc" 99 "$checker: a plugin that leaks is caught"
like "$(cat "$dir/vg")" "$lost" "with $checker's report"
done_testing
