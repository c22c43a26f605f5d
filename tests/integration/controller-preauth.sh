#!/bin/bash
# Bounded before authentication (issue 11, item 4): a controller that
# thousands of hostile clients hold open -- each past its TLS handshake
# (which needs no secret), each sending the request that costs most before
# its join secret is checked, or sending it a byte a second -- keeps its
# memory small and still answers a node.  Real binary, TLS, on 127/8.
. "$top_srcdir/tests/tap.sh"
require_cmd jq
. "$top_srcdir/tests/integration/controller-lib.sh"
HOSTILE=$top_builddir/tests/tools/hostile-clients
[ -x "$HOSTILE" ] || skip_all "tests/tools/hostile-clients not built"
ulimit -n 16384 2>/dev/null || skip_all "cannot raise the descriptor limit to 16384"

SECRET=preauth-$$-0123456789abcdef
S=$CT_DIR/state
ct_secret "$S" "$SECRET"
"$CLUSTERCTL" master serve --plugin-dir "$CT_PLUGINS" --state-dir "$S" --listen 127.0.0.1:0 \
	--docker-socket "$CT_DIR/no-docker.sock" --request-timeout 30 >"$CT_DIR/serve.log" 2>&1 &
CT_PID=$!
for _ in $(seq 1 100); do
	CT_PORT=$(sed -n 's/.*controller listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$CT_DIR/serve.log")
	[ -n "$CT_PORT" ] && break
	sleep 0.05
done
[ -n "$CT_PORT" ]; ok $? "master serve (TLS) starts"
pin=$(sed -n 's/.*pin=sha256:\([0-9a-f]*\).*/\1/p' "$CT_DIR/serve.log")
(umask 077 && printf 'CCTL1-%s-%s\n' "$pin" "$SECRET" >"$CT_DIR/token")
rss() { awk '/^VmRSS/ {print int($2 / 1024)}' "/proc/$CT_PID/status"; }
hwm() { awk '/^VmHWM/ {print int($2 / 1024)}' "/proc/$CT_PID/status"; }
# legit: a node's request from another address, timed in ms.
legit() {
	local t0=$(date +%s%N) out
	out=$("$CLUSTERCTL" status --json --plugin-dir "$CT_PLUGINS" --master "127.0.0.1:$CT_PORT" --state-dir "$CT_DIR/nowhere" \
		--join-secret-file "$CT_DIR/token" 2>&1)
	LEGIT_RC=$? LEGIT_MS=$((($(date +%s%N) - t0) / 1000000)) LEGIT_OUT=$out
}
diag "idle controller: RSS $(rss) MiB"

# --- 4,096 hostile connections from 64 addresses (64 each: the per-source cap)
"$HOSTILE" "127.0.0.1:$CT_PORT" --tls --conns 4096 --sources 64 --mode worst --hold 8 >"$CT_DIR/hostile.out" &
hpid=$!
sleep 6
diag "during the attack: RSS $(rss) MiB, $(ls /proc/$CT_PID/fd | wc -l) descriptors"
legit
is "$LEGIT_RC" 0 "a node's request is answered while 4,096 hostile clients hold the controller"
ok $((LEGIT_MS < 5000 ? 0 : 1)) "within 5 s ($LEGIT_MS ms)"
wait $hpid
diag "hostile clients: $(cat "$CT_DIR/hostile.out")"
peak=$(hwm)
ok $((peak < 64 ? 0 : 1)) "the controller's peak RSS stayed under 64 MiB ($peak MiB)"
like "$(cat "$CT_DIR/serve.log")" "the controller holds too many unfinished requests just now" \
	"past the shared budget unfinished requests are refused"
grep -q "holds more than 4096 JSON values" "$CT_DIR/serve.log"
ok $((!$?)) "the worst request stays just under the value cap (none was refused for it)"

# --- 4,096 that each stay within what a connection may hold (4 KiB), so
# none is refused for its request: every slot (--max-connections 2048)
# taken, the oldest making room for the newest.
"$HOSTILE" "127.0.0.1:$CT_PORT" --tls --conns 4096 --sources 64 --mode worst --bytes 4000 --hold 8 \
	>"$CT_DIR/hostile2.out" &
hpid=$!
sleep 6
diag "during the attack: RSS $(rss) MiB, $(ls /proc/$CT_PID/fd | wc -l) descriptors"
legit
is "$LEGIT_RC" 0 "4,096 hostile clients for 2,048 slots: a node's request is still answered"
ok $((LEGIT_MS < 5000 ? 0 : 1)) "within 5 s ($LEGIT_MS ms)"
wait $hpid
diag "hostile clients: $(cat "$CT_DIR/hostile2.out")"
peak=$(hwm)
ok $((peak < 64 ? 0 : 1)) "the controller's peak RSS stayed under 64 MiB ($peak MiB)"

# --- one address cannot take every slot -------------------------------------
"$HOSTILE" "127.0.0.1:$CT_PORT" --tls --conns 300 --sources 1 --mode slow --hold 4 >"$CT_DIR/slow1.out" &
hpid=$!
sleep 2
legit
is "$LEGIT_RC" 0 "300 slow connections from one address: a node is still answered"
wait $hpid
like "$(cat "$CT_DIR/slow1.out")" "opened=64 closed_by_server=236" \
	"of the 300, 64 (max-connections-per-source) were kept and 236 closed at once"
like "$(cat "$CT_DIR/serve.log")" "refusing connections from 127.1.0.1: it holds 64 already (max-connections-per-source=64)" \
	"the refusal is logged with the address"

# --- slowloris from many addresses, past --max-connections -------------------------
kill "$CT_PID"; wait "$CT_PID" 2>/dev/null
"$CLUSTERCTL" master serve --plugin-dir "$CT_PLUGINS" --state-dir "$S" --listen "127.0.0.1:$CT_PORT" \
	--docker-socket "$CT_DIR/no-docker.sock" --max-connections 512 --request-timeout 30 >"$CT_DIR/serve2.log" 2>&1 &
CT_PID=$!
for _ in $(seq 1 100); do grep -q "controller listening" "$CT_DIR/serve2.log" && break; sleep 0.05; done
"$HOSTILE" "127.0.0.1:$CT_PORT" --tls --conns 1024 --sources 32 --mode slow --hold 6 >"$CT_DIR/slow.out" &
hpid=$!
sleep 3
legit
is "$LEGIT_RC" 0 "1,024 slow clients from 32 addresses, twice --max-connections: a node is still answered"
ok $((LEGIT_MS < 5000 ? 0 : 1)) "within 5 s ($LEGIT_MS ms), not after their 30 s request timeout"
wait $hpid
like "$(cat "$CT_DIR/serve2.log")" "connection limit reached (max-connections=512): closing an idle unfinished request" \
	"at the limit an idle unfinished request makes room"
ct_stop TERM
is "$CT_RC" 0 "the controller stops cleanly afterwards"
done_testing
