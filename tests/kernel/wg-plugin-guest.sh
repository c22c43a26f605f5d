#!/bin/sh
# Inside the QEMU guest, after wg-kernel-guest.sh: the whole plugin on
# the kernel backend, driven through the core's loader by
# tests/tools/wg-driver as master init, master serve and node join call
# it.  Namespace pa is the master (master_prepare), pb a node (observe,
# the controller's plan, ensure); traffic both ways over the overlay;
# ensure again changes nothing.  Verdicts append to /tmp/work/checks.
#   wg-plugin-guest.sh BUILD_DIR
B=$1
OUT=/tmp/work/checks
PLUGIN=$B/plugins/overlay/wireguard/.libs/overlay-wireguard.so
DRIVER=$B/tests/tools/wg-driver
CTL=/tmp/ctl
say() { echo "check $1 $2" >>"$OUT"; }
holds() { if [ "$1" = "$2" ]; then say 0 "$3"; else say 1 "$3 (got '$1', want '$2')"; fi; }
has() { case $1 in *"$2"*) say 0 "$3" ;; *) say 1 "$3 ('$2' not in: $(printf '%s' "$1" | head -c 300))" ;; esac; }
jget() { printf '%s' "$1" | sed -n "s/.*\"$2\":\"\{0,1\}\([^\",}]*\).*/\1/p"; }
ipof() { [ "$1" = a ] && echo 198.51.100.41 || echo 198.51.100.42; }
drv() { # drv a|b ARGS...: the driver in namespace pa or pb with its own state
	n=$1
	shift
	ip netns exec "p$n" "$DRIVER" --state-dir "/tmp/state-$n" --ip "$(ipof "$n")" --hostname "h$n" \
		"$PLUGIN" "$@" 2>>/tmp/work/driver.log
}
plan_for() { # the node observes, the controller (pa) plans its payload
	drv "$1" observe >"$CTL/$1.observed" &&
		drv a plan "$1" "$(ipof "$1")" "$CTL/$1.observed" "$CTL/records" >"$CTL/$1.payload"
}

mkdir -p "$CTL/records"
ip netns add pa && ip netns add pb &&
	ip link add ea type veth peer name eb && ip link set ea netns pa && ip link set eb netns pb &&
	ip -n pa addr add 198.51.100.41/24 dev ea && ip -n pb addr add 198.51.100.42/24 dev eb &&
	ip -n pa link set ea up && ip -n pb link set eb up && ip -n pa link set lo up && ip -n pb link set lo up
say $? "plugin: master namespace pa (198.51.100.41) and node namespace pb (.42)"

out=$(drv a master-prepare)
holds "$(jget "$out" converged)" true "plugin: master_prepare converges in pa"
holds "$(jget "$out" address)" 100.96.0.1 "plugin: the master takes the pool's first address"
ip -n pa -d link show wg0 2>/dev/null | grep -q 'wireguard'
say $? "plugin: the master's wg0 is a kernel WireGuard link"
plan_for b
say $? "plugin: the controller plans pb"
has "$(cat "$CTL/b.payload")" '"Address":"100.96.0.2/16"' "plugin: pb is given 100.96.0.2/16"
out=$(drv b ensure "$CTL/b.payload")
holds "$(jget "$out" converged)" true "plugin: ensure converges on pb"
has "$out" "(kernel)" "plugin: on the kernel backend"
plan_for a && drv a ensure "$CTL/a.payload" >/dev/null && plan_for b && drv b ensure "$CTL/b.payload" >/dev/null
say $? "plugin: the master registers as a node, pb is planned again"
drv b ping 100.96.0.1 >/dev/null
say $? "plugin: pb reaches the master over the kernel overlay (100.96.0.1)"
drv a ping 100.96.0.2 >/dev/null
say $? "plugin: the master reaches pb (100.96.0.2)"
idx=$(ip -n pb -o link show dev wg0 | cut -d: -f1)
out=$(drv b ensure "$CTL/b.payload")
has "$out" ", 0 changes (kernel)" "plugin: ensure again on pb makes no change"
holds "$(ip -n pb -o link show dev wg0 | cut -d: -f1)" "$idx" "plugin: and keeps the interface (same ifindex)"
out=$(drv b status)
has "$out" '"LatestHandshake":' "plugin: status reads each peer's handshake from the kernel"
exit 0
