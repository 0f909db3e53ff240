#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# dkms-check.sh KVER: does DKMS build ionode.ko and ionode_v4l2.ko for
# kernel KVER (the stock kernel, tools/kver.mk) from what `make
# install-dkms` installs? `make check` runs it (`make dkms-check`).
#
# Nothing of the system's DKMS state is touched: the source, DKMS and
# install trees are scratch directories (--sourcetree, --dkmstree,
# --installtree), and as root DKMS runs in a private mount namespace whose
# /etc/dkms names no signing tool, so that it does not create its Secure
# Boot signing key in /var/lib/dkms (without namespaces: as nobody, who
# cannot). `dkms install` is not run (it would run depmod on the real
# /lib/modules/KVER). Prints one PASS or FAIL line.
set -euo pipefail

kver=${1:?usage: tools/dkms-check.sh KVER}
top=$(cd "$(dirname "$0")/.." && pwd)

fail() {
	echo "dkms-check: FAIL: $*"
	exit 1
}

command -v dkms >/dev/null || fail "no dkms command: run tools/install-deps.sh"
[[ -d /lib/modules/$kver/build ]] || fail "no headers for $kver in /lib/modules/$kver/build"

ver=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"$/\1/p' "$top/dkms.conf")
uapi() { sed -n "s/^#define IONODE_UAPI_$1[[:space:]]*\([0-9]*\).*/\1/p" "$top/uapi/ionode_drm.h"; }
want="$(uapi MAJOR).$(uapi MINOR).0"
[[ $ver == "$want" ]] || fail "dkms.conf has PACKAGE_VERSION=\"$ver\", the uapi is $want"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/ionode-dkms.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/src" "$tmp/tree" "$tmp/inst" "$tmp/etc-dkms"
make -s -C "$top" install-dkms DESTDIR="$tmp/src" DKMS_SRC=/ionode-$ver >/dev/null ||
	fail "make install-dkms into a scratch directory failed"
echo 'sign_file=/nonexistent/sign-file' > "$tmp/etc-dkms/framework.conf"

trees=(--sourcetree "$tmp/src" --dkmstree "$tmp/tree" --installtree "$tmp/inst")
# Where no mount namespace can be made (a container without CAP_SYS_ADMIN),
# DKMS runs as nobody instead, who cannot write a key to /var/lib/dkms
# (DKMS then says the modules will not be signed).
how=namespace
if [[ $(id -u) != 0 ]]; then
	how=user
elif [[ -n ${IONODE_DKMS_NO_NS:-} ]] ||
     ! unshare --mount --propagation private true 2>/dev/null; then
	how=nobody
	chmod 0755 "$tmp"
	chown -R nobody:nogroup "$tmp"
fi
run_dkms() {
	case $how in
	namespace)
		unshare --mount --propagation private -- bash -c \
			'mount --bind "$1" /etc/dkms && shift && exec dkms "$@"' \
			bash "$tmp/etc-dkms" "$@" ;;
	nobody)
		setpriv --reuid=nobody --regid=nogroup --clear-groups \
			env HOME="$tmp" dkms "$@" ;;
	user)
		dkms "$@" ;;
	esac
}

start=$SECONDS
log="$tmp/dkms.log"
if ! run_dkms add -m ionode -v "$ver" "${trees[@]}" >"$log" 2>&1 ||
   ! run_dkms build -m ionode -v "$ver" -k "$kver" "${trees[@]}" >>"$log" 2>&1; then
	cat "$log"
	cat "$tmp/tree/ionode/$ver/build/make.log" 2>/dev/null | tail -40 || true
	fail "dkms add/build of ionode $ver for $kver failed (output above)"
fi

status=$(dkms status -m ionode -v "$ver" -k "$kver" "${trees[@]}" 2>&1)
[[ $status == *"ionode/$ver, $kver, "*": built"* ]] ||
	fail "dkms status says '$status', not built"
moddir="$tmp/tree/ionode/$ver/$kver/$(uname -m)/module"
for m in ionode ionode_v4l2; do
	ko=$(ls "$moddir/$m.ko"* 2>/dev/null | head -1)
	[[ -n $ko ]] || fail "$m.ko missing from $moddir"
	magic=$(modinfo -F vermagic "$ko")
	[[ $magic == "$kver "* ]] || fail "$m.ko has vermagic '$magic', not for $kver"
done
deps=$(modinfo -F depends "$(ls "$moddir"/ionode_v4l2.ko* | head -1)")
[[ ,$deps, == *,ionode,* ]] || fail "ionode_v4l2.ko depends on '$deps', not on ionode"
echo "dkms-check: PASS: dkms add and build of ionode $ver for $kver made ionode.ko and ionode_v4l2.ko ($((SECONDS - start)) s, scratch trees, $how)"
