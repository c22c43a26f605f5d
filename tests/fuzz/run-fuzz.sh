#!/bin/sh
# Run one libFuzzer target as a TAP test: `make fuzz` passes this as the
# LOG_COMPILER of each tests/fuzz/fuzz-NAME built with --enable-fuzzing.
#
#   FUZZ_SECONDS   how long to fuzz (make fuzz: 300; tools/test.sh: 15)
#   FUZZ_RSS_MB    the process may not grow past this (libFuzzer's
#                  -rss_limit_mb; catches memory amplification)
#   FUZZ_MALLOC_MB no single allocation may be larger (-malloc_limit_mb)
#
# The seeds in $top_srcdir/tests/fuzz/corpus/NAME/ are read, never
# written; what libFuzzer learns goes to tests/fuzz/work/NAME/ in the
# build tree (kept between runs) and a finding to
# tests/fuzz/findings/NAME/.  Any finding (crash, sanitizer report, leak,
# hang, memory limit, broken invariant) fails the test; fix the parser,
# then copy the finding into the corpus so `make check` replays it.
set -u
prog=${1:?usage: run-fuzz.sh tests/fuzz/fuzz-NAME}
name=$(basename "$prog")
name=${name#fuzz-}
secs=${FUZZ_SECONDS:-300}
rss=${FUZZ_RSS_MB:-1024}
mal=${FUZZ_MALLOC_MB:-256}
seeds=${top_srcdir:-.}/tests/fuzz/corpus/$name
work=tests/fuzz/work/$name
findings=tests/fuzz/findings/$name
log=tests/fuzz/work/$name.log

echo 1..1
if [ ! -d "$seeds" ] || [ -z "$(ls -A "$seeds" 2>/dev/null)" ]; then
	echo "not ok 1 - fuzz $name: no seed corpus in $seeds"
	exit 1
fi
mkdir -p "$work" "$findings" || { echo "not ok 1 - fuzz $name: cannot create $work"; exit 1; }

ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1} \
"$prog" -max_total_time="$secs" -timeout=10 -rss_limit_mb="$rss" -malloc_limit_mb="$mal" \
	-close_fd_mask=3 -print_final_stats=1 -artifact_prefix="$findings/" \
	"$work" "$seeds" >"$log" 2>&1
rc=$?
cat "$log" >&2

runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
units=$(ls "$work" | wc -l)
if [ "$rc" -eq 0 ] && [ -n "$runs" ] && [ "$runs" -gt 0 ]; then
	echo "ok 1 - fuzz $name: $runs inputs in ${secs}s (ASan+UBSan, rss<${rss}MB, malloc<${mal}MB), no finding"
	exit 0
fi
echo "not ok 1 - fuzz $name: libFuzzer exited $rc after ${runs:-0} inputs"
grep -E '^(==[0-9]+==ERROR|SUMMARY|.*invariant broken|.*runtime error)' "$log" | head -5 | sed 's/^/#   /'
for f in "$findings"/*; do
	[ -f "$f" ] || continue
	echo "#   finding: $f"
	echo "#   reproduce: $prog $f   (or, without clang: a plain build's tests/fuzz/fuzz-$name $f)"
done
echo "#   $units inputs learnt so far in $work"
exit 1
