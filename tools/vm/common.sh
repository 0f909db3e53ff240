# shellcheck shell=bash
# Helpers shared by tools/vm/vm-run, tools/vm/run-tests and every Makefile
# (through tools/kver.mk). Source it; it defines functions only. The test
# results and the kernel log are read by tools/vm/results.py.

# detect_kver: print the Debian kernel the VM boots and modules build against.
# The host may run a different kernel, so `uname -r` is never used: take the
# newest /boot/vmlinuz-<ver> that has a matching /lib/modules/<ver>/build.
# $KVER overrides the detection.
detect_kver() {
	if [[ -n ${KVER:-} ]]; then
		printf '%s\n' "$KVER"
		return 0
	fi
	local img ver best=
	for img in /boot/vmlinuz-*; do
		[[ -e $img ]] || continue
		ver=${img#/boot/vmlinuz-}
		[[ -d /lib/modules/$ver/build ]] || continue
		if [[ -z $best ]] || [[ $(printf '%s\n%s\n' "$best" "$ver" | sort -V | tail -n1) == "$ver" ]]; then
			best=$ver
		fi
	done
	[[ -n $best ]] || return 1
	printf '%s\n' "$best"
}
