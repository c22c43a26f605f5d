#!/bin/bash
# qemu-guest.sh CACHE WORK: boot Debian's own kernel under QEMU with the
# host's root shared read-only over 9p, run WORK/cmd (a shell script)
# inside it chrooted into that root, and return when the guest has powered
# off: WORK/rc holds the script's exit status, WORK/guest.log its output,
# WORK/console.log the serial console.  The kernel (decompressed) and the
# initramfs (busybox, the modules up to 9p and WireGuard, guest-init) are
# built once into CACHE/<kernel version>.
# Environment: KVER (default: the newest /lib/modules/*-amd64 with its
# /boot/vmlinuz), QEMU_ACCEL (tcg; "kvm:tcg" where /dev/kvm works),
# QEMU_TIMEOUT (150 s), QEMU_MEM (512 MB).
set -u
here=$(cd "$(dirname "$0")" && pwd)
CACHE=$1
WORK=$2
KVER=${KVER:-}
if [ -z "$KVER" ]; then
	for d in $(ls -d /lib/modules/*-amd64 2>/dev/null | sort -V); do
		[ -f "/boot/vmlinuz-${d##*/}" ] && KVER=${d##*/}
	done
fi
[ -n "$KVER" ] && [ -f "/boot/vmlinuz-$KVER" ] || {
	echo "qemu-guest: no Debian amd64 kernel (/boot/vmlinuz-*-amd64 and its /lib/modules): apt-get install linux-image-amd64" >&2
	exit 3
}
C=$CACHE/$KVER
mkdir -p "$C"

# The kernel: the XZ payload of the bzImage boots as an ELF (PVH) about
# 4.5 s faster under TCG than the compressed image decompressing itself.
if [ ! -s "$C/kernel" ]; then
	K=/boot/vmlinuz-$KVER
	off=$(LC_ALL=C grep -obUaP '\xfd7zXZ\x00' "$K" 2>/dev/null | head -1 | cut -d: -f1)
	[ -n "$off" ] && tail -c +$((off + 1)) "$K" | xz -dc >"$C/kernel.tmp" 2>/dev/null
	if [ "$(head -c 4 "$C/kernel.tmp" 2>/dev/null | od -An -tx1 | tr -d ' ')" = 7f454c46 ]; then
		mv "$C/kernel.tmp" "$C/kernel"
	else
		rm -f "$C/kernel.tmp"
		cp "$K" "$C/kernel"
	fi
fi

# The initramfs, rebuilt when guest-init changes.
if [ ! -s "$C/initrd.gz" ] || [ "$here/guest-init" -nt "$C/initrd.gz" ]; then
	R=$(mktemp -d "$C/root.XXXXXX")
	mkdir -p "$R/bin" "$R/modules"
	cp /bin/busybox "$R/bin/busybox" || exit 3
	cp "$here/guest-init" "$R/init"
	printf '#!/bin/sh\nexec /bin/chroot /host /sbin/modprobe "$@"\n' >"$R/modprobe-helper"
	chmod 755 "$R/init" "$R/modprobe-helper"
	: >"$R/modules/order"
	for m in virtio_pci 9pnet_virtio 9p wireguard; do
		modprobe -S "$KVER" --show-depends "$m" || exit 3
	done | awk '$1 == "insmod" && !seen[$2]++ { print $2 }' | while read -r ko; do
		b=${ko##*/}
		case $b in
		*.ko.xz) xz -dc "$ko" >"$R/modules/${b%.xz}"; b=${b%.xz} ;;
		*.ko.zst) zstd -qdc "$ko" >"$R/modules/${b%.zst}"; b=${b%.zst} ;;
		*) cp "$ko" "$R/modules/$b" ;;
		esac
		echo "$b" >>"$R/modules/order"
	done
	grep -q '^wireguard\.ko$' "$R/modules/order" || {
		echo "qemu-guest: kernel $KVER has no wireguard module" >&2
		rm -rf "$R"
		exit 3
	}
	(cd "$R" && find . | cpio -o -H newc --quiet | gzip -1) >"$C/initrd.tmp" && mv "$C/initrd.tmp" "$C/initrd.gz"
	rm -rf "$R"
fi

rm -f "$WORK/rc" "$WORK/guest.log"
timeout "${QEMU_TIMEOUT:-150}" qemu-system-x86_64 -machine "pc,accel=${QEMU_ACCEL:-tcg}" -cpu max \
	-m "${QEMU_MEM:-512}" -smp 1 -nographic -no-reboot -nodefaults -serial stdio -display none \
	-kernel "$C/kernel" -initrd "$C/initrd.gz" \
	-fsdev local,id=r,path=/,security_model=none,readonly=on,multidevs=remap \
	-device virtio-9p-pci,fsdev=r,mount_tag=hostroot \
	-fsdev "local,id=w,path=$WORK,security_model=none" -device virtio-9p-pci,fsdev=w,mount_tag=work \
	-append "console=ttyS0 panic=-1 quiet" </dev/null >"$WORK/console.log" 2>&1
rc=$?
[ "$rc" = 124 ] && echo "qemu-guest: the guest did not power off within ${QEMU_TIMEOUT:-150} s" >&2
[ -s "$WORK/rc" ] || { echo "qemu-guest: the guest left no exit status (qemu exit $rc); console:" >&2; tail -n 30 "$WORK/console.log" >&2; exit 1; }
exit 0
