#!/bin/sh
# The gluster plugin against real glusterd in three lab hosts (plus a
# fourth that belongs to another pool), driven through the core's plugin
# loader by tests/tools/gluster-driver inside each host:
#   master-prepare on h1; plan (h1's controller) + ensure on h2 and h3,
#   repeated until converged; then a replica-3 volume, one brick per
#   host, mounted everywhere; a file written on one host read on others;
#   every step re-run changes nothing; each failure case with its message.
. "$top_srcdir/tests/tap.sh"
. "$top_srcdir/tests/lab/lab.sh"
. "$top_srcdir/tests/integration/gluster-lib.sh"

require_root
require_cmd jq glusterd gluster mount.glusterfs losetup
[ -e /dev/fuse ] || skip_all "needs /dev/fuse"
DRV=$top_builddir/tests/tools/gluster-driver
SO=$top_builddir/plugins/storage/gluster/.libs/storage-gluster.so
[ -x "$DRV" ] && [ -f "$SO" ] || skip_all "gluster plugin or driver not built"

lab_init gl || skip_all "cannot build the lab"
# a signal must still tear the lab down (lab.sh traps EXIT only)
trap 'exit 1' HUP INT TERM PIPE
IP1=198.51.100.31 IP2=198.51.100.32 IP3=198.51.100.33 IP4=198.51.100.34
lab_host h1 $IP1
lab_host h2 $IP2
lab_host h3 $IP3
lab_host h4 $IP4
# hosts come up in parallel: the suite has a time budget
# (wait for these pids only: the lab's holder processes are children too)
pids=
for h in h1 h2 h3 h4; do
	(lab_start_glusterd $h >"$LAB_DIR/$h/start.out" 2>&1; echo $? >"$LAB_DIR/$h/start.rc") &
	pids="$pids $!"
done
for h in h1 h2 h3; do lab_brick_fs $h /data/glusterfs/bricks || skip_all "no loop device for bricks"; done
wait $pids
for h in h1 h2 h3 h4; do [ "$(cat "$LAB_DIR/$h/start.rc")" = 0 ] || skip_all "glusterd did not start on $h"; done

T0=$(date +%s)
at() { diag "$* (t=$(($(date +%s) - T0)) s)"; }
at "lab up"
MNT=/data/GlusterFS/0001
REC=/var/lib/clusterctl/gluster-records.json
# fstab inside the host's own /etc/clusterctl (the real /etc is shared)
COMMON="--set gluster-fstab=/etc/clusterctl/fstab --set gluster-persist-mount=true"
drv() { h=$1; shift; lab_exec "$h" "$DRV" "$SO" $COMMON "$@" 2>>"$LAB_DIR/$h/driver.log"; }
g() { h=$1; shift; lab_exec "$h" gluster --mode=script --xml "$@"; }
not() { ! "$@"; }
# a volume's name appears in `gluster volume info` on host $1
has_volume() { lab_exec "$1" gluster --mode=script --xml volume info "$2" 2>/dev/null | grep -q "<name>$2</name>"; }
mounted() { lab_exec "$1" awk -v m="$MNT" '$2 == m && $3 == "fuse.glusterfs" {f=1} END {exit !f}' /proc/mounts; }

# ---- master init -------------------------------------------------------
out=$(drv h1 --set ip=$IP1 master-prepare)
is "$(echo "$out" | jq -r .rc)" 0 "master-prepare on h1 succeeds"
is "$(echo "$out" | jq -r .converged)" true "and reports converged"
like "$(echo "$out" | jq -r .message)" "created and started" "it created and started the volume"
info=$(g h1 volume info clusterctl)
is "$(echo "$info" | xmlval statusStr)" Started "volume clusterctl is started"
is "$(echo "$info" | xmlval brickCount)" 1 "with the master's one brick"
like "$info" "$IP1:/data/glusterfs/bricks/clusterctl" "named by the master's address"
check "h1 has it mounted at $MNT" mounted h1
is "$(echo "$out" | jq -r .observed.Mounted)" true "master's Observed says mounted"

at "nodes converge"
obs=$(drv h2 observe)
is "$(echo "$obs" | jq -r .observed.Capable)" true "h2 observes itself GlusterCapable (glusterd, brick fs)"
obs=$(drv h4 observe)
is "$(echo "$obs" | jq -r .observed.Capable)" false "h4 (no brick file system) is not"

# ---- nodes converge through plan + ensure --------------------------------
converge() { # converge HOST IP -> one round; sets conv_HOST
	h=$1 ip=$2
	obs=$(cat "$LAB_DIR/$h/obs.json" 2>/dev/null) || obs=
	[ -n "$obs" ] || obs=$(drv "$h" observe | jq -c .observed)
	ans=$(drv h1 plan "$h" "$ip" 1 "$obs" $REC)
	echo "$ans" >"$LAB_DIR/$h/last-plan.json"
	pl=$(echo "$ans" | jq -c .payload)
	res=$(drv "$h" ensure "$pl")
	echo "$res" >"$LAB_DIR/$h/last-ensure.json"
	echo "$res" | jq -c .observed >"$LAB_DIR/$h/obs.json"
	[ "$(echo "$res" | jq -r .converged)" = true ]
}
done2=1 done3=1 rounds=0
while [ $rounds -lt 12 ] && { [ $done2 -ne 0 ] || [ $done3 -ne 0 ]; }; do
	rounds=$((rounds + 1))
	[ $done2 -ne 0 ] && { converge h2 $IP2; done2=$?; }
	[ $done3 -ne 0 ] && { converge h3 $IP3; done3=$?; }
done
diag "converged after $rounds round(s)"
ok $done2 "h2 converged"
ok $done3 "h3 converged"
[ $done2 -eq 0 ] && [ $done3 -eq 0 ] || {
	for h in h2 h3; do diag "$h plan: $(cat "$LAB_DIR/$h/last-plan.json")"; diag "$h ensure: $(cat "$LAB_DIR/$h/last-ensure.json")"; done
}
ans=$(cat "$LAB_DIR/h3/last-plan.json")
is "$(echo "$ans" | jq -r .brick)" /data/glusterfs/bricks/clusterctl "GlusterBrick for h3"
is "$(echo "$ans" | jq -r .volume)" clusterctl "GlusterVolume"
is "$(echo "$ans" | jq -r .mount)" $MNT "GlusterMount"
# plan must not wait on the gluster CLI (a background thread does that, and
# one CLI call takes seconds): a guard against a synchronous call, not a
# speed target (bench/ holds those).
ok "$([ "$(echo "$ans" | jq -r .plan_ms)" -lt 1000 ]; echo $?)" "plan does not wait on the gluster CLI ($(echo "$ans" | jq -r .plan_ms) ms)"

info=$(g h1 volume info clusterctl)
is "$(echo "$info" | xmlval replicaCount)" 3 "the volume is replica 3"
is "$(echo "$info" | xmlval brickCount)" 3 "with 3 bricks"
is "$(echo "$info" | xmlval statusStr)" Started "and started"
for ip in $IP1 $IP2 $IP3; do
	like "$info" "<name>$ip:/data/glusterfs/bricks/clusterctl</name>" "one brick on $ip"
done
peers=$(g h1 peer status)
is "$(echo "$peers" | grep -c '<stateStr>Peer in Cluster</stateStr>')" 2 "h2 and h3 are 'Peer in Cluster'"
for h in h1 h2 h3; do check "$h has the volume mounted" mounted $h; done
for h in h2 h3; do
	lab_exec $h getfattr -n trusted.glusterfs.volume-id -e hex /data/glusterfs/bricks/clusterctl >/dev/null 2>&1
	ok $? "$h's brick carries the volume-id attribute"
done

at "data through"
# ---- data through the volume -------------------------------------------
like "$(cat "$LAB_DIR/h1/driver.log")" "gluster volume heal volume=clusterctl full (replica 2 -> 3)" \
	"raising the replica count started a full heal"
check "which glusterd accepted" not grep -q "volume heal clusterctl full failed" "$LAB_DIR/h1/driver.log"
gl_data_through h2 h3 h1

# ---- persistent mount entry ----------------------------------------------
fst=$(lab_exec h2 cat /etc/clusterctl/fstab 2>&1)
like "$fst" " $MNT glusterfs " "h2's fstab has the volume entry"
like "$fst" "_netdev" "with _netdev"
like "$fst" "x-systemd.requires=glusterd.service" "ordered after glusterd (h2 holds a brick)"
like "$fst" "backup-volfile-servers=" "with backup volfile servers"
lab_exec h3 umount $MNT
lab_exec h3 mount -T /etc/clusterctl/fstab $MNT
check "the fstab entry mounts the volume (mount -T)" mounted h3

at "re-running"
# ---- re-running every step changes nothing --------------------------------
# (one pass first: a node that converged before the last brick joined
# refreshes its fstab entry's backup servers once)
converge h2 $IP2
before=$(g h1 volume info clusterctl | grep -v '<opErrstr' )
sum2=$(lab_exec h2 md5sum /etc/clusterctl/fstab)
out=$(drv h1 --set ip=$IP1 master-prepare)
is "$(echo "$out" | jq -r .rc)" 0 "master-prepare again: success"
like "$(echo "$out" | jq -r .message)" "started" "master-prepare again: volume already there"
for h in h2 h3; do
	ip=$(lab_ip $h)
	converge $h $ip
	ok $? "$h: one more plan + ensure is converged at once"
	is "$(jq -r .payload.Step "$LAB_DIR/$h/last-plan.json")" mount "$h: step is mount"
	is "$(jq -r .waiting "$LAB_DIR/$h/last-plan.json")" false "$h: not waiting"
done
after=$(g h1 volume info clusterctl | grep -v '<opErrstr')
is "$after" "$before" "volume info unchanged by the re-run"
is "$(lab_exec h2 md5sum /etc/clusterctl/fstab)" "$sum2" "fstab unchanged by the re-run"
is "$(lab_exec h2 grep -c " $MNT " /etc/clusterctl/fstab)" 1 "still one fstab entry"

at "failures"
# ---- failures ------------------------------------------------------------
# glusterd down (h3 holds a brick; its brick process keeps serving)
lab_exec h3 sh -c 'kill $(cat /run/glusterd.pid)'
for _ in $(seq 1 50); do lab_exec h3 gluster --mode=script pool list >/dev/null 2>&1 || break; sleep 0.1; done
pl=$(jq -c .payload "$LAB_DIR/h3/last-plan.json")
out=$(drv h3 ensure "$pl")
is "$(echo "$out" | jq -r .rc)" -111 "ensure on a brick node with glusterd down fails"
like "$(echo "$out" | jq -r .error)" "glusterd is not running" "naming glusterd"
like "$(echo "$out" | jq -r .error)" "systemctl enable --now glusterd" "and what to do"
out=$(drv h3 --set ip=$IP3 master-prepare)
like "$(echo "$out" | jq -r .error)" "glusterd is not running" "master-prepare with glusterd down says so"
lab_start_glusterd h3

at "h4 forms"
# h4 forms its own pool with a volume "other" (two plain bricks)
lab_exec h4 mkdir -p /data/o
g h4 volume create other $IP4:/data/o/b1 $IP4:/data/o/b2 force >/dev/null
out=$(drv h4 --set ip=$IP4 --set gluster-volume=other master-prepare)
is "$(echo "$out" | jq -r .rc)" -17 "an existing volume of another layout: refused"
like "$(echo "$out" | jq -r .error)" "layout clusterctl cannot manage" "names the layout problem"
like "$(echo "$out" | jq -r .error)" "never reshapes or deletes" "and promises nothing is removed"
check "volume other is still there" has_volume h4 other

# a brick path that belongs to another volume
out=$(drv h4 --set ip=$IP4 --set gluster-volume=b1 --set gluster-brick-dir=/data/o --set gluster-allow-root-brick=true master-prepare)
is "$(echo "$out" | jq -r .rc)" -17 "a brick directory of another volume: refused"
like "$(echo "$out" | jq -r .error)" "trusted.glusterfs.volume-id" "names the volume-id attribute"
like "$(echo "$out" | jq -r .error)" "RECOVERY" "points to the recovery section"
check "the other volume's brick is untouched" lab_exec h4 test -d /data/o/b1
bad=$(jq -c '.payload | .VolumeId = "00000000-0000-0000-0000-000000000001" | .BrickInVolume = false' "$LAB_DIR/h2/last-plan.json")
out=$(drv h2 ensure "$bad")
like "$(echo "$out" | jq -r .error)" "already belongs to another GlusterFS volume" "node: a brick with another volume's id is refused"
# A controller answering from a read older than the add-brick: "prepare
# the brick again" for a brick that is in the volume.  The node asks its
# own glusterd first and keeps the volume's id on the brick.
stale=$(jq -c '.payload | .Step = "prepare-brick" | .BrickInVolume = false' "$LAB_DIR/h2/last-plan.json")
out=$(drv h2 ensure "$stale")
is "$(echo "$out" | jq -r .rc)" 0 "node: a stale 'prepare the brick again' for a brick in the volume is no error"
check "the brick keeps the volume's id" lab_exec h2 getfattr -n trusted.glusterfs.volume-id /data/glusterfs/bricks/clusterctl
like "$(cat "$LAB_DIR/h2/driver.log")" "gluster brick /data/glusterfs/bricks/clusterctl is in volume clusterctl here: its volume-id stays" \
	"because this host's glusterd lists it"

# a brick on the root file system: a directory directly under / (the
# lab's /data lives wherever $LAB_BASE does, often a tmpfs /tmp, which is
# no root file system), removed again at once
ROOTB=/clusterctl-lab-$LAB_ID-rootbricks
lab_exec h4 mkdir -p $ROOTB
is "$(lab_exec h4 stat -c %d $ROOTB)" "$(lab_exec h4 stat -c %d /)" "(the brick directory $ROOTB is on /)"
out=$(drv h4 --set ip=$IP4 --set gluster-volume=rv --set gluster-brick-dir=$ROOTB master-prepare)
like "$(echo "$out" | jq -r .error)" "on the root file system" "a brick on the root fs is refused"
like "$(echo "$out" | jq -r .error)" "--gluster-allow-root-brick" "naming the override"
check "nothing was created for it" not lab_exec h4 test -e $ROOTB/rv
check "and nothing half-done: the volume was not created" not has_volume h4 rv
lab_exec h4 rmdir $ROOTB

at "a peer that cannot"
# a peer that cannot be probed, and a peer of another pool (extra-bricks
# gives them bricks although the volume has its 3 replicas)
XREC=/var/lib/clusterctl/gluster-records-x.json
obs='{"Glusterd":true,"BrickDir":"/data/glusterfs/bricks","Brick":"/data/glusterfs/bricks/clusterctl"}'
out=$(drv h1 --set gluster-extra-bricks=true plan h9 198.51.100.39 1 "$obs" $XREC)
is "$(echo "$out" | jq -r .waiting)" true "unreachable peer: the node is told to wait"
like "$(echo "$out" | jq -r .message)" "cannot probe 198.51.100.39" "the message names the peer"
like "$(echo "$out" | jq -r .message)" "24007" "and the ports to check"
out=$(drv h1 --set gluster-extra-bricks=true plan h4 $IP4 1 "$obs" $XREC)
is "$(echo "$out" | jq -r .rc)" -5 "a peer of another pool: plan fails (the core answers Status error)"
like "$(echo "$out" | jq -r .error)" "belongs to another pool" "naming the other pool"
like "$(echo "$out" | jq -r .error)" "peer detach" "and what to do"
out=$(drv h4 ensure '{"Version":1,"Step":"error","Error":"h4 belongs to another pool"}')
like "$(echo "$out" | jq -r .error)" "another pool" "a node given an error step fails with its reason"
is "$(g h1 volume info clusterctl | xmlval brickCount)" 3 "the volume is unchanged by the failed joins"

at "a mount that fails"
# a mount that fails, and a different volume at the mount path
fail=$(jq -c '.payload | .Volume = "nosuch" | .Mount = "/data/failmount" | .Brick = ""' "$LAB_DIR/h3/last-plan.json")
out=$(drv h3 ensure "$fail")
like "$(echo "$out" | jq -r .error)" "mounting volume nosuch" "a failing mount is reported"
like "$(echo "$out" | jq -r .error)" "/var/log/glusterfs/" "with the client log to read"
check "nothing is left mounted there" not lab_exec h3 mountpoint -q /data/failmount
other=$(jq -c '.payload | .Volume = "other" | .Brick = ""' "$LAB_DIR/h3/last-plan.json")
out=$(drv h3 ensure "$other")
like "$(echo "$out" | jq -r .error)" "already a mount point of something else" "another volume at the mount path: refused"
check "h3's mount is left alone" mounted h3

# after all that, nothing was lost and a retry converges
is "$(lab_exec h3 cat $MNT/hello.txt 2>&1)" written-on-h2 "the data is still there"
converge h2 $IP2
ok $? "h2 converges again after the failures"
converge h3 $IP3
ok $? "h3 converges again after the failures"

done_testing
