#!/bin/bash
# Soak: SOAK_SECONDS (60 in the test command; `make soak` runs 600) of
# mixed load against master serve (none plugins, no Docker, so valid
# registrations are answered "waiting"): valid registrations and
# heartbeats, status queries, slow valid clients, invalid JSON, oversize
# requests, clients that never finish, abandoned connections, bursts of
# idle connections past --max-connections.  bench/soak.c drives it and samples
# the controller's RSS and open descriptors every second: after the
# warm-up they stay flat, no valid client gets an error, the caps hold.
# SOAK_REPORT=DIR keeps the samples and the summary there.
. "$top_srcdir/tests/tap.sh"
. "$top_srcdir/tests/integration/controller-lib.sh"

SOAK=$top_builddir/bench/soak
[ -x "$SOAK" ] || skip_all "bench/soak is not built (run make)"
SECS=${SOAK_SECONDS:-60}
CAP=64
DEADLINE=5
MAXREQ=4096
SECRET=soak-$$-0123456789abcdef
S=$CT_DIR/state

ct_secret "$S" "$SECRET"
# One source address makes all of the load: no per-source cap here
# (controller-preauth.sh tests that one).
ct_start "$S" --max-connections "$CAP" --max-connections-per-source 0 --request-timeout "$DEADLINE" \
	--max-request-bytes "$MAXREQ"
ok $? "the controller starts (at most $CAP connections, $DEADLINE s request deadline, $MAXREQ-byte requests)"

diag "soak: $SECS s against pid $CT_PID port $CT_PORT"
"$SOAK" --addr "127.0.0.1:$CT_PORT" --pid "$CT_PID" --seconds "$SECS" --secret "$SECRET" \
	--max-connections "$CAP" --request-timeout "$DEADLINE" --max-request-bytes "$MAXREQ" \
	--samples "$CT_DIR/samples" >"$CT_DIR/soak.out" 2>"$CT_DIR/soak.err"
is "$?" 0 "the soak driver ran to the end"
n=0
while read -r word holds desc; do
	[ "$word" = check ] || continue
	ok "$holds" "$desc"
	n=$((n + 1))
done <"$CT_DIR/soak.out"
is "$n" 11 "the driver gave all its verdicts"
sed -n -e '/^soak /{s//# /;p;d;}' -e '/^# /p' "$CT_DIR/soak.out"
[ -s "$CT_DIR/soak.err" ] && sed 's/^/# driver: /' "$CT_DIR/soak.err" | head -20

errors=$(grep -c '\[ERROR\]' "$CT_LOG")
is "$errors" 0 "the controller logged no ERROR line"
[ "$errors" = 0 ] || grep '\[ERROR\]' "$CT_LOG" | head -5 | sed 's/^/#   /'
r=$(reg soak-after worker 10.78.0.1 "$SECRET")
is "$(json_get "$r" .Status)" waiting "after the soak a registration is answered as before"
ct_stop TERM
is "$CT_RC" 0 "and the controller stops cleanly on SIGTERM"

if [ -n "${SOAK_REPORT:-}" ]; then
	mkdir -p "$SOAK_REPORT"
	cp "$CT_DIR/samples" "$CT_DIR/soak.out" "$CT_DIR/soak.err" "$SOAK_REPORT/"
	diag "samples and summary kept in $SOAK_REPORT"
fi
done_testing
