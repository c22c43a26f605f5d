#!/bin/sh
# The contract between the host and a plugin's keys (clusterctl-plugin(7),
# CONFIGURATION KEYS), seen from the plugin:
#  - a boolean reaches it as "true" or "false" whatever the source and
#    spelling (yes/no, on/off, 1/0, any case); any other word is refused,
#    naming the key and the words accepted;
#  - its keys are type-checked from the file, the environment and flags
#    as clusterctl's own are, with the same messages, and refused before
#    any plugin operation runs (init included);
#  - a descriptor that breaks the rules is refused at load, naming the
#    plugin and the key;
#  - on --dry-run init is told so (host key dry-run) and the host creates
#    no data directory.
# The fixture (tests/fixtures/plugins/contract-plugin.c) writes what
# init saw into $CLUSTERCTL_TEST_SPY.
. "$top_srcdir/tests/tap.sh"
CC=${CC:-cc}
command -v "$CC" >/dev/null 2>&1 || skip_all "needs a C compiler ($CC)"
command -v jq >/dev/null 2>&1 || skip_all "needs jq"
bin=$top_builddir/clusterctl
src=$top_srcdir/tests/fixtures/plugins/contract-plugin.c
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
mkdir -m 755 "$dir/ok" "$dir/bad" "$dir/clash"
chmod 755 "$dir"

build() { # build DIR/FILE CFLAGS...
	out=$1; shift
	$CC -shared -fPIC -I"$top_srcdir/include" "$@" "$src" -o "$dir/$out" || echo "cannot build $out" >&2
}
build ok/overlay-contract.so
# The storage slot's default provider, none, from this build.
for d in ok bad; do
	cp "$top_builddir/tests/plugins-installed/storage-none.so" "$dir/$d/" && chmod 755 "$dir/$d/storage-none.so"
done
export CLUSTERCTL_TEST_SPY=$dir/spy
# node join with no controller and no Docker: the providers start (and
# the fixture reports) before the join fails on Docker.
join() { # join FLAGS...
	: >"$CLUSTERCTL_TEST_SPY"
	out=$("$bin" node join --master 127.0.0.1:1 --plugin-dir "$dir/ok" --overlay-provider contract \
		--docker-socket "$dir/no.sock" --node-state-dir "$dir/state" --join-deadline 1 "$@" 2>&1)
	rc=$?
	spy=$(cat "$CLUSTERCTL_TEST_SPY")
}

# --- 1. booleans are "true" or "false" whatever the source ----------------
join
like "$spy" "flag=false count=3 label=x" "defaults reach the plugin as declared"
for w in yes YES on On 1 true TRUE; do
	join --contract-flag "$w"
	like "$spy" "flag=true " "--contract-flag $w reaches the plugin as \"true\""
done
for w in no No off OFF 0 false False; do
	join --contract-flag "$w"
	like "$spy" "flag=false " "--contract-flag $w reaches the plugin as \"false\""
done
join --contract-flag
like "$spy" "flag=true " "a bare --contract-flag is \"true\""
CLUSTERCTL_CONTRACT_FLAG=On join
like "$spy" "flag=true " "CLUSTERCTL_CONTRACT_FLAG=On reaches the plugin as \"true\""
CLUSTERCTL_CONTRACT_FLAG=no join
like "$spy" "flag=false " "CLUSTERCTL_CONTRACT_FLAG=no reaches the plugin as \"false\""
printf 'contract = { flag = TRUE; count = 7; label = "from the file"; };\n' >"$dir/good.conf"
join --config "$dir/good.conf"
like "$spy" "flag=true count=7 label=from the file " "the file's boolean, integer and string reach the plugin"
CLUSTERCTL_CONTRACT_COUNT=8 join --config "$dir/good.conf" --contract-flag off
like "$spy" "flag=false count=8 " "flag > environment > file, as for core options"
join --contract-flag maybe
is "$rc" 2 "--contract-flag maybe is a usage error (exit 2)"
like "$out" 'command line: contract-flag wants a boolean: true/false, yes/no, on/off or 1/0 (any case), got "maybe"' \
	"naming the key and the words accepted"
is "$spy" "" "and the plugin was not started"
CLUSTERCTL_CONTRACT_FLAG=2 join
is "$rc" 2 "CLUSTERCTL_CONTRACT_FLAG=2 is refused as well"
like "$out" 'environment CLUSTERCTL_CONTRACT_FLAG: contract-flag wants a boolean' "naming the variable"

# --- 2. plugin keys are checked as core keys are --------------------------
core=$("$bin" node join --master 127.0.0.1:1 --join-deadline 0 2>&1)
like "$core" 'command line: join-deadline wants a whole number in 1..604800, got "0"' "a core integer out of range: the message"
join --contract-count 11
is "$rc" 2 "a plugin integer out of range is a usage error"
like "$out" 'command line: contract-count wants a whole number in 1..10, got "11"' "with the core's message"
is "$spy" "" "refused before the plugin's init"
CLUSTERCTL_CONTRACT_COUNT=abc join
like "$out" 'environment CLUSTERCTL_CONTRACT_COUNT: contract-count wants a whole number in 1..10, got "abc"' \
	"a plugin integer from the environment is checked"
printf 'contract = { count = 12; };\n' >"$dir/range.conf"
join --config "$dir/range.conf"
like "$out" "$dir/range.conf:1: contract-count wants a whole number in 1..10, got \"12\"" \
	"a plugin integer from the file is checked, naming file and line"
printf 'contract = {\n  count = "3";\n};\n' >"$dir/type.conf"
join --config "$dir/type.conf"
is "$rc" 2 "a plugin integer written as a string in the file is refused"
like "$out" "$dir/type.conf:2: count has the wrong type (want an integer)" "as min_managers = \"3\" would be"
printf 'contract = { flag = 1; };\n' >"$dir/bool.conf"
join --config "$dir/bool.conf"
like "$out" "$dir/bool.conf:1: flag has the wrong type (want true or false)" "a plugin boolean written as 1 in the file is refused"
printf 'wait_for_minimum = 1;\n' >"$dir/core-bool.conf"
core=$("$bin" master serve --config "$dir/core-bool.conf" 2>&1)
like "$core" "core-bool.conf:1: wait_for_minimum has the wrong type (want true or false)" "as a core boolean is"
printf 'contract = { label = 5; };\n' >"$dir/str.conf"
join --config "$dir/str.conf"
like "$out" "$dir/str.conf:1: label has the wrong type (want a string)" "a plugin string written as a number is refused"
is "$spy" "" "none of them started the plugin"

# REQUIRED: a missing value stops the run before any provider starts.
mkdir -m 755 "$dir/req"
build req/overlay-contract.so
build req/storage-needy.so -DNAME='"needy"' -DKIND=2 -DNEEDS_TOKEN
: >"$CLUSTERCTL_TEST_SPY"
out=$("$bin" node join --master 127.0.0.1:1 --plugin-dir "$dir/req" --overlay-provider contract \
	--storage-provider needy --docker-socket "$dir/no.sock" --join-deadline 1 2>&1)
is "$?" 2 "a REQUIRED key without a value is a usage error (exit 2)"
like "$out" 'storage plugin "needy" needs --needy-secret (or needy = { ... } in the config file): the token this provider needs' \
	"naming the flag and the file section"
is "$(cat "$CLUSTERCTL_TEST_SPY")" "" "and not even the other provider (the overlay) was started"
: >"$CLUSTERCTL_TEST_SPY"
CLUSTERCTL_NEEDY_SECRET=s3cr3t "$bin" node join --master 127.0.0.1:1 --plugin-dir "$dir/req" --overlay-provider contract \
	--storage-provider needy --docker-socket "$dir/no.sock" --join-deadline 1 >/dev/null 2>&1
like "$(cat "$CLUSTERCTL_TEST_SPY")" "init needy" "given (here in the environment) both start"

# --- 3. descriptors are checked at load -------------------------------------
build bad/overlay-syntax.so -DNAME='"syntax"' -DBAD_SYNTAX
build bad/overlay-dup.so -DNAME='"dup"' -DBAD_DUP
build bad/overlay-range.so -DNAME='"range"' -DBAD_RANGE
build bad/overlay-boolean.so -DNAME='"boolean"' -DBAD_BOOL
build bad/overlay-req.so -DNAME='"req"' -DBAD_REQ
build bad/overlay-type.so -DNAME='"type"' -DBAD_TYPE
build bad/overlay-docker.so -DNAME='"docker"' -DCORE_CLASH
out=$("$bin" plugins --plugin-dir "$dir/bad" 2>/dev/null)
like "$out" 'overlay-syntax.so: plugin syntax: config key "Bad Key" is not lower-case words joined by' "a key no flag can spell is refused"
like "$out" 'overlay-dup.so: plugin dup: config key "count" is declared twice' "a key declared twice is refused"
like "$out" 'overlay-range.so: plugin range: config key "count" has default "99", not a whole number in 1..10' \
	"a default outside [min,max] is refused"
like "$out" 'overlay-boolean.so: plugin boolean: config key "flag" is a boolean with default "maybe"' \
	"a default of the wrong type is refused"
like "$out" 'overlay-req.so: plugin req: config key "password" is REQUIRED and has a default' "REQUIRED with a default is refused"
like "$out" 'overlay-type.so: plugin type: config key "ratio" has unknown type 7' "an unknown key type is refused"
like "$out" 'overlay-docker.so: plugin docker: config key "socket" clashes with clusterctl'"'"'s own option --docker-socket' \
	"a key that clashes with a core flag is refused"
n=$(printf '%s\n' "$out" | grep -c '^  /')
is "$n" 7 "every broken descriptor is refused, none listed as usable"
join --plugin-dir "$dir/bad" --overlay-provider range
is "$rc" 1 "a run whose provider has a broken descriptor stops (exit 1)"
like "$out" 'cannot use overlay plugin "range"' "naming the plugin"
build clash/overlay-contract.so
build clash/storage-contract.so -DKIND=2
out=$("$bin" plugins --plugin-dir "$dir/clash" 2>&1)
like "$out" 'storage-contract.so: plugin contract: config key "flag" is also declared by overlay plugin "contract"' \
	"a key another loaded plugin declares under the same flag is refused"
: >"$CLUSTERCTL_TEST_SPY"
out=$("$bin" node join --master 127.0.0.1:1 --plugin-dir "$dir/clash" --overlay-provider contract \
	--storage-provider contract --docker-socket "$dir/no.sock" --join-deadline 1 2>&1)
like "$out" 'cannot use storage plugin "contract"' "also when a run loads both"
like "$out" 'both would be --contract-flag; rename one' "with the same reason"
is "$(cat "$CLUSTERCTL_TEST_SPY")" "" "and neither started"

# --- 8. what a person is shown of a plugin's keys ----------------------------
json=$("$bin" plugins --json --plugin-dir "$dir/ok" 2>/dev/null)
key() { printf '%s' "$json" | jq -c ".Plugins[] | select(.Name==\"contract\") | .Keys[] | select(.Name==\"$1\")"; }
is "$(key count)" '{"Name":"count","Flag":"--contract-count","Environment":"CLUSTERCTL_CONTRACT_COUNT","FileKey":"contract.count","Type":"int","Default":"3","Min":1,"Max":10,"Required":false,"Secret":false,"Help":"a number"}' \
	"plugins --json lists a key's flag, variable, file key, type, default, range, flags and help"
is "$(key flag | jq -c '[.Type,.Default]')" '["bool","false"]' "a boolean key is listed as bool"
is "$(key token | jq -c '[.Default,.Secret]')" '["(secret)",true]' "a SECRET key's default is never listed"
case $json in *s3cret-default*) ok 1 "nowhere in the JSON" ;; *) ok 0 "nowhere in the JSON" ;; esac
help=$("$bin" node join --overlay-provider contract --plugin-dir "$dir/ok" --help 2>&1)
is "$?" 0 "node join --overlay-provider contract --help: exit 0"
like "$help" 'Options of the overlay provider "contract" (also CLUSTERCTL_CONTRACT_KEY, or contract = { key = ...; } in the config file):' \
	"--help of a command lists the chosen provider's options"
like "$help" '  --contract-count N             a number (1..10) [3]' "each with its type, range and default"
like "$help" '  --contract-flag                a boolean [false]' "a boolean takes no value"
case $help in *s3cret-default*) ok 1 "and never a secret's default" ;; *) ok 0 "and never a secret's default" ;; esac
help=$("$bin" help node join --overlay-provider contract --plugin-dir "$dir/ok" 2>&1)
like "$help" '  --contract-count N             a number (1..10) [3]' "so does clusterctl help node join with the provider named"
help=$(CLUSTERCTL_OVERLAY_PROVIDER=contract "$bin" agent --plugin-dir "$dir/ok" --help 2>&1)
like "$help" '--contract-label VALUE' "the provider is chosen as a run chooses it (here CLUSTERCTL_OVERLAY_PROVIDER)"
help=$("$bin" node join --overlay-provider nosuch --plugin-dir "$dir/ok" --help 2>&1)
like "$help" '(overlay plugin "nosuch" is not installed in' "a provider that is not installed is named"
help=$("$bin" ip --overlay-provider contract --plugin-dir "$dir/ok" --help 2>&1)
case $help in *contract-count*) ok 1 "a command that uses no provider lists none" ;; *) ok 0 "a command that uses no provider lists none" ;; esac

# --- 7. --dry-run: the plugin is told, the host creates nothing -------------
rm -rf "$dir/state"
join --dry-run
like "$spy" "dry-run=true command=node join data-dir=$dir/state/plugins/contract exists=no" \
	"on --dry-run init sees dry-run=true and its data dir is named, not created"
[ ! -e "$dir/state/plugins/contract" ]; ok $? "no data directory after node join --dry-run"
join
like "$spy" "dry-run=false command=node join data-dir=$dir/state/plugins/contract exists=yes" \
	"without --dry-run the host creates it before init"
done_testing
