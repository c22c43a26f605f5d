#!/bin/bash
# The controller's channel (issue 11, item 1): TLS 1.3 by default, the
# key pinned by the join token, the secret proved and never sent; a fake
# controller refused before anything secret is sent; plain TCP only when
# both sides say --insecure-plaintext, and then a warning at every start.
# Real binary on 127.0.0.1; the wire is captured with tcpdump.
. "$top_srcdir/tests/tap.sh"
require_root
require_cmd jq tcpdump
. "$top_srcdir/tests/integration/controller-lib.sh"

SECRET=tls-$$-0123456789abcdef0123
S=$CT_DIR/state

# serve DIR [flags]: like ct_start, but TLS (no --insecure-plaintext).
serve() {
	local dir=$1
	shift
	CT_LOG=$CT_DIR/controller.$$.$RANDOM.log
	"$CLUSTERCTL" master serve --plugin-dir "$CT_PLUGINS" --state-dir "$dir" --listen 127.0.0.1:0 \
		--docker-socket "$CT_DIR/no-docker.sock" "$@" >"$CT_LOG" 2>&1 &
	CT_PID=$!
	CT_PORT=
	for _ in $(seq 1 100); do
		CT_PORT=$(sed -n 's/.*controller listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$CT_LOG")
		[ -n "$CT_PORT" ] && return 0
		kill -0 "$CT_PID" 2>/dev/null || break
		sleep 0.05
	done
	return 1
}
status() { # status TOKEN-FILE [flags]: clusterctl status from "another host" (no state dir of its own)
	local f=$1
	shift
	"$CLUSTERCTL" status --json --plugin-dir "$CT_PLUGINS" --master "127.0.0.1:$CT_PORT" --state-dir "$CT_DIR/nowhere" \
		--join-secret-file "$f" "$@" 2>&1
}

# --- TLS by default ---------------------------------------------------------------
ct_secret "$S" "$SECRET"
serve "$S"
ok $? "master serve starts with TLS by default"
like "$(cat "$CT_LOG")" "[INFO] - TLS 1.3 on the controller port key=$S/controller.key pin=sha256:" \
	"it says so, with the key and its pin"
pin=$(sed -n 's/.*TLS 1.3 on the controller port .* pin=sha256:\([0-9a-f]*\).*/\1/p' "$CT_LOG")
is "${#pin}" 64 "the pin is a SHA-256"
is "$(stat -c %a "$S/controller.key")" 600 "the key it made is mode 0600"
is "$(stat -c %a "$S/controller.crt")" 644 "its certificate 0644"
want=$(openssl x509 -in "$S/controller.crt" -noout -pubkey | openssl pkey -pubin -outform DER | sha256sum | cut -d' ' -f1)
is "$pin" "$want" "the pin is the SHA-256 of the key's DER SubjectPublicKeyInfo (as kubeadm pins)"

token=CCTL1-$pin-$SECRET
(umask 077 && printf '%s\n' "$token" >"$CT_DIR/token")

pcap=$CT_DIR/wire.pcap
tcpdump -Z root -U --immediate-mode -i lo -s 0 -w "$pcap" "tcp port $CT_PORT" >"$CT_DIR/tcpdump.log" 2>&1 &
dump=$!
for _ in $(seq 1 50); do grep -q "listening on" "$CT_DIR/tcpdump.log" && break; sleep 0.1; done
out=$(status "$CT_DIR/token")
is "$?" 0 "status with the join token is answered over TLS"
is "$(printf '%s' "$out" | jq -r .Status)" ready "and the answer is the controller's"
out=$(status "$CT_DIR/token")
is "$?" 0 "a second exchange too (the session resumes)"
sleep 0.5
kill "$dump"
wait "$dump" 2>/dev/null
ok $(($(stat -c %s "$pcap") > 1000 ? 0 : 1)) "tcpdump captured the exchanges ($(stat -c %s "$pcap") bytes)"
ok $(grep -qaF "$SECRET" "$pcap"; echo $((!$?))) "the join secret is nowhere on the wire"
ok $(grep -qaF "JoinSecret" "$pcap"; echo $((!$?))) "nor is any field of the request (it is all encrypted)"

out=$("$CLUSTERCTL" status --json --plugin-dir "$CT_PLUGINS" --master "127.0.0.1:$CT_PORT" --state-dir "$CT_DIR/nowhere" --join-secret "$token" 2>&1)
is "$?" 0 "--join-secret on the command line still works"
like "$out" "[WARN] - --join-secret on the command line is readable by every user of this host (ps, /proc/<pid>/cmdline) and kept in shell history; use --join-secret-file FILE, --join-secret-file - (standard input) or CLUSTERCTL_JOIN_SECRET" \
	"but warns, naming the safe ways"
out=$(printf '%s\n' "$token" | "$CLUSTERCTL" status --json --plugin-dir "$CT_PLUGINS" --master "127.0.0.1:$CT_PORT" --state-dir "$CT_DIR/nowhere" \
	--join-secret-file - 2>&1)
is "$?" 0 "--join-secret-file - reads the token from standard input"

# --- the wrong controller ------------------------------------------------------------
fake_dir=$CT_DIR/fake
ct_secret "$fake_dir" "$SECRET"
real_pid=$CT_PID real_port=$CT_PORT real_log=$CT_LOG
serve "$fake_dir"
ok $? "a fake controller with a key of its own starts"
fake_pin=$(sed -n 's/.*pin=sha256:\([0-9a-f]*\).*/\1/p' "$CT_LOG")
out=$(status "$CT_DIR/token")
is "$?" 4 "status refuses the controller whose key the token does not pin (exit 4)"
like "$out" "[ERROR] - the controller at 127.0.0.1:$CT_PORT presented TLS key sha256:$fake_pin, but the join token pins sha256:$pin: this is not the cluster's controller" \
	"naming the key it saw and the key it wanted"
like "$out" "Nothing was sent to it" "and saying nothing was sent"
ok $(grep -q "refused request\|JoinSecret" "$CT_LOG"; echo $((!$?))) "the fake controller got no request at all"
ct_stop TERM
CT_PID=$real_pid CT_PORT=$real_port CT_LOG=$real_log

# --- plain TCP against TLS, and a token for another key ---------------------------------
out=$(status "$CT_DIR/token" --insecure-plaintext)
is "$?" 1 "a plain-TCP client gets no answer from a TLS controller"
like "$out" "a controller speaking TLS, the default, does that to a plain-TCP request: drop --insecure-plaintext here, or start the controller with it too" \
	"and is told what to change"
sleep 0.2
like "$(cat "$CT_LOG")" "[WARN] - client 127.0.0.1:" "the controller logs the failed handshake"
like "$(cat "$CT_LOG")" "TLS handshake failed (is the client speaking plain TCP?" "saying what is likely wrong"
r=$(reg n1 worker 192.0.2.10 "$SECRET")
is "$r" "" "a bare protocol.md request gets nothing from a TLS controller"
ct_stop TERM

bad=CCTL1-$fake_pin-$SECRET
(umask 077 && printf '%s\n' "$bad" >"$S/join-secret")
"$CLUSTERCTL" master serve --plugin-dir "$CT_PLUGINS" --state-dir "$S" --listen 127.0.0.1:0 \
	--docker-socket "$CT_DIR/no-docker.sock" >"$CT_DIR/badpin.log" 2>&1
is "$?" 1 "a join token that pins another key: master serve refuses to start"
like "$(cat "$CT_DIR/badpin.log")" "the join token in $S/join-secret pins TLS key sha256:$fake_pin, but this controller's key ($S/controller.key) is sha256:$pin; nodes would refuse it" \
	"and says which keys differ and how to fix it"
(umask 077 && printf '%s\n' "$token" >"$S/join-secret")

mkdir -p "$CT_DIR/linked"
cp "$S/controller.key" "$CT_DIR/elsewhere.key"
cp "$S/controller.crt" "$CT_DIR/linked/"
ln -s "$CT_DIR/elsewhere.key" "$CT_DIR/linked/controller.key"
ct_secret "$CT_DIR/linked" "$SECRET"
"$CLUSTERCTL" master serve --plugin-dir "$CT_PLUGINS" --state-dir "$CT_DIR/linked" --listen 127.0.0.1:0 \
	--docker-socket "$CT_DIR/no-docker.sock" >"$CT_DIR/linked.log" 2>&1
is "$?" 1 "a key that is a symlink: master serve refuses to start"
like "$(cat "$CT_DIR/linked.log")" "$CT_DIR/linked/controller.key is a symbolic link; refusing to follow it" \
	"and says so"

# --- --insecure-plaintext on both sides -------------------------------------------------
ct_start "$S"
ok $? "master serve --insecure-plaintext starts"
like "$(cat "$CT_LOG")" "[WARN] - INSECURE: --insecure-plaintext: the controller speaks plain TCP on 127.0.0.1:0" \
	"with a warning at start"
r=$(reg n1 worker 192.0.2.10 "$SECRET")
is "$(json_get "$r" .Status)" waiting "protocol.md's bare wire format works there"
out=$(status "$CT_DIR/token" --insecure-plaintext)
is "$?" 0 "status --insecure-plaintext with the token (its secret part is sent)"
out=$(status "$CT_DIR/token")
is "$?" 1 "a TLS client to a plain controller fails"
like "$out" "TLS handshake with the controller at 127.0.0.1:$CT_PORT failed" "saying the handshake failed"
ct_stop TERM

done_testing
