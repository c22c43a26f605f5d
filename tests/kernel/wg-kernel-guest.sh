#!/bin/sh
# Inside the QEMU guest (tests/kernel/qemu-wg.sh), chrooted into the
# host's root: the wireguard plugin's kernel path (tests/kernel/wg-kernel)
# against Debian's WireGuard module.  Verdicts go to /tmp/work/checks as
# "check 0|1 description"; `wg` (wireguard-tools) is the independent look.
#   wg-kernel-guest.sh BUILD_DIR DUMP_PEERS
B=$1
N=${2:-300}
OUT=/tmp/work/checks
WGK=$B/tests/kernel/wg-kernel
: >"$OUT"
say() { echo "check $1 $2" >>"$OUT"; }
holds() { if [ "$1" = "$2" ]; then say 0 "$3"; else say 1 "$3 (got '$1', want '$2')"; fi; }

say 0 "the guest runs Debian's kernel $(uname -r)"

# --- one device: create, set, read back, change, remove ----------------
"$WGK" device wgk0 >/tmp/device.out
grep '^check ' /tmp/device.out >>"$OUT"
want=$(sed -n 's/^peer //p' /tmp/device.out | sort | tr '\n' ' ')
holds "$(wg show wgk0 peers | sort | tr '\n' ' ')" "$want" "wg(8) sees the peers the plugin left on wgk0"
holds "$(wg show wgk0 listen-port)" 51871 "wg(8) sees the listen port the plugin set"
# The plugin's private key, as the kernel holds it, gives wg's public key.
holds "$(wg show wgk0 private-key | wg pubkey)" "$(wg show wgk0 public-key)" "wg(8): the kernel holds a valid key pair"

# --- a dump of many messages, and one the kernel interrupts ------------
"$WGK" dump wgk1 "$N" | grep '^check ' >>"$OUT"
holds "$(wg show wgk1 peers | wc -l)" $((N + 1)) "wg(8) counts the $((N + 1)) peers too"

# --- two namespaces ping through the tunnel ----------------------------
ip netns add wa && ip netns add wb &&
	ip link add va type veth peer name vb && ip link set va netns wa && ip link set vb netns wb &&
	ip -n wa addr add 192.168.77.1/24 dev va && ip -n wb addr add 192.168.77.2/24 dev vb &&
	ip -n wa link set va up && ip -n wb link set vb up &&
	ip -n wa link set lo up && ip -n wb link set lo up
say $? "two namespaces joined by a veth pair (192.168.77.1 and .2)"
ka=$(wg genkey)
kb=$(wg genkey)
pa=$(echo "$ka" | wg pubkey)
pb=$(echo "$kb" | wg pubkey)
ip netns exec wa "$WGK" up wga "$ka" 51001 "$pb" 192.168.77.2:51002 10.99.0.2/32 | grep '^check ' >>"$OUT"
ip netns exec wb "$WGK" up wgb "$kb" 51002 "$pa" 192.168.77.1:51001 10.99.0.1/32 | grep '^check ' >>"$OUT"
ip -n wa addr add 10.99.0.1/24 dev wga && ip -n wa link set wga up &&
	ip -n wb addr add 10.99.0.2/24 dev wgb && ip -n wb link set wgb up
say $? "tunnel addresses 10.99.0.1 and 10.99.0.2, links up"
ip netns exec wa busybox ping -c 3 -W 5 10.99.0.2 >/tmp/ping.out 2>&1
say $? "namespace wa pings 10.99.0.2 (namespace wb) through the kernel WireGuard tunnel: $(grep -o '[0-9]* packets received' /tmp/ping.out)"
ip netns exec wb busybox ping -c 1 -W 5 10.99.0.1 >/dev/null 2>&1
say $? "and wb pings wa back"
ip netns exec wa "$WGK" traffic wga "$pb" | grep '^check ' >>"$OUT"

# --- the whole plugin, as the commands drive it, on the kernel backend --
/bin/sh "$(dirname "$0")/wg-plugin-guest.sh" "$B"
exit 0
