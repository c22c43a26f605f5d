#!/bin/bash
# master serve, as protocol.md says: framing, limits, slow clients, the
# join secret, invalid requests, the state lock, SIGTERM.  (No Docker
# here: registrations that would be "ready" are "waiting" for tokens;
# controller-gating.sh and controller-docker.sh cover the rest.)
. "$top_srcdir/tests/tap.sh"
require_cmd jq
. "$top_srcdir/tests/integration/controller-lib.sh"

S=$CT_DIR/state
SECRET=s3cr3t-$$-0123456789abcdef

# --- the join secret is required ------------------------------------------
"$CLUSTERCTL" master serve --plugin-dir "$CT_PLUGINS" --state-dir "$CT_DIR/nosecret" \
	--listen 127.0.0.1:0 >"$CT_DIR/nosecret.log" 2>&1
rc=$?
ok $((rc == 0)) "without a join secret master serve refuses to start (exit $rc)"
like "$(cat "$CT_DIR/nosecret.log")" "run 'clusterctl master init'" "and says to run master init"

ct_start "$CT_DIR/insecure" --insecure-no-join-secret
ok $? "with --insecure-no-join-secret it starts"
like "$(cat "$CT_LOG")" "[WARN] - INSECURE" "and warns loudly"
r=$(reg h0 worker 192.0.2.1 anything)
is "$(json_get "$r" .Status)" waiting "insecure: any secret accepted (waiting for Docker tokens)"
ct_stop TERM

ct_secret "$S" "$SECRET"
printf '[1,2]' >"$CT_DIR/overlay.json"
"$CLUSTERCTL" master serve --plugin-dir "$CT_PLUGINS" --state-dir "$S" --listen 127.0.0.1:0 \
	--overlay-config "$CT_DIR/overlay.json" >"$CT_DIR/ovl.log" 2>&1
is "$?" 2 "an --overlay-config that is not a JSON object is a usage error"
like "$(cat "$CT_DIR/ovl.log")" "must hold one JSON object" "and says why"
printf '{"network":"10.99.0.0/24"}' >"$CT_DIR/overlay.json"
ct_start "$S" --request-timeout 1 --max-request-bytes 4096 --overlay-config "$CT_DIR/overlay.json"
ok $? "controller starts with a join secret"

# --- secret checks ----------------------------------------------------------
r=$(reg n1 worker 192.0.2.10 wrong-0123456789abcdef)
is "$(json_get "$r" .Status)" error "wrong secret: Status error"
like "$(json_get "$r" .Error)" "JoinSecret is wrong" "wrong secret: Error says so"
r=$(ct_req '{"Hostname":"n1","Role":"worker","IP":"192.0.2.10"}')
is "$(json_get "$r" .Status)" error "missing secret: Status error"
like "$(json_get "$r" .Error)" "JoinSecret is missing" "missing secret: Error says so"
ok $(printf '%s' "$r" | grep -q SwarmJoinToken; echo $((!$?))) "no token in an error answer"

# --- a valid registration ---------------------------------------------------
r=$(reg n1 worker 192.0.2.10 "$SECRET")
is "$(json_get "$r" .Status)" waiting "valid registration without Docker: waiting"
is "$(json_get "$r" .RegisteredWorkers)" 1 "counted as a worker"
like "$(json_get "$r" .Message)" "Swarm join tokens" "Message says what it waits for"
ok $(printf '%s' "$r" | grep -q -e SwarmJoinToken -e OverlayPayload; echo $((!$?))) "no token in a waiting answer"
r=$(reg n1 worker 192.0.2.10 "$SECRET")
is "$(json_get "$r" .RegisteredWorkers)" 1 "re-registration is not counted twice"

# --- framing: pieces, sending side left open --------------------------------
exec 4<>"/dev/tcp/127.0.0.1/$CT_PORT"
printf '{"Hostname":"n2",' >&4
sleep 0.1
printf '"Role":"wor' >&4
sleep 0.1
printf 'ker","IP":"192.0.2.11","JoinSecret":"%s"}\n' "$SECRET" >&4
IFS= read -r -t 5 line <&4
got=$?
exec 4<&-
ok $got "answer arrives while the client keeps its sending side open"
is "$(json_get "$line" .Status)" waiting "request sent in three pieces is understood"
is "$(json_get "$line" .RegisteredWorkers)" 2 "second node counted"

# --- a slow client does not block others ------------------------------------
exec 5<>"/dev/tcp/127.0.0.1/$CT_PORT"
printf '{"Hostname":' >&5
r=$(ct_status "$SECRET")
is "$(json_get "$r" .Status)" ready "another client is answered while a slow one is connected"
# Order, not time: had the slow client blocked the loop, its deadline error
# would already be waiting on its socket.
read -r -t 0 <&5
ok $((! $?)) "the other client was answered before the slow one's deadline"
IFS= read -r -t 5 line <&5
exec 5<&-
is "$(json_get "$line" .Status)" error "the slow client gets an error after the deadline"
like "$(json_get "$line" .Error)" "not complete within 1 s" "naming the timeout"
exec 5<>"/dev/tcp/127.0.0.1/$CT_PORT"
IFS= read -r -t 5 line <&5
exec 5<&-
like "$(json_get "$line" .Error)" "not complete within" "a client that sends nothing gets the same"

# --- invalid requests get an error and change nothing -----------------------
before=$(ct_status "$SECRET" | jq -c '[.RegisteredManagers,.RegisteredWorkers,(.Nodes|length)]')
big=$(head -c 5000 /dev/zero | tr '\0' x)
r=$(ct_req "{\"Hostname\":\"n9\",\"Role\":\"worker\",\"IP\":\"192.0.2.99\",\"OS\":\"$big\",\"JoinSecret\":\"$SECRET\"}")
like "$(json_get "$r" .Error)" "larger than 4096 bytes" "oversize request refused"
r=$(ct_req 'this is not json')
like "$(json_get "$r" .Error)" "not valid JSON" "not JSON refused"
r=$(ct_req '[1,2,3]')
like "$(json_get "$r" .Error)" "not a JSON object" "not an object refused"
r=$(ct_req "{\"Hostname\":\"n9\",\"Role\":\"worker\",\"IP\":\"192.0.2.99\",\"JoinSecret\":\"$SECRET\"} trailing")
like "$(json_get "$r" .Error)" "unexpected data after the JSON object" "trailing bytes refused"
r=$(ct_req "{\"Hostname\":\"n9\",\"Role\":\"boss\",\"IP\":\"192.0.2.99\",\"JoinSecret\":\"$SECRET\"}")
like "$(json_get "$r" .Error)" "Role \"boss\" is not valid" "bad role refused"
r=$(ct_req "{\"Hostname\":\"n_9\",\"Role\":\"worker\",\"IP\":\"192.0.2.99\",\"JoinSecret\":\"$SECRET\"}")
like "$(json_get "$r" .Error)" "RFC 1123" "bad host name refused"
r=$(ct_req "{\"Hostname\":\"n9\",\"Role\":\"worker\",\"IP\":\"192.0.2.300\",\"JoinSecret\":\"$SECRET\"}")
like "$(json_get "$r" .Error)" "IPv4" "bad IP refused"
r=$(ct_req "{\"Hostname\":\"n9\",\"Role\":\"worker\",\"IP\":\"192.0.2.99\",\"CPU\":\"four\",\"JoinSecret\":\"$SECRET\"}")
like "$(json_get "$r" .Error)" "CPU must be a whole number" "wrong type refused"
r=$(ct_req "{\"Role\":\"worker\",\"IP\":\"192.0.2.99\",\"JoinSecret\":\"$SECRET\"}")
like "$(json_get "$r" .Error)" "Hostname is required" "missing field refused"
after=$(ct_status "$SECRET" | jq -c '[.RegisteredManagers,.RegisteredWorkers,(.Nodes|length)]')
is "$after" "$before" "no invalid request changed the state"
like "$(cat "$CT_LOG")" "refused request from 127.0.0.1" "invalid requests are logged"

# --- status ------------------------------------------------------------------
out=$("$CLUSTERCTL" status --insecure-plaintext --plugin-dir "$CT_PLUGINS" --master "127.0.0.1:$CT_PORT" --state-dir "$S" 2>&1)
like "$out" "n2" "clusterctl status (secret from the state dir) lists the nodes"
like "$out" "192.0.2.11" "with their addresses"
out=$(printf 'wrong-0123456789abcdef\n' >"$CT_DIR/bad-secret"; "$CLUSTERCTL" status --insecure-plaintext --plugin-dir "$CT_PLUGINS" \
	--master "127.0.0.1:$CT_PORT" --join-secret-file "$CT_DIR/bad-secret" 2>&1)
rc=$?
is "$rc" 4 "status with a wrong secret is refused (exit 4)"
out=$("$CLUSTERCTL" status --insecure-plaintext --json --plugin-dir "$CT_PLUGINS" --master "127.0.0.1:$CT_PORT" --state-dir "$S")
is "$(printf '%s' "$out" | jq -r '[.Nodes[].Hostname]|sort|join(",")')" "n1,n2" "status --json has the Nodes array"

# --- a second controller on the same state dir -------------------------------
first=$CT_PID
"$CLUSTERCTL" master serve --plugin-dir "$CT_PLUGINS" --state-dir "$S" --listen 127.0.0.1:0 \
	--docker-socket "$CT_DIR/no-docker.sock" >"$CT_DIR/second.log" 2>&1
rc=$?
ok $((rc == 0)) "a second controller on the same state dir refuses to start (exit $rc)"
like "$(cat "$CT_DIR/second.log")" "another controller (pid $first)" "naming the first one"
ok $(grep -q "controller listening" "$CT_DIR/second.log"; echo $((!$?))) "it never listened"
r=$(reg n1 worker 192.0.2.10 "$SECRET")
is "$(json_get "$r" .RegisteredWorkers)" 2 "the first still serves, its state intact"

# --- SIGTERM: finish in-flight requests, flush, exit 0 ----------------------
exec 6<>"/dev/tcp/127.0.0.1/$CT_PORT"
printf '{"Hostname":"n3","Role":"worker",' >&6
sleep 0.2
kill -TERM "$CT_PID"
sleep 0.2
printf '"IP":"192.0.2.12","JoinSecret":"%s"}' "$SECRET" >&6
IFS= read -r -t 5 line <&6
exec 6<&-
is "$(json_get "$line" .RegisteredWorkers)" 3 "a request in flight at SIGTERM is still answered"
ct_stop TERM
is "$CT_RC" 0 "SIGTERM: exit 0"
like "$(cat "$CT_LOG")" "state flushed" "state flushed on the way out"
ok $([ -s "$S/state.snap" ]; echo $?) "state image written"
ct_start "$S"
r=$(ct_status "$SECRET")
is "$(json_get "$r" '[.RegisteredManagers,.RegisteredWorkers]|join(",")')" "0,3" "restart reloads the same counts"
ct_stop INT
is "$CT_RC" 0 "SIGINT: exit 0"

done_testing
