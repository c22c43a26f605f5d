#!/bin/sh
# The main job, on one machine: install what is needed, build clusterctl,
# and form a real 3-node Docker Swarm across three test hosts (network
# namespaces with their own dockerd, see tests/lab/lab.sh):
#   h1 198.51.100.11  master init + master serve
#   h2 198.51.100.12  node join --role manager
#   h3 198.51.100.13  node join --role worker
# Run as root.  --keep leaves the lab running (tear down: tools/demo.sh --down).
set -u
cd "$(dirname "$0")/.."
top=$(pwd)
die() { echo "demo: $*" >&2; exit 1; }
require_root() { [ "$(id -u)" -eq 0 ] || die "run as root (the lab uses network namespaces)"; }
require_cmd() { for c in "$@"; do command -v "$c" >/dev/null 2>&1 || die "needs $c"; done; }
skip_all() { die "$*"; }
. "$top/tests/lab/lab.sh"
if [ "${1:-}" = --down ]; then LAB_ID=demo; LAB_BR=clbrdemo; lab_down_quiet; echo "demo lab removed"; exit 0; fi

require_root
sh tools/deps-debian.sh || die "installing packages failed"
sh tools/build.sh || die "build failed"
make -s -C _build tests/plugins-installed/.stamp || die "staging plugins failed"
bin=$top/_build/clusterctl
plugins=$top/_build/tests/plugins-installed
export CLUSTERCTL_PLUGIN_DIR=$plugins

lab_init demo || die "cannot create the lab bridge"
[ "${1:-}" = --keep ] && trap - EXIT
for h in 1 2 3; do
	lab_host h$h 198.51.100.1$h || die "cannot create host h$h"
	lab_start_dockerd h$h || die "dockerd did not start on h$h"
done
echo "== h1: clusterctl master init"
lab_exec h1 "$bin" master init || die "master init failed"
lab_exec h1 sh -c "exec setsid $bin master serve >$LAB_DIR/h1/controller.log 2>&1 &"
lab_wait 20 lab_exec h1 bash -c 'exec 3<>/dev/tcp/127.0.0.1/7000' ||
	{ cat "$LAB_DIR/h1/controller.log"; die "controller did not start"; }
secret=$(lab_exec h1 cat /data/GlusterFS/0001/orchestration/join-secret)
echo "== h2: clusterctl node join --role manager"
lab_exec h2 env CLUSTERCTL_JOIN_SECRET="$secret" "$bin" node join --master 198.51.100.11:7000 --role manager ||
	die "node join on h2 failed"
echo "== h3: clusterctl node join --role worker"
lab_exec h3 env CLUSTERCTL_JOIN_SECRET="$secret" "$bin" node join --master 198.51.100.11:7000 --role worker ||
	die "node join on h3 failed"
echo "== the Swarm, as Docker sees it (docker node ls on h1)"
lab_exec h1 docker -H unix:///run/docker.sock node ls
echo "== the cluster, as the controller sees it (clusterctl status on h1)"
lab_exec h1 "$bin" status
echo "== controller log"
tail -n 20 "$LAB_DIR/h1/controller.log"
if [ "${1:-}" = --keep ]; then
	echo "lab kept in $LAB_DIR; run commands with: nsenter --target \$(cat $LAB_DIR/h1/holder.pid) --net --mount --uts sh"
fi
echo "demo: 3-node Swarm formed"
