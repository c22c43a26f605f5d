# Helpers shared by the gluster lab tests (gluster-lab.sh, gluster-e2e.sh,
# fullstack-e2e.sh);
# source after tests/tap.sh and tests/lab/lab.sh.  The volume is
# "clusterctl" with bricks at /data/glusterfs/bricks/clusterctl, mounted
# at /data/GlusterFS/0001 (the FUSE client logs to
# /var/log/glusterfs/data-GlusterFS-0001.log).

# gl_data_through WRITER READER... : a file written through WRITER's mount
# is read through every READER's, and reaches every host's brick.
gl_data_through() {
	local w=$1 h mnt=/data/GlusterFS/0001 brick=/data/glusterfs/bricks/clusterctl
	shift
	# A client mounted before the third brick joined loads the new graph
	# a moment after glusterd announces it; a write through the old graph
	# never reaches the new brick until a heal crawls the volume.  So wait
	# for every client to reach the third brick first.
	for h in $w "$@"; do
		lab_wait 30 lab_exec "$h" grep -q "clusterctl-client-2: Connected" \
			/var/log/glusterfs/data-GlusterFS-0001.log ||
			diag "$h's client log does not show it connected to the third brick"
	done
	lab_exec "$w" sh -c "echo written-on-$w > $mnt/hello.txt"
	for h in "$@"; do
		is "$(lab_exec "$h" cat $mnt/hello.txt 2>&1)" "written-on-$w" \
			"a file written through $w's mount is read through $h's"
	done
	# Should a brick still lack the file, have a full heal copy it (what
	# the controller does after growing the volume) rather than wait on
	# the self-heal daemon's timing.
	for h in $w "$@"; do
		lab_wait 20 lab_exec "$h" test -f $brick/hello.txt || {
			diag "hello.txt not on $h's brick after 20 s: gluster volume heal clusterctl full"
			lab_exec "$w" gluster --mode=script volume heal clusterctl full >/dev/null 2>&1
			lab_wait 40 lab_exec "$h" test -f $brick/hello.txt ||
				{ lab_exec "$w" gluster --mode=script volume status clusterctl 2>&1 | sed 's/^/# status: /'
				  lab_exec "$h" tail -n 5 /var/log/glusterfs/glusterd.log 2>&1 | sed "s/^/# $h glusterd: /"
				  false; }
		}
		ok $? "the file is in $h's brick (replicated)"
	done
}

xmlval() { sed -n "s:.*<$1>\([^<]*\)</$1>.*:\1:p" | head -1; } # xmlval TAG: first <TAG>'s text on stdin
vinfo() { lab_exec h1 gluster --mode=script --xml volume info clusterctl; }
bricks() { vinfo | sed -n 's:.*<brick uuid="[^"]*">\([^<]*\)<.*:\1:p' | sort | tr '\n' ' '; } # "host:path ..." sorted
fstype() { lab_exec "$1" findmnt -n -o FSTYPE -T "$2"; }
is_fuse() { [ "$(fstype "$1" "$2")" = fuse.glusterfs ]; } # is_fuse HOST PATH: PATH is on a GlusterFS mount

# gl_hosts_up IP...: lab hosts h1, h2, ... with these addresses, each with
# its own dockerd, glusterd and a brick file system at
# /data/glusterfs/bricks.  The daemons start in parallel (the suite has a
# time budget; wait for these only: the lab's holders are children too).
gl_hosts_up() {
	local i=0 ip h pids=
	for ip in "$@"; do
		i=$((i + 1))
		lab_host h$i "$ip" || skip_all "cannot build lab host h$i"
	done
	for h in $LAB_HOSTS; do
		( (lab_start_dockerd "$h" && lab_start_glusterd "$h") >"$LAB_DIR/$h/start.out" 2>&1
		  echo $? >"$LAB_DIR/$h/start.rc") &
		pids="$pids $!"
	done
	for h in $LAB_HOSTS; do lab_brick_fs "$h" /data/glusterfs/bricks || skip_all "no loop device for bricks"; done
	# shellcheck disable=SC2086
	wait $pids
	for h in $LAB_HOSTS; do
		[ "$(cat "$LAB_DIR/$h/start.rc")" = 0 ] ||
			{ sed 's/^/# /' "$LAB_DIR/$h/start.out"; skip_all "dockerd or glusterd did not start on $h"; }
	done
}
