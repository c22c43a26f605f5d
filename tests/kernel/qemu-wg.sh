#!/bin/bash
# The wireguard plugin's kernel path against a real kernel: this machine's
# kernel has no WireGuard module, so Debian's own kernel boots in a QEMU
# guest (software emulation) with this build shared read-only over 9p,
# and tests/kernel/wg-kernel-guest.sh runs tests/kernel/wg-kernel there:
# the plugin creates the link, sets key and peers, reads them back,
# changes and removes peers; a dump of many messages is interrupted and
# read again whole; two namespaces ping through the tunnel; then the
# whole plugin, driven by tests/tools/wg-driver as master init and node
# join drive it, builds a master and a node on the kernel backend.  Needs
# qemu-system-x86, busybox-static, cpio, kmod and linux-image-amd64
# (tools/deps-debian.sh).  KERNEL_CACHE keeps the kernel and initramfs
# between runs (default: tests/kernel/cache in the build tree).
. "$top_srcdir/tests/tap.sh"
require_cmd qemu-system-x86_64 cpio modprobe xz timeout wg ip
[ -x /bin/busybox ] && ! ldd /bin/busybox >/dev/null 2>&1 || skip_all "needs busybox-static (/bin/busybox, statically linked)"
ls /boot/vmlinuz-*-amd64 >/dev/null 2>&1 || skip_all "needs Debian's kernel (linux-image-amd64)"
WGK=$top_builddir/tests/kernel/wg-kernel
[ -x "$WGK" ] && [ -x "$top_builddir/tests/tools/wg-driver" ] ||
	skip_all "tests/kernel/wg-kernel or tests/tools/wg-driver is not built (wireguard plugin disabled?)"
# The guest sees the host's files through 9p: the build must be a real
# binary, not a libtool wrapper that would relink on a read-only root.
head -c 4 "$WGK" | grep -q ELF || skip_all "tests/kernel/wg-kernel is a libtool wrapper (configure --disable-shared)"

CACHE=${KERNEL_CACHE:-$top_builddir/tests/kernel/cache}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/clusterctl-qemu-wg.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
N=${WG_DUMP_PEERS:-300}
# The build may sit in the host's /tmp, which the guest replaces with
# its own: guest-init binds back what this file names.
for d in "$top_srcdir" "$top_builddir"; do (cd "$d" && pwd -P); done >"$WORK/expose"
printf 'exec /bin/sh %q %q %q\n' "$top_srcdir/tests/kernel/wg-kernel-guest.sh" "$top_builddir" "$N" >"$WORK/cmd"

t0=$(date +%s%N)
bash "$top_srcdir/tests/kernel/qemu-guest.sh" "$CACHE" "$WORK" 2>"$WORK/qemu.err"
rc=$?
t1=$(date +%s%N)
[ "$rc" = 3 ] && skip_all "$(cat "$WORK/qemu.err")"
ok "$rc" "the guest booted Debian's kernel, ran the test and powered off ($(((t1 - t0) / 1000000)) ms)"
[ "$rc" = 0 ] || sed 's/^/#   /' "$WORK/qemu.err"
is "$(cat "$WORK/rc" 2>/dev/null)" 0 "the guest's script ran to its end"
n=0
while read -r word holds desc; do
	[ "$word" = check ] || continue
	ok "$holds" "$desc"
	n=$((n + 1))
done <"$WORK/checks"
# device 13, guest 1 + 3 + 1 + 4, dump 8, up 2, traffic 2, plugin 14
is "$n" 48 "every verdict of the guest arrived"
if [ "$tap_failed" != 0 ]; then
	echo "# guest output:"
	tail -n 40 "$WORK/guest.log" | sed 's/^/#   /'
	echo "# the plugin's log (wg-driver):"
	tail -n 20 "$WORK/driver.log" 2>/dev/null | sed 's/^/#   /'
fi
done_testing
