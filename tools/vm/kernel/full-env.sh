# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0
#
# full-env.sh: sourced (never run) by the scripts that use ionode's full
# debug kernel (run-full-check, run-full-bench) to get the kernel and the
# modules built for it, and the environment tools/vm/vm-run needs to boot
# it:
#
#  1. installs what building the kernel needs (tools/install-deps.sh --full)
#     and gets the kernel from its cache, building it the first time
#     (tools/vm/kernel/build-full-kernel.sh, ~50 min; log in
#     build/full/kernel-build.log);
#  2. builds ionode.ko and ionode_v4l2.ko against it in build/full/ (a copy
#     of drm-driver/, v4l2-glue/ and uapi/: kbuild writes its objects next to
#     the sources, and the stock build in the source tree must survive), and
#     the userspace side with `make $FULL_ENV_MAKE` (default: tests, which
#     includes the tools).
#
# build/full/ is shared by every user of the full kernel in this tree: the
# lock on build/full/.lock taken in step 2 is held, on the file descriptor
# $lock, until the sourcing script exits, so its VM never runs modules
# another run is rebuilding.
#
# The sourcing script runs under bash with `set -euo pipefail`. Afterwards:
#   REPO     the repository root
#   kcache   the kernel's cache directory, kver its release
#   full     build/full/ (absolute)
# and exported, for tools/vm/vm-run (and tools/vm/run-tests):
#   VM_KERNEL, VM_MODROOT, KVER         the full kernel
#   IONODE_KO, IONODE_V4L2_KO           the modules built in build/full/
#   VM_APPEND                           plus "cma=128M kasan_multi_shot"
#   VM_MEM, VM_MEMMAP, IONODE_PARAMS    the stock tier's VM when unset (see
#                                       the Makefile)
# If the kernel cannot be built, the function full_env_failed is called
# when the sourcing script defined one (to print a summary line), then the
# script exits with status 1.
#
# Environment: IONODE_KERNEL_CACHE as build-full-kernel.sh; FULL_ENV_MAKE.

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
	echo "usage: . tools/vm/kernel/full-env.sh (from a bash script)" >&2
	exit 2
fi

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)

full_env_say() { printf '%s: %s\n' "$(basename "$0")" "$*"; }

# The stock tier's VM (see the Makefile), when not run through make.
export VM_MEM=${VM_MEM:-6G}
export VM_MEMMAP=${VM_MEMMAP-64M\$0x40000000 memmap=64M\$0x140000000}
export IONODE_PARAMS=${IONODE_PARAMS-carveout=64M@0x40000000,64M@0x140000000}
# The full kernel has dma-buf heaps of its own: ionode leaves /dev/dma_heap
# alone, and offers its heaps under /dev/ionode_dma_heap for ionode_dmaheap.
[[ $IONODE_PARAMS == *dmaheap_dir=* ]] ||
	export IONODE_PARAMS="$IONODE_PARAMS dmaheap_dir=ionode_dma_heap"

"$REPO/tools/install-deps.sh" --full

# 1. The kernel: cached, or built now (its output goes to stderr).
if ! kcache=$("$REPO/tools/vm/kernel/build-full-kernel.sh" --print-dir); then
	full_env_say "building the full kernel (once; ~50 min on 2 busy cores), log: build/full/kernel-build.log"
	mkdir -p "$REPO/build/full"
	if ! kcache=$("$REPO/tools/vm/kernel/build-full-kernel.sh" \
		2>"$REPO/build/full/kernel-build.log" | tail -n1); then
		tail -n 30 "$REPO/build/full/kernel-build.log" >&2
		full_env_say "kernel build failed (log: build/full/kernel-build.log)"
		if declare -F full_env_failed >/dev/null; then
			full_env_failed
		fi
		exit 1
	fi
fi
kver=$(<"$kcache/kver")
full_env_say "kernel $kver from $kcache ($(sed -n 's/^built .* in \([0-9]*\)s$/built in \1 s/p' "$kcache/complete"))"

# 2. The modules, out of the source tree, and the userspace side. One user
# of build/full/ at a time.
full=$REPO/build/full
mkdir -p "$full"
exec {lock}>"$full/.lock"
if ! flock -n "$lock"; then
	full_env_say "another full-kernel run (check or bench) is using build/full/, waiting for it"
	flock "$lock"
fi
rsync -a --delete --exclude='*.o' --exclude='*.ko' --exclude='*.mod' \
	--exclude='*.mod.c' --exclude='.*.cmd' --exclude='Module.symvers' \
	--exclude='modules.order' --exclude='.*.d' \
	"$REPO/drm-driver" "$REPO/uapi" "$full/"
if [[ -d $REPO/v4l2-glue ]]; then
	rsync -a --delete --exclude='*.o' --exclude='*.ko' \
		--exclude='*.mod' --exclude='*.mod.c' --exclude='.*.cmd' \
		--exclude='Module.symvers' --exclude='modules.order' --exclude='.*.d' \
		"$REPO/v4l2-glue" "$full/"
fi
full_env_say "building the modules against $kver in build/full/"
make -s -C "$full/drm-driver" KDIR="$kcache/build"
export IONODE_KO=$full/drm-driver/ionode.ko
if [[ -d $full/v4l2-glue ]]; then
	# Its Makefile links against ../drm-driver/Module.symvers: build/full's.
	make -s -C "$full/v4l2-glue" KDIR="$kcache/build"
	export IONODE_V4L2_KO=$full/v4l2-glue/ionode_v4l2.ko
fi
read -r -a full_env_make <<<"${FULL_ENV_MAKE:-tests}"
make -s -C "$REPO" "${full_env_make[@]}"

# For vm-run: the full kernel, a CMA area (cma=: ionode registers its "cma"
# heap, the kernel its CMA dma-heap) and every KASAN report, not only the
# first (kasan_multi_shot).
export VM_KERNEL=$kcache/bzImage VM_MODROOT=$kcache/modroot KVER=$kver
export VM_APPEND="${VM_APPEND:+$VM_APPEND }cma=128M kasan_multi_shot"
