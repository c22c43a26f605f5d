#!/bin/bash
# The Debian packages, built from the release tarball as a distribution
# would (`make check-packages` makes the tarball and runs this):
#   - dpkg-buildpackage -us -uc -b on amd64, unit tests included; the
#     packages and their relations as debian/control promises them;
#   - lintian: no error, no warning;
#   - a second build from another directory gives the same file lists and
#     the same file contents, ELF files compared without their build ids;
#   - dpkg-buildpackage -a arm64: the cross build of the core and every
#     plugin, its unit tests run under qemu-user-static, lintian clean.
# The amd64 packages are left in $PKG_WORK/amd64 for chroot-install.sh.
. "$top_srcdir/tests/tap.sh"
require_cmd dpkg-buildpackage dpkg-checkbuilddeps dpkg-deb lintian objcopy readelf
[ -z "${CLUSTERCTL_IN_PACKAGE_BUILD:-}" ] || skip_all "inside a package build"
export CLUSTERCTL_IN_PACKAGE_BUILD=1
tarball=${CLUSTERCTL_DIST_TARBALL:-}
[ -f "$tarball" ] || skip_all "no release tarball (run make check-packages)"
work=$top_builddir/tests/packaging/work
rm -rf "$work"
mkdir -p "$work"
name=$(basename "$tarball" .tar.gz)          # clusterctl-0.1.0
version=${name#clusterctl-}
host=$(dpkg --print-architecture)
[ "$host" = amd64 ] || skip_all "builds amd64 and cross-builds arm64 on an amd64 host (this is $host)"

# unpack DIR: a pristine source tree at DIR/$name
unpack() { mkdir -p "$1" && tar -C "$1" -xzf "$tarball"; }
# build DIR LOG ARGS...: dpkg-buildpackage in DIR/$name; the .debs land in
# DIR.  The build must not see this make's variables: TESTS=<these
# scripts> in MAKEFLAGS would have the package's own make check run them.
build() {
	local d=$1 log=$2
	shift 2
	(cd "$d/$name" && env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u MAKEOVERRIDES -u CLUSTERCTL_DIST_TARBALL \
		dpkg-buildpackage -us -uc -b "$@") >"$log" 2>&1
}
# summary LOG: the automake test summary of a build log, on one line, with
# no '#' (in a description, "# SKIP" would be read as a TAP directive)
summary() { grep -E '^# (TOTAL|PASS|SKIP|FAIL|ERROR):' "$1" | sed 's/^# //' | tr -s ' ' | tr '\n' ' '; }
field() { dpkg-deb -f "$1" "$2" 2>/dev/null; }
deb() { echo "$work/$1/$2_${version}_$1.deb"; }   # deb ARCH PACKAGE
files() { dpkg-deb -c "$1" | awk '{ print $6 }' | sed 's|^\./|/|' | grep -v '/$'; }

abi=$(tar -xzOf "$tarball" "$name/include/clusterctl/plugin.h" | sed -n 's/^#define CLUSTERCTL_PLUGIN_ABI_MAJOR \([0-9]*\)$/\1/p')
[ -n "$abi" ]; ok $? "the tarball's plugin.h states ABI major $abi"
plugins="overlay-wireguard overlay-tailscale overlay-netbird storage-gluster"
packages="clusterctl clusterctl-plugin-dev $(for p in $plugins; do printf 'clusterctl-%s ' "$p"; done)"

# ---- amd64 -------------------------------------------------------------------
unpack "$work/amd64"
t0=$(date +%s)
build "$work/amd64" "$work/amd64.log"
r=$?
ok $r "dpkg-buildpackage -us -uc -b builds on amd64 ($(($(date +%s) - t0)) s)"
[ $r -eq 0 ] || tail -30 "$work/amd64.log" | sed 's/^/# /'
s=$(summary "$work/amd64.log")
like "$s" "FAIL: 0 ERROR: 0" "its unit tests pass: $s"
for p in $packages; do
	[ -f "$(deb amd64 "$p")" ]; ok $? "package $p is built"
done

c=$(deb amd64 clusterctl)
is "$(field "$c" Provides)" "clusterctl-plugin-abi-$abi" "clusterctl Provides clusterctl-plugin-abi-$abi (the major of plugin.h)"
like "$(field "$c" Depends)" "libjson-c5" "clusterctl depends on its own libraries"
for p in $plugins; do
	d=$(field "$(deb amd64 "clusterctl-$p")" Depends)
	like "$d" "clusterctl-plugin-abi-$abi" "clusterctl-$p Depends on clusterctl-plugin-abi-$abi"
	so=$(files "$(deb amd64 "clusterctl-$p")" | grep '\.so$')
	is "$(basename "$so")" "$p.so" "clusterctl-$p holds $p.so and no other plugin"
	is "$(dirname "$so")" "/usr/lib/x86_64-linux-gnu/clusterctl/plugins" "in the plugin directory"
done
all_deps=$(for p in clusterctl $plugins; do [ "$p" = clusterctl ] || p=clusterctl-$p; printf '%s: %s %s\n' "$p" "$(field "$(deb amd64 "$p")" Depends)" "$(field "$(deb amd64 "$p")" Recommends)"; done)
is "$(printf '%s\n' "$all_deps" | grep gluster | cut -d: -f1 | tr '\n' ' ')" "clusterctl-storage-gluster " "only the gluster plugin needs GlusterFS"
like "$(field "$(deb amd64 clusterctl-storage-gluster)" Depends)" "glusterfs-client" "which depends on glusterfs-client"
is "$(printf '%s\n' "$all_deps" | grep wireguard | cut -d: -f1 | tr '\n' ' ')" "clusterctl-overlay-wireguard " "only the wireguard plugin needs WireGuard"
like "$(field "$(deb amd64 clusterctl-overlay-wireguard)" Depends)" "wireguard-go | wireguard-modules" \
	"which depends on wireguard-go or a kernel with WireGuard (wireguard-modules)"
like "$(field "$(deb amd64 clusterctl-overlay-wireguard)" Recommends)" "wireguard-tools" "and recommends wireguard-tools"

cf=$(files "$c")
for f in /usr/sbin/clusterctl /usr/lib/x86_64-linux-gnu/clusterctl/plugins/overlay-none.so \
	/usr/lib/x86_64-linux-gnu/clusterctl/plugins/storage-none.so \
	"$(pkg-config --variable=systemdsystemunitdir systemd)/clusterctl-master.service" \
	"$(pkg-config --variable=systemdsystemunitdir systemd)/clusterctl-agent.service" \
	"$(pkg-config --variable=completionsdir bash-completion)/clusterctl" \
	/usr/share/man/man8/clusterctl.8.gz /usr/share/man/man5/clusterctl.conf.5.gz /etc/clusterctl/clusterctl.conf.sample; do
	printf '%s\n' "$cf" | grep -qxF "$f"; ok $? "clusterctl holds $f"
done
like "$(dpkg-deb -c "$c" | grep ' ./usr/bin/clusterctl ')" "./usr/bin/clusterctl -> ../sbin/clusterctl" "and the relative link /usr/bin/clusterctl"
is "$(printf '%s\n' "$cf" | grep -c '\.so$')" 2 "and no plugin but the two none ones"
df=$(files "$(deb amd64 clusterctl-plugin-dev)")
is "$(printf '%s\n' "$df" | grep -v '^/usr/share/doc/clusterctl-plugin-dev/\(changelog.gz\|copyright\)$' | sort | tr '\n' ' ')" \
	"/usr/bin/clusterctl-plugin-test /usr/include/clusterctl/host.h /usr/include/clusterctl/plugin.h /usr/lib/x86_64-linux-gnu/pkgconfig/clusterctl-plugin.pc /usr/share/doc/clusterctl-plugin-dev/examples/example.c /usr/share/man/man1/clusterctl-plugin-test.1.gz /usr/share/man/man7/clusterctl-plugin.7.gz " \
	"clusterctl-plugin-dev: the headers, the .pc, clusterctl-plugin(7), the example and the harness, nothing else"

out=$(lintian --fail-on error,warning --display-info "$work/amd64/clusterctl_${version}_amd64.changes" 2>&1)
ok $? "lintian: no error and no warning (amd64)"
printf '%s\n' "$out" | grep -v '^running with root' | sed 's/^/# /'

# ---- reproducibility --------------------------------------------------------
unpack "$work/again/elsewhere"
t0=$(date +%s)
DEB_BUILD_OPTIONS=nocheck build "$work/again/elsewhere" "$work/again.log"
ok $? "a second build, from another directory ($(($(date +%s) - t0)) s)"
same=0
for p in $packages; do
	a=$(deb amd64 "$p") b=$work/again/elsewhere/$(basename "$a")
	is "$(dpkg-deb -c "$b" 2>&1)" "$(dpkg-deb -c "$a")" "$p: the same file list (names, modes, owners, sizes, times)"
	rm -rf "$work/x" && mkdir -p "$work/x/a" "$work/x/b" && dpkg-deb -x "$a" "$work/x/a" && dpkg-deb -x "$b" "$work/x/b"
	diff=
	while read -r f; do
		if [ "$(head -c 4 "$work/x/a/$f" | od -An -c | tr -d ' ')" = '177ELF' ]; then
			for s in a b; do
				objcopy --remove-section=.note.gnu.build-id --remove-section=.gnu_debuglink \
					"$work/x/$s/$f" "$work/x/$s.elf"
			done
			cmp -s "$work/x/a.elf" "$work/x/b.elf" || diff="$diff $f"
		else
			cmp -s "$work/x/a/$f" "$work/x/b/$f" || diff="$diff $f"
		fi
	done < <(cd "$work/x/a" && find . -type f)
	is "$diff" "" "$p: the same contents (ELF files apart from build ids)"
	cmp -s "$a" "$b" && same=$((same + 1))
done
diag "bit-identical .deb files: $same of $(echo $packages | wc -w)"
rm -rf "$work/x" "$work/again"

# ---- arm64 cross build ------------------------------------------------------
if dpkg-checkbuilddeps -a arm64 "$work/amd64/$name/debian/control" >"$work/arm64-deps" 2>&1; then
	unpack "$work/arm64"
	t0=$(date +%s)
	build "$work/arm64" "$work/arm64.log" -a arm64
	r=$?
	ok $r "dpkg-buildpackage -a arm64 -us -uc -b: the cross build ($(($(date +%s) - t0)) s)"
	[ $r -eq 0 ] || tail -30 "$work/arm64.log" | sed 's/^/# /'
	like "$(cat "$work/arm64.log")" "--host=aarch64-linux-gnu" "configured with --host=aarch64-linux-gnu"
	like "$(grep 'TEST_EMULATOR\|test emulator' "$work/arm64.log")" "qemu-aarch64" "its tests run under qemu-user (qemu-aarch64-static)"
	s=$(summary "$work/arm64.log")
	like "$s" "FAIL: 0 ERROR: 0" "the arm64 unit tests pass under qemu: $s"
	grep '^SKIP:' "$work/arm64.log" | sed 's/^/# /'
	for p in $packages; do
		a=$(deb arm64 "$p")
		is "$(field "$a" Architecture)" arm64 "package $p is built for arm64"
	done
	rm -rf "$work/x" && mkdir -p "$work/x"
	for p in $packages; do dpkg-deb -x "$(deb arm64 "$p")" "$work/x"; done
	elf=$(cd "$work/x" && find . -type f \( -name '*.so' -o -path './usr/sbin/clusterctl' \) | sort)
	is "$(printf '%s\n' "$elf" | grep -c .)" 7 "the program and the six plugins"
	for f in $elf; do
		is "$(readelf -h "$work/x/$f" | sed -n 's/^ *Machine: *//p')" "AArch64" "${f#.} is an AArch64 ELF file"
	done
	out=$(lintian --fail-on error,warning "$work/arm64/clusterctl_${version}_arm64.changes" 2>&1)
	ok $? "lintian: no error and no warning (arm64)"
	printf '%s\n' "$out" | grep -v '^running with root' | sed 's/^/# /'
	rm -rf "$work/x" "$work/arm64/$name"
else
	ok 1 "the arm64 build dependencies are installed (tools/deps-debian.sh)"
	sed 's/^/# /' "$work/arm64-deps"
fi
rm -rf "$work/amd64/$name"
done_testing
