#!/bin/sh
# core/docker.c against real dockerd's in three lab hosts: every call of
# core/docker.h and the errors a person meets (already in a swarm, not a
# manager, bad token, unreachable manager and the pending state, manager
# leave, daemon down, permission denied).  The probe
# (tests/unit/test-docker-live.c) makes one call per run and prints
# key=value lines.  About 40 s, most of it the daemon's 20 s join timeout.
. "$top_srcdir/tests/tap.sh"
. "$top_srcdir/tests/lab/lab.sh"

P=$top_builddir/tests/unit/test-docker-live
[ -x "$P" ] || skip_all "probe $P not built (make check builds it)"
require_cmd setpriv
lab_init dk
IP1=198.51.100.71 IP2=198.51.100.72 IP3=198.51.100.73
NOBODY_IP=198.51.100.99
lab_host h1 $IP1 || exit 1
lab_host h2 $IP2 || exit 1
lab_host h3 $IP3 || exit 1
# Three daemons start in parallel; lab_start_dockerd polls each one.
lab_start_dockerd h1 & s1=$!
lab_start_dockerd h2 & s2=$!
lab_start_dockerd h3 & s3=$!
wait $s1 && wait $s2 && wait $s3 || { echo "Bail out! dockerd did not start in the lab"; exit 1; }

# probe HOST ARGS...: sets $out (the probe's output) and $rc (its rc= line)
probe() {
	local h=$1
	shift
	out=$(lab_exec "$h" "$P" "$@" 2>/dev/null)
	rc=$(printf '%s\n' "$out" | sed -n 's/^rc=//p')
}
val() { printf '%s\n' "$out" | sed -n "s/^$1=//p" | head -1; }
token_ok() { printf '%s' "$1" | grep -Eq '^SWMTKN-1-[0-9a-z]{50}-[0-9a-z]{25}$'; }

# --- a fresh daemon -------------------------------------------------
probe h1 open
is "$rc" 0 "open: ping and negotiate"
is "$(val api)" 1.41 "Docker 20.10 is spoken to in API 1.41"
probe h1 info
is "$rc" 0 "info on a fresh daemon"
is "$(val local_state)" inactive "a fresh daemon is inactive"
is "$(val name)" h1 "info names the host"
probe h1 tokens
is "$rc" -1 "swarm inspect outside a swarm: -EPERM"
like "$(val err)" "not in a swarm" "... says the node is not in a swarm"
probe h1 leave
is "$rc" -107 "leave outside a swarm: -ENOTCONN"
like "$(val err)" "not part of a swarm" "... explained"

# --- init -----------------------------------------------------------
probe h1 init $IP1 $IP1 1400
is "$rc" 0 "init with an explicit advertise address and ingress MTU"
NODE1=$(val node_id)
probe h1 info
is "$(val local_state)" active "the manager is active"
is "$(val control_available)" 1 "and has control"
is "$(val node_addr)" $IP1 "and advertises the lab address"
CLUSTER=$(val cluster_id)
is "$(val node_id)" "$NODE1" "info's node ID is init's"
probe h1 ingress-mtu
is "$(val ingress_mtu)" 1400 "the ingress network was recreated with MTU 1400"
probe h1 init $IP1 $IP1
is "$rc" -17 "init again: -EEXIST"
like "$(val err)" "already part of a swarm" "... says the node is already in a swarm"
like "$(val err)" "cluster $CLUSTER" "... and names the cluster"
probe h1 tokens
is "$rc" 0 "swarm inspect on the manager"
WT=$(val worker_token) MT=$(val manager_token)
token_ok "$WT"; ok $? "worker token has the SWMTKN-1 format"
token_ok "$MT"; ok $? "manager token has the SWMTKN-1 format"

# --- an unreachable manager (20 s, in the background) --------------
t0=$(date +%s)
lab_exec h3 "$P" join $IP3 $IP3 $NOBODY_IP:2377 "$WT" >"$LAB_DIR/h3-join.out" 2>/dev/null &
bg=$!

# --- tokens that are wrong (meanwhile, on h2) ----------------------
probe h2 join $IP2 $IP2 $IP1:2377 SWMTKN-1-notatoken
is "$rc" -22 "a malformed token: -EINVAL before anything is sent"
like "$(val err)" "malformed" "... explained"
probe h2 join $IP2 $IP2 $IP1:2377 "${WT%-*}-aaaaaaaaaaaaaaaaaaaaaaaaa"
is "$rc" -13 "a token with a wrong secret: -EACCES from the manager"
like "$(val err)" "refused the join token" "... explained"
probe h2 info
is "$(val local_state)" inactive "the refused node stays out of the swarm"

# --- a worker -------------------------------------------------------
probe h2 join $IP2 $IP2 $IP1:2377 "$WT"
is "$rc" 0 "h2 joins as a worker"
probe h2 tokens
is "$rc" -1 "swarm inspect on a worker: -EPERM"
like "$(val err)" "worker, not a manager" "... says it is a worker"
probe h2 nodes
is "$rc" -1 "node list on a worker: -EPERM"
probe h2 join $IP2 $IP2 $IP1:2377 "$WT"
is "$rc" -17 "joining twice: -EEXIST"

# --- the pending node -----------------------------------------------
wait $bg
out=$(cat "$LAB_DIR/h3-join.out")
rc=$(val rc)
is "$rc" -110 "join to an address nobody listens on: -ETIMEDOUT"
like "$(val err)" "pending" "... explains the node stays pending"
diag "unreachable join took $(($(date +%s) - t0)) s"
probe h3 info
is "$(val local_state)" pending "info reports pending"
is "$(val remote_manager)" $NOBODY_IP:2377 "with the unreachable manager"
probe h3 join $IP3 $IP3 $IP1:2377 "$MT"
is "$rc" -17 "a pending node cannot join elsewhere: -EEXIST"
like "$(val err)" "leave to cancel" "... and is told to leave first"
probe h3 leave
is "$rc" 0 "leave cancels the pending join"
probe h3 info
is "$(val local_state)" inactive "the node is inactive again"
probe h3 join $IP3 $IP3 $IP1:2377 "$MT"
is "$rc" 0 "h3 joins as a manager"

# --- node list and roles --------------------------------------------
probe h1 nodes
is "$(val count)" 3 "three nodes"
line() { printf '%s\n' "$out" | grep " host=$1 "; }
like "$(line h1)" "role=manager" "h1 is a manager"
like "$(line h1)" "leader=1" "h1 leads"
like "$(line h1)" "addr=$IP1" "h1 at its lab address"
like "$(line h2)" "role=worker" "h2 is a worker"
like "$(line h2)" "addr=$IP2" "h2 at its lab address"
like "$(line h3)" "role=manager" "h3 is a manager"
like "$(line h3)" "addr=$IP3" "h3 at its lab address"
like "$(line h3)" "reachability=reachable" "h3 is reachable"
role_is() { probe h1 nodes; line "$1" | grep -q "role=$2 "; }
control_is() { probe "$1" info; [ "$(val control_available)" = "$2" ]; }

probe h1 role h3 worker
is "$rc" 0 "demote h3"
lab_wait 20 role_is h3 worker; ok $? "h3 is listed as a worker"
lab_wait 20 control_is h3 0; ok $? "h3 lost control"
probe h1 role h2 manager
is "$rc" 0 "promote h2"
lab_wait 20 role_is h2 manager; ok $? "h2 is listed as a manager"
lab_wait 20 control_is h2 1; ok $? "h2 gained control"
probe h1 role h2 manager
is "$rc" 0 "promoting a manager is a no-op"
probe h1 role nosuchnode worker
is "$rc" -2 "an unknown node: -ENOENT"

# --- leave ----------------------------------------------------------
probe h3 leave
is "$rc" 0 "the worker h3 leaves"
probe h2 leave
is "$rc" -16 "the manager h2 without force: -EBUSY"
like "$(val err)" "demote it first" "... and is told what to do"
probe h2 leave force
is "$rc" 0 "with force it leaves"

probe h1 nodes
is "$rc" 0 "h1 still manages the swarm after h2 left"
printf '%s\n' "$out" | grep '^node=' | sed 's/^/# /'

# --- a locked swarm: autolock on, then dockerd restarts -------------
# On h3, now out of the swarm: a one-node swarm of its own.  core/docker.h
# has no swarm update, so Docker's CLI turns autolock on.
probe h3 init $IP3 $IP3
is "$rc" 0 "h3 starts a swarm of its own"
if ! command -v docker >/dev/null 2>&1; then
	diag "no docker CLI to turn autolock on: locked state not exercised"
elif ! cli=$(lab_exec h3 env DOCKER_HOST=unix:///run/docker.sock docker swarm update --autolock=true 2>&1); then
	ok 1 "docker swarm update --autolock=true"
	diag "$cli"
else
	pid=$(lab_exec h3 cat /run/docker.pid)
	kill "$pid"
	gone() { ! kill -0 "$pid" 2>/dev/null; }
	lab_wait 30 gone
	lab_start_dockerd h3
	probe h3 info
	is "$(val local_state)" locked "after a restart with autolock, info reports locked"
	probe h3 tokens
	is "$rc" -126 "swarm inspect on a locked manager: -ENOKEY"
	like "$(val err)" "docker swarm unlock" "... and says how to unlock it"
	probe h3 join $IP3 $IP3 $IP1:2377 "$WT"
	is "$rc" -17 "a locked node cannot join another swarm: -EEXIST"
fi

# --- permission denied, daemon down --------------------------------
out=$(lab_exec h1 setpriv --reuid=65534 --regid=65534 --clear-groups "$P" info 2>/dev/null)
rc=$(val rc)
is "$rc" -13 "as nobody: -EACCES"
like "$(val err)" "permission denied on /var/run/docker.sock" "... names the socket"
like "$(val err)" "docker group" "... and says what to do"
pid=$(lab_exec h3 cat /run/docker.pid)
kill "$pid"
gone() { ! kill -0 "$pid" 2>/dev/null; }
lab_wait 30 gone; ok $? "dockerd on h3 stopped"
probe h3 info
case $rc in -2 | -111) ok 0 "daemon down: -ENOENT or -ECONNREFUSED ($rc)" ;; *) ok 1 "daemon down: got rc=$rc" ;; esac
like "$(val err)" "Docker daemon is not running" "... says the daemon is not running"
like "$(val err)" "start docker" "... and to start it"
probe h1 -s /run/nonexistent/docker.sock open
like "$(val err)" "no socket at /run/nonexistent/docker.sock" "a configured socket path is reported"

done_testing
