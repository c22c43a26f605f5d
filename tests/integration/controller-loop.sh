#!/bin/bash
# master serve's event loop keeps every connection's memory until no
# event can name it any more.  A registration is parked (events mask 0)
# until its batch is durable; a client that resets meanwhile still gets
# EPOLLHUP/EPOLLERR, and that event can come in the same epoll_wait batch
# whose sync completion answers (and closes) the connection first.  The
# slow-loop shim makes that happen on purpose: every loop turn sleeps
# before epoll_wait, so the finished sync and the resets that follow it
# come back together, in that order.  Under the ASan build (tools/test.sh
# stage 2) a use of the closed connection is a crash; in every build the
# controller must go on answering, with no slot lost.
. "$top_srcdir/tests/tap.sh"
require_cmd jq
. "$top_srcdir/tests/integration/controller-lib.sh"

SHIM=$top_builddir/tests/tools/.libs/slow-loop-shim.so
PROBE=$top_builddir/tests/tools/ctl-probe
[ -f "$SHIM" ] && [ -x "$PROBE" ] || skip_all "tests/tools/slow-loop-shim.so or ctl-probe not built"

S=$CT_DIR/state
SECRET=loop-$$-0123456789abcdef
ct_secret "$S" "$SECRET"
# An ASan runtime insists on being first in the preload list; the shim
# only wraps three libc calls and needs no ordering.
CT_WRAP="env LD_PRELOAD=$SHIM SLOW_EPOLL_MS=100 SLOW_FDATASYNC_MS=30 ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"
ct_start "$S" --log-level debug --max-connections 64
ok $? "controller starts with epoll_wait and fdatasync slowed down"

req="{\"Hostname\":\"reset-1\",\"Role\":\"worker\",\"IP\":\"192.0.2.50\",\"JoinSecret\":\"$SECRET\"}"
seen=0 rounds=0
while [ "$rounds" -lt 6 ] && [ "$seen" -lt 3 ]; do
	rounds=$((rounds + 1))
	"$PROBE" reset "$CT_PORT" 60 3000 400 "$req" >/dev/null || break
	sleep 0.5
	seen=$(grep -c 'closed earlier in this batch' "$CT_LOG")
done
diag "$rounds rounds of 60 resets; $seen hang-ups came after their answer in the same batch"
ok $((seen == 0)) "the race happened: a reset connection's hang-up came in the batch that closed it"
ok $(kill -0 "$CT_PID" 2>/dev/null; echo $?) "the controller is still running"

# Hundreds of connections went through a 64-slot server: a slot that leaked with
# a closed connection would leave these waiting in the backlog.
out=$("$PROBE" answer "$CT_PORT" 5000 20 "$req")
ok $? "20 clients at once are still answered"
is "$(printf '%s\n' "$out" | cut -d' ' -f2- | jq -r .Status | sort -u)" waiting \
	"each with waiting (no Docker here), not an error"
r=$(ct_status "$SECRET")
is "$(json_get "$r" '.Nodes|length')" 1 "the resets' registrations were all one node, stored once"

ct_stop TERM
is "$CT_RC" 0 "SIGTERM: exit 0 (no sanitizer report)"
ok $(grep -q -e 'AddressSanitizer' -e 'runtime error' -e 'LeakSanitizer' "$CT_LOG"; echo $((!$?))) \
	"no sanitizer report in the controller's output"
grep -A20 -e 'AddressSanitizer' -e 'runtime error' "$CT_LOG" | head -40 | sed 's/^/# /'

done_testing
