# TAP helpers for shell tests; source it: . "$top_srcdir/tests/tap.sh"
# A test that cannot run calls skip_all "reason": on a developer machine
# that is a SKIP, under CI=true it is a failure (Bail out!), never a pass.
tap_n=0
tap_failed=0

plan() { echo "1..$1"; }
ok() { # ok CONDITION-EXIT-STATUS "description"
	tap_n=$((tap_n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $tap_n - $2"
	else
		echo "not ok $tap_n - $2"
		tap_failed=$((tap_failed + 1))
	fi
}
# check "description" command args...: runs it, ok when it exits 0
check() {
	local d=$1; shift
	if "$@" >/dev/null 2>&1; then ok 0 "$d"; else ok 1 "$d"; fi
}
is() { # is GOT WANT "description"
	if [ "$1" = "$2" ]; then ok 0 "$3"; else ok 1 "$3"; echo "#   got '$1', want '$2'"; fi
}
like() { # like HAYSTACK NEEDLE "description"
	case $1 in
	*"$2"*) ok 0 "$3" ;;
	*) ok 1 "$3"; printf '#   %s\n' "does not contain '$2':" "$(printf '%s' "$1" | head -c 2000)" ;;
	esac
}
diag() { echo "# $*"; }
skip_all() {
	if [ "${CI:-}" = true ]; then
		echo "Bail out! required for CI but unavailable: $*"
		exit 99
	fi
	echo "1..0 # SKIP $*"
	exit 0
}
done_testing() {
	echo "1..$tap_n"
	[ "$tap_failed" -eq 0 ]
}
require_root() { [ "$(id -u)" -eq 0 ] || skip_all "needs root"; }
require_cmd() { for c in "$@"; do command -v "$c" >/dev/null 2>&1 || skip_all "needs $c"; done; }
