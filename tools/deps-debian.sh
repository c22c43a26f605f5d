#!/bin/sh
# Install what building and testing clusterctl needs on Debian 12.
# Idempotent; run as root.  Used by tools/demo.sh and tools/test.sh.
set -eu
pkgs="build-essential autoconf automake libtool pkg-config
      libjson-c-dev libconfig-dev libcurl4-openssl-dev libmnl-dev libssl-dev libxml2-dev
      docker.io glusterfs-server glusterfs-client wireguard-go wireguard-tools
      iproute2 iptables util-linux mount bsdutils systemd curl jq xfsprogs procps kmod g++ valgrind
      tcpdump
      clang
      bash-completion man-db
      prometheus"
# The kernel WireGuard test (tests/kernel/): Debian's kernel in a QEMU guest.
pkgs="$pkgs qemu-system-x86 busybox-static cpio linux-image-amd64"
# The packages (tests/packaging): build, check, install in a chroot, and
# cross-build for arm64 with its unit tests under qemu-user.
pkgs="$pkgs debhelper dpkg-dev lintian debootstrap
      crossbuild-essential-arm64 gcc-aarch64-linux-gnu qemu-user-static
      pkgconf:arm64 libjson-c-dev:arm64 libconfig-dev:arm64 libcurl4-openssl-dev:arm64
      libmnl-dev:arm64 libssl-dev:arm64 libxml2-dev:arm64"
export DEBIAN_FRONTEND=noninteractive
update=
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
	dpkg --add-architecture arm64
	update=yes
fi
missing=
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $p"
done
if [ -n "$missing" ]; then
	echo "installing:$missing"
	update=yes
fi
[ -z "$update" ] || apt-get update -qq
if [ -n "$missing" ]; then
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
# libFuzzer and clang's sanitizer runtimes (tests/fuzz/) are only
# recommended by clang's packages: install those of the clang we got.
v=$(clang --version 2>/dev/null | sed -n 's/.*clang version \([0-9][0-9]*\)\..*/\1/p' | head -1)
if [ -n "$v" ] && ! dpkg-query -W -f='${Status}' "libclang-rt-$v-dev" 2>/dev/null | grep -q 'install ok installed'; then
	echo "installing: libclang-rt-$v-dev"
	export DEBIAN_FRONTEND=noninteractive
	[ -n "$missing" ] || apt-get update -qq
	apt-get install -y -qq --no-install-recommends "libclang-rt-$v-dev" >/dev/null
fi
# The lab's hosts each run their own dockerd and glusterd in namespaces;
# the machine's own services are not needed (and are stopped by nothing here).
