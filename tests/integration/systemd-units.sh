#!/bin/bash
# The shipped systemd units: valid for systemd, running the installed
# binary, and keeping the overlay's daemon alive across restarts.
. "$top_srcdir/tests/tap.sh"
require_cmd systemd-analyze
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
# Point ExecStart at the built binary so systemd can check it is executable.
for u in agent master; do
	sed -e "s|@bindir[@]|$top_builddir|g" "$top_srcdir/etc/clusterctl-$u.service.in" >"$d/clusterctl-$u.service"
	out=$(systemd-analyze verify --man=no "$d/clusterctl-$u.service" 2>&1)
	ok $? "clusterctl-$u.service passes systemd-analyze verify"
	is "$out" "" "and systemd has nothing to say about it"
	like "$(cat "$d/clusterctl-$u.service")" "KillMode=process" "$u: a restart leaves wireguard-go (the tunnel) running"
done
m=$(cat "$d/clusterctl-master.service")
like "$m" "ExecStartPre=$top_builddir/clusterctl master init" \
	"master: master init (idempotent) runs first, so the overlay and mounts come back after a reboot"
like "$m" "ExecStart=$top_builddir/clusterctl master serve" "master: then the controller"
like "$(cat "$d/clusterctl-agent.service")" "ExecStart=$top_builddir/clusterctl agent" "agent: the node agent"
# The installed units name the configured bindir (make's substitution).
like "$(cat "$top_builddir/etc/clusterctl-master.service")" "ExecStart=" "the build generates the master unit"
done_testing
