#!/bin/bash
# GlusterFS storage end to end through the product's own commands, on a
# three-host lab where every host runs its own dockerd and glusterd and has
# a loop-mounted brick file system at /data/glusterfs/bricks:
#   h1: clusterctl master init --storage-provider gluster (the volume with
#       the master's brick, started, mounted; the state dir lives on it),
#       then clusterctl master serve --storage-provider gluster;
#   h2 (manager), h3 (worker): clusterctl node join --storage-provider
#       gluster: brick prepared, probed, add-brick up to replica 3, mounted;
#   and a 3-node Swarm.  A first re-run only brings mount entries written
#   before later bricks joined up to date, the next changes nothing; the
#   controller killed with -9 while h2 is half-way keeps its decisions; a
#   brick of another volume and a stopped glusterd fail (or, at a first
#   join, warn and make the node a client) with a message, and a retry
#   converges.
. "$top_srcdir/tests/tap.sh"
. "$top_srcdir/tests/lab/lab.sh"
. "$top_srcdir/tests/integration/gluster-lib.sh"
. "$top_srcdir/tests/integration/e2e-lib.sh"

require_root
require_cmd jq glusterd gluster mount.glusterfs losetup findmnt setfattr getfattr
[ -e /dev/fuse ] || skip_all "needs /dev/fuse"
bin=$top_builddir/clusterctl
export CLUSTERCTL_PLUGIN_DIR=${CLUSTERCTL_TEST_PLUGIN_DIR:-$top_builddir/tests/plugins-installed}
[ -x "$bin" ] && [ -e "$CLUSTERCTL_PLUGIN_DIR/storage-gluster.so" ] || skip_all "clusterctl or the gluster plugin not built"
# Every command below writes a persistent mount entry, into the host's
# own /etc/clusterctl (the real /etc is shared by the lab hosts).
export CLUSTERCTL_GLUSTER_PERSIST_MOUNT=true CLUSTERCTL_GLUSTER_FSTAB=/etc/clusterctl/fstab

lab_init ge || skip_all "cannot build the lab"
# a signal must still tear the lab down (lab.sh traps EXIT only)
trap 'exit 1' HUP INT TERM PIPE
IP1=198.51.100.51 IP2=198.51.100.52 IP3=198.51.100.53
gl_hosts_up $IP1 $IP2 $IP3
T0=$(date +%s)
at "lab up"

M=$IP1:7000
FLAGS="--storage-provider gluster"
JOIN_DEADLINE=90
MNT=/data/GlusterFS/0001
state=$MNT/orchestration # the spec's default state dir: on the volume
BRICK=/data/glusterfs/bricks/clusterctl
CLOG=$LAB_DIR/h1/controller.log

unlike() { # unlike HAYSTACK NEEDLE "description"
	case $1 in
	*"$2"*) ok 1 "$3"; printf '#   %s\n' "contains '$2'" ;;
	*) ok 0 "$3" ;;
	esac
}
dnode() { lab_exec h1 docker -H unix:///run/docker.sock "$@"; }
has_volume() { lab_exec h1 gluster --mode=script volume list 2>/dev/null | grep -qx clusterctl; }
stop_serve() { # stop_serve SIGNAL
	local pid
	pid=$(serve_pid)
	[ -n "$pid" ] && kill -"$1" "$pid" 2>/dev/null
	lab_wait 20 sh -c "! kill -0 $pid 2>/dev/null"
}
VOLID_OTHER=0x00112233445566778899aabbccddeeff

# ---- master init ----------------------------------------------------------
# A brick directory left by another volume: refused, nothing created.
lab_exec h1 mkdir -p $BRICK
lab_exec h1 setfattr -n trusted.glusterfs.volume-id -v $VOLID_OTHER $BRICK
out=$(lab_exec h1 "$bin" master init --storage-provider gluster 2>&1)
ok "$([ $? -ne 0 ]; echo $?)" "master init on a brick of another volume fails"
like "$out" "carries the trusted.glusterfs.volume-id 00112233-4455-6677-8899-aabbccddeeff" "naming the attribute and its id"
like "$out" "RECOVERY" "and where the way out is written"
check "no volume was created" not has_volume
lab_exec h1 setfattr -x trusted.glusterfs.volume-id $BRICK

# h1 also has 10.99.0.1, which the plugin's own choice would prefer
# (RFC 1918 before other addresses): the brick must follow the Swarm's.
lab_exec h1 ip addr add 10.99.0.1/24 dev eth0
like "$(lab_exec h1 "$bin" ip 2>&1)" "10.99.0.1" "(detection alone would choose 10.99.0.1 on h1)"
out=$(lab_exec h1 "$bin" master init --storage-provider gluster --advertise-addr $IP1 2>&1)
ok $? "master init --storage-provider gluster succeeds on h1 once the brick is cleared"
like "$out" "GlusterFS volume clusterctl created and started" "it creates and starts the volume"
like "$out" "swarm address chosen ip=$IP1" "the Swarm is advertised on h1's lab address"
info=$(vinfo)
is "$(echo "$info" | xmlval statusStr)" Started "gluster volume info: started"
is "$(bricks)" "$IP1:$BRICK " "one brick, named by the Swarm address (node-ip), not 10.99.0.1"
volid=$(echo "$info" | xmlval id)
check "h1 has the volume mounted at $MNT (fuse.glusterfs)" is_fuse h1 $MNT
check "the state dir $state is on the GlusterFS mount" is_fuse h1 $state
secret=$(lab_exec h1 cat $state/join-secret)
mtoken=$(lab_exec h1 cat $state/manager-secret) # what a manager joins with
like "$out" "clusterctl node join --master $M --role worker --storage-provider gluster" "it prints the join line"

# (re-runs give no --advertise-addr: detection would now pick 10.99.0.1)
out=$(lab_exec h1 "$bin" master init --storage-provider gluster 2>&1)
ok $? "master init again succeeds"
like "$out" "swarm address chosen ip=$IP1 source=\"the swarm this host manages\"" \
	"it keeps the address of the Swarm it made, not what detection prefers now"
like "$out" "GlusterFS volume clusterctl started" "the volume is found, not created"
like "$out" "swarm already initialised here: nothing to do" "the Swarm is left as is"
is "$(bricks)" "$IP1:$BRICK " "still one brick"
is "$(lab_exec h1 cat $state/join-secret)" "$secret" "the join secret is kept"

serve; ok $? "master serve --storage-provider gluster listens, state on the volume"
at "controller up"

# ---- h2 joins; the controller is killed with -9 half-way --------------------
lab_exec h2 env CLUSTERCTL_JOIN_SECRET="$mtoken" "$bin" node join --master $M --role manager --storage-provider gluster \
	--join-deadline 90 >"$LAB_DIR/h2/join-bg.log" 2>&1 &
h2job=$!
lab_wait 60 grep -q "brick prepared at $BRICK" "$LAB_DIR/h2/join-bg.log"
ok $? "h2 is told to prepare its brick and does"
h2pid=$(host_pid h2 clusterctl)
[ -n "$h2pid" ] && kill -STOP $h2pid
is "$(bricks)" "$IP1:$BRICK " "h2 is half-way: its brick is not in the volume yet"
check "the controller has recorded h2 as a brick node" \
	grep -q "gluster plan node=.* ip=$IP2 role=brick" "$CLOG"
stop_serve KILL; ok $? "the controller is killed with -9"
lines=$(wc -l <"$CLOG")
serve; ok $? "and restarted on the same state dir"
[ -n "$h2pid" ] && kill -CONT $h2pid
wait $h2job; rc=$?
cat "$LAB_DIR/h2/join-bg.log" >>"$LAB_DIR/h2/join.log"
is "$rc" 0 "h2's node join converges across the restart"
like "$(cat "$LAB_DIR/h2/join-bg.log")" "node join done: converged" "with its final line"
after=$(tail -n +$((lines + 1)) "$CLOG")
like "$after" "ip=$IP2 role=brick" "the restarted controller keeps h2 a brick node"
like "$after" "gluster add-brick volume=clusterctl replica=2 bricks=1 first=$IP2:$BRICK" "and adds the brick it decided before"
is "$(bricks)" "$IP1:$BRICK $IP2:$BRICK " "the volume has h1's and h2's bricks"
lab_exec h1 sh -c "echo before-h3 > $MNT/before-h3.txt"
at "h2 joined"

# ---- h3: glusterd stopped at its first join -----------------------------------
lab_exec h3 sh -c 'kill $(cat /run/glusterd.pid)'
lab_wait 20 not lab_exec h3 gluster --mode=script pool list
join h3 --role worker
is "$rc" 0 "node join on h3 with glusterd stopped completes (a client can mount without it)"
like "$out" "glusterd is not running, so this node cannot host a brick" "it warns that glusterd is down on a brick host"
like "$out" "systemctl enable --now glusterd" "and says what to do"
is "$(bricks)" "$IP1:$BRICK $IP2:$BRICK " "h3 got no brick meanwhile"
check "h3 mounted the volume as a client" is_fuse h3 $MNT
lab_start_glusterd h3

# ---- h3: a brick of another volume, then a clean retry ---------------------
lab_exec h3 mkdir -p $BRICK
lab_exec h3 setfattr -n trusted.glusterfs.volume-id -v $VOLID_OTHER $BRICK
join h3 --role worker
ok "$([ "$rc" -ne 0 ]; echo $?)" "with glusterd running, h3 is given a brick; one of another volume fails (exit $rc)"
like "$out" "already belongs to another GlusterFS volume" "naming the conflict"
like "$out" "00112233-4455-6677-8899-aabbccddeeff" "and the other volume's id"
like "$out" "clusterctl-gluster(7), RECOVERY" "and where the way out is written"
is "$(bricks)" "$IP1:$BRICK $IP2:$BRICK " "the volume is unchanged"
like "$(lab_exec h3 getfattr -n trusted.glusterfs.volume-id -e hex $BRICK 2>/dev/null)" "=$VOLID_OTHER" \
	"the brick keeps the other volume's attribute (nothing wiped)"
lab_exec h3 setfattr -x trusted.glusterfs.volume-id $BRICK
join h3 --role worker; is "$rc" 0 "after clearing it, node join on h3 converges"
like "$out" "node join done: converged" "with its final line"
like "$(cat "$CLOG")" "gluster add-brick volume=clusterctl replica=3 bricks=1 first=$IP3:$BRICK" \
	"the controller grew the volume with add-brick replica 3"
# The controller's worker starts the heal after add-brick returns, and the
# node may see its brick in the volume first: wait for the line.
lab_wait 30 grep -qF "gluster volume heal volume=clusterctl full (replica 2 -> 3)" "$CLOG" ||
	{ grep -E "gluster (add-brick|volume|peer)|WARN|ERROR" "$CLOG" | grep -v "refused request" | tail -12 | sed 's/^/# controller: /'; false; }
ok $? "growing the replica count starts a full heal"
unlike "$(cat "$CLOG")" "volume heal clusterctl full failed" "which glusterd accepts"
lab_wait 30 lab_exec h3 test -f $BRICK/before-h3.txt
ok $? "a file written before h3 joined reaches h3's new brick"
lab_wait 30 lab_exec h3 test -f $BRICK/orchestration/state.log
ok $? "and so does the controller's state"
at "h3 joined"

# ---- end state -------------------------------------------------------------
info=$(vinfo)
is "$(echo "$info" | xmlval statusStr)" Started "volume clusterctl is started"
is "$(echo "$info" | xmlval typeStr)" Replicate "of type Replicate"
is "$(echo "$info" | xmlval replicaCount)" 3 "replica 3"
is "$(echo "$info" | xmlval brickCount)" 3 "with 3 bricks"
is "$(bricks)" "$IP1:$BRICK $IP2:$BRICK $IP3:$BRICK " "one brick per host"
is "$(echo "$info" | xmlval id)" "$volid" "the same volume master init created"
is "$(lab_exec h1 gluster --mode=script --xml peer status | grep -c '<stateStr>Peer in Cluster</stateStr>')" 2 "h2 and h3 are 'Peer in Cluster'"
for h in h1 h2 h3; do check "findmnt: $h has the fuse mount at $MNT" is_fuse $h $MNT; done
# Every live mount can fetch the volume from the other brick hosts: the
# client was started with the hosts known then (--volfile-server, its
# own arguments) and glusterd sends it the current list whenever the
# volume changes ("Received list of available volfile servers").
client_servers() { # the volfile servers host $1's client of $MNT knows
	local p
	for p in $(host_pid "$1" glusterfs); do
		tr '\0' '\n' </proc/"$p"/cmdline | grep -qx "$MNT" &&
			tr '\0' '\n' </proc/"$p"/cmdline | sed -n 's/^--volfile-server=//p'
	done
	lab_exec "$1" grep -a "Received list of available volfile servers" \
		/var/log/glusterfs/data-GlusterFS-0001.log | tail -1 | sed 's/.*servers: //'
}
knows_others() { # knows_others HOST: its client names every other brick host
	local s o
	s=$(client_servers "$1" | tr ' ' '\n' | sed 's/:24007$//')
	for o in $IP1 $IP2 $IP3; do
		[ "$o" = "$(lab_ip "$1")" ] && continue
		printf '%s\n' "$s" | grep -qx "$o" || return 1
	done
}
for h in h1 h2 h3; do
	lab_wait 20 knows_others $h
	ok $? "$h's mount has the other brick hosts as volfile servers"
	diag "$h's client: $(client_servers $h | tr '\n' ' ')"
done

# ---- the Swarm -------------------------------------------------------------
ls_out=$(dnode node ls --format '{{.Hostname}} {{.ManagerStatus}}' | sort)
like "$ls_out" "h1 Leader" "docker node ls: h1 is the leader"
like "$ls_out" "h2 Reachable" "docker node ls: h2 is a reachable manager"
is "$(printf '%s\n' "$ls_out" | grep -c .)" 3 "docker node ls: three nodes"
is "$(printf '%s\n' "$ls_out" | grep '^h3' | tr -d ' ')" "h3" "docker node ls: h3 is a worker"
addrs=$(for n in $(dnode node ls -q); do dnode node inspect --format '{{.Description.Hostname}}={{.Status.Addr}}' "$n"; done | sort | tr '\n' ' ')
is "$addrs" "h1=$IP1 h2=$IP2 h3=$IP3 " "every node advertises its lab address (the one its brick is named by)"

# ---- data through the volume -----------------------------------------------
gl_data_through h2 h3 h1
is "$(lab_exec h3 cat $BRICK/hello.txt 2>&1)" written-on-h2 "with its content"
at "data through"

# ---- re-running every command ------------------------------------------------
# Pass 1: a persistent mount entry written before later bricks joined
# (h1's at master init, h2's before h3 joined) is brought up to date.
lab_exec h1 "$bin" master init --storage-provider gluster >>"$LAB_DIR/h1/init.log" 2>&1
ok $? "master init re-run: exit 0"
join h2 --role manager; is "$rc" 0 "node join re-run on h2: exit 0"
join h3 --role worker; is "$rc" 0 "node join re-run on h3: exit 0"
for h in h1 h2 h3; do
	ip=$(lab_ip $h)
	e=$(lab_exec $h grep " $MNT glusterfs " /etc/clusterctl/fstab)
	for o in $IP1 $IP2 $IP3; do
		[ "$o" = "$ip" ] && continue
		case $e in
		"$o:/clusterctl "* | *"backup-volfile-servers="*"$o"*) ok 0 "$h's mount entry names brick host $o" ;;
		*) ok 1 "$h's mount entry names brick host $o"; diag "entry: $e" ;;
		esac
	done
done
# Pass 2: nothing left to do anywhere.
before=$(vinfo | grep -v '<opErrstr')
sums=$(for h in h1 h2 h3; do lab_exec $h md5sum /etc/clusterctl/fstab; done)
ids=$(dnode node ls -q | sort | tr '\n' ' ')
lines=$(wc -l <"$CLOG")
out=$(lab_exec h1 "$bin" master init --storage-provider gluster 2>&1)
ok $? "master init again: exit 0"
like "$out" "GlusterFS volume clusterctl started (Replicate, 3 brick(s)" "it finds the volume with its 3 bricks"
like "$out" "swarm already initialised here: nothing to do" "and the Swarm as it was"
unlike "$out" "persistent mount entry written" "and writes no mount entry"
join h2 --role manager; is "$rc" 0 "node join again on h2: exit 0"
like "$out" "swarm membership already as asked role=manager" "h2: Swarm membership already as asked"
like "$out" "controller note: brick $IP2:$BRICK is in volume clusterctl" "h2: its brick is in the volume"
unlike "$out" "persistent mount entry written" "h2: no mount entry written"
join h3 --role worker; is "$rc" 0 "node join again on h3: exit 0"
like "$out" "swarm membership already as asked role=worker" "h3: Swarm membership already as asked"
unlike "$out" "persistent mount entry written" "h3: no mount entry written"
tail -n +$((lines + 1)) "$CLOG" >"$LAB_DIR/h1/controller-rerun.log"
check "the controller ran no gluster change (probe, add-brick, start, heal)" \
	not grep -qE "gluster (peer probe|add-brick|volume start|volume heal)" "$LAB_DIR/h1/controller-rerun.log"
is "$(vinfo | grep -v '<opErrstr')" "$before" "gluster volume info is unchanged"
is "$(for h in h1 h2 h3; do lab_exec $h md5sum /etc/clusterctl/fstab; done)" "$sums" "the mount entries are unchanged"
is "$(dnode node ls -q | sort | tr '\n' ' ')" "$ids" "the Swarm's node ids are unchanged"
at "re-runs"

# ---- glusterd stopped on a brick node ---------------------------------------
lab_exec h2 sh -c 'kill $(cat /run/glusterd.pid)'
lab_wait 20 not lab_exec h2 gluster --mode=script pool list
join h2 --role manager --join-deadline 20
ok "$([ "$rc" -ne 0 ]; echo $?)" "node join on h2 with glusterd stopped fails (exit $rc)"
like "$out" "glusterd is not running on this host" "naming glusterd"
like "$out" "systemctl enable --now glusterd" "and what to do"
lab_start_glusterd h2
join h2 --role manager; is "$rc" 0 "once glusterd runs again, node join on h2 converges"
is "$(bricks)" "$IP1:$BRICK $IP2:$BRICK $IP3:$BRICK " "the volume kept its bricks"
is "$(lab_exec h1 cat $MNT/hello.txt 2>&1)" written-on-h2 "and its data"

# ---- status: what a brick host reports (issue 12 item 5) ---------------------
join h3 --role worker; is "$rc" 0 "node join again on h3 (its heartbeat carries its health)"
st=$(lab_exec h1 "$bin" status --json 2>&1)
h3h() { printf '%s' "$st" | jq -r ".Nodes[] | select(.Hostname==\"h3\") | .Health.Storage.$1"; }
is "$(h3h Mounted)" true "status: h3's volume is mounted"
is "$(h3h Bricks)/$(h3h BricksOnline)" 1/1 "status: h3's brick is online"
is "$(h3h HealPending)" 0 "status: nothing waits to heal on h3's brick"
like "$(lab_exec h1 "$bin" status 2>&1)" "BricksOnline=1" "the status table shows it"

# ---- node remove of a brick host (issue 12 item 1) ---------------------------
lab_exec h3 sh -c 'kill $(pidof dockerd)'
lab_wait 90 sh -c "[ \"\$(nsenter --target $(cat "$LAB_DIR/h1/holder.pid") --net --mount --uts docker -H unix:///run/docker.sock node ls --format '{{.Hostname}} {{.Status}}' | grep '^h3 ')\" = 'h3 Down' ]"
ok $? "h3's engine stopped: the Swarm marks it down"
before=$(bricks)
out=$(lab_exec h1 "$bin" node remove h3 2>&1); rc=$?
is "$rc" 1 "node remove h3 (a brick host): refused (exit 1)"
like "$out" "holds the brick $IP3:$BRICK of volume clusterctl" "naming its brick"
like "$out" "gluster volume replace-brick clusterctl $IP3:$BRICK" "and how to move it"
is "$(lab_exec h1 "$bin" status --json | jq -r '[.Nodes[].Hostname] | index("h3") != null')" true "h3 is still registered"
is "$(dnode node ls --format '{{.Hostname}}' | grep -c '^h3$')" 1 "and still a Swarm node"
out=$(lab_exec h1 "$bin" node remove h3 --force 2>&1); rc=$?
is "$rc" 0 "node remove h3 --force: removed"
like "$out" "stays in volume clusterctl (forced; nothing deleted)" "its brick stays in the volume"
is "$(dnode node ls --format '{{.Hostname}}' | grep -c '^h3$')" 0 "h3 is out of the Swarm"
is "$(bricks)" "$before" "the volume's bricks are untouched"
is "$(lab_exec h1 cat $MNT/hello.txt 2>&1)" written-on-h2 "no file is lost"
ok $(lab_exec h3 test -d "$BRICK/.glusterfs"; echo $?) "the brick data on h3 is still there"

stop_serve TERM
at "end"
done_testing
