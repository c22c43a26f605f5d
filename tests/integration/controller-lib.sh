# Helpers for the controller's integration tests: run the real binary on
# 127.0.0.1 with a temporary state dir and the none plugins, talk to it
# over bash's /dev/tcp.  Source after tests/tap.sh.
#
# These tests check protocol.md's wire format itself, so ct_start runs the
# controller with --insecure-plaintext (controller-tls.sh checks the TLS
# channel that is the default).

CLUSTERCTL=$top_builddir/clusterctl
# CT_WRAP="valgrind --leak-check=full" runs the controller under a checker
# (CLUSTERCTL_VALGRIND=DIR sets it: memcheck.sh).
. "$top_srcdir/tests/integration/memcheck.sh"
CT_DIR=$(mktemp -d "${TMPDIR:-/tmp}/clusterctl-ct.XXXXXX")
CT_PLUGINS=$CT_DIR/plugins
CT_PID=
CT_PORT=
CT_LOG=
mkdir -p "$CT_PLUGINS"
for p in overlay/none/.libs/overlay-none.so storage/none/.libs/storage-none.so; do
	[ -f "$top_builddir/plugins/$p" ] || skip_all "plugin $p not built"
	ln -s "$top_builddir/plugins/$p" "$CT_PLUGINS/"
done

ct_cleanup() {
	[ -n "$CT_PID" ] && kill -9 "$CT_PID" 2>/dev/null
	rm -rf "$CT_DIR"
}
trap ct_cleanup EXIT

# ct_secret STATE_DIR SECRET: what `master init` leaves behind.
ct_secret() {
	mkdir -p "$1"
	(umask 077 && printf '%s\n' "$2" >"$1/join-secret")
}

# ct_start STATE_DIR [flags...]: start a controller on an ephemeral port;
# sets CT_PID, CT_PORT, CT_LOG.  Returns non-zero if it did not come up.
ct_start() {
	local dir=$1
	shift
	CT_LOG=$CT_DIR/controller.$$.$RANDOM.log
	${CT_WRAP:-} "$CLUSTERCTL" master serve --plugin-dir "$CT_PLUGINS" --state-dir "$dir" \
		--listen 127.0.0.1:0 --docker-socket "$CT_DIR/no-docker.sock" --insecure-plaintext "$@" \
		>"$CT_LOG" 2>&1 &
	CT_PID=$!
	CT_PORT=
	for _ in $(seq 1 100); do
		CT_PORT=$(sed -n 's/.*controller listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$CT_LOG")
		[ -n "$CT_PORT" ] && return 0
		kill -0 "$CT_PID" 2>/dev/null || break
		sleep 0.05
	done
	return 1
}

# ct_stop SIGNAL: signal the controller, wait for it; sets CT_RC.
ct_stop() {
	kill -"$1" "$CT_PID" 2>/dev/null
	wait "$CT_PID" 2>/dev/null
	CT_RC=$?
	CT_PID=
}

# ct_req JSON: one request, print the one-line answer.
ct_req() {
	local line=
	exec 3<>"/dev/tcp/127.0.0.1/$CT_PORT" || return 1
	printf '%s' "$1" >&3
	IFS= read -r -t 15 line <&3
	exec 3<&-
	printf '%s\n' "$line"
}

# json_get JSON FILTER
json_get() { printf '%s' "$1" | jq -r "$2" 2>/dev/null; }

ct_status() { ct_req "{\"Query\":\"status\",\"JoinSecret\":\"$1\"}"; }

# reg HOSTNAME ROLE IP SECRET [extra json members]
reg() {
	ct_req "{\"Hostname\":\"$1\",\"Role\":\"$2\",\"IP\":\"$3\",\"JoinSecret\":\"$4\"${5:+,$5}}"
}
