#!/bin/bash
# clusterctl agent as a Type=notify service, on a two-host lab with real
# dockerd: while its first join runs it extends systemd's start timeout
# to the join deadline, sends READY=1 once that join has converged (the
# node is in the Swarm), WATCHDOG=1 while it heartbeats, and STOPPING=1
# on SIGTERM: each from the agent's own process.
. "$top_srcdir/tests/tap.sh"
. "$top_srcdir/tests/lab/lab.sh"
bin=$top_builddir/clusterctl
REC=$top_builddir/tests/tools/notify-recorder
[ -x "$REC" ] || skip_all "tests/tools/notify-recorder not built"
export CLUSTERCTL_PLUGIN_DIR=$top_builddir/tests/plugins-installed
lab_init nt
trap 'kill $rec_pid 2>/dev/null; lab_down' EXIT
for h in 1 2; do
	lab_host h$h 198.51.100.5$h || skip_all "cannot build lab host h$h"
	lab_start_dockerd h$h || skip_all "dockerd does not start in a lab host"
done
state=/data/GlusterFS/0001/orchestration

lab_exec h1 "$bin" master init >"$LAB_DIR/init.log" 2>&1; ok $? "master init on h1"
lab_exec h1 setsid "$bin" master serve </dev/null >"$LAB_DIR/serve.log" 2>&1 &
lab_wait 20 lab_exec h1 bash -c 'exec 3<>/dev/tcp/127.0.0.1/7000'; ok $? "master serve listens on h1"
secret=$(lab_exec h1 cat $state/join-secret)

# The socket lives in the lab directory, which every host sees at its path.
sock=$LAB_DIR/agent-notify.sock
out=$LAB_DIR/agent-notify.out
"$REC" "$sock" "$out" >"$LAB_DIR/rec.ready" &
rec_pid=$!
lab_wait 5 grep -q listening "$LAB_DIR/rec.ready"; ok $? "a notify listener"

# The shell writes its pid and execs the agent: that is the pid systemd
# would know as the main process.
lab_exec h2 env NOTIFY_SOCKET="$sock" WATCHDOG_USEC=1000000 CLUSTERCTL_JOIN_SECRET="$secret" \
	sh -c 'echo $$ >"$1"; shift; exec "$@"' - "$LAB_DIR/agent.pid" \
	"$bin" agent --master 198.51.100.51:7000 --join-deadline 120 --heartbeat-interval 2 \
	</dev/null >"$LAB_DIR/agent.log" 2>&1 &
job=$!
lab_wait 10 test -s "$LAB_DIR/agent.pid"
agent=$(cat "$LAB_DIR/agent.pid")
lab_wait 90 grep -q READY=1 "$out"; ok $? "the agent sends READY=1"
is "$(head -n 1 "$out" | grep -c "pid=$agent EXTEND_TIMEOUT_USEC=180000000 STATUS=joining the cluster through 198.51.100.51:7000")" 1 \
	"its first message extends the start timeout to --join-deadline + 60 s"
like "$(grep READY=1 "$out")" "pid=$agent READY=1 STATUS=converged as worker; heartbeat every 2s" \
	"READY=1 comes from the agent itself, saying it converged"
like "$(cat "$LAB_DIR/agent.log")" "node join done: converged" "READY=1 follows the converged join"
is "$(lab_exec h1 docker -H unix:///run/docker.sock node ls -q | wc -l)" 2 "h2 is in the Swarm when READY=1 has been sent"
lab_wait 10 sh -c "[ \$(grep -c 'pid=$agent WATCHDOG=1' '$out') -ge 3 ]"
ok $? "WATCHDOG_USEC=1000000: WATCHDOG=1 keeps coming while the agent heartbeats"
kill -TERM "$agent"
wait "$job"; is "$?" 0 "SIGTERM: the agent exits 0"
is "$(tail -n 1 "$out" | grep -c "pid=$agent STOPPING=1 STATUS=stopping (signal 15)")" 1 "its last message is STOPPING=1"
done_testing
