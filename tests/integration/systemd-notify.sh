#!/bin/bash
# master serve as a Type=notify service: READY=1 once the controller
# listens (not at exec), WATCHDOG=1 at half of WATCHDOG_USEC while it
# serves, STOPPING=1 when SIGTERM starts the shutdown, each from the
# main process itself, on a path socket and on an abstract one.
. "$top_srcdir/tests/tap.sh"
. "$top_srcdir/tests/integration/controller-lib.sh"
REC=$top_builddir/tests/tools/notify-recorder
[ -x "$REC" ] || skip_all "tests/tools/notify-recorder not built"

# record SOCKET: start a recorder; sets REC_PID and REC_OUT.
record() {
	REC_OUT=$CT_DIR/notify.$RANDOM.out
	: >"$REC_OUT"
	"$REC" "$1" "$REC_OUT" >"$CT_DIR/rec.ready" &
	REC_PID=$!
	for _ in $(seq 1 100); do
		grep -q listening "$CT_DIR/rec.ready" && return 0
		sleep 0.05
	done
	return 1
}
stop_record() { kill -TERM "$REC_PID" 2>/dev/null; wait "$REC_PID" 2>/dev/null; }
wait_for() { # wait_for PATTERN: until the recorder has seen it (5 s)
	for _ in $(seq 1 100); do
		grep -q "$1" "$REC_OUT" && return 0
		sleep 0.05
	done
	return 1
}

for sock in "$CT_DIR/notify.sock" "@clusterctl-test-$$"; do
	record "$sock"; ok $? "a listener on $sock"
	NOTIFY_SOCKET=$sock WATCHDOG_USEC=200000 ct_start "$CT_DIR/state" --insecure-no-join-secret
	ok $? "master serve starts with NOTIFY_SOCKET=$sock"
	wait_for READY=1; ok $? "it sends READY=1"
	ready=$(grep READY=1 "$REC_OUT")
	like "$ready" "pid=$CT_PID READY=1 STATUS=serving on 127.0.0.1:0 overlay=none storage=none" \
		"from the main process, with a STATUS line"
	# READY=1 must not come before the port is open: the log says listening first.
	grep -q "controller listening" "$CT_LOG"; ok $? "the controller was listening when it said READY"
	sleep 0.5
	n=$(grep -c "pid=$CT_PID WATCHDOG=1" "$REC_OUT")
	# Loose bounds: this checks the pings come, not how punctually.
	[ "$n" -ge 2 ] && [ "$n" -le 20 ]; ok $? "WATCHDOG_USEC=200000: WATCHDOG=1 about every 100 ms ($n in 0.5 s)"
	pid=$CT_PID
	ct_stop TERM
	is "$CT_RC" 0 "SIGTERM: exit 0"
	wait_for STOPPING=1; ok $? "it sends STOPPING=1 on SIGTERM"
	like "$(grep STOPPING "$REC_OUT")" "pid=$pid STOPPING=1 STATUS=stopping (SIGTERM)" "from the main process, saying why"
	first=$(grep -n -m1 . "$REC_OUT" | cut -d: -f1)
	is "$(sed -n "${first}p" "$REC_OUT" | grep -c READY=1)" 1 "READY=1 is the first message"
	is "$(tail -n 1 "$REC_OUT" | grep -c STOPPING=1)" 1 "STOPPING=1 is the last"
	stop_record
done

# Without NOTIFY_SOCKET nothing is sent and nothing is logged about it.
ct_start "$CT_DIR/state" --insecure-no-join-secret
ok $? "without NOTIFY_SOCKET master serve starts as before"
ct_stop TERM
[ "$(grep -c -i notify "$CT_LOG")" -eq 0 ]; ok $? "and says nothing about systemd"
# A NOTIFY_SOCKET nobody listens on is a warning, never a failure.
NOTIFY_SOCKET=$CT_DIR/nobody.sock ct_start "$CT_DIR/state" --insecure-no-join-secret
ok $? "a NOTIFY_SOCKET nobody listens on does not stop the controller"
ct_stop TERM
like "$(cat "$CT_LOG")" "[WARN] - cannot notify systemd NOTIFY_SOCKET=$CT_DIR/nobody.sock" "it is one warning"
done_testing
