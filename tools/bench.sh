#!/bin/sh
# SPDX-License-Identifier: MIT
#
# What `make bench` runs inside the VM (tools/bench/run-bench, through
# tools/vm/vm-run -- tools/bench.sh), with ionode.ko, vgem, vivid and
# v4l2-glue/ionode_v4l2.ko loaded:
#
#  - bench_heaps: allocation, first touch, sync and import costs of
#    ionode's heaps next to the upstream allocators: the dma-buf heaps and
#    udmabuf (the kernel's when it has them, else the test-only modules in
#    build/bench/peers/, loaded here first when they were built for this
#    kernel: make -C tools/bench/peers) and vgem. Its figures go to
#    $VM_OUT/bench.json (tools/bench/report.py makes the tables);
#    BENCH_HEAPS_ARGS adds options (bench_heaps -h);
#  - bench_v4l2: frames per second through the ionode test mem2mem device
#    with zero-copy ionode dma-bufs versus MMAP buffers plus a memcpy in and
#    out, at two frame sizes. Extra arguments go to every bench_v4l2 run.
#
# Uses tools/bench_heaps and tools/bench_v4l2 when they were built (make -C
# tools); otherwise compiles them into a temporary directory first. Output
# is also appended to $VM_OUT/bench.txt when VM_OUT is set. BENCH_ONLY=heaps
# skips bench_v4l2.
set -eu
cd "$(dirname "$0")/.."

tmp=
# tool NAME: print the path of tools/NAME, compiled first if it is missing or
# older than its source.
tool() {
	if [ -x "tools/$1" ] && [ -z "$(find "tools/$1.c" -newer "tools/$1")" ]; then
		echo "tools/$1"
		return
	fi
	make -s -C tools lib >/dev/null
	# pkg-config's flags are meant to be split.
	# shellcheck disable=SC2046
	${CC:-cc} -std=c11 -D_GNU_SOURCE -Wall -Wextra -O2 -Iuapi -Itools/lib \
		$(pkg-config --cflags libdrm) -o "$tmp/$1" \
		"tools/$1.c" tools/lib/libionode.a $(pkg-config --libs libdrm)
	echo "$tmp/$1"
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
heaps=$(tool bench_heaps)
bench=$(tool bench_v4l2)

out=${VM_OUT:-}
# run CMD...: run CMD, its output also appended to $out/bench.txt; fails
# with CMD's exit status (sh has no pipefail).
run() {
	if [ -z "$out" ]; then
		"$@"
		return
	fi
	rc=0
	{ "$@" || rc=$?; echo "$rc" >"$tmp/rc"; } | tee -a "$out/bench.txt"
	return "$(cat "$tmp/rc")"
}

# load_peer NAME DEV: insmod build/bench/peers/NAME.ko unless DEV exists
# (the kernel has that allocator) or the module was built for another
# kernel.
load_peer() {
	ko=build/bench/peers/$1.ko
	[ ! -e "$2" ] && [ -f "$ko" ] || return 0
	if [ "$(modinfo -F vermagic "$ko" | cut -d' ' -f1)" != "$(uname -r)" ]; then
		echo "bench.sh: $ko is not built for $(uname -r), not loading it" >&2
		return 0
	fi
	echo "bench.sh: insmod $ko (test-only upstream peer)"
	insmod "$ko"
}
# /dev/dma_heap nodes with a "restricted" attribute are ionode's front door
# (ionode_dmaheap.c): measuring against them would compare ionode with
# itself. run-bench loads ionode with dmaheap_dir=ionode_dma_heap.
for a in /sys/class/dma_heap/*/restricted; do
	if [ -e "$a" ]; then
		echo "bench.sh: /dev/dma_heap is ionode's own (load ionode with dmaheap_dir=ionode_dma_heap)" >&2
		exit 1
	fi
done
load_peer ionode_peer_dma_heap /dev/dma_heap/system
load_peer ionode_peer_udmabuf /dev/udmabuf

echo "== heaps"
json=${out:-$tmp}/bench.json
# Options are meant to be split.
# shellcheck disable=SC2086
run "$heaps" -o "$json" ${BENCH_HEAPS_ARGS:-}
[ "${BENCH_ONLY:-}" != heaps ] || exit 0

if [ ! -d /sys/module/ionode_v4l2 ]; then
	echo "bench.sh: ionode_v4l2.ko is not loaded (build v4l2-glue first)" >&2
	exit 77
fi
for size in 640x480 1280x720; do
	echo "== $size"
	run "$bench" -s "$size" "$@"
done
