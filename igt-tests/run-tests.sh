#!/bin/sh
# SPDX-License-Identifier: MIT
#
# Run the ionode IGT-style test binaries and summarise.
#
#   igt-tests/run-tests.sh [TEST...] [-- ARGS]
#
# TEST defaults to every binary in igt-tests/build/; ARGS are passed to each
# binary (e.g. -- --run-subtest 'bad-*'). Each binary's output is shown as
# it runs. Exit status: 0 if no subtest failed and at least one passed,
# 77 if everything was skipped (no ionode device), 1 if anything failed or a
# binary crashed.
set -u

here=$(cd "$(dirname "$0")" && pwd)
# The one reader of IGT results, shared with tools/vm/run-tests (make check).
results=$here/../tools/vm/results.py
tests=""
while [ $# -gt 0 ]; do
	case "$1" in
	--) shift; break ;;
	*) tests="$tests $1"; shift ;;
	esac
done
[ -n "$tests" ] || tests="ionode_basic ionode_mmap ionode_mmap_fault ionode_prime ionode_heaps ionode_heaps_accounting ionode_heaps_policy ionode_heaps_stress ionode_fault ionode_v4l2 ionode_v4l2_share ionode_v4l2_hostile ionode_peers ionode_unbind ionode_stress ionode_security ionode_pool ionode_mesa ionode_dumb"

pass=0 fail=0 skip=0 bad_bins=""
log=$(mktemp)
rcfile=$(mktemp)
trap 'rm -f "$log" "$rcfile"' EXIT

for t in $tests; do
	bin="$here/build/$t"
	if [ ! -x "$bin" ]; then
		echo "run-tests: $bin not built (make -C igt-tests)" >&2
		bad_bins="$bad_bins $t"
		continue
	fi
	echo "=== $t"
	{ "$bin" "$@" 2>&1; echo $? >"$rcfile"; } | tee "$log"
	rc=$(cat "$rcfile")
	# p, f and s: its results passed, failed (FAIL, CRASH, TIMEOUT...)
	# and skipped, counted as IGT counts: each dynamic subtest is a
	# result, and so is a subtest without dynamic results (or one that
	# failed on its own).
	p=0 f=0 s=0
	eval "$("$results" subtests "$log")" || exit
	pass=$((pass + p)); fail=$((fail + f)); skip=$((skip + s))
	case "$rc" in
	0|77) ;;
	79) # A --run-subtest filter that matches nothing in this binary.
	    [ $# -gt 0 ] && [ $((p + f + s)) -eq 0 ] ||
		bad_bins="$bad_bins $t(exit-79)" ;;
	98) [ "$f" -gt 0 ] || bad_bins="$bad_bins $t(exit-98)" ;;
	*) echo "run-tests: $t exited with status $rc" >&2
	   bad_bins="$bad_bins $t(exit-$rc)" ;;
	esac
done

echo "=== summary"
[ -z "$bad_bins" ] || echo "binaries with problems:$bad_bins"
echo "total: $pass passed, $fail failed, $skip skipped"
if [ "$fail" -gt 0 ] || [ -n "$bad_bins" ]; then
	exit 1
fi
if [ "$pass" -eq 0 ]; then
	exit 77
fi
exit 0
