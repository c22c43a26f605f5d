#!/bin/sh
# Contract test of the netbird overlay plugin, loaded through the core's
# loader (tests/tools/overlay-driver), driving tests/fakes/fake-netbird.sh in a
# network namespace whose tun device wt0 gets the netbird address.
# Covers: CLI missing, daemon not running, connected, logged out with and
# without a setup key, a rejected key, old CLIs (text status, no
# daemonStatus), an address that comes late, never, or on the wrong link,
# a non-default interface, Idle, plan() validation and copying,
# master_prepare, status, observe; and that the setup key reaches the CLI
# only through its environment: never in argv, never in a log line.
. "$top_srcdir/tests/tap.sh"

require_root
require_cmd ip
B=$top_builddir
DRV=$B/tests/tools/overlay-driver
FAKENB_SCRIPT=$top_srcdir/tests/fakes/fake-netbird.sh
SO=$B/plugins/overlay/netbird/.libs/overlay-netbird.so
[ -x "$DRV" ] || skip_all "overlay-driver not built"
[ -x "$FAKENB_SCRIPT" ] || skip_all "tests/fakes/fake-netbird.sh is not executable"
[ -f "$SO" ] || skip_all "netbird plugin not built"

NS=tsnb-nb-$$
T=$(mktemp -d)
D=$T/nb
FAKENB=$T/netbird
# clusterctl hands the programs it runs an allow-listed environment
# (core/harden.c): the fake's state directory goes in through a wrapper.
mkdir -p "$D"
printf '#!/bin/sh\nFAKE_NETBIRD_DIR=%s exec %s "$@"\n' "$D" "$top_srcdir/tests/fakes/fake-netbird.sh" >"$T/netbird"
chmod +x "$T/netbird"
cleanup() {
	ip netns del "$NS" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
ip netns add "$NS" 2>/dev/null || skip_all "cannot create a network namespace"
nsx() { ip netns exec "$NS" "$@"; }
nsx ip link set lo up
for dev in wt0 nb1 other0; do
	nsx ip tuntap add dev $dev mode tun || skip_all "cannot create a tun device"
	nsx ip link set $dev up
done

KEY=A1B2C3D4-NBS3CR3T-5E6F-7A8B-9C0D1E2F3A4B
BADKEY=FFFFFFFF-N0TV4L1D-0000-0000-000000000000
IP=100.92.0.7
: >"$T/all-logs"
: >"$T/all-calls"

# reset STATE [FILE=VALUE...]: a fresh fake with the given daemon state.
reset() {
	[ -f "$D/calls.log" ] && cat "$D/calls.log" >>"$T/all-calls"
	rm -rf "$D"
	mkdir -p "$D"
	printf '%s' "$KEY" >"$D/key"
	printf 'wt0' >"$D/iface"
	printf '%s' "$1" >"$D/state"
	shift
	for kv in "$@"; do printf '%s' "${kv#*=}" >"$D/${kv%%=*}"; done
	for dev in wt0 nb1 other0; do nsx ip addr flush dev $dev; done
}

# drive OP STDIN [driver args...]: results in $rc, $out, $log.
drive() {
	op=$1 input=$2
	shift 2
	printf '%s' "$input" | FAKE_NETBIRD_DIR=$D nsx "$DRV" "$SO" --set "netbird-command=$FAKENB" \
		--set "netbird-timeout=${TO:-5}" "$@" "$op" >"$T/out" 2>"$T/err"
	rc=$?
	out=$(cat "$T/out")
	log=$(cat "$T/err")
	cat "$T/err" >>"$T/all-logs"
}
field() { printf '%s\n' "$out" | sed -n "s/^$1=//p" | head -n 1; }
no_key_in_log() {
	case $log in *NBS3CR3T* | *N0TV4L1D*) ok 1 "$1: no key in the log" ;; *) ok 0 "$1: no key in the log" ;; esac
	case $out in *NBS3CR3T* | *N0TV4L1D*) ok 1 "$1: no key in the result or error" ;;
	*) ok 0 "$1: no key in the result or error" ;; esac
}
no_key_in_argv() {
	if grep '^ARGV' "$D/calls.log" | grep -qE 'NBS3CR3T|N0TV4L1D'; then ok 1 "$1: no key in the CLI's argv"
	else ok 0 "$1: no key in the CLI's argv"; fi
}
up_calls() { grep -c '^ARGV \[up\]' "$D/calls.log"; }

# 1. no netbird CLI
reset needs-login
drive ensure '{"SetupKey":"'"$KEY"'"}' --set netbird-command=/nonexistent/netbird
is "$rc" 1 "CLI missing: ensure fails"
like "$(field error)" 'cannot run the netbird CLI "/nonexistent/netbird"' "CLI missing: says so"

# 2. the daemon is not running
reset down
drive ensure '{"SetupKey":"'"$KEY"'","Hostname":"node1"}'
is "$rc" 1 "daemon down: ensure fails"
like "$(field error)" "the netbird daemon is not running" "daemon down: says so"
like "$(field error)" "netbird service install" "daemon down: says how to start it"
no_key_in_log "daemon down"

# 3. already connected, address on wt0
reset connected
nsx ip addr add $IP/16 dev wt0
drive ensure '{"SetupKey":"'"$KEY"'","Hostname":"node1"}'
is "$rc" 0 "connected: ensure succeeds"
is "$(field address)" $IP "connected: the netbird IPv4 is the overlay address"
is "$(field ifname)" wt0 "connected: on wt0"
like "$(field observed)" '"DaemonStatus":"Connected"' "connected: Observed carries the status"
is "$(up_calls)" 0 "connected: no up run"

# 4. logged out, no key from the controller
reset needs-login
drive ensure '{"Hostname":"node1"}'
is "$rc" 1 "logged out without a key: ensure fails"
like "$(field error)" "logged out (NeedsLogin) and the controller sent no SetupKey" "logged out without a key: says what to do"

# 5. logged out, good key: `netbird up` with the key in its environment
reset needs-login
drive ensure '{"SetupKey":"'"$KEY"'","ManagementURL":"https://nb.example:443","Hostname":"node1"}'
is "$rc" 0 "logged out + good key: ensure succeeds"
is "$(field address)" $IP "logged out + good key: reports the netbird IPv4"
like "$(grep '^ARGV \[up\]' "$D/calls.log")" "[--management-url] [https://nb.example:443]" "up gets the management URL"
like "$(grep '^ARGV \[up\]' "$D/calls.log")" "[--hostname] [node1]" "up gets the host name"
check "the key reached up as NB_SETUP_KEY" grep -qx "ENV NB_SETUP_KEY=$KEY" "$D/calls.log"
no_key_in_argv "login"
no_key_in_log "login"

# 6. a setup key the management server refuses
reset needs-login
drive ensure '{"SetupKey":"'"$BADKEY"'","Hostname":"node1"}'
is "$rc" 1 "bad key: ensure fails"
like "$(field error)" "netbird rejected the setup key" "bad key: says the key was refused"
like "$(field error)" "setup key is invalid" "bad key: quotes netbird's reason"
no_key_in_argv "bad key"
no_key_in_log "bad key"

# 7. an old CLI: logged out prints text, connected prints no daemonStatus
reset needs-login style=text
drive ensure '{"SetupKey":"'"$KEY"'","Hostname":"node1"}'
is "$rc" 0 "old CLI text status: logs in and connects"
reset connected style=nostatus
nsx ip addr add $IP/16 dev wt0
drive ensure '{"Hostname":"node1"}'
is "$rc" 0 "old CLI JSON without daemonStatus: counts as connected"

# 8. connected, but the address reaches wt0 only later: ensure waits
reset needs-login addr=never
printf '%s' '{"SetupKey":"'"$KEY"'","Hostname":"node1"}' | FAKE_NETBIRD_DIR=$D nsx "$DRV" "$SO" \
	--set "netbird-command=$FAKENB" --set netbird-timeout=10 ensure >"$T/out" 2>"$T/err" &
bg=$!
i=0; while ! grep -q '^UP ' "$D/calls.log" 2>/dev/null && [ $i -lt 250 ]; do sleep 0.02; i=$((i + 1)); done
# Let ensure see Connected without the address at least once first.
n0=$(grep -c '^ARGV \[status\]' "$D/calls.log")
i=0; while [ "$(grep -c '^ARGV \[status\]' "$D/calls.log")" -le "$n0" ] && [ $i -lt 250 ]; do sleep 0.02; i=$((i + 1)); done
nsx ip addr add $IP/16 dev wt0
wait $bg
rc=$?
out=$(cat "$T/out")
cat "$T/err" >>"$T/all-logs"
is "$rc" 0 "late address: ensure waits and succeeds"
is "$(field ifname)" wt0 "late address: found on wt0"

# 9. the address never comes
reset connected
TO=2 drive ensure '{"Hostname":"node1"}'
is "$rc" 1 "address never present: fails at the deadline"
like "$(field error)" "wt0 does not hold that address after 2 s" "address never present: says so"

# 10. the address is on another link
reset connected
nsx ip addr add $IP/16 dev other0
TO=1 drive ensure '{"Hostname":"node1"}'
is "$rc" 1 "address on the wrong link: fails"
like "$(field error)" "is on other0, not on wt0" "address on the wrong link: says where it is"

# 11. a non-default interface
reset needs-login iface=nb1
drive ensure '{"SetupKey":"'"$KEY"'","Hostname":"node1"}' --set netbird-interface=nb1
is "$rc" 0 "interface nb1: ensure succeeds"
is "$(field ifname)" nb1 "interface nb1: reported"
like "$(grep '^ARGV \[up\]' "$D/calls.log")" "[--interface-name] [nb1]" "interface nb1: passed to up"
drive ensure '{}' --set netbird-interface=a/b
like "$(field error)" "is not a valid interface name" "a bad interface name is refused at start"

# 12. Idle (after `netbird down`): up without a key reconnects
reset idle
drive ensure '{"Hostname":"node1"}'
is "$rc" 0 "Idle: up reconnects"
is "$(up_calls)" 1 "Idle: one up run"

# 13. plan(): options validated and copied into the payload
drive plan '{"SetupKey":"'"$KEY"'","ManagementURL":"https://nb.example:443"}' --hostname node7 \
	--observed '{"Provider":"netbird","Address":"100.92.3.4"}'
is "$rc" 0 "plan: accepts SetupKey and ManagementURL"
like "$(field payload)" "\"SetupKey\":\"$KEY\"" "plan: the payload carries the SetupKey"
like "$(field payload)" '"ManagementURL":"https://nb.example:443"' "plan: and the management URL"
like "$(field payload)" '"Hostname":"node7"' "plan: and the node's host name"
is "$(field record)" '{"Address":"100.92.3.4"}' "plan: the record keeps the observed address"
case $log in *NBS3CR3T*) ok 1 "plan: no key in the log" ;; *) ok 0 "plan: no key in the log" ;; esac
drive plan '{"SetupKey":"'"$KEY"'"}' --hostname node7 \
	--observed '{"Provider":"netbird","DaemonStatus":"Connected","Address":"100.92.3.4"}'
is "$rc" 0 "plan for a node already connected"
case $(field payload) in *"$KEY"* | *SetupKey*) ok 1 "plan: a connected node's heartbeat does not carry the SetupKey" ;;
*) ok 0 "plan: a connected node's heartbeat does not carry the SetupKey" ;; esac
drive plan '{"SetupKey":"'"$KEY"'"}' --hostname node7 \
	--observed '{"Provider":"netbird","DaemonStatus":"NeedsLogin","Address":"100.92.3.4"}'
like "$(field payload)" "\"SetupKey\":\"$KEY\"" "plan: a node that must log in again gets it"
drive plan '{"SetupKey":"'"$KEY"'","ManagementUrl":"x"}'
like "$(field error)" 'unknown key "ManagementUrl"' "plan: a misspelt key is refused"
drive plan '{"ManagementURL":"nb.example"}'
like "$(field error)" "ManagementURL must be" "plan: a URL without scheme is refused"

# 14. master_prepare
reset needs-login
drive master-prepare '{"SetupKey":"'"$KEY"'"}' --hostname master1
is "$rc" 0 "master_prepare: connects the master"
like "$(grep '^ARGV \[up\]' "$D/calls.log")" "[--hostname] [master1]" "master_prepare: with the master's host name"
no_key_in_argv "master_prepare"

# 15. status and observe
reset connected
nsx ip addr add $IP/16 dev wt0
drive status ''
like "$(field status)" '"AddressPresent":true' "status: reports the address present"
drive observe ''
like "$(field observed)" "\"Address\":\"$IP\"" "observe: reports the address"
reset down
drive observe ''
is "$rc" 0 "observe without a daemon does not fail registration"
like "$(field observed)" '"Unreachable"' "observe: says the daemon is unreachable"

# The whole run: keys only ever in an environment, never argv or logs.
cat "$D/calls.log" >>"$T/all-calls"
if grep '^ARGV' "$T/all-calls" | grep -qE 'NBS3CR3T|N0TV4L1D'; then ok 1 "no CLI run of the whole test had a key in argv"
else ok 0 "no CLI run of the whole test had a key in argv"; fi
if grep -qE 'NBS3CR3T|N0TV4L1D' "$T/all-logs"; then ok 1 "no log line of the whole run holds a key"
else ok 0 "no log line of the whole run holds a key"; fi
done_testing
