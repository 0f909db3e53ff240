#!/bin/sh
# SPDX-License-Identifier: MIT
# What `make demo` runs inside the VM, with ionode.ko, vgem, vivid,
# ionode_v4l2.ko and the test-only vkms.ko (the display) loaded.
# Pictures of what the display showed go to $VM_OUT (the directory vm-run
# shares with the host; `make demo` moves them to build/demo/), or to
# build/demo/ when run outside vm-run.
set -e
cd "$(dirname "$0")/.."
out=${VM_OUT:-build/demo}
mkdir -p "$out"

echo "== The heaps this ionode offers (tools/ionodectl heaps) =="
tools/ionodectl heaps
echo
tools/ionode_demo
tools/ionode_pipeline --snapshot "$out/display.png"
echo
echo "== ionode_cube: Mesa renders into ionode buffers, vkms shows them =="
echo "   (the cube textured with live vivid frames; every frame CRC-checked)"
# Mesa has no ionode_dri.so: its loader would say so before falling back
# to kms_swrast (dumb buffers); name kms_swrast directly to keep it quiet.
MESA_LOADER_DRIVER_OVERRIDE=kms_swrast \
	tools/ionode_cube -c 10 --video --snapshot "$out/cube.png"
