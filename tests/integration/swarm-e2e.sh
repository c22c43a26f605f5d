#!/bin/bash
# Swarm bootstrap end to end on a three-host lab with real dockerd:
#   master init + master serve on h1, node join --role manager on h2 and
#   --role worker on h3 form a 3-node Swarm with the right roles and the
#   lab addresses; re-running join is a no-op; a wrong secret is refused;
#   gating releases nodes only once the thresholds are met; the controller
#   killed with -9 and restarted keeps its decisions.
. "$top_srcdir/tests/tap.sh"
. "$top_srcdir/tests/lab/lab.sh"
bin=$top_builddir/clusterctl
export CLUSTERCTL_PLUGIN_DIR=$top_builddir/tests/plugins-installed
lab_init sw
for h in 1 2 3 4; do
	lab_host h$h 198.51.100.3$h || skip_all "cannot build lab host h$h"
	lab_start_dockerd h$h || skip_all "dockerd does not start in a lab host"
done
M=198.51.100.31:7000
state=/data/GlusterFS/0001/orchestration

serve() { # serve EXTRA-FLAGS...: start the controller on h1, wait for its port
	lab_exec h1 setsid "$bin" master serve "$@" </dev/null >>"$LAB_DIR/h1/controller.log" 2>&1 &
	lab_wait 20 lab_exec h1 bash -c 'exec 3<>/dev/tcp/127.0.0.1/7000'
}
stop_serve() { # stop_serve SIGNAL
	local pid
	pid=$(lab_exec h1 cat "$state/controller.lock" 2>/dev/null | tr -dc 0-9)
	[ -n "$pid" ] && kill -"$1" "$pid" 2>/dev/null
	lab_wait 20 sh -c "! kill -0 $pid 2>/dev/null"
}
join() { # join HOST ROLE [flags]: node join, output in $out, status in $rc
	local h=$1 role=$2 tok=$secret
	shift 2
	[ "$role" = manager ] && tok=$mtoken # only the manager token makes a manager
	out=$(lab_exec "$h" env CLUSTERCTL_JOIN_SECRET="$tok" "$bin" node join --master $M --role "$role" \
		--join-deadline 60 "$@" 2>&1)
	rc=$?
}
dnode() { lab_exec h1 docker -H unix:///run/docker.sock "$@"; }

out=$(lab_exec h1 "$bin" master init 2>&1)
ok $? "master init succeeds on h1"
like "$out" "clusterctl node join --master 198.51.100.31:7000" "it prints the node join line"
secret=$(lab_exec h1 cat $state/join-secret)
mtoken=$(lab_exec h1 cat $state/manager-secret) # what a manager joins with
is "$(lab_exec h1 stat -c %a $state/join-secret)" 600 "the join secret is mode 0600"
like "$secret" "CCTL1-" "it holds the join token (the controller key's pin, then the secret)"
is "$(lab_exec h1 stat -c %a $state/manager-secret)" 600 "the manager token beside it is mode 0600 too"
ok $([ "${mtoken:0:71}" = "${secret:0:71}" ] && [ "$mtoken" != "$secret" ]; echo $?) \
	"it pins the same key, with a secret of its own"
case $out in *"$secret"*) ok 1 "the secret is not printed when stdout is not a terminal" ;;
*) ok 0 "the secret is not printed when stdout is not a terminal" ;; esac
like "$out" "The join secret is in $state/join-secret" "the output says where the secret is instead"
# On a terminal (script(1) gives it one) the admin gets the line ready to paste.
out=$(lab_exec h1 script -qec "$bin master init" /dev/null 2>&1)
ok $? "master init again succeeds"
like "$out" "CLUSTERCTL_JOIN_SECRET=$secret clusterctl node join" "on a terminal the join line carries the secret"
like "$out" "swarm already initialised here: nothing to do" "and changes nothing"
is "$(lab_exec h1 cat $state/join-secret)" "$secret" "the join secret is kept"

serve; ok $? "master serve listens on 0.0.0.0:7000"

join h2 manager; is "$rc" 0 "node join --role manager on h2 succeeds"
like "$out" "node join done: converged" "with a final success line"
join h3 worker; is "$rc" 0 "node join --role worker on h3 succeeds"

ls_out=$(dnode node ls --format '{{.Hostname}} {{.ManagerStatus}}' | sort)
like "$ls_out" "h1 Leader" "docker node ls: h1 is the leader"
like "$ls_out" "h2 Reachable" "docker node ls: h2 is a reachable manager"
is "$(printf '%s\n' "$ls_out" | grep -c .)" 3 "docker node ls: three nodes"
is "$(printf '%s\n' "$ls_out" | grep '^h3' | tr -d ' ')" "h3" "docker node ls: h3 is a worker"
addrs=$(lab_exec h1 sh -c 'for n in $(docker -H unix:///run/docker.sock node ls -q); do docker -H unix:///run/docker.sock node inspect --format "{{.Description.Hostname}}={{.Status.Addr}}" $n; done' | sort | tr '\n' ' ')
is "$addrs" "h1=198.51.100.31 h2=198.51.100.32 h3=198.51.100.33 " "every node advertises its lab address"

ids_before=$(dnode node ls -q | sort | tr '\n' ' ')
join h2 manager; is "$rc" 0 "re-running join on h2 succeeds"
like "$out" "swarm membership already as asked role=manager" "and changes nothing on h2"
join h3 worker; is "$rc" 0 "re-running join on h3 succeeds"
like "$out" "swarm membership already as asked role=worker" "and changes nothing on h3"
is "$(dnode node ls -q | sort | tr '\n' ' ')" "$ids_before" "the swarm's node ids are unchanged"

# A token with the controller's pin (the first 6+64 characters) and a
# wrong secret: TLS succeeds, the proof does not.
out=$(lab_exec h4 env CLUSTERCTL_JOIN_SECRET="${secret:0:71}wrong-secret-wrong-secret" "$bin" node join --master $M --join-deadline 10 2>&1)
is "$?" 4 "a wrong join secret: node join exits 4"
like "$out" "controller refused this node: JoinSecret is wrong" "and says the controller refused it"
out=$(lab_exec h4 env CLUSTERCTL_JOIN_SECRET=wrong-secret-wrong-secret "$bin" node join --master $M --join-deadline 10 2>&1)
is "$?" 4 "a bare secret without the controller's pin: node join exits 4"
like "$out" "no pin for the controller at $M" "and says where the pin comes from"
is "$(lab_exec h4 curl -s --unix-socket /run/docker.sock http://localhost/v1.41/info | grep -o '"LocalNodeState":"[a-z]*"')" \
	'"LocalNodeState":"inactive"' "the refused node did not join the swarm"

# issue 12 item 4: a node whose storage provider is not the controller's
# (this controller runs storage "none") is refused and converges nothing.
out=$(lab_exec h4 env CLUSTERCTL_JOIN_SECRET="$secret" "$bin" node join --master $M --join-deadline 10 \
	--storage-provider gluster 2>&1)
is "$?" 4 "a storage-provider mismatch: node join exits 4"
like "$out" 'storage provider "gluster" but the controller uses "none"' "and the message names both providers"
is "$(lab_exec h4 curl -s --unix-socket /run/docker.sock http://localhost/v1.41/info | grep -o '"LocalNodeState":"[a-z]*"')" \
	'"LocalNodeState":"inactive"' "the mismatched node did not join the swarm"

st=$(lab_exec h1 "$bin" status 2>&1)
like "$st" "h2" "clusterctl status lists h2"
like "$st" "h3" "clusterctl status lists h3"
stj=$(lab_exec h1 "$bin" status --json 2>&1)
like "$stj" '"RegisteredManagers":1' "status --json counts one registered manager"
like "$stj" '"RegisteredWorkers":1' "status --json counts one registered worker"

# Gating on a fresh controller state: h4 waits until a second worker exists.
stop_serve TERM; ok $? "the controller stops on SIGTERM"
lab_exec h1 sh -c "mv $state $state.first && mkdir -p $state && cp $state.first/join-secret $state.first/manager-secret $state.first/controller.key $state.first/controller.crt $state/"
serve --wait-for-minimum --min-managers 1 --min-workers 2; ok $? "a gated controller starts"
join h2 manager --join-deadline 3
is "$rc" 3 "below the thresholds a node waits, then gives up at its deadline (exit 3)"
like "$out" "controller says wait managers=1/1 workers=0/2" "it reports the counts while waiting"
lab_exec h4 env CLUSTERCTL_JOIN_SECRET="$secret" "$bin" node join --master $M --role worker --join-deadline 90 \
	>"$LAB_DIR/h4-join.log" 2>&1 &
h4pid=$!
lab_wait 20 grep -q 'controller says wait' "$LAB_DIR/h4-join.log"; ok $? "h4 waits while workers are 1 of 2"
# Secrets stay out of /proc (issue 11, item 6): every process in the lab
# hosts' namespaces -- the waiting node join on h4 (given the token in its
# environment), the controller, the daemons -- has neither the join
# secret, the token nor a Swarm token in its command line or environment.
wtok=$(dnode swarm join-token -q worker) mtok=$(dnode swarm join-token -q manager)
leaks=
for h in h1 h2 h3 h4; do
	for p in $(ip netns pids "cl$LAB_ID$h"); do
		for f in cmdline environ; do
			for s in "${secret:71}" "$wtok" "$mtok"; do
				[ -n "$s" ] && grep -qaF -- "$s" "/proc/$p/$f" 2>/dev/null &&
					leaks="$leaks $h:$p:$(cat /proc/"$p"/comm):$f"
			done
		done
	done
done
is "$leaks" "" "no process in the lab has a secret or token in /proc/<pid>/cmdline or environ"
stop_serve KILL; ok $? "the controller is killed with -9 mid-way"
serve --wait-for-minimum --min-managers 1 --min-workers 2; ok $? "and restarted on the same state"
stj=$(lab_exec h1 "$bin" status --json 2>&1)
like "$stj" '"RegisteredManagers":1' "after kill -9 the registered manager is remembered"
like "$stj" '"ClusterFormed":false' "and the cluster is still not formed"
join h3 worker; is "$rc" 0 "the second worker meets the thresholds and is ready"
wait $h4pid; is "$?" 0 "the waiting node is released once both thresholds are met"
stj=$(lab_exec h1 "$bin" status --json 2>&1)
like "$stj" '"ClusterFormed":true' "the cluster is formed"
stop_serve KILL
serve --wait-for-minimum --min-managers 1 --min-workers 5; ok $? "restarted with higher thresholds after kill -9"
join h3 worker; is "$rc" 0 "a formed cluster stays formed: no node is sent back to waiting"
is "$(dnode node ls -q | wc -l)" 4 "the swarm has four nodes"
stop_serve TERM
# ... nor in any log line of the run (the controller's, every join's).
leaks=$(grep -rlaF -e "${secret:71}" -e "$wtok" -e "$mtok" "$LAB_DIR" --include='*.log' 2>/dev/null | tr '\n' ' ')
is "$leaks" "" "no log line of the run holds the join secret or a Swarm token"
done_testing
