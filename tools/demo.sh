#!/bin/sh
# The main job, on one machine: install what is needed, build clusterctl,
# and form a real 3-node Docker Swarm across three test hosts (network
# namespaces, each with its own dockerd, glusterd, a loop-mounted brick
# file system and wireguard-go; see tests/lab/lab.sh):
#   h1 198.51.100.11  master init + master serve
#   h2 198.51.100.12  node join --role manager (then its agent)
#   h3 198.51.100.13  node join --role worker (then its agent)
# all with --overlay-provider wireguard --storage-provider gluster: the
# Swarm runs on the WireGuard mesh's addresses, and a replica-3 GlusterFS
# volume, named by those addresses too, is mounted on every host.
#   --plain  the Swarm alone (overlay none, storage none, dockerd only)
#   --keep   leave the lab running (tear down: tools/demo.sh --down)
#   --down   remove a lab left by --keep
# Run as root.
set -u
cd "$(dirname "$0")/.." || exit 1
top=$(pwd)
top_srcdir=$top top_builddir=$top/_build # kept visible in the lab hosts (tests/lab/lab.sh)
die() { echo "demo: $*" >&2; exit 1; }
require_root() { [ "$(id -u)" -eq 0 ] || die "run as root (the lab uses network namespaces)"; }
require_cmd() { for c in "$@"; do command -v "$c" >/dev/null 2>&1 || die "needs $c"; done; }
skip_all() { die "$*"; }
. "$top/tests/lab/lab.sh"
plain="" keep=""
for a in "$@"; do
	case $a in
	--plain) plain=1 ;;
	--keep) keep=1 ;;
	--down) LAB_ID=demo; LAB_BR=clbrdemo; lab_down_quiet; echo "demo lab removed"; exit 0 ;;
	*) die "unknown option $a (use --plain, --keep or --down)" ;;
	esac
done

require_root
sh tools/deps-debian.sh || die "installing packages failed"
sh tools/build.sh || die "build failed"
make -s -C _build tests/plugins-installed/.stamp || die "staging plugins failed"
bin=$top/_build/clusterctl
export CLUSTERCTL_PLUGIN_DIR="$top/_build/tests/plugins-installed"
M=198.51.100.11:7000
if [ -n "$plain" ]; then
	FLAGS=
else
	FLAGS="--overlay-provider wireguard --storage-provider gluster"
	[ -e /dev/fuse ] || modprobe fuse 2>/dev/null
	[ -e /dev/fuse ] || die "GlusterFS mounts need /dev/fuse (modprobe fuse), or run with --plain"
fi

lab_init demo || die "cannot create the lab bridge"
[ -n "$keep" ] && trap - EXIT
for h in 1 2 3; do lab_host h$h 198.51.100.1$h || die "cannot create host h$h"; done
# the hosts' daemons start in parallel (wait for these only: the lab's
# holder processes are children too)
pids=
for h in h1 h2 h3; do
	( (lab_start_dockerd $h && { [ -n "$plain" ] || lab_start_glusterd $h; }) >"$LAB_DIR/$h/start.out" 2>&1
	  echo $? >"$LAB_DIR/$h/start.rc") &
	pids="$pids $!"
done
if [ -z "$plain" ]; then
	for h in h1 h2 h3; do lab_brick_fs $h /data/glusterfs/bricks || die "no loop device for the brick of $h"; done
fi
# shellcheck disable=SC2086
wait $pids
for h in h1 h2 h3; do
	[ "$(cat "$LAB_DIR/$h/start.rc")" = 0 ] || { cat "$LAB_DIR/$h/start.out"; die "daemons did not start on $h"; }
done

echo "== h1: clusterctl master init $FLAGS"
# shellcheck disable=SC2086
lab_exec h1 "$bin" master init $FLAGS || die "master init failed"
# shellcheck disable=SC2086
lab_exec h1 setsid "$bin" master serve $FLAGS </dev/null >"$LAB_DIR/h1/controller.log" 2>&1 &
lab_wait 20 lab_exec h1 bash -c 'exec 3<>/dev/tcp/127.0.0.1/7000' ||
	{ cat "$LAB_DIR/h1/controller.log"; die "controller did not start"; }
secret=$(lab_exec h1 cat /data/GlusterFS/0001/orchestration/join-secret)
# Only the manager token makes a manager (the join token makes workers).
mtoken=$(lab_exec h1 cat /data/GlusterFS/0001/orchestration/manager-secret)
for n in "h2 manager" "h3 worker"; do
	# shellcheck disable=SC2086
	set -- $n
	echo "== $1: clusterctl node join --master $M --role $2 $FLAGS"
	# shellcheck disable=SC2086
	tok=$secret
	[ "$2" = manager ] && tok=$mtoken
	lab_exec $1 env CLUSTERCTL_JOIN_SECRET="$tok" "$bin" node join --master $M --role $2 $FLAGS ||
		die "node join on $1 failed"
	# What clusterctl-agent.service does: keep the node in step.  Over the
	# WireGuard mesh h2 learns h3's key only through its agent, and h3's
	# brick joins the volume only once h2's glusterd reaches h3: a short
	# heartbeat (the service's default is 30 s) keeps the demo quick.
	# shellcheck disable=SC2086
	lab_spawn $1 agent env CLUSTERCTL_JOIN_SECRET="$tok" "$bin" agent --master $M --role $2 $FLAGS \
		--heartbeat-interval 5
done
echo "== the Swarm, as Docker sees it (docker node ls on h1)"
lab_exec h1 docker -H unix:///run/docker.sock node ls
echo "== the cluster, as the controller sees it (clusterctl status on h1)"
lab_exec h1 "$bin" status
if [ -z "$plain" ]; then
	handshakes() { # HOST: peers with a handshake in the last 3 minutes
		lab_exec "$1" wg show wg0 latest-handshakes |
			awk -v now="$(date +%s)" '$2 > 0 && now - $2 < 180 {r++} END {print r+0}'
	}
	mesh() { [ "$(handshakes h1)" = 2 ] && [ "$(handshakes h2)" = 2 ] && [ "$(handshakes h3)" = 2 ]; }
	lab_wait 30 mesh || echo "demo: (the WireGuard mesh is not complete yet)"
	echo "== the WireGuard mesh (wg show on h1)"
	lab_exec h1 wg show wg0
	echo "== the GlusterFS volume (gluster volume info on h1)"
	lab_exec h1 gluster volume info clusterctl
	echo "== a file written on h2, read on h3 (/data/GlusterFS/0001)"
	msg="written on h2 at $(date -u +%H:%M:%S)"
	lab_exec h2 sh -c "echo '$msg' > /data/GlusterFS/0001/hello.txt" || die "cannot write on h2's mount"
	echo "h2 wrote: $msg"
	lab_wait 30 lab_exec h3 grep -qxF "$msg" /data/GlusterFS/0001/hello.txt || die "h3 does not read h2's file"
	echo "h3 reads: $(lab_exec h3 cat /data/GlusterFS/0001/hello.txt)"
fi
echo "== controller log"
tail -n 10 "$LAB_DIR/h1/controller.log"
if [ -n "$keep" ]; then
	echo "lab kept in $LAB_DIR; run commands with: nsenter --target \$(cat $LAB_DIR/h1/holder.pid) --net --mount --uts sh"
fi
if [ -n "$plain" ]; then
	echo "demo: 3-node Swarm formed"
else
	echo "demo: 3-node Swarm formed over the WireGuard mesh, with a replica-3 GlusterFS volume on every host"
fi
