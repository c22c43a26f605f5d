#!/bin/bash
# Per-node identity (issue 11, item 2): a node's first registration pins
# its NodeID to the node's own key (a TLS client certificate made in its
# node-local state, mode 0600); a registration of that NodeID with
# another key -- a host that knows the join token and claims a known
# node -- is refused, logged with the peer's address, and changes nothing.
# Real controller over TLS, the node's own client (tests/tools/ctl-register).
. "$top_srcdir/tests/tap.sh"
require_cmd jq
. "$top_srcdir/tests/integration/controller-lib.sh"
REG=$top_builddir/tests/tools/ctl-register
[ -x "$REG" ] || skip_all "tests/tools/ctl-register not built"

SECRET=ident-$$-0123456789abcdef
S=$CT_DIR/state
ct_secret "$S" "$SECRET"
"$CLUSTERCTL" master serve --plugin-dir "$CT_PLUGINS" --state-dir "$S" --listen 127.0.0.1:0 \
	--docker-socket "$CT_DIR/no-docker.sock" >"$CT_DIR/serve.log" 2>&1 &
CT_PID=$!
for _ in $(seq 1 100); do
	CT_PORT=$(sed -n 's/.*controller listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$CT_DIR/serve.log")
	[ -n "$CT_PORT" ] && break
	sleep 0.05
done
[ -n "$CT_PORT" ]; ok $? "master serve (TLS) starts"
CT_LOG=$CT_DIR/serve.log
pin=$(sed -n 's/.*pin=sha256:\([0-9a-f]*\).*/\1/p' "$CT_LOG" | head -1)
(umask 077 && printf 'CCTL1-%s-%s\n' "$pin" "$SECRET" >"$CT_DIR/token")
node() { "$REG" "127.0.0.1:$CT_PORT" "$CT_DIR/token" "$@" 2>&1; }
status() {
	"$CLUSTERCTL" status --json --plugin-dir "$CT_PLUGINS" --master "127.0.0.1:$CT_PORT" --state-dir "$S" 2>/dev/null
}
ID=0123456789abcdef0123456789abcdef

r=$(node "$CT_DIR/n1" "$ID" n1 192.0.2.1)
is "$(json_get "$r" .Status)" waiting "n1 registers (waiting: no Docker here)"
is "$(stat -c %a "$CT_DIR/n1/node.key")" 600 "its key is made in its node-local state, mode 0600"
n1pin=$(openssl x509 -in "$CT_DIR/n1/node.crt" -noout -pubkey | openssl pkey -pubin -outform DER | sha256sum | cut -d' ' -f1)
like "$(cat "$CT_LOG")" "node key pinned node=id:$ID peer=127.0.0.1:" "the controller pins its NodeID to that key"
is "$(cat "$S/node-keys")" "id:$ID $n1pin" "in <state-dir>/node-keys"
r=$(node "$CT_DIR/n1" "$ID" n1 192.0.2.1)
is "$(json_get "$r" .Status)" waiting "n1 registers again with its key"

# Another host with the join token claims n1's NodeID.
r=$(node "$CT_DIR/intruder" "$ID" n1 192.0.2.66 manager)
is "$(json_get "$r" .Status)" error "a registration of n1's NodeID with another key is refused"
ipin=$(openssl x509 -in "$CT_DIR/intruder/node.crt" -noout -pubkey | openssl pkey -pubin -outform DER | sha256sum | cut -d' ' -f1)
is "$(json_get "$r" .Error)" \
	"id:$ID is another node's: it first registered with key sha256:$n1pin, and this request proves another key; nothing was changed (if that host was reinstalled, delete its line from $S/node-keys on the master)" \
	"with a message saying whose it is and what to do"
like "$(cat "$CT_LOG")" "[WARN] - refused registration: 127.0.0.1:" "the controller logs the attempt"
like "$(cat "$CT_LOG")" "claims id:$ID, pinned to sha256:$n1pin, with key sha256:$ipin" "with both keys"
st=$(status)
is "$(printf '%s' "$st" | jq -r '[.Nodes[] | select(.NodeID == "'"$ID"'") | .IP] | join(",")')" 192.0.2.1 \
	"n1's record is unchanged (its address)"
is "$(printf '%s' "$st" | jq -r '.Nodes | length')" 1 "and no record was added"

# A new NodeID from the same intruder is a node of its own (TOFU under
# the join token), and it too is then pinned.
r=$(node "$CT_DIR/intruder" fedcba9876543210fedcba9876543210 n2 192.0.2.2)
is "$(json_get "$r" .Status)" waiting "a new NodeID registers and is pinned to its own key"

# The pins outlive a restart.
ct_stop TERM
"$CLUSTERCTL" master serve --plugin-dir "$CT_PLUGINS" --state-dir "$S" --listen "127.0.0.1:$CT_PORT" \
	--docker-socket "$CT_DIR/no-docker.sock" >"$CT_DIR/serve2.log" 2>&1 &
CT_PID=$!
for _ in $(seq 1 100); do grep -q "controller listening" "$CT_DIR/serve2.log" && break; sleep 0.05; done
r=$(node "$CT_DIR/intruder" "$ID" n1 192.0.2.66)
is "$(json_get "$r" .Status)" error "after a restart the hijack is still refused"
r=$(node "$CT_DIR/n1" "$ID" n1 192.0.2.1)
is "$(json_get "$r" .Status)" waiting "and n1 still gets in"
# Removing a node is a manager's right: with a manager token in the
# state dir, the join token cannot take n2 out.
ct_stop TERM
(umask 077 && printf 'mgr-%s-0123456789abcdef\n' "$$" >"$S/manager-secret")
"$CLUSTERCTL" master serve --plugin-dir "$CT_PLUGINS" --state-dir "$S" --listen "127.0.0.1:$CT_PORT" \
	--docker-socket "$CT_DIR/no-docker.sock" >"$CT_DIR/serve3.log" 2>&1 &
CT_PID=$!
for _ in $(seq 1 100); do grep -q "controller listening" "$CT_DIR/serve3.log" && break; sleep 0.05; done
out=$("$CLUSTERCTL" node remove n2 --plugin-dir "$CT_PLUGINS" --master "127.0.0.1:$CT_PORT" \
	--state-dir "$CT_DIR/nowhere" --join-secret-file "$CT_DIR/token" 2>&1)
is "$?" 1 "node remove with the join token is refused (exit 1)"
like "$out" "removing a node takes the manager token (manager-secret in the state directory on the master): the join token only joins nodes" \
	"saying which token it takes"
like "$(cat "$CT_DIR/serve3.log")" "refused node remove from 127.0.0.1:" "the controller logs the attempt"
is "$(status | jq -r '[.Nodes[].Hostname] | sort | join(",")')" "n1,n2" "n2 is still registered"
out=$("$CLUSTERCTL" node remove n2 --plugin-dir "$CT_PLUGINS" --master "127.0.0.1:$CT_PORT" --state-dir "$S" 2>&1)
is "$?" 0 "on the master, node remove takes the manager token from the state dir and succeeds"
is "$(status | jq -r '[.Nodes[].Hostname] | sort | join(",")')" "n1" "n2 is gone"
ct_stop TERM
is "$CT_RC" 0 "the controller stops cleanly"
done_testing
