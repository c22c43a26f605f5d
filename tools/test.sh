#!/bin/sh
# Run every test of clusterctl on a Debian 12 machine, as root:
#   1. the full suite (unit tests, and integration tests on a multi-host
#      lab in network namespaces with real dockerd, glusterd, wireguard-go),
#   2. the C unit tests, fuzz corpus replays and the controller's
#      integration tests (tests/controller.mk) again in an ASan/UBSan build,
#   3. every fuzz target under libFuzzer, ASan and UBSan for FUZZ_SECONDS
#      (default 15) each, one result per target (tests/fuzz/),
#   4. make distcheck (tarball, VPATH build, install/uninstall) with the
#      unit tests,
#   5. the Debian packages (make check-packages): built from the tarball,
#      lintian, reproducibility, the arm64 cross build with its unit tests
#      under qemu-user, and an install/purge in a fresh Debian 12 chroot.
# It installs its own packages, and ends with "N passed, N failed".
set -u
cd "$(dirname "$0")/.."
top=$(pwd)
[ "$(id -u)" -eq 0 ] || { echo "tools/test.sh: run as root (the lab uses network namespaces)" >&2; exit 1; }
sh tools/deps-debian.sh || { echo "tools/test.sh: installing packages failed" >&2; exit 1; }
autoreconf -fi >/dev/null 2>&1 || { echo "autoreconf failed" >&2; exit 1; }

pass=0 fail=0 skip=0 status=0
count_trs() { # count_trs DIR: add the .trs results below DIR to the totals
	p=$(find "$1" -name '*.trs' -exec cat {} + 2>/dev/null | grep -c '^:test-result: \(PASS\|XFAIL\)')
	f=$(find "$1" -name '*.trs' -exec cat {} + 2>/dev/null | grep -c '^:test-result: \(FAIL\|XPASS\|ERROR\)')
	s=$(find "$1" -name '*.trs' -exec cat {} + 2>/dev/null | grep -c '^:test-result: SKIP')
	pass=$((pass + p)) fail=$((fail + f)) skip=$((skip + s))
	echo "== $2: $p passed, $f failed, $s skipped"
}
show_failures() {
	find "$1" -name '*.log' -path '*tests/*' | while read -r log; do
		grep -q '^\(not ok\|Bail out!\)' "$log" 2>/dev/null || continue
		echo "---- $log"; grep -B2 -A8 '^\(not ok\|Bail out!\)' "$log" | head -60
	done
}

echo "== 1/5 full suite"
rm -rf _build && mkdir _build && cd _build
if ../configure --enable-werror --quiet >configure.out 2>&1 && make -j2 >make.out 2>&1; then
	make -j2 check >check.out 2>&1 || { status=1; show_failures .; }
else
	status=1; tail -30 configure.out make.out 2>/dev/null
	fail=$((fail + 1))
fi
cd "$top"; count_trs _build "full suite"

echo "== 2/5 unit tests and the controller's integration tests under ASan/UBSan"
rm -rf _build-san && mkdir _build-san && cd _build-san
if ../configure --enable-sanitizers --quiet >configure.out 2>&1 && make -j2 >make.out 2>&1; then
	units="$(make -s print-unit-tests) $(make -s print-controller-tests)"
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1 CLUSTERCTL_NO_DLCLOSE=1 \
		make -j2 check TESTS="$units" >check.out 2>&1 || { status=1; show_failures .; }
else
	status=1; tail -30 configure.out make.out 2>/dev/null
	fail=$((fail + 1))
fi
cd "$top"; count_trs _build-san "sanitizers"

# A target that cannot be built or run counts as a failure, never a skip.
echo "== 3/5 fuzz targets under libFuzzer, ASan and UBSan, ${FUZZ_SECONDS:-15} s each"
rm -rf _build-fuzz && mkdir _build-fuzz && cd _build-fuzz
if ../configure CC=clang --enable-fuzzing --quiet >configure.out 2>&1; then
	if ! make -j2 fuzz FUZZ_SECONDS="${FUZZ_SECONDS:-15}" >fuzz.out 2>&1; then
		status=1
		[ -n "$(find . -name '*.trs')" ] || { fail=$((fail + 1)); tail -30 fuzz.out; }
		show_failures .
	fi
else
	status=1; tail -30 configure.out
	fail=$((fail + 1))
fi
cd "$top"; count_trs _build-fuzz "fuzz"

echo "== 4/5 make distcheck"
cd _build
units=$(make -s print-unit-tests)
if make distcheck TESTS="$units" >distcheck.out 2>&1; then
	p=$(grep -c '^PASS: ' distcheck.out); pass=$((pass + p + 1))
	echo "== distcheck: archives ready, $p unit results passed in the VPATH build"
	# The tarball's integration tests need every file they source: the
	# archive must hold all that git tracks, but for the CI hook itself.
	if command -v git >/dev/null && git -C "$top" rev-parse --git-dir >/dev/null 2>&1; then
		tar tzf clusterctl-*.tar.gz | sed 's|^[^/]*/||' | sort >dist.lst
		missing=$(git -C "$top" ls-files | grep -vx -e .ci/run -e .gitignore | sort | comm -13 dist.lst -)
		if [ -z "$missing" ]; then
			pass=$((pass + 1)); echo "== dist: the tarball holds every tracked file"
		else
			status=1; fail=$((fail + 1)); echo "== dist: missing from the tarball (add to EXTRA_DIST):"; echo "$missing"
		fi
	fi
else
	status=1; fail=$((fail + 1)); tail -40 distcheck.out
fi
cd "$top"

echo "== 5/5 Debian packages"
t0=$(date +%s)
cd _build
rm -rf tests/packaging/*.log tests/packaging/*.trs
make check-packages >packages.out 2>&1 || { status=1; show_failures tests/packaging; }
cd "$top"; count_trs _build/tests/packaging "packages ($(($(date +%s) - t0)) s)"

echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ] || status=1
exit $status
