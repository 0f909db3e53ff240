#!/bin/bash
# SPDX-License-Identifier: MIT
#
# install-check.sh: does `make install` install a usable libionode? Into
# scratch DESTDIRs (nothing of the system is touched), for PREFIX=/usr/local
# (the default), /usr and /opt/ionode: the shared library with its soname
# and symlinks, the headers, a pkg-config file a program compiles and links
# with (and runs), ionodectl (with a run path only outside the loader's
# path) and its man page (no groff warning), the udev rule where udev reads
# it; `make uninstall` removes all of it. `make check` runs it (`make
# install-check`). Prints one PASS or FAIL line.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
uapi() { sed -n "s/^#define IONODE_UAPI_$1[[:space:]]*\([0-9]*\).*/\1/p" "$top/uapi/ionode_drm.h"; }
major=$(uapi MAJOR)
version="$major.$(uapi MINOR).0"

fail() {
	echo "install-check: FAIL: $*"
	exit 1
}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/ionode-install.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

check_prefix() {
	local prefix=$1 udev=$2 rpath=$3
	local d="$tmp/root" lib="$tmp/root$1/lib"

	rm -rf "$d"
	make -s -C "$top" install DESTDIR="$d" PREFIX="$prefix" >"$tmp/log" 2>&1 ||
		{ cat "$tmp/log"; fail "make install PREFIX=$prefix failed"; }
	for f in "$prefix/lib/libionode.so.$version" "$prefix/include/ionode/libionode.h" \
		 "$prefix/include/ionode/ionode_drm.h" "$prefix/lib/pkgconfig/libionode.pc" \
		 "$prefix/bin/ionodectl" "$prefix/share/man/man1/ionodectl.1" \
		 "$udev/70-ionode.rules"; do
		[[ -f $d$f ]] || fail "PREFIX=$prefix: $f not installed"
	done
	[[ $(readlink "$lib/libionode.so.$major") == "libionode.so.$version" &&
	   $(readlink "$lib/libionode.so") == "libionode.so.$major" ]] ||
		fail "PREFIX=$prefix: wrong symlinks: $(ls -l "$lib")"
	[[ $(readelf -d "$lib/libionode.so.$version") == *"Library soname: [libionode.so.$major]"* ]] ||
		fail "soname is not libionode.so.$major"
	[[ $(stat -c %a "$d$prefix/include/ionode/libionode.h") == 644 ]] ||
		fail "headers not mode 0644"

	# A program built from the pkg-config file alone.
	# (its paths relative to its prefix= line, which points into DESTDIR here)
	mkdir -p "$tmp/pc"
	sed "s|^prefix=$prefix\$|prefix=$d$prefix|" "$lib/pkgconfig/libionode.pc" \
		>"$tmp/pc/libionode.pc"
	pc() { PKG_CONFIG_PATH="$tmp/pc" pkg-config "$@"; }
	[[ $(pc --modversion libionode) == "$version" ]] ||
		fail "pkg-config --modversion libionode: $(pc --modversion libionode 2>&1)"
	cat >"$tmp/user.c" <<-'EOC'
	#include <stdio.h>
	#include <libionode.h>
	int main(void)
	{
		printf("%s %d\n", ionode_heap_type_name(IONODE_HEAP_TYPE_CARVEOUT),
		       IONODE_UAPI_MAJOR);
		return 0;
	}
	EOC
	# shellcheck disable=SC2046
	cc -std=c11 -Wall -Werror -o "$tmp/user" "$tmp/user.c" \
		$(pc --cflags --libs libionode) ||
		fail "PREFIX=$prefix: a program does not build with pkg-config libionode"
	[[ $(LD_LIBRARY_PATH="$lib" "$tmp/user") == "carveout $major" ]] ||
		fail "PREFIX=$prefix: the program does not run with the installed library"
	[[ $(LD_LIBRARY_PATH="$lib" ldd "$tmp/user") == *"libionode.so.$major => $lib/"* ]] ||
		fail "PREFIX=$prefix: the program does not use $lib/libionode.so.$major"

	# ionodectl: the shared library; a run path only where needed.
	local runpath
	runpath=$(readelf -d "$d$prefix/bin/ionodectl" | sed -n 's/.*R\(UN\)\?PATH.*\[\(.*\)\]/\2/p')
	[[ $runpath == "$rpath" ]] ||
		fail "PREFIX=$prefix: installed ionodectl has run path '$runpath', not '$rpath'"
	LD_LIBRARY_PATH="$lib" "$d$prefix/bin/ionodectl" --help >/dev/null ||
		fail "PREFIX=$prefix: installed ionodectl --help failed"
	[[ $(LD_LIBRARY_PATH="$lib" ldd "$d$prefix/bin/ionodectl") == *"libionode.so.$major => $lib/"* ]] ||
		fail "PREFIX=$prefix: installed ionodectl does not use libionode.so.$major"
	if command -v man >/dev/null; then
		warn=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$d$prefix/share/man/man1/ionodectl.1" 2>&1 >/dev/null)
		[[ -z $warn ]] || fail "man page warnings: $warn"
	fi

	make -s -C "$top" uninstall DESTDIR="$d" PREFIX="$prefix" >"$tmp/log" 2>&1 ||
		{ cat "$tmp/log"; fail "make uninstall PREFIX=$prefix failed"; }
	left=$(find "$d" -type f -o -type l)
	[[ -z $left ]] || fail "make uninstall PREFIX=$prefix left: $left"
}

check_prefix /usr/local /etc/udev/rules.d ""
check_prefix /usr /usr/lib/udev/rules.d ""
check_prefix /opt/ionode /etc/udev/rules.d /opt/ionode/lib
echo "install-check: PASS: make install (PREFIX /usr/local, /usr, /opt/ionode; DESTDIR): libionode.so.$version, headers, pkg-config, ionodectl, man page, udev rule; make uninstall"
