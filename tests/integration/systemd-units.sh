#!/bin/bash
# The shipped systemd units: valid for systemd, running the installed
# binary, started when the program says it is ready (Type=notify), and
# keeping the overlay's daemon alive across restarts; installed where
# systemd's pkg-config file says units go.
. "$top_srcdir/tests/tap.sh"
require_cmd systemd-analyze
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
# Point ExecStart at the built binary so systemd can check it is executable.
for u in agent master; do
	sed -e "s|@sbindir[@]|$top_builddir|g" -e "s|@sysconfdir[@]|/etc|g" "$top_srcdir/etc/clusterctl-$u.service.in" >"$d/clusterctl-$u.service"
	out=$(systemd-analyze verify --man=no "$d/clusterctl-$u.service" 2>&1)
	ok $? "clusterctl-$u.service passes systemd-analyze verify"
	is "$out" "" "and systemd has nothing to say about it"
	like "$(cat "$d/clusterctl-$u.service")" "KillMode=process" "$u: a restart leaves wireguard-go (the tunnel) running"
	like "$(cat "$d/clusterctl-$u.service")" "Type=notify" "$u: started when it sends READY=1, not at exec"
	like "$(cat "$d/clusterctl-$u.service")" "NotifyAccess=main" "$u: only the main process may notify (not wireguard-go)"
	like "$(cat "$d/clusterctl-$u.service")" "Documentation=man:clusterctl(8)" "$u: points at the section 8 page"
done
m=$(cat "$d/clusterctl-master.service")
like "$m" "ExecStartPre=$top_builddir/clusterctl master init" \
	"master: master init (idempotent) runs first, so the overlay and mounts come back after a reboot"
like "$m" "ExecStart=$top_builddir/clusterctl master serve" "master: then the controller"
like "$(cat "$d/clusterctl-agent.service")" "ExecStart=$top_builddir/clusterctl agent" "agent: the node agent"
# The installed units name the configured sbindir (make's substitution).
sbindir=$(sed -n 's/^sbindir = //p' "$top_builddir/Makefile")
prefix=$(sed -n 's/^prefix = //p' "$top_builddir/Makefile")
like "$(cat "$top_builddir/etc/clusterctl-master.service")" "ExecStart=${sbindir/\$\{exec_prefix\}/$prefix}/clusterctl master serve" \
	"the build generates the master unit with the installed sbin path"
if command -v pkg-config >/dev/null && pkg-config --exists systemd; then
	is "$(sed -n 's/^systemdsystemunitdir = //p' "$top_builddir/Makefile")" \
		"$(pkg-config --variable=systemdsystemunitdir systemd)" "units are installed where systemd's .pc says"
fi
done_testing
