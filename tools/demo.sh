#!/bin/sh
# SPDX-License-Identifier: MIT
# What `make demo` runs inside the VM, with ionode.ko and vgem loaded.
set -e
cd "$(dirname "$0")/.."

echo "== The heaps this ionode offers (tools/ionodectl heaps) =="
tools/ionodectl heaps
echo
tools/ionode_demo
tools/ionode_pipeline
