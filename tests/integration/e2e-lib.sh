# Helpers shared by the end-to-end lab tests that drive the product's own
# commands (wireguard-e2e.sh, gluster-e2e.sh, fullstack-e2e.sh); source
# after tests/tap.sh and tests/lab/lab.sh.  The test sets:
#   bin      the clusterctl binary
#   M        the controller's address (h1's LAN address:7000)
#   FLAGS    the provider flags every command gets (--overlay-provider ...)
#   secret   the join token, once master init has made it
#   mtoken   the manager token (join --role manager uses it)
# h1 is the master; the controller logs to $LAB_DIR/h1/controller.log.
# CT_WRAP="valgrind --leak-check=full --log-file=/tmp/vg.%p" runs the
# controller, node join and the agent under a checker (CLUSTERCTL_VALGRIND=DIR
# sets it: memcheck.sh).
. "$top_srcdir/tests/integration/memcheck.sh"

not() { ! "$@"; }
at() { diag "$* (t=$(($(date +%s) - T0)) s)"; } # a time mark; the test sets T0 once its lab is up

api() { # api HOST PATH: the host's Engine API
	lab_exec "$1" curl -sf --unix-socket /run/docker.sock "http://localhost/v1.41$2"
}

serve() { # start the controller on h1, wait for its port
	# shellcheck disable=SC2086
	lab_exec h1 setsid ${CT_WRAP:-} "$bin" master serve $FLAGS </dev/null >>"$LAB_DIR/h1/controller.log" 2>&1 &
	lab_wait 20 lab_exec h1 bash -c 'exec 3<>/dev/tcp/127.0.0.1/7000'
}

serve_pid() { lab_exec h1 cat "$state/controller.lock" 2>/dev/null | tr -dc 0-9; } # needs $state

join() { # join HOST [flags]: node join; output in $out, status in $rc
	local h=$1 tok=$secret
	shift
	case " $* " in *" --role manager "*) tok=${mtoken:-$secret} ;; esac
	# shellcheck disable=SC2086
	out=$(lab_exec "$h" env CLUSTERCTL_JOIN_SECRET="$tok" ${CT_WRAP:-} "$bin" node join $FLAGS --master "$M" \
		--join-deadline "${JOIN_DEADLINE:-60}" "$@" 2>&1)
	rc=$?
	printf '%s\n' "$out" >>"$LAB_DIR/$h/join.log"
	# a failure's last lines, so a run that fails says why without its lab
	[ $rc -eq 0 ] || printf '%s\n' "$out" | tail -n 3 | cut -c1-400 | sed "s/^/# $h join (exit $rc): /"
}

host_pid() { # host_pid HOST COMM: the processes named COMM in the host's network namespace
	local p
	for p in $(ip netns pids "cl$LAB_ID$1"); do
		[ "$(cat /proc/"$p"/comm 2>/dev/null)" = "$2" ] && echo "$p"
	done
}

# ---- WireGuard -------------------------------------------------------------
wgaddr() { lab_exec "$1" ip -4 -o addr show dev wg0 | awk '{print $4}'; }
wgkey() { lab_exec "$1" wg show wg0 public-key; }
ifindex() { lab_exec "$1" ip -o link show dev wg0 | cut -d: -f1; } # a recreated wg0 gets a new one
peers() { lab_exec "$1" wg show wg0 peers | sort | tr '\n' ' '; }
has_peer() { lab_exec "$1" wg show wg0 peers | grep -qxF "$2"; }
# handshakes HOST: "peers/recent" from wg show latest-handshakes
handshakes() {
	local now
	now=$(date +%s)
	lab_exec "$1" wg show wg0 latest-handshakes |
		awk -v now="$now" 'NF == 2 {n++; if ($2 > 0 && now - $2 < 180) r++} END {print n+0 "/" r+0}'
}
full_mesh() { [ "$(handshakes h1)" = 2/2 ] && [ "$(handshakes h2)" = 2/2 ] && [ "$(handshakes h3)" = 2/2 ]; }
