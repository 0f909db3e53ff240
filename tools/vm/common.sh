# shellcheck shell=bash
# Helpers shared by tools/vm/vm-run, tools/vm/run-tests and the Makefile.
# Source it; it defines functions only.

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

# Extended regexes matching the first line of a kernel problem report. They
# are matched against dmesg / serial console text. Keep them specific enough
# that a clean boot of the Debian kernel under TCG produces no match.
KERNEL_REPORT_PATTERNS=(
	'Oops'
	'BUG:'
	'WARNING:'
	'Kernel panic'
	'general protection fault'
	'KASAN'
	'UBSAN:'
	'kmemleak: .*(suspected memory leak|unreferenced object)'
	'unreferenced object 0x'
	'possible recursive locking'
	'circular locking'
	'inconsistent lock state'
	'possible irq lock inversion'
	'suspicious RCU usage'
	'INFO: lockdep'
	'lockdep: '
	'DMA-API'
	'list_(add|del) corruption'
	'soft lockup'
	'hard LOCKUP'
	'rcu: INFO: .* detected stalls'
	'INFO: task .* blocked for more than'
)

# kernel_reports FILE...: print every kernel problem report found in the
# given log files: the matching line plus the rest of the report (until its
# "---[ end ... ]---" line, at most 40 lines), reports separated by "--".
# Matches inside a report being printed are part of it, not new reports.
# Returns 0 if at least one report was found, 1 otherwise. Missing files are
# ignored. (Plain ERE without backslashes: Debian's default awk is mawk.)
kernel_reports() {
	local re files=() f
	re=$(IFS='|'; printf '%s' "${KERNEL_REPORT_PATTERNS[*]}")
	for f in "$@"; do
		[[ -f $f ]] && files+=("$f")
	done
	((${#files[@]})) || return 1
	awk -v re="$re" '
		left == 0 && $0 ~ re { if (n) print "--"; n++; left = 40 }
		left > 0 { print; left--; if ($0 ~ /---\[ end /) left = 0 }
		END { exit n ? 0 : 1 }' "${files[@]}"
}

# taint_problems VALUE: decode /proc/sys/kernel/tainted and print the flags
# that mean the kernel reported a problem (out-of-tree/unsigned module taints
# are expected and ignored). Returns 0 if there is a problem.
taint_problems() {
	local t=$1 out=
	[[ $t =~ ^[0-9]+$ ]] || return 1
	(((t >> 5) & 1)) && out+=" B(bad page)"
	(((t >> 7) & 1)) && out+=" D(oops/BUG)"
	(((t >> 9) & 1)) && out+=" W(warning)"
	(((t >> 14) & 1)) && out+=" L(soft lockup)"
	[[ -n $out ]] || return 1
	printf 'kernel tainted (%s):%s\n' "$t" "$out"
}
