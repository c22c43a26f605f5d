#!/bin/bash
# master serve, node join and the agent are memcheck-clean over a full
# lab run: the controller's own test (controller.sh) and the WireGuard
# lab (wireguard-e2e.sh: three hosts with dockerd and wireguard-go,
# master init + master serve, node join on two nodes, h2's agent
# following h3's arrival) run with every clusterctl they start under
# valgrind (tests/integration/memcheck.sh).  Each process that exited on
# its own (a stop is SIGTERM; the lab's teardown too) must report no
# error: no invalid read or write, no use of uninitialised memory, no
# definite leak.  About 70 s on the 2-core CI machine; `make
# check-valgrind` runs it alone, and its last result is in bench/README.md.
# VALGRIND_TESTS="a.sh b.sh" picks other tests from tests/integration/.
. "$top_srcdir/tests/tap.sh"
require_cmd valgrind
# In the build tree: lab hosts have a /tmp of their own, and see the
# build tree at its path.
VG=$(mktemp -d "$top_builddir/tests/valgrind.XXXXXX")
trap 'rm -rf "$VG"' EXIT

for t in ${VALGRIND_TESTS:-controller.sh wireguard-e2e.sh}; do
	t0=$(date +%s)
	# Labs named vg*: the same test may be running beside this one.  The
	# teardown's SIGTERM gets 20 s before its SIGKILL: the agent is
	# stopped by it, and must live to write its summary.
	LAB_ID_PREFIX=vg LAB_STOP_GRACE=20 CLUSTERCTL_VALGRIND=$VG bash "$top_srcdir/tests/integration/$t" >"$VG/$t.tap" 2>&1
	rc=$?
	pass=$(grep -c '^ok ' "$VG/$t.tap") fails=$(grep -c '^not ok ' "$VG/$t.tap")
	grep -q '^1\.\.0 # SKIP' "$VG/$t.tap" && skip_all "$t skipped: $(grep '^1\.\.0' "$VG/$t.tap")"
	ok $rc "$t passes with clusterctl under memcheck ($pass ok, $fails not ok, $(($(date +%s) - t0)) s)"
	grep '^not ok' "$VG/$t.tap" | head -10 | sed 's/^/#   /'
done

serve=0 join=0 agent=0 killed=0
for log in "$VG"/vg.*.log; do
	[ -e "$log" ] || continue
	cmd=$(sed -n 's/^==[0-9]*== Command: //p' "$log" | head -1)
	case $cmd in *clusterctl\ *) ;; *) continue ;; esac
	what=$(printf '%s\n' "$cmd" | awk '{ print $2 ($2 == "master" || $2 == "node" ? " " $3 : "") }')
	summary=$(sed -n 's/^==[0-9]*== ERROR SUMMARY: //p' "$log" | tail -1)
	if [ -z "$summary" ]; then
		killed=$((killed + 1)) # kill -9 on purpose (a crash test), or the teardown's last resort
		diag "no memcheck summary (killed): $what pid ${log##*/vg.}"
		continue
	fi
	case $what in "master serve") serve=$((serve + 1)) ;; "node join") join=$((join + 1)) ;; agent) agent=$((agent + 1)) ;; esac
	case $summary in
	"0 errors"*) ok 0 "memcheck: $what pid ${log##*/vg.} clean" ;;
	*)
		ok 1 "memcheck: $what pid ${log##*/vg.}: $summary"
		grep -E '^==[0-9]+== (Invalid|Conditional|Use of|Syscall param| +(at|by) |[0-9,]+ bytes in .* definitely)' "$log" |
			head -40 | sed 's/^/#   /'
		;;
	esac
done
diag "processes with a memcheck summary: master serve $serve, node join $join, agent $agent; killed before one: $killed"
ok $((serve < 1)) "master serve was checked"
ok $((join < 1)) "node join was checked"
ok $((agent < 1)) "the agent was checked"

done_testing
