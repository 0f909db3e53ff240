#!/bin/bash
# build-full-kernel.sh: build ionode's "full" test kernel once and cache it.
#
# The kernel is Debian's linux-source-6.1 (the source of the stock Debian
# kernel) configured as x86_64_defconfig + kvm_guest.config + full.config
# (next to this script): KASAN, kmemleak, lockdep, DMA-API debug, fault
# injection, KUnit, CMA/dma-buf heaps, vgem/vkms, vivid/vim2m, and the
# virtio/9p/overlay drivers built in so the VM's initramfs needs no modules.
#
# The result lives outside the repository, in
#   $IONODE_KERNEL_CACHE/<key>/   (default /var/cache/ionode/kernel/<key>/)
# where <key> hashes the linux-source-6.1 package version, full.config and
# SCRIPT_VERSION, so changing any of them builds a new kernel. The directory
# holds:
#   bzImage                       the kernel image
#   kver                          its release string (e.g. 6.1.192-ionode-full)
#   modroot/lib/modules/<kver>/   installed (stripped) modules, depmod done
#   build/                        the O= build tree: KDIR for out-of-tree
#                                 modules (make -C <dir>/build M=... modules)
#   src/                          the unpacked kernel source build/ refers to
#   config-check.txt              full.config's options, checked in .config
#   complete                      stamp, written last: the cache is usable
# Paths inside build/ and modroot/ are absolute: do not move the directory.
#
# The source is unpacked from the package's tarball into the cache (the
# package ships only the tarball, so an unpacked /usr/src tree is not covered
# by the key). Concurrent runs for the same key wait for each other (flock);
# an interrupted build resumes where it stopped on the next run.
set -euo pipefail

# Bump whenever a change to this script changes what it builds.
readonly SCRIPT_VERSION=1

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
readonly HERE
readonly FRAGMENT=$HERE/full.config
readonly SRC_PKG=linux-source-6.1
readonly TARBALL=/usr/src/$SRC_PKG.tar.xz
readonly CACHE_ROOT=${IONODE_KERNEL_CACHE:-/var/cache/ionode/kernel}
readonly HOST_PKGS=(bc bison cpio dwarves flex gcc kmod libelf-dev libssl-dev
	make rsync xz-utils "$SRC_PKG")
# depmod (modules_install) lives in /usr/sbin, not always in a user's PATH.
export PATH=$PATH:/usr/sbin:/sbin

usage() {
	cat <<EOF
Usage: tools/vm/kernel/build-full-kernel.sh [--print-dir]

Build ionode's full test kernel (KASAN, lockdep, kmemleak, ...) unless it is
already cached, then print its cache directory as the last line of stdout.
All progress and build output goes to stderr. Installs missing host packages
with apt-get (as root). The build takes ~20 min on 2 cores.

  --print-dir  only print the cache directory, do not build; exit status 0 if
               the kernel there is complete, 2 if it still has to be built
  -h, --help   show this help

Environment: IONODE_KERNEL_CACHE (default /var/cache/ionode/kernel).
EOF
}

log() {
	printf 'build-full-kernel: %s\n' "$*" >&2
}

die() {
	log "error: $*"
	exit 1
}

# ensure_packages PKG...: install the packages that are missing. apt-get
# update runs only if the package lists are empty or an install fails.
ensure_packages() {
	local p missing=()
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q ' installed$' ||
			missing+=("$p")
	done
	((${#missing[@]})) || return 0
	((EUID == 0)) || die "missing host packages (install them as root): ${missing[*]}"
	log "installing host packages: ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	if ! compgen -G '/var/lib/apt/lists/*_Packages' >/dev/null ||
		! apt-get install -y --no-install-recommends "${missing[@]}" >&2; then
		apt-get update >&2
		apt-get install -y --no-install-recommends "${missing[@]}" >&2
	fi
}

# cache_key: print the key of the kernel this script and full.config build.
cache_key() {
	local ver
	ver=$(dpkg-query -W -f='${Version}' "$SRC_PKG" 2>/dev/null) ||
		die "package $SRC_PKG is not installed"
	{
		printf 'source %s %s\nscript %s\n' "$SRC_PKG" "$ver" "$SCRIPT_VERSION"
		cat "$FRAGMENT"
	} | sha256sum | cut -c1-16
}

# is_complete DIR: true if DIR holds a finished build (stamp and products).
is_complete() {
	local dir=$1 kver
	[[ -f $dir/complete && -f $dir/bzImage && -s $dir/kver ]] || return 1
	kver=$(<"$dir/kver")
	[[ -f $dir/modroot/lib/modules/$kver/modules.dep &&
		-f $dir/build/Module.symvers &&
		-f $dir/build/include/generated/autoconf.h &&
		-f $dir/build/source/Makefile ]]
}

# unpack_source DIR: unpack the kernel tarball into DIR/src (renamed into
# place once complete, so a partial unpack is never used).
unpack_source() {
	local dir=$1
	[[ -f $dir/src/Makefile ]] && return 0
	[[ -f $TARBALL ]] || die "$TARBALL not found (package $SRC_PKG)"
	log "unpacking $TARBALL"
	rm -rf "$dir/src.tmp"
	mkdir -p "$dir/src.tmp"
	tar -xJf "$TARBALL" -C "$dir/src.tmp" --strip-components=1
	mv "$dir/src.tmp" "$dir/src"
}

# check_config FRAGMENT DOTCONFIG: print every option set in FRAGMENT with
# its value in DOTCONFIG; fail if any of them did not survive olddefconfig
# ("is not set" lines are satisfied by an absent option too).
check_config() {
	local fragment=$1 dotconfig=$2 line name want got bad=0
	while IFS= read -r line; do
		if [[ $line =~ ^(CONFIG_[A-Za-z0-9_]+)=(.*)$ ]]; then
			name=${BASH_REMATCH[1]} want=${BASH_REMATCH[2]}
		elif [[ $line =~ ^#\ (CONFIG_[A-Za-z0-9_]+)\ is\ not\ set$ ]]; then
			name=${BASH_REMATCH[1]} want=n
		else
			continue
		fi
		got=$(sed -n "s/^$name=//p" "$dotconfig")
		got=${got:-n}
		if [[ $got == "$want" ]]; then
			printf 'ok       %-44s %s\n' "$name" "$got"
		else
			printf 'MISSING  %-44s %s (wanted %s)\n' "$name" "$got" "$want"
			bad=1
		fi
	done <"$fragment"
	return "$bad"
}

# configure DIR: write DIR/build/.config and check it against full.config.
configure() {
	local dir=$1 mk=(nice -n 10 make -C "$1/src" O="$1/build")
	log "configuring: x86_64_defconfig + kvm_guest.config + $FRAGMENT"
	mkdir -p "$dir/build"
	"${mk[@]}" x86_64_defconfig kvm_guest.config >&2
	(cd "$dir/build" && "$dir/src/scripts/kconfig/merge_config.sh" -m .config "$FRAGMENT") >&2
	"${mk[@]}" olddefconfig >&2
	if ! check_config "$FRAGMENT" "$dir/build/.config" >"$dir/config-check.txt"; then
		grep '^MISSING' "$dir/config-check.txt" >&2
		die "options of full.config lost in .config (unmet dependencies?)"
	fi
	log "config check: all $(grep -c '^ok' "$dir/config-check.txt") options of full.config hold"
}

# build DIR: build the kernel and modules, install them, write the stamp.
build() {
	local dir=$1 mk=(nice -n 10 make -C "$1/src" O="$1/build") start kver
	start=$SECONDS
	rm -f "$dir/complete"
	unpack_source "$dir"
	configure "$dir"
	log "building with -j$(nproc) under nice -n 10"
	"${mk[@]}" -j"$(nproc)" >&2
	rm -rf "$dir/modroot"
	"${mk[@]}" modules_install INSTALL_MOD_PATH="$dir/modroot" INSTALL_MOD_STRIP=1 >&2
	kver=$(<"$dir/build/include/config/kernel.release")
	[[ -f $dir/modroot/lib/modules/$kver/modules.dep ]] ||
		die "modules_install left no modules.dep for $kver"
	cp "$dir/build/arch/x86/boot/bzImage" "$dir/bzImage"
	printf '%s\n' "$kver" >"$dir/kver"
	printf 'key %s\nkver %s\nbuilt %s in %ss\n' "$(basename "$dir")" "$kver" \
		"$(date -u +%FT%TZ)" "$((SECONDS - start))" >"$dir/complete.tmp"
	mv "$dir/complete.tmp" "$dir/complete"
	log "built $kver in $((SECONDS - start))s"
}

main() {
	local print_only=0 key dir lock
	while (($#)); do
		case $1 in
		--print-dir) print_only=1 ;;
		-h | --help) usage; exit 0 ;;
		*) usage >&2; exit 1 ;;
		esac
		shift
	done

	if ((print_only)); then
		dir=$CACHE_ROOT/$(cache_key)
		printf '%s\n' "$dir"
		is_complete "$dir" || exit 2
		exit 0
	fi

	ensure_packages "${HOST_PKGS[@]}"
	key=$(cache_key)
	dir=$CACHE_ROOT/$key
	if ! is_complete "$dir"; then
		mkdir -p "$dir" || die "cannot create $dir"
		exec {lock}>"$CACHE_ROOT/$key.lock"
		if ! flock -n "$lock"; then
			log "another build of $key is running, waiting for it"
			flock "$lock"
		fi
		# The build we waited for may have finished it.
		is_complete "$dir" || build "$dir"
	fi
	printf '%s\n' "$dir"
}

main "$@"
