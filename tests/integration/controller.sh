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

# --- a node with other providers is refused, naming both (issue 12 item 4) --
r=$(reg n7 worker 192.0.2.17 "$SECRET" '"ProtocolVersion":2,"OverlayType":"none","StorageType":"gluster"')
is "$(json_get "$r" .Status)" error "a node running storage gluster against a controller with none: error"
like "$(json_get "$r" .Error)" 'storage provider "gluster" but the controller uses "none"' "the Error names both"
ok $(printf '%s' "$r" | grep -q -e SwarmJoinToken -e GlusterVolume; echo $((!$?))) "and grants nothing"
r=$(reg n7 worker 192.0.2.17 "$SECRET" '"ProtocolVersion":2,"OverlayType":"wireguard","StorageType":"none"')
like "$(json_get "$r" .Error)" 'overlay provider "wireguard" but the controller uses "none"' \
	"an overlay mismatch is refused the same way"
r=$(ct_status "$SECRET")
is "$(json_get "$r" '[.Nodes[].Hostname]|index("n7")')" null "a refused node is not recorded"
r=$(reg n1 worker 192.0.2.10 "$SECRET" '"ProtocolVersion":2,"OverlayType":"none","StorageType":"none"')
is "$(json_get "$r" .Status)" waiting "the same providers are accepted"
r=$(reg n1 worker 192.0.2.10 "$SECRET" '"ProtocolVersion":1')
is "$(json_get "$r" .Status)" waiting "a node one protocol version behind is accepted"

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

# --- status: who runs what, its health, staleness (issue 12 items 3, 5) -----
r=$(reg n4 worker 192.0.2.14 "$SECRET" '"ProtocolVersion":2,"ClusterctlVersion":"9.8.7","Health":{"Overlay":{"Address":"100.96.0.9/16","MTU":1420,"PeersCount":3,"PeersNewestHandshakeAgeSeconds":4},"Storage":{"Mounted":true}}')
is "$(json_get "$r" .Status)" waiting "a version 2 heartbeat with its health is accepted"
r=$(reg n5 worker 192.0.2.15 "$SECRET" '"Health":[1]')
like "$(json_get "$r" .Error)" "Health must be an object" "a Health that is not an object is refused"
st=$(ct_status "$SECRET")
is "$(json_get "$st" '.Nodes[]|select(.Hostname=="n4")|[.ClusterctlVersion,.ProtocolVersion]|join(" ")')" "9.8.7 2" \
	"status --json shows the version and protocol each node runs"
is "$(json_get "$st" '.Nodes[]|select(.Hostname=="n4")|.Health.Overlay.MTU')" 1420 "and the overlay's health it reported"
is "$(json_get "$st" '.Nodes[]|select(.Hostname=="n4")|.Health.Storage.Mounted')" true "and the storage's"
is "$(json_get "$st" '.Nodes[]|select(.Hostname=="n4")|.Stale')" false "a node just heard from is not stale"
is "$(json_get "$st" '.Quorum.Managers')" 1 "quorum counts the master's host as a manager"
out=$("$CLUSTERCTL" status --insecure-plaintext --plugin-dir "$CT_PLUGINS" --master "127.0.0.1:$CT_PORT" --state-dir "$S" 2>&1)
like "$out" "9.8.7" "the status table shows the version"
like "$out" "PeersNewestHandshakeAgeSeconds=4" "and the overlay's health"
like "$out" "Quorum: yes" "and the quorum"

# --- node remove (issue 12 item 1) --------------------------------------------
rm_node() { "$CLUSTERCTL" node remove --insecure-plaintext --master "127.0.0.1:$CT_PORT" --state-dir "$S" "$@" 2>&1; }
out=$(rm_node nosuch); rc=$?
is "$rc" 1 "node remove of an unknown node fails (exit 1)"
like "$out" "no node nosuch is registered" "and says so"
before=$(ct_status "$SECRET" | jq -r '.RegisteredWorkers')
out=$(rm_node n4); rc=$?
is "$rc" 0 "node remove n4 succeeds"
like "$out" "found n4 (host:n4, worker" "it reports each step: the record found"
like "$out" "controller: record host:n4 forgotten, durably" "the record forgotten"
like "$out" "never reported a Swarm node" "the Swarm step (n4 never joined one)"
st=$(ct_status "$SECRET")
is "$(json_get "$st" '[.Nodes[].Hostname]|index("n4")')" null "n4 is gone from status"
is "$(json_get "$st" .RegisteredWorkers)" $((before - 1)) "and the counts are recomputed"
like "$(cat "$CT_LOG")" "node remove: controller: record host:n4 forgotten" "the controller logs each step"
out=$(rm_node n4); rc=$?
is "$rc" 1 "removing it again: exit 1, nothing to remove"
out=$("$CLUSTERCTL" node remove --master "127.0.0.1:$CT_PORT" 2>&1); rc=$?
is "$rc" 2 "node remove without a node is a usage error"

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

# --- SIGHUP reopens the log file (logrotate's rename + HUP) -------------------
ct_stop TERM
ct_start "$S" --log-file "$CT_DIR/ctl.log"
ok $? "the controller restarts with --log-file"
mv "$CT_DIR/ctl.log" "$CT_DIR/ctl.log.1"
kill -HUP "$CT_PID"
wait_file() { for _ in $(seq 1 50); do [ -s "$1" ] && return 0; sleep 0.1; done; return 1; }
wait_file "$CT_DIR/ctl.log"
ok $? "after SIGHUP a new log file is created under the old name"
like "$(cat "$CT_DIR/ctl.log")" "log file reopened path=$CT_DIR/ctl.log" "and its first line says so"
r=$(reg n1 worker 192.0.2.10 "$SECRET")
is "$(json_get "$r" .Status)" waiting "the controller goes on serving after SIGHUP"
like "$(cat "$CT_DIR/ctl.log")" "registration node=host:n1" "later lines go to the new file"
ok $(grep -q "registration node=host:n1" "$CT_DIR/ctl.log.1"; echo $((!$?))) "and none to the rotated one"
like "$(cat "$CT_DIR/ctl.log.1")" "controller listening" "which keeps what was written before"

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
is "$(json_get "$r" '[.Nodes[].Hostname]|index("n4")')" null "a removed node stays removed across a restart"
is "$(json_get "$r" '[.RegisteredManagers,.RegisteredWorkers]|join(",")')" "0,3" "restart reloads the same counts"
ct_stop INT
is "$CT_RC" 0 "SIGINT: exit 0"

# --- node remove keeps the Swarm's quorum (issue 12 item 1) -------------------
Q=$CT_DIR/quorum
ct_secret "$Q" "$SECRET"
ct_start "$Q" --stale-after 1
for m in m1 m2 m3; do reg $m manager 192.0.2.3${m#m} "$SECRET" >/dev/null; done
is "$(ct_status "$SECRET" | jq -r .RegisteredManagers)" 3 "three managers registered"
sleep 2 # none heard from within --stale-after: only the master's host counts as reachable
out=$("$CLUSTERCTL" node remove m1 --insecure-plaintext --master "127.0.0.1:$CT_PORT" --state-dir "$Q" 2>&1); rc=$?
is "$rc" 1 "removing a manager when too few managers are reachable: refused"
like "$out" "would leave 1 of 3 Swarm managers reachable, below their quorum of 2" "saying how many and why"
is "$(ct_status "$SECRET" | jq -r .RegisteredManagers)" 3 "and nothing changed"
for m in m2 m3; do reg $m manager 192.0.2.3${m#m} "$SECRET" >/dev/null; done
out=$("$CLUSTERCTL" node remove m1 --insecure-plaintext --master "127.0.0.1:$CT_PORT" --state-dir "$Q" 2>&1); rc=$?
is "$rc" 0 "once the others are heard from again, m1 is removed"
like "$out" "quorum: 3 of 3 managers stay reachable (2 needed)" "reporting the quorum it keeps"
sleep 2
out=$("$CLUSTERCTL" node remove m2 --force --insecure-plaintext --master "127.0.0.1:$CT_PORT" --state-dir "$Q" 2>&1); rc=$?
is "$rc" 0 "with --force a manager goes even past the quorum"
like "$out" "past it with --force" "and the output says so"
is "$(ct_status "$SECRET" | jq -r .RegisteredManagers)" 1 "one registered manager is left"
ct_stop TERM

done_testing
