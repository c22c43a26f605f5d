#!/bin/bash
# make install puts each file where an admin and the system look for it:
# clusterctl in sbin with a relative link in bin, its page in man8, the
# units where systemd's .pc says, the completion where bash-completion's
# .pc says; make uninstall takes every file away again.
. "$top_srcdir/tests/tap.sh"
dest=$(mktemp -d)
trap 'rm -rf "$dest"' EXIT
# The configured directories, expanded as make expands them (by a make of
# its own: the one running this test would add its directory lines).
dir() {
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -C "$top_builddir" --no-print-directory -f Makefile -f - print-dir VAR="$1" <<'MK'
print-dir:
	@echo $($(VAR))
MK
}

make -s -C "$top_builddir" install DESTDIR="$dest" >"$dest.log" 2>&1
ok $? "make install DESTDIR= succeeds"
sbindir=$(dir sbindir) bindir=$(dir bindir) mandir=$(dir mandir)
[ -x "$dest$sbindir/clusterctl" ] && [ ! -L "$dest$sbindir/clusterctl" ]; ok $? "clusterctl is a program in sbin ($sbindir)"
link=$(readlink "$dest$bindir/clusterctl")
is "$link" "../sbin/clusterctl" "bin/clusterctl is a relative link to it (compatibility)"
"$dest$bindir/clusterctl" --version >/dev/null 2>&1; ok $? "and it runs through the link"
[ -f "$dest$mandir/man8/clusterctl.8" ]; ok $? "clusterctl(8) is in man8"
[ -e "$dest$mandir/man1/clusterctl.1" ]; ok $((!$?)) "and there is no clusterctl(1)"
grep -q '@[a-z]*dir@\|@VERSION@' "$dest$mandir/man8/clusterctl.8"; ok $((!$?)) "the installed page has every path filled in"
for p in clusterctl.conf.5 clusterctl-plugin.7 clusterctl-gluster.7; do
	[ -f "$dest$mandir/man${p##*.}/$p" ]; ok $? "$p is installed"
done
unitdir=$(dir systemdsystemunitdir)
if command -v pkg-config >/dev/null && pkg-config --exists systemd; then
	is "$unitdir" "$(pkg-config --variable=systemdsystemunitdir systemd)" "the unit directory is systemd's own"
fi
for u in clusterctl-master.service clusterctl-agent.service; do
	like "$(cat "$dest$unitdir/$u" 2>&1)" "ExecStart=$sbindir/clusterctl" "$u is installed in $unitdir, running sbin/clusterctl"
done
compdir=$(dir bashcompletiondir)
if command -v pkg-config >/dev/null && pkg-config --exists bash-completion; then
	is "$compdir" "$(pkg-config --variable=completionsdir bash-completion)" "the completion directory is bash-completion's own"
fi
like "$(cat "$dest$compdir/clusterctl" 2>&1)" "complete -F _clusterctl clusterctl" "the completion is installed as $compdir/clusterctl"

make -s -C "$top_builddir" uninstall DESTDIR="$dest" >>"$dest.log" 2>&1
ok $? "make uninstall DESTDIR= succeeds"
is "$(find "$dest" ! -type d | sed "s|^$dest||")" "" "and leaves no file behind"
rm -f "$dest.log"
done_testing
