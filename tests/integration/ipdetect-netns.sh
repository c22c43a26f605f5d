#!/bin/sh
# `clusterctl ip` in a fresh network namespace holding an interface of
# every class, a down one, a docker_gwbridge lookalike and a veth-named
# dummy; then interfaces are removed one at a time to walk the fallback
# chain down to loopback.  Root; no dockerd needed.
# "dummy" links are created as type dummy, or as ifb where the kernel has
# no dummy driver: detection never looks at the kind, only at names.
. "$top_srcdir/tests/tap.sh"
require_root
require_cmd ip jq

bin=$top_builddir/clusterctl
[ -x "$bin" ] || skip_all "$bin not built"
NS=clip$$
tmp=$(mktemp -d) || exit 1
: >"$tmp/empty.conf"
cleanup() { ip netns del "$NS" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
ip netns add "$NS" || skip_all "cannot create a network namespace"

n() { ip -n "$NS" "$@"; }
dummy() { n link add "$1" type dummy 2>/dev/null || n link add "$1" type ifb; }
# Isolated from the caller's CLUSTERCTL_* variables and /etc config.
cc() {
	ip netns exec "$NS" env -i PATH="$PATH" CLUSTERCTL_CONFIG="$tmp/empty.conf" \
		"$bin" ip "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	out=$(cat "$tmp/out")
	err=$(cat "$tmp/err")
}
j() { printf '%s' "$out" | jq -r "$1"; }
# choose "description" IP IFACE CLASS [args...]: --json run, three checks
choose() {
	local d=$1 ip=$2 ifc=$3 cls=$4
	shift 4
	cc --json "$@"
	is "$rc $(j .IP) $(j .Interface) $(j .Class)" "0 $ip $ifc $cls" "$d"
}

# Created in this order so that ifindex order makes the traps real:
# down0 and veth123 have lower ifindexes and lower CGNAT addresses than
# cg0, so only "down" and "excluded" keep them from winning; eth0 comes
# before priv0, whose RFC 1918 address is numerically lower.
set -e
n link set lo up
dummy down0
n addr add 100.64.0.1/24 dev down0
dummy veth123
n addr add 100.64.0.5/24 dev veth123
n link add docker_gwbridge type bridge
n addr add 172.18.0.1/16 dev docker_gwbridge
n link add eth0 type veth peer name eth0p
n addr add 192.168.50.10/24 dev eth0
dummy cg0
n addr add 100.64.10.1/24 dev cg0
n addr add 100.64.9.1/24 dev cg0 preferred_lft 0 valid_lft forever
dummy priv0
n addr add 10.20.0.1/24 dev priv0
dummy pub0
n addr add 203.0.113.7/24 dev pub0
for l in veth123 docker_gwbridge eth0 cg0 priv0 pub0; do n link set "$l" up; done
set +e
diag "links: $(n -br link | awk '{printf "%s ", $1}')"

# --- everything present -------------------------------------------------
cc
is "$rc" 0 "clusterctl ip exits 0"
like "$out" "IP:        100.64.10.1" "text: CGNAT 100.64.10.1 chosen"
like "$out" "Interface: cg0" "text: on cg0"
like "$out" "Class:     cgnat" "text: class cgnat"
like "$out" "Reason:    the best usable address of the preferred class" "text: one-line reason"
like "$out" "100.64.0.5/24      veth123         cgnat    excluded: interface name matches pattern 'veth*'" \
	"text: the veth123 dummy is excluded by name"
like "$out" "172.18.0.1/16      docker_gwbridge rfc1918  excluded: interface name matches pattern 'docker_gwbridge'" \
	"text: docker_gwbridge is excluded by name"
like "$out" "100.64.0.1/24      down0           cgnat    rejected: interface is down" "text: down0 is rejected as down"
like "$out" "100.64.9.1/24      cg0             cgnat    rejected: address is deprecated" \
	"text: the deprecated address is rejected"
like "$out" "192.168.50.10/24   eth0            rfc1918  usable, ranked lower: class rfc1918 comes after cgnat" \
	"text: eth0 (a veth) is usable, just a lower class"

cc --json
is "$rc" 0 "--json exits 0"
is "$(j .IP) $(j .Interface) $(j .Class) $(j .Pinned)" "100.64.10.1 cg0 cgnat none" "--json: IP, Interface, Class, Pinned"
is "$(j '.Candidates | length')" 9 "--json: all nine addresses are candidates"
is "$(j '[.Candidates[] | select(.Chosen)] | length') $(j '.Candidates[0].Chosen')" "1 true" "--json: one chosen, listed first"
is "$(j '.Candidates[] | select(.Interface == "eth0") | .Kind + " " + (.Usable|tostring)')" "veth true" \
	"--json: eth0 is kind veth and usable (kinds never exclude)"
is "$(j '[.Candidates[] | select(.Usable) | .Address] | join(" ")')" \
	"100.64.10.1 192.168.50.10 10.20.0.1 203.0.113.7 127.0.0.1" \
	"--json: usable ones in rank order (eth0 before priv0: lower ifindex first)"
is "$(j .Warning)" null "--json: no warning"

n link set down0 up
choose "down0 brought up: its lower ifindex wins the CGNAT tie-break" 100.64.0.1 down0 cgnat
n link set down0 down
choose "down0 down again: back to cg0" 100.64.10.1 cg0 cgnat

# --- pins ---------------------------------------------------------------
choose "--interface docker_gwbridge: pinned past its exclusion" 172.18.0.1 docker_gwbridge rfc1918 \
	--interface docker_gwbridge
is "$(j .Pinned)" interface "--interface: Pinned says so"
choose "--interface pub0" 203.0.113.7 pub0 other --interface pub0
cc --interface down0
is "$rc" 1 "--interface down0 (down): exit 1"
like "$err" "interface 'down0' has no usable IPv4 address: 100.64.0.1 (interface is down)" "… naming the interface and why"
cc --interface eth0p
is "$rc" 1 "--interface eth0p (no IPv4): exit 1"
like "$err" "interface 'eth0p' has no IPv4 address" "… naming the interface"
choose "--ip of a local address: its interface is found" 10.20.0.1 priv0 rfc1918 --ip 10.20.0.1
choose "--ip not on any interface (NAT): accepted" 198.51.100.9 "" other --ip 198.51.100.9
like "$(j .Warning)" "is not an address of any local interface" "… with a warning"
like "$err" "is not an address of any local interface" "… also logged"
cc --ip 999.1.1.1
is "$rc" 2 "--ip 999.1.1.1: usage error, exit 2"
like "$err" "999.1.1.1" "… naming the bad value"
cc --ip 224.0.0.9
is "$rc" 2 "--ip 224.0.0.9 (multicast): usage error, exit 2"
like "$err" "224.0.0.9" "… naming it"
cc --ip 100.64.10.1 --interface pub0
is "$rc" 2 "--ip on cg0 with --interface pub0: exit 2"

# --- exclusion patterns -------------------------------------------------
choose "--exclude-interfaces 'cg*' replaces the defaults: veth123 is usable again" 100.64.0.5 veth123 cgnat \
	--exclude-interfaces 'cg*'
choose "--exclude-interfaces 'cg*,veth*': docker_gwbridge is no longer excluded either" 172.18.0.1 docker_gwbridge rfc1918 \
	--exclude-interfaces 'cg*,veth*'
choose "--exclude-interfaces 'cg*, veth*, docker*': RFC 1918 eth0" 192.168.50.10 eth0 rfc1918 \
	--exclude-interfaces 'cg*, veth*, docker*'
choose "--exclude-interfaces '': nothing excluded, veth123 wins on ifindex" 100.64.0.5 veth123 cgnat \
	--exclude-interfaces ''

# --- fallbacks, one interface removed at a time --------------------------
n link del cg0
choose "cg0 gone: RFC 1918 on eth0 (ifindex before address)" 192.168.50.10 eth0 rfc1918
n link del eth0
choose "eth0 gone: RFC 1918 on priv0" 10.20.0.1 priv0 rfc1918
n link del priv0
choose "priv0 gone: other, pub0" 203.0.113.7 pub0 other
n link del pub0
choose "pub0 gone: loopback, last resort (docker_gwbridge and veth123 stay excluded)" 127.0.0.1 lo loopback
like "$(j .Warning)" "other hosts cannot reach" "loopback: warned"
n link set lo down
cc
is "$rc" 1 "lo down too: nothing usable, exit 1"
like "$err" "IPv4 addresses of this host is usable" "… with an actionable message"
like "$err" "excluded: interface name matches pattern 'veth*'" "… and the candidates shown on stderr"

done_testing
