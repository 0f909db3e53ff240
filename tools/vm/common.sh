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
# kmemleak's own "N new suspected memory leaks" line is not one: the objects
# themselves ("unreferenced object 0x...", with their backtraces) are
# brought into the kernel log by tools/vm/guest-kmemleak.
KERNEL_REPORT_PATTERNS=(
	'Oops'
	'BUG:'
	'WARNING:'
	'Kernel panic'
	'general protection fault'
	'KASAN'
	'UBSAN:'
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

# Lines matching a report pattern that are not reports: informational
# messages of the debug kernel's detectors at boot.
KERNEL_REPORT_IGNORE=(
	'DMA-API: preallocated [0-9]+ debug entries'
	'DMA-API: debugging enabled by kernel config'
)

# A report involves ionode when one of its stack frames is in ionode.ko or
# ionode_v4l2.ko ("ionode_bo_create+0x40/0x90 [ionode]"), or DMA-API debug
# complains about one of ionode's devices. The "Comm:" and "Modules linked
# in:" lines, which name ionode's test binaries and modules in every report
# of a run, do not count.
IONODE_REPORT_RE='[[]ionode(_v4l2)?[]]|(^|[^a-z0-9_])ionode[a-z0-9_]*[+]0x|DMA-API: ionode'

# Known upstream reports: kernel bugs of ionode's peers, not ionode's, seen
# on the full debug kernel (make check KERNEL=full). Each entry is
# "NAME :: ERE :: ERE...": a report is allowed when every ERE matches one of
# its lines AND no line of it matches IONODE_REPORT_RE. An entry may end in
# ":: ionode-frames: ERE": then lines naming ionode are allowed too, as long
# as each of them matches that ERE (the ionode functions the report may
# pass through, and nothing else of ionode's). Allowed reports are printed
# ("known upstream report, not ionode's") and do not fail the run. Keep
# this list short, documented (Documentation/testing.rst) and specific.
KNOWN_UPSTREAM_REPORTS=(
	# vgem's shmem buffer imported by vkms: vkms never sets its DMA
	# segment size, so DMA-API debug flags the 64 KiB+ sg segments.
	'vkms-dma-max-seg :: DMA-API: vkms .*mapping sg segment longer than device claims to support'
	# drm_gem_shmem_vmap() of an imported shmem buffer takes the
	# exporter's vmap_lock inside the importer's (same lock class).
	'shmem-vmap-lock-recursion :: possible recursive locking detected :: shmem->vmap_lock'
	# udmabuf maps its pages for its own misc device (no DMA parameters,
	# so a 64 KiB segment limit) at the first CPU access bracket, in
	# segments as long as the memfd's folios.
	'udmabuf-self-max-seg :: DMA-API: misc udmabuf: mapping sg segment longer than device claims to support'
	# The same single lock class for importer and exporter shmem objects,
	# seen as a cycle: vkms vmapping an imported buffer takes its
	# shmem->vmap_lock, then the dma-buf's lock; ionode_v4l2's test device
	# vmapping a vgem (shmem) dma-buf takes that dma-buf's lock, then
	# vgem's shmem->vmap_lock. Different objects, no real cycle (an
	# object never imports its own export). ionode's only part: calling
	# dma_buf_vmap() from the device's job (plus "? " frames, stale
	# return addresses the unwinder prints as unreliable).
	'shmem-vmap-dmabuf-lock-cycle :: possible circular locking dependency detected :: [(]&shmem->vmap_lock[)] :: [(]&dmabuf->lock[)] :: vkms_ :: ionode-frames: ionode_vb2_vaddr|job_work|[]] +[?] '
)

# kernel_reports FILE...: print every kernel problem report found in the
# given log files, reports separated by "--". A report is the matching line
# plus the rest of it: up to its "---[ end ... ]---" line (WARN, BUG), the
# closing "=====" line (KASAN), the "</TASK>" ending its stack trace
# (lockdep), the end of the indented block (a kmemleak object), at most 150
# lines. Matches inside a report are part of it, except that each kmemleak
# object is a report of its own; a runner marker line (run-tests:,
# vm-run:, kmemleak-scan:) ends a report. Returns 0 if at least one report
# was found, 1 otherwise. Missing files are ignored. (Plain ERE without
# backslashes: Debian's default awk is mawk.)
kernel_reports() {
	local re ign files=() f
	re=$(IFS='|'; printf '%s' "${KERNEL_REPORT_PATTERNS[*]}")
	ign=$(IFS='|'; printf '%s' "${KERNEL_REPORT_IGNORE[*]}")
	for f in "$@"; do
		[[ -f $f ]] && files+=("$f")
	done
	((${#files[@]})) || return 1
	awk -v re="$re" -v ign="$ign" '
		function text(l) { sub(/^[[][^]]*[]] ?/, "", l); return l }
		{ t = text($0) }
		left > 0 && (t ~ /^(run-tests|vm-run|kmemleak-scan): / ||
			((kind == "kmemleak" || kind == "mapped") && t !~ /^ /)) { left = 0 }
		left > 0 && t ~ /^unreferenced object 0x/ { left = 0 }
		# DMA-API debug follows its WARN with where the buffer was mapped.
		left == 0 && n && NR - ended <= 2 && t ~ /^DMA-API: Mapped at:/ { left = 8; kind = "mapped" }
		left == 0 && $0 ~ re && $0 !~ ign {
			if (n) print "--"
			n++; left = 150; lines = 0
			kind = "other"
			if (t ~ /^unreferenced object 0x/) kind = "kmemleak"
			else if (t ~ /KASAN/) kind = "kasan"
			else if (t ~ /possible recursive locking|circular locking|inconsistent lock state|irq lock inversion|suspicious RCU usage/) kind = "lockdep"
		}
		left > 0 {
			print; left--; lines++
			if (t ~ /---[[] end /) left = 0
			if (kind == "kasan" && lines > 2 && t ~ /^=+$/) left = 0
			if (kind == "lockdep" && t ~ /<[/]TASK>/) left = 0
			if (kind == "mapped" && t !~ /^ /) left = 0
			if (left == 0) ended = NR
		}
		END { exit n ? 0 : 1 }' "${files[@]}"
}

# classify_reports SETUP: read kernel_reports output on stdin and print one
# line per report, "VERDICT<TAB>FIRST LINE", where VERDICT is "known:NAME"
# for an allowed upstream report, "noise" for a report logged while the VM
# was set up (boot, module loading: SETUP is 1) that involves no ionode
# frame, "ionode" for any report involving ionode and "other" for the rest.
# Only "known:*" and "noise" leave a run passing. One awk pass: a flood of
# reports must not cost a process per report.
# classify_reports SETUP --failing MAX: print instead the whole text of the
# first MAX reports that fail the run, separated by "--".
classify_reports() {
	local known max=0
	known=$(printf '%s\n' "${KNOWN_UPSTREAM_REPORTS[@]}")
	[[ ${2:-} == --failing ]] && max=${3:-10}
	awk -v setup="$1" -v max="$max" -v ionre="$IONODE_REPORT_RE" -v known="$known" '
		BEGIN {
			nk = split(known, entries, "\n")
			for (i = 1; i <= nk; i++) {
				n = split(entries[i], parts, " :: ")
				kname[i] = parts[1]
				nre[i] = 0
				ifr[i] = ""
				for (j = 2; j <= n; j++) {
					if (parts[j] ~ /^ionode-frames: /)
						ifr[i] = substr(parts[j], 16)
					else
						kre[i, ++nre[i]] = parts[j]
				}
			}
		}
		function judge(   i, j, l, ok, hit, v, nion) {
			if (!nl) return
			v = ""
			nion = 0
			for (l = 1; l <= nl; l++)
				if (lines[l] ~ ionre) ion[++nion] = lines[l]
			for (i = 1; i <= nk && v == ""; i++) {
				ok = nre[i] > 0
				for (j = 1; j <= nre[i] && ok; j++) {
					hit = 0
					for (l = 1; l <= nl && !hit; l++)
						if (lines[l] ~ kre[i, j]) hit = 1
					ok = hit
				}
				for (l = 1; l <= nion && ok; l++)
					ok = ifr[i] != "" && ion[l] ~ ifr[i]
				if (ok) v = "known:" kname[i]
			}
			if (v == "" && nion) v = "ionode"
			if (v == "") v = setup ? "noise" : "other"
			if (max == 0)
				print v "\t" lines[1]
			else if ((v == "ionode" || v == "other") && shown < max) {
				if (shown++) print "--"
				for (l = 1; l <= nl; l++) print lines[l]
			}
			nl = 0
		}
		$0 == "--" { judge(); next }
		{ lines[++nl] = $0 }
		END { judge() }'
}

# summarize_verdicts: read classify_reports output on stdin and print one
# line per distinct report, "COUNT x VERDICT: FIRST LINE" (timestamps and
# addresses dropped), most frequent first.
summarize_verdicts() {
	sed -E 's/\t[[][^]]*[]] */\t/; s/ ?[[][a-z][^]]*[]]//g; s/0x[0-9a-f]+/0x.../g' | sort | uniq -c | sort -rn |
		awk '{ c = $1; sub(/^ *[0-9]+ /, ""); split($0, f, "\t")
			printf "%d x %s: %s\n", c, f[1], substr($0, length(f[1]) + 2) }'
}

# split_setup_log FILE SETUP REST: write the part of a kernel log FILE up
# to guest-main's "vm-run: setup done" marker (boot and module loading) to
# SETUP and the rest to REST. Without the marker, all of it is setup.
split_setup_log() {
	awk -v setup="$2" -v rest="$3" '
		{ print > (done ? rest : setup) }
		/vm-run: setup done/ { done = 1 }
		END { printf "" > setup; printf "" > rest }' "$1"
}

# kunit_results FILE...: the KUnit results (KTAP) in kernel logs, one line
# per test case: "ok SUITE.CASE", "not ok SUITE.CASE" or "skip SUITE.CASE
# REASON". A suite that failed without running any case is one "not ok
# SUITE" line. Returns 1 if there was none.
kunit_results() {
	local files=() f
	for f in "$@"; do
		[[ -f $f ]] && files+=("$f")
	done
	((${#files[@]})) || return 1
	awk '
		{ t = $0; sub(/^[[][^]]*[]] ?/, "", t) }
		t ~ /^    # Subtest: / { suite = t; sub(/^    # Subtest: /, "", suite); cases = 0; next }
		suite != "" && t ~ /^    (not )?ok [0-9]+ / {
			res = (t ~ /^    not ok/) ? "not ok" : "ok"
			sub(/^    (not )?ok [0-9]+ (- )?/, "", t)
			name = t; sub(/ .*/, "", name)
			if (t ~ /# SKIP/) { why = t; sub(/^[^#]*# SKIP */, "", why); print "skip " suite "." name " " why }
			else print res " " suite "." name
			cases++; n++
			next
		}
		suite != "" && t ~ /^(not )?ok [0-9]+ / {
			name = t; sub(/^(not )?ok [0-9]+ (- )?/, "", name); sub(/ .*/, "", name)
			if (name == suite && cases == 0) { print ((t ~ /^not/) ? "not ok " : "skip ") suite; n++ }
			suite = ""
		}
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
