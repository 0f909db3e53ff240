#!/bin/sh
# SPDX-License-Identifier: MIT
#
# What `make bench` runs inside the VM (tools/vm/vm-run -- tools/bench.sh),
# with ionode.ko, vivid and v4l2-glue/ionode_v4l2.ko loaded: frames per
# second through the ionode test mem2mem device with zero-copy ionode
# dma-bufs versus MMAP buffers plus a memcpy in and out, at two frame
# sizes. Extra arguments go to every bench_v4l2 run.
#
# Uses tools/bench_v4l2 when it was built (make -C tools bench_v4l2);
# otherwise compiles it into a temporary directory first.
set -eu
cd "$(dirname "$0")/.."

bench=tools/bench_v4l2
if [ ! -x "$bench" ] || [ tools/bench_v4l2.c -nt "$bench" ]; then
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	make -s -C tools lib >/dev/null
	${CC:-cc} -std=c11 -D_GNU_SOURCE -Wall -Wextra -O2 -Iuapi -Itools/lib \
		$(pkg-config --cflags libdrm) -o "$tmp/bench_v4l2" \
		tools/bench_v4l2.c tools/lib/libionode.a $(pkg-config --libs libdrm)
	bench=$tmp/bench_v4l2
fi

if [ ! -d /sys/module/ionode_v4l2 ]; then
	echo "bench.sh: ionode_v4l2.ko is not loaded (build v4l2-glue first)" >&2
	exit 77
fi

out=${VM_OUT:-}
for size in 640x480 1280x720; do
	echo "== $size"
	if [ -n "$out" ]; then
		"$bench" -s "$size" "$@" | tee -a "$out/bench.txt"
	else
		"$bench" -s "$size" "$@"
	fi
done
