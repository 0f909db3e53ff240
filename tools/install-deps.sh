#!/bin/bash
# install-deps.sh: install the Debian packages ionode's build, tests and
# demo need, on a fresh Debian 12 machine as on a prepared one. Quick when
# everything is there: it asks dpkg first and calls apt-get only for what
# is missing. With --full, also what building the debug kernel needs; with
# --bench, what `make bench`'s chart needs (python3-matplotlib).
set -euo pipefail

pkgs=(
	gcc make pkg-config kmod cpio xz-utils perl python3 python3-sphinx
	linux-image-amd64 linux-headers-amd64 linux-source-6.1
	qemu-system-x86 busybox-static
	libdrm-dev libdrm-tests v4l-utils sparse
	libgbm-dev libegl-dev libgles-dev libegl-mesa0 libgl1-mesa-dri
	dkms
	libpng-dev kmscube
)
for arg in "$@"; do
	case $arg in
	--full) pkgs+=(flex bison bc libelf-dev libssl-dev dwarves rsync) ;;
	--bench) pkgs+=(python3-matplotlib) ;;
	*) echo "usage: tools/install-deps.sh [--full] [--bench]" >&2; exit 2 ;;
	esac
done

missing=()
for p in "${pkgs[@]}"; do
	status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	[[ $status == "install ok installed" ]] || missing+=("$p")
done

if ((${#missing[@]})); then
	echo "install-deps: installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q
	apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# checkpatch.pl comes from the kernel source, shipped as a tarball.
src=/usr/src/linux-source-6.1
if [[ ! -x $src/scripts/checkpatch.pl && -f $src.tar.xz ]]; then
	echo "install-deps: unpacking $src.tar.xz"
	tar -C /usr/src -xf "$src.tar.xz"
fi
