# The test lab: several "hosts" on one machine, each a network + mount +
# uts namespace with its own address, hostname, /run and daemon state
# (after shared/reference/test-lab.md).  Source it from a test:
#
#   . "$top_srcdir/tests/lab/lab.sh"
#   lab_init t3                 # unique short id (<= 4 chars) per test file
#   lab_host h1 198.51.100.11   # net ns + holder; dirs under $LAB_DIR/h1
#   lab_start_dockerd h1        # real dockerd inside h1, default paths
#   lab_exec h1 clusterctl ...  # run a command "on" h1
#   (teardown runs on EXIT)
#
# Inside a host every daemon uses its default paths (/run/docker.sock,
# /var/lib/docker, /var/lib/glusterd, /run/wireguard/*.sock, /tmp), and so
# does clusterctl (/var/lib/clusterctl, /data/...): per-host directories
# are bind-mounted over them in the host's private mount namespace.
# Addresses: the underlay is 198.51.100.0/24 (TEST-NET-2) on a private
# bridge; nothing leaves the machine.

LAB_HOSTS=""

lab_require() {
	require_root
	require_cmd ip nsenter unshare setsid
	[ -e /dev/net/tun ] || skip_all "needs /dev/net/tun"
}

lab_init() {
	# LAB_ID_PREFIX: a second run of the same test at the same time (the
	# memcheck run, valgrind-e2e.sh) gets lab names of its own.
	LAB_ID=${LAB_ID_PREFIX:-}$1
	LAB_DIR=${LAB_BASE:-/tmp}/clusterctl-lab-$LAB_ID
	LAB_BR=clbr$LAB_ID
	lab_require
	lab_down_quiet
	rm -rf "$LAB_DIR"
	mkdir -p "$LAB_DIR"
	ip link add "$LAB_BR" type bridge || return 1
	ip link set "$LAB_BR" up
	# dockerd in the root namespace sets FORWARD to DROP and bridged
	# traffic may pass iptables: let the lab bridge forward to itself.
	if command -v iptables >/dev/null 2>&1; then
		iptables -I FORWARD -i "$LAB_BR" -o "$LAB_BR" -j ACCEPT 2>/dev/null || true
	fi
	trap lab_down EXIT
}

# lab_host NAME IP [PREFIXLEN]
lab_host() {
	local name=$1 ip=$2 plen=${3:-24} ns=cl$LAB_ID$1 d=$LAB_DIR/$1
	mkdir -p "$d"/docker "$d"/glusterd "$d"/glusterlog "$d"/clusterctl "$d"/data "$d"/etc "$d"/tmp
	# Each host gets its own /tmp, as a real machine has: glusterd writes
	# /tmp/VOLUME.tcp-fuse.vol during add-brick, and three glusterds
	# committing one add-brick on one shared /tmp take each other's file
	# away ("failed to create volfile", "Commit failed on <peer>", a new
	# brick no client connects to).  The lab's own directory and the
	# source and build trees stay reachable inside at the same paths.
	local binds= p
	for p in "$LAB_DIR" ${top_srcdir:-} ${top_builddir:-}; do
		case $p in
		/tmp/*) mkdir -p "$d/tmp/${p#/tmp/}"; binds="$binds mount --bind $p $d/tmp/${p#/tmp/};" ;;
		esac
	done
	ip netns add "$ns"
	ip link add "v$LAB_ID$name" type veth peer name eth0 netns "$ns"
	ip link set "v$LAB_ID$name" master "$LAB_BR" up
	ip -n "$ns" addr add "$ip/$plen" dev eth0
	ip -n "$ns" link set eth0 up
	ip -n "$ns" link set lo up
	mkdir -p /var/lib/docker /var/lib/glusterd /var/log/glusterfs /var/lib/clusterctl /data /etc/clusterctl
	nsenter --net=/run/netns/"$ns" unshare --mount --uts --propagation private sh -c "
		hostname $name
		mount -t tmpfs tmpfs /run && mkdir -p /run/gluster /run/lock /run/wireguard /run/netns
		mount --bind $d/docker /var/lib/docker
		mount --bind $d/glusterd /var/lib/glusterd
		mount --bind $d/glusterlog /var/log/glusterfs
		mount --bind $d/clusterctl /var/lib/clusterctl
		mount --bind $d/data /data
		mount --bind $d/etc /etc/clusterctl
		$binds
		mount --rbind $d/tmp /tmp
		echo \$\$ > $d/holder.pid
		exec sleep infinity" </dev/null >/dev/null 2>"$d/holder.err" &
	for _ in $(seq 1 100); do
		[ -s "$d/holder.pid" ] && break
		sleep 0.05
	done
	[ -s "$d/holder.pid" ] || { echo "# lab: holder for $name did not start: $(cat "$d/holder.err" 2>/dev/null)"; return 1; }
	# The holder writes its pid before the exec: wait until the mounts are in place.
	for _ in $(seq 1 100); do
		lab_exec "$name" mountpoint -q /etc/clusterctl && break
		sleep 0.05
	done
	LAB_HOSTS="$LAB_HOSTS $name"
	eval "LAB_IP_$name=$ip"
}

lab_ip() { eval "echo \$LAB_IP_$1"; }

lab_exec() {
	local name=$1
	shift
	nsenter --target "$(cat "$LAB_DIR/$name/holder.pid")" --net --mount --uts "$@"
}

# Start a daemon in the host, detached, output to $LAB_DIR/NAME/LOGNAME.log
lab_spawn() {
	local name=$1 log=$2
	shift 2
	lab_exec "$name" setsid "$@" </dev/null >"$LAB_DIR/$name/$log.log" 2>&1 &
}

lab_wait() { # lab_wait SECONDS cmd...: poll until cmd succeeds
	local t=$1
	shift
	local end=$(($(date +%s) + t))
	while ! "$@" >/dev/null 2>&1; do
		[ "$(date +%s)" -ge "$end" ] && return 1
		sleep 0.2
	done
}

lab_start_dockerd() {
	local name=$1
	command -v dockerd >/dev/null 2>&1 || skip_all "needs dockerd (apt-get install docker.io)"
	lab_spawn "$name" dockerd dockerd --bridge=none --iptables=false --ip6tables=false \
		--host=unix:///run/docker.sock
	lab_wait 60 lab_exec "$name" curl -sf --unix-socket /run/docker.sock http://localhost/_ping ||
		{ echo "# lab: dockerd on $name did not come up"; tail -20 "$LAB_DIR/$name/dockerd.log" | sed 's/^/# /'; return 1; }
}

lab_start_glusterd() {
	local name=$1
	command -v glusterd >/dev/null 2>&1 || skip_all "needs glusterd (apt-get install glusterfs-server)"
	lab_exec "$name" glusterd -p /run/glusterd.pid --log-file=/var/log/glusterfs/glusterd.log
	lab_wait 30 lab_exec "$name" gluster --mode=script pool list ||
		{ echo "# lab: glusterd on $name did not come up"; return 1; }
}

# A loop-mounted XFS (or ext4) file system at MOUNTPOINT inside the host,
# so bricks need not sit on the root file system.
lab_brick_fs() {
	local name=$1 mnt=$2 size=${3:-300M} img=$LAB_DIR/$1/brick.img
	truncate -s "$size" "$img"
	if command -v mkfs.xfs >/dev/null 2>&1; then mkfs.xfs -q -f "$img"; else mkfs.ext4 -q -F "$img"; fi
	lab_exec "$name" mkdir -p "$mnt"
	lab_exec "$name" mount -o loop "$img" "$mnt"
}

lab_host_down() {
	local name=$1 ns=cl$LAB_ID$1 pids
	pids=$(ip netns pids "$ns" 2>/dev/null)
	[ -n "$pids" ] && kill $pids 2>/dev/null
	# LAB_STOP_GRACE seconds (3) for SIGTERM before SIGKILL: a program
	# under valgrind needs longer to check its leaks and exit.
	for _ in $(seq 1 $((${LAB_STOP_GRACE:-3} * 10))); do
		pids=$(ip netns pids "$ns" 2>/dev/null)
		[ -z "$pids" ] && break
		sleep 0.1
	done
	[ -n "$pids" ] && kill -9 $pids 2>/dev/null
	sleep 0.1
	ip netns del "$ns" 2>/dev/null
	ip link del "v$LAB_ID$name" 2>/dev/null
}

lab_down_quiet() {
	local ns
	for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep "^cl$LAB_ID"); do
		lab_host_down "${ns#cl$LAB_ID}"
	done
	# Loop devices of this lab's brick images.
	if command -v losetup >/dev/null 2>&1; then
		losetup -a 2>/dev/null | grep "clusterctl-lab-$LAB_ID/" | cut -d: -f1 |
			while read -r dev; do losetup -d "$dev" 2>/dev/null; done
	fi
	if ip link show "$LAB_BR" >/dev/null 2>&1; then
		ip link del "$LAB_BR" 2>/dev/null
		command -v iptables >/dev/null 2>&1 &&
			iptables -D FORWARD -i "$LAB_BR" -o "$LAB_BR" -j ACCEPT 2>/dev/null
	fi
	return 0
}

lab_down() {
	local rc=$?
	[ -n "${LAB_KEEP:-}" ] && { echo "# lab kept: $LAB_DIR"; return $rc; }
	lab_down_quiet
	return $rc
}
