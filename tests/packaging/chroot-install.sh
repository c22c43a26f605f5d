#!/bin/bash
# What an admin gets on a fresh Debian 12: in a debootstrap chroot (the
# base is cached, see below), apt installs clusterctl and
# clusterctl-overlay-wireguard from the built files, with their
# dependencies from the Debian mirror:
#   - clusterctl plugins lists exactly the none plugins and wireguard;
#   - the completion completes the wireguard plugin's options;
#   - the units are installed and not enabled;
#   - purging both leaves no file behind (a listing before and after);
#   - clusterctl-plugin-dev alone (and a compiler) builds the example
#     plugin with pkg-config, and clusterctl then lists it.
# Runs after debs.sh, from its packages.  The chroot's mounts live in a
# private mount namespace and go with it.
#
# Cache: /var/cache/clusterctl-test/ (CLUSTERCTL_TEST_CACHE) holds the
# debootstrapped base with its apt lists (debootstrap-bookworm-amd64.tar)
# and the downloaded .debs (apt-archives-bookworm-amd64/), so only the
# first run downloads.  Mirror: CLUSTERCTL_DEBIAN_MIRROR
# (http://deb.debian.org/debian).
. "$top_srcdir/tests/tap.sh"
require_root
require_cmd debootstrap chroot unshare tar flock
if [ -z "${CHROOT_TEST_PRIVATE:-}" ]; then
	CHROOT_TEST_PRIVATE=1 exec unshare --mount --propagation private bash "$0" "$@"
fi
work=$top_builddir/tests/packaging/work
debs=$work/amd64
ls "$debs"/clusterctl_*_amd64.deb >/dev/null 2>&1 || skip_all "no packages built (debs.sh runs first)"
suite=bookworm arch=amd64
cache=${CLUSTERCTL_TEST_CACHE:-/var/cache/clusterctl-test}
mirror=${CLUSTERCTL_DEBIAN_MIRROR:-http://deb.debian.org/debian}
base=$cache/debootstrap-$suite-$arch.tar
archives=$cache/apt-archives-$suite-$arch
mkdir -p "$cache" "$archives/partial"

# The base: debootstrap once (minbase, then apt's lists), kept as a tar.
t0=$(date +%s)
(
	flock 9
	[ -s "$base" ] && exit 0
	b=$(mktemp -d "${TMPDIR:-/var/tmp}/clusterctl-debootstrap.XXXXXX")
	debootstrap --variant=minbase --arch="$arch" "$suite" "$b" "$mirror" >"$work/debootstrap.log" 2>&1 &&
		chroot "$b" apt-get update -qq >>"$work/debootstrap.log" 2>&1 &&
		chroot "$b" apt-get clean &&
		tar -C "$b" -cf "$base.new" . && mv "$base.new" "$base"
	r=$?
	rm -rf "$b"
	exit $r
) 9>"$cache/.lock"
r=$?
ok $r "a Debian 12 ($suite, $arch) base, cached in $base ($(($(date +%s) - t0)) s)"
[ $r -eq 0 ] || { tail -20 "$work/debootstrap.log" | sed 's/^/# /'; done_testing; exit; }

root=$(mktemp -d "${TMPDIR:-/var/tmp}/clusterctl-chroot.XXXXXX")
# Never rm -rf through a bind mount: it would empty the download cache.
cleanup() {
	umount "$root/var/cache/apt/archives" "$root/proc" 2>/dev/null
	if grep -q " $root/" /proc/self/mounts; then
		echo "# left $root in place: still mounted"
	else
		rm -rf "$root"
	fi
}
trap cleanup EXIT
t0=$(date +%s)
tar -C "$root" -xf "$base" && mount -t proc proc "$root/proc" &&
	mount --bind "$archives" "$root/var/cache/apt/archives" &&
	cp /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null
ok $? "a fresh chroot from it ($(($(date +%s) - t0)) s)"
mkdir -p "$root/debs"
cp "$debs"/*.deb "$root/debs/"
in_root() { chroot "$root" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive "$@"; }
# apt_get ARGS...: apt-get in the chroot; when the cached lists have gone
# stale (a package vanished from the mirror), update them and try again.
apt_get() {
	in_root apt-get -q -y -o Dpkg::Use-Pty=0 "$@" >>"$work/chroot-apt.log" 2>&1 ||
		{ in_root apt-get -q update >>"$work/chroot-apt.log" 2>&1 &&
			in_root apt-get -q -y -o Dpkg::Use-Pty=0 "$@" >>"$work/chroot-apt.log" 2>&1; }
}
# listing: every path outside apt's and dpkg's own records, caches and logs
listing() {
	(cd "$root" && find . -xdev \( -path ./proc -o -path ./debs -o -path ./tmp -o -path ./var/cache \
		-o -path ./var/lib/apt -o -path ./var/lib/dpkg -o -path ./var/log -o -path ./root \) -prune \
		-o -print) | sort
}
: >"$work/chroot-apt.log"
deb() { ls "$root"/debs/"$1"_*_amd64.deb | sed "s|^$root||"; }
# installed: clusterctl's packages dpkg has installed (not merely heard of)
installed() { in_root dpkg-query -W -f='${db:Status-Abbrev} ${Package}\n' 'clusterctl*' 2>/dev/null | awk '$1 == "ii" { print $2 }' | sort | tr '\n' ' '; }

listing >"$work/before.lst"
t0=$(date +%s)
apt_get install --no-install-recommends "$(deb clusterctl)" "$(deb clusterctl-overlay-wireguard)"
r=$?
ok $r "apt installs clusterctl and clusterctl-overlay-wireguard with their dependencies ($(($(date +%s) - t0)) s)"
[ $r -eq 0 ] || tail -20 "$work/chroot-apt.log" | sed 's/^/# /'
is "$(installed)" "clusterctl clusterctl-overlay-wireguard " "of clusterctl's packages, just those two are installed"
out=$(in_root clusterctl plugins --json 2>&1)
ok $? "clusterctl plugins runs"
got=$(printf '%s' "$out" | tr -d ' \n' | grep -o '"Name":"[a-z0-9]*","Kind":"[a-z]*"' | sort | tr '\n' ' ')
is "$got" '"Name":"none","Kind":"overlay" "Name":"none","Kind":"storage" "Name":"wireguard","Kind":"overlay" ' \
	"it lists exactly none (overlay and storage) and wireguard"
like "$(printf '%s' "$out" | tr -d ' \n')" '"Rejected":[]' "and refuses nothing"
like "$(in_root clusterctl --version)" "plugin ABI" "clusterctl --version"
in_root /usr/bin/clusterctl --version >/dev/null 2>&1; ok $? "the compatibility link /usr/bin/clusterctl runs it"
comp=$(in_root bash -c '. /usr/share/bash-completion/completions/clusterctl
	COMP_WORDS=(clusterctl node join --wireguard-l); COMP_CWORD=3; _clusterctl; echo "${COMPREPLY[*]}"' 2>&1)
is "$comp" "--wireguard-listen-port" "bash completion completes the installed plugin's options"
for u in clusterctl-master.service clusterctl-agent.service; do
	[ -f "$root/lib/systemd/system/$u" ]; ok $? "$u is installed"
done
is "$(find "$root/etc/systemd" -name 'clusterctl-*' 2>/dev/null)" "" "and not enabled (it needs its configuration first)"
[ -f "$root/usr/share/man/man8/clusterctl.8.gz" ]; ok $? "clusterctl(8) is installed"

listing >"$work/installed.lst"
is "$(diff "$work/before.lst" "$work/installed.lst" | grep -c -e '^> ./usr/sbin/clusterctl$' -e '^> ./etc/clusterctl$' \
	-e '^> ./usr/lib/x86_64-linux-gnu/clusterctl/plugins/overlay-wireguard.so$')" 3 \
	"the listing sees what they installed (so the comparison below can see leftovers)"
t0=$(date +%s)
apt_get purge --autoremove clusterctl clusterctl-overlay-wireguard
ok $? "apt purges them (and the dependencies they pulled in) ($(($(date +%s) - t0)) s)"
listing >"$work/after.lst"
left=$(diff "$work/before.lst" "$work/after.lst" | grep '^[<>]')
is "$left" "" "no file is left behind, none is missing (listing before install = after purge)"

# The SDK alone: a third party builds a plugin with pkg-config.
t0=$(date +%s)
apt_get install --no-install-recommends "$(deb clusterctl-plugin-dev)" gcc libc6-dev pkgconf
ok $? "apt installs clusterctl-plugin-dev, a compiler and pkgconf ($(($(date +%s) - t0)) s)"
is "$(installed)" "clusterctl-plugin-dev " "clusterctl-plugin-dev is the only clusterctl package"
out=$(in_root sh -c 'mkdir -p /tmp/third && cd /tmp/third &&
	cc -shared -fPIC -Wall -Werror $(pkg-config --cflags clusterctl-plugin) \
	/usr/share/doc/clusterctl-plugin-dev/examples/example.c -o overlay-example.so' 2>&1)
ok $? "the example plugin builds with only pkg-config's flags"
[ -n "$out" ] && printf '%s\n' "$out" | sed 's/^/# /'
out=$(in_root clusterctl-plugin-test /tmp/third/overlay-example.so --op status --option interface=lo 2>&1)
ok $? "the installed harness runs the example's status() without a cluster"
like "$out" '"Interface":"lo"' "and prints its answer"
is "$(in_root pkg-config --variable=abi_major clusterctl-plugin)" "$(sed -n 's/^#define CLUSTERCTL_PLUGIN_ABI_MAJOR //p' "$top_srcdir/include/clusterctl/plugin.h")" \
	"the .pc states the ABI major"
is "$(in_root pkg-config --variable=plugindir clusterctl-plugin)" "/usr/lib/x86_64-linux-gnu/clusterctl/plugins" \
	"and the plugin directory"
apt_get install --no-install-recommends "$(deb clusterctl)"
ok $? "then clusterctl itself"
like "$(in_root clusterctl plugins --plugin-dir /tmp/third 2>&1)" "example      overlay" "and it lists the third party's plugin"
done_testing
