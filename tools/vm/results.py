#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""results.py: ionode's one reader of test results and kernel logs.

Subcommands (Python 3 standard library only):

  run-tests RESULTS [options] BIN...
      Account a tools/vm/run-tests run: RESULTS is the results directory
      tools/vm/guest-tests wrote ($VM_OUT/results: <index>/{path,output,rc,
      dmesg}, setup/, unload/, kmemleak*/), BIN... the binaries it ran.
      Prints the per-test summary and the closing "N passed, N failed,
      N skipped" line; exit status 0 if nothing failed, 1 otherwise.
  vm-klog OUT
      vm-run's kernel-log check of its out dir OUT: prints the allowed
      reports on stderr and, on stdout, the text reporting a kernel problem
      (nothing if there is none).
  subtests FILE
      The IGT subtest results in a binary's output, as shell assignments
      "p=N f=N s=N" (igt-tests/run-tests.sh).
  --self-test
      Check the classifier on canned kernel logs.

Kernel problem reports are found and classified here only: a report that
names ionode ("ionode"), one logged while the VM was set up without an
ionode frame ("noise"), one on the allow-list of known upstream reports
(tools/vm/known-upstream-reports, "known:NAME"), or any other ("other").
Only "known:*" and "noise" leave a run passing.
"""

import argparse
import glob
import os
import re
import signal
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
KNOWN_FILE = os.path.join(HERE, "known-upstream-reports")

# The first line of a kernel problem report, matched against dmesg / serial
# console text. Specific enough that a clean boot of the Debian kernel under
# TCG produces no match. kmemleak's own "N new suspected memory leaks" line
# is not one: the objects themselves ("unreferenced object 0x...", with
# their backtraces) are brought into the kernel log by
# tools/vm/guest-kmemleak.
REPORT_PATTERNS = [
    r"Oops",
    r"BUG:",
    r"WARNING:",
    r"Kernel panic",
    r"general protection fault",
    r"KASAN",
    r"UBSAN:",
    r"unreferenced object 0x",
    r"possible recursive locking",
    r"circular locking",
    r"inconsistent lock state",
    r"possible irq lock inversion",
    r"suspicious RCU usage",
    r"INFO: lockdep",
    r"lockdep: ",
    r"DMA-API",
    r"list_(add|del) corruption",
    r"soft lockup",
    r"hard LOCKUP",
    r"rcu: INFO: .* detected stalls",
    r"INFO: task .* blocked for more than",
]

# Lines matching a report pattern that are not reports: informational
# messages of the debug kernel's detectors at boot.
REPORT_IGNORE = [
    r"DMA-API: preallocated [0-9]+ debug entries",
    r"DMA-API: debugging enabled by kernel config",
]

# A report involves ionode when one of its stack frames is in ionode.ko or
# ionode_v4l2.ko ("ionode_bo_create+0x40/0x90 [ionode]"), or DMA-API debug
# complains about one of ionode's devices. The "Comm:" and "Modules linked
# in:" lines, which name ionode's test binaries and modules in every report
# of a run, do not count.
IONODE_RE = re.compile(
    r"\[ionode(_v4l2)?\]|(^|[^a-z0-9_])ionode[a-z0-9_]*\+0x|DMA-API: ionode")

REPORT_RE = re.compile("|".join(REPORT_PATTERNS))
IGNORE_RE = re.compile("|".join(REPORT_IGNORE))
STAMP_RE = re.compile(r"^\[[^]]*\] ?")
LOCKDEP_RE = re.compile(r"possible recursive locking|circular locking|"
                        r"inconsistent lock state|irq lock inversion|"
                        r"suspicious RCU usage")
MARKER_RE = re.compile(r"^(run-tests|vm-run|kmemleak-scan): ")
# guest-main's marker: kernel messages before it are the VM setup's.
SETUP_DONE = "vm-run: setup done"


def read_lines(path):
    """A file's lines as awk sees them (bytes kept as latin-1 text), or None
    if it is missing."""
    try:
        with open(path, "rb") as f:
            data = f.read().decode("latin-1")
    except FileNotFoundError:
        return None
    lines = data.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def read_text(path):
    lines = read_lines(path)
    return None if lines is None else "\n".join(lines)


def strip_stamp(line):
    return STAMP_RE.sub("", line, count=1)


# ---------------------------------------------------------------- the log

def kernel_reports(lines):
    """Every kernel problem report in the log lines, each a list of lines.

    A report is the matching line plus the rest of it: up to its
    "---[ end ... ]---" line (WARN, BUG), the closing "=====" line (KASAN),
    the "</TASK>" ending its stack trace (lockdep), the end of the indented
    block (a kmemleak object), at most 150 lines. Matches inside a report
    are part of it, except that each kmemleak object is a report of its
    own; a runner marker line (run-tests:, vm-run:, kmemleak-scan:) ends a
    report. DMA-API debug's "Mapped at:" line right after a report ends
    belongs to that report."""
    reports = []
    left = 0
    kind = ""
    lines_in = 0
    ended = 0
    for nr, line in enumerate(lines, 1):
        t = strip_stamp(line)
        if left > 0 and (MARKER_RE.match(t) or
                         (kind in ("kmemleak", "mapped") and
                          not t.startswith(" "))):
            left = 0
        if left > 0 and t.startswith("unreferenced object 0x"):
            left = 0
        if (left == 0 and reports and nr - ended <= 2 and
                t.startswith("DMA-API: Mapped at:")):
            left = 8
            kind = "mapped"
        if left == 0 and REPORT_RE.search(line) and \
                not IGNORE_RE.search(line):
            reports.append([])
            left = 150
            lines_in = 0
            if t.startswith("unreferenced object 0x"):
                kind = "kmemleak"
            elif "KASAN" in t:
                kind = "kasan"
            elif LOCKDEP_RE.search(t):
                kind = "lockdep"
            else:
                kind = "other"
        if left > 0:
            reports[-1].append(line)
            left -= 1
            lines_in += 1
            if "---[ end " in t:
                left = 0
            if kind == "kasan" and lines_in > 2 and re.match(r"^=+$", t):
                left = 0
            if kind == "lockdep" and "</TASK>" in t:
                left = 0
            if kind == "mapped" and not t.startswith(" "):
                left = 0
            if left == 0:
                ended = nr
    return reports


def load_known(path=KNOWN_FILE):
    """The allow-list: [(name, [regex...], ionode-frames regex or None)]."""
    known = []
    for line in read_lines(path) or []:
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        parts = line.split(" :: ")
        res, frames = [], None
        for p in parts[1:]:
            if p.startswith("ionode-frames: "):
                frames = re.compile(p[len("ionode-frames: "):])
            else:
                res.append(re.compile(p))
        known.append((parts[0], res, frames))
    return known


def classify(report, setup, known):
    """The verdict on one report: "known:NAME", "ionode", "noise" (setup
    is true and no ionode frame) or "other"."""
    ion = [ln for ln in report if IONODE_RE.search(ln)]
    for name, res, frames in known:
        if not res:
            continue
        if not all(any(r.search(ln) for ln in report) for r in res):
            continue
        if all(frames is not None and frames.search(ln) for ln in ion):
            return "known:" + name
    if ion:
        return "ionode"
    return "noise" if setup else "other"


def failing(verdict):
    return verdict in ("ionode", "other")


def judge(lines, setup, known):
    """[(verdict, report)] for every report in the log lines."""
    return [(classify(r, setup, known), r) for r in kernel_reports(lines)]


def summarize(judged):
    """One line per distinct report, "COUNT x VERDICT: FIRST LINE"
    (timestamps, [module] names and addresses dropped), most frequent
    first."""
    counts = {}
    for verdict, report in judged:
        first = re.sub(r"^\[[^]]*\] *", "", report[0], count=1)
        key = verdict + "\t" + first
        key = re.sub(r" ?\[[a-z][^]]*\]", "", key)
        key = re.sub(r"0x[0-9a-f]+", "0x...", key)
        counts[key] = counts.get(key, 0) + 1
    out = []
    for key, n in sorted(counts.items(), key=lambda kv: (kv[1], kv[0]),
                         reverse=True):
        verdict, first = key.split("\t", 1)
        out.append((n, verdict, first))
    return out


def split_setup(lines):
    """The log lines up to guest-main's setup marker (boot and module
    loading) and the rest. Without the marker, all of it is setup."""
    for i, line in enumerate(lines):
        if SETUP_DONE in line:
            return lines[:i + 1], lines[i + 1:]
    return lines, []


def taint_problems(value):
    """The flags of /proc/sys/kernel/tainted that mean the kernel reported
    a problem (module taints are expected), as a message, or None."""
    if not re.fullmatch(r"[0-9]+", value or ""):
        return None
    t = int(value)
    out = ""
    for bit, name in ((5, "B(bad page)"), (7, "D(oops/BUG)"),
                      (9, "W(warning)"), (14, "L(soft lockup)")):
        if (t >> bit) & 1:
            out += " " + name
    return "kernel tainted (%s):%s" % (value, out) if out else None


def kunit_results(lines):
    """The KUnit (KTAP) results in kernel log lines, one per test case:
    ("ok"|"not ok"|"skip", "SUITE.CASE", reason). A suite that failed or
    was skipped without running any case is one ("not ok"|"skip", SUITE)."""
    out = []
    suite = ""
    cases = 0
    for line in lines:
        t = strip_stamp(line)
        if t.startswith("    # Subtest: "):
            suite = t[len("    # Subtest: "):]
            cases = 0
            continue
        if suite and re.match(r"^    (not )?ok [0-9]+ ", t):
            res = "not ok" if t.startswith("    not ok") else "ok"
            t = re.sub(r"^    (not )?ok [0-9]+ (- )?", "", t, count=1)
            name = t.split(" ", 1)[0]
            if "# SKIP" in t:
                why = re.sub(r"^[^#]*# SKIP *", "", t, count=1)
                out.append(("skip", suite + "." + name, why))
            else:
                out.append((res, suite + "." + name, None))
            cases += 1
            continue
        if suite and re.match(r"^(not )?ok [0-9]+ ", t):
            name = re.sub(r"^(not )?ok [0-9]+ (- )?", "", t, count=1)
            name = name.split(" ", 1)[0]
            if name == suite and cases == 0:
                out.append(("not ok" if t.startswith("not") else "skip",
                            suite, None))
            suite = ""
    return out


# ------------------------------------------------------- IGT test output

SUBTEST_RE = re.compile(r"^(Dynamic subtest|Subtest) ([^:]+): ([A-Z]+)")
STARTING_RE = re.compile(r"^Starting subtest: (.*)$")


def subtests(lines):
    """The IGT results in a binary's output, [(NAME, RESULT)], counted as
    IGT counts them: each "Dynamic subtest DYN: RESULT" is a result (named
    PARENT@DYN), and so is each "Subtest NAME: RESULT" of a subtest that had
    no dynamic results, or that failed on its own (none of its dynamic
    subtests failed)."""
    out = []
    parent = None
    dyn = dfail = 0
    for line in lines:
        m = STARTING_RE.match(line)
        if m:
            parent = m.group(1)
            dyn = dfail = 0
            continue
        m = SUBTEST_RE.match(line)
        if not m:
            continue
        name, result = m.group(2), m.group(3)
        bad = result not in ("SUCCESS", "SKIP")
        if m.group(1) == "Dynamic subtest":
            out.append(((parent + "@" if parent else "") + name, result))
            dyn += 1
            dfail += bad
            continue
        if not dyn or (bad and not dfail):
            out.append((name, result))
        parent = None
        dyn = dfail = 0
    return out


def count(results):
    p = sum(1 for _, r in results if r == "SUCCESS")
    s = sum(1 for _, r in results if r == "SKIP")
    return p, len(results) - p - s, s


# ------------------------------------------------------------- run-tests

class Run:
    """The accounting of one tools/vm/run-tests run."""

    def __init__(self, known):
        self.known = known
        self.passed = self.failed = self.skipped = 0
        self.kernel_reported = self.unfinished = 0
        self.detector_reports = self.allowed_n = 0
        self.failures, self.summary, self.allowed = [], [], []
        self.kunit_line = None
        self.fault_line = None

    def fail(self, name, reason):
        self.failed += 1
        self.failures.append("%s: %s" % (name, reason))

    def step_reports(self, path, name, setup):
        """The number of reports in the kernel log of step NAME that fail
        it and a one-line summary of them; allowed reports go to the
        "allowed" list, one entry per distinct report."""
        lines = read_lines(path)
        judged = judge(lines, setup, self.known) if lines else []
        bad = sum(1 for v, _ in judged if failing(v))
        self.detector_reports += len(judged)
        self.allowed_n += len(judged) - bad
        first = ""
        for n, verdict, text in summarize(judged):
            if verdict.startswith("known:"):
                self.allowed.append(
                    "known upstream report, not ionode's, in %s: %d x %s: %s"
                    % (name, n, verdict[len("known:"):], text))
            elif verdict == "noise":
                self.allowed.append(
                    "vm-setup noise (no ionode frame): %d x %s" % (n, text))
            elif not first:
                first = "%d x %s: %s" % (n, verdict, text)
        if bad > 1:
            first += " (%d reports in all, by kind above)" % bad
        return bad, first

    def binary(self, d, name):
        """Count the results of one step run by guest-tests."""
        if not os.path.isdir(d):
            self.fail(name, "not run")
            self.summary.append("FAIL %s: not run" % name)
            return
        rc_text = read_text(os.path.join(d, "rc"))
        if rc_text is None:
            self.unfinished += 1
            self.fail(name, "did not finish (VM died or timed out, see above)")
            self.summary.append("FAIL %s: did not finish" % name)
            return
        rc_text = rc_text.strip()
        try:
            rc = int(rc_text)
        except ValueError:
            rc = 0
        status = "exit status %s" % rc_text
        if rc == 124:
            status = "timed out"
        if rc > 128:
            try:
                sig = signal.Signals(rc - 128).name
            except ValueError:
                sig = "SIG%d" % (rc - 128)
            status = "killed by " + sig
        results = subtests(read_lines(os.path.join(d, "output")) or [])
        p, f, s = count(results)
        for sub, result in results:
            if result not in ("SUCCESS", "SKIP"):
                self.failures.append("%s/%s: %s" % (name, sub, result))
        self.failed += f
        if not results:
            # No subtests: the binary is one test.
            if rc == 0:
                p = 1
            elif rc == 77:
                s = 1
            else:
                f = 1
                self.fail(name, status)
        elif rc not in (0, 77) and f == 0:
            f = 1
            self.fail(name, status + " without a failed subtest")
        bad, first = self.step_reports(os.path.join(d, "dmesg"), name, False)
        if bad:
            f += 1
            self.kernel_reported += 1
            self.fail(name, "kernel problem report while it ran: " + first)
        self.passed += p
        self.skipped += s
        self.summary.append("%s %s: %d passed, %d failed, %d skipped (%s)" % (
            "FAIL" if f else "ok", name, p, f, s, status))

    def kunit(self, path):
        """The KUnit suites built into ionode.ko ran when it was loaded."""
        res = kunit_results(read_lines(path) or [])
        if not res:
            return
        kp = kf = ks = 0
        for verdict, name, why in res:
            if verdict == "ok":
                kp += 1
                self.summary.append("ok kunit " + name)
            elif verdict == "not ok":
                kf += 1
                self.summary.append("FAIL kunit " + name)
                self.failures.append("kunit %s: not ok (see the KTAP output "
                                     "in the guest log)" % name)
            else:
                ks += 1
                self.summary.append("skip kunit " + name +
                                    ("" if why is None else " " + why))
        self.passed += kp
        self.failed += kf
        self.skipped += ks
        self.kunit_line = "kunit: %d passed, %d failed, %d skipped" % (
            kp, kf, ks)

    def account(self, results, bins, vm_rc):
        if not bins:
            self.fail("test-binaries", "none found")
        bad, first = self.step_reports(
            os.path.join(results, "setup", "dmesg"), "vm-setup", True)
        if bad:
            self.kernel_reported += 1
            self.fail("vm-setup", "kernel problem report during boot or "
                      "module loading: " + first)
        self.kunit(os.path.join(results, "setup", "dmesg"))
        for i, b in enumerate(bins, 1):
            self.binary(os.path.join(results, str(i)), os.path.basename(b))
        if os.path.isdir(os.path.join(results, "kmemleak")):
            self.binary(os.path.join(results, "kmemleak"), "kmemleak")
        unload_rc = read_text(os.path.join(results, "unload", "rc"))
        if unload_rc is not None and unload_rc.strip() == "skip":
            self.skipped += 1
            self.summary.append("skip module-unload: ionode was not loaded")
        else:
            self.binary(os.path.join(results, "unload"), "module-unload")
        if os.path.isdir(os.path.join(results, "kmemleak-after-unload")):
            self.binary(os.path.join(results, "kmemleak-after-unload"),
                        "kmemleak-after-unload")
        # ionode_fault's closing line, for the summary.
        for out in sorted(glob.glob(os.path.join(results, "*", "output"))):
            for line in read_lines(out) or []:
                if line.startswith("fault injection: "):
                    self.fault_line = line
        # vm-run's verdict, unless a test already accounts for it.
        if vm_rc == 0:
            pass
        elif vm_rc == 3:
            if not (self.kernel_reported or self.unfinished):
                self.fail("vm", "kernel problem reported (see above)")
        elif vm_rc == 124:
            if not self.unfinished:
                self.fail("vm", "timed out")
        elif vm_rc == 125:
            self.fail("vm", "setup failed (see above)")
        else:
            self.fail("vm", "guest-tests exited with status %d" % vm_rc)

    def report(self):
        out = ["==================== test summary ===================="]
        out += ["  " + s for s in self.summary]
        if self.kunit_line:
            out.append(self.kunit_line)
        if self.fault_line:
            out.append(self.fault_line)
        out.append("kernel detector reports: %d (%d failing, %d allowed)" % (
            self.detector_reports, self.detector_reports - self.allowed_n,
            self.allowed_n))
        if self.allowed:
            out.append("Allowed reports (not ionode's, do not fail the run):")
            out += ["  " + a for a in self.allowed]
        if self.failures:
            out.append("Failures:")
            out += ["  " + f for f in self.failures]
        return out

    def total(self):
        return "%d passed, %d failed, %d skipped" % (
            self.passed, self.failed, self.skipped)


def cmd_run_tests(args):
    vm_rc = args.vm_rc
    run = Run(load_known())
    run.account(args.results, args.bins, vm_rc)
    report = run.report()
    log = args.log
    if log:
        os.makedirs(os.path.dirname(log) or ".", exist_ok=True)
        with open(log + ".tmp", "w", encoding="latin-1") as f:
            f.write("run-tests: %s, kernel %s, vm-run exit status %d\n" % (
                time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()),
                args.kver, vm_rc))
            for name in ("output.log", "console.log", "dmesg.log"):
                f.write("==================== %s ====================\n" %
                        name)
                try:
                    with open(os.path.join(args.vm_out, name), "rb") as src:
                        f.write(src.read().decode("latin-1"))
                except OSError:
                    f.write("(missing)\n")
            f.write("\n".join(report + [run.total()]) + "\n")
        os.replace(log + ".tmp", log)
    print()
    print("\n".join(report))
    if log:
        shown = log
        if args.repo and log.startswith(args.repo + "/"):
            shown = log[len(args.repo) + 1:]
        print("Full guest log: " + shown)
    print(run.total())
    return 0 if run.failed == 0 else 1


# ---------------------------------------------------------------- vm-run

def vm_klog(out, known):
    """vm-run's check of the kernel log in its out dir: (lines for stderr,
    kernel problem text or None)."""
    # The guest writes dmesg.log when it finishes; if it died before that,
    # the serial console is the log. If the kernel's ring buffer wrapped
    # (a flood of reports), dmesg.log lost the beginning of the run and
    # the console is the more complete log.
    klog = os.path.join(out, "console.log")
    dmesg = read_lines(os.path.join(out, "dmesg.log"))
    if dmesg and re.match(r"^\[ *0\.000000\]", dmesg[0]):
        klog = os.path.join(out, "dmesg.log")
    lines = read_lines(klog)
    judged = []
    failing_text = []
    if lines is not None:
        for part, setup in zip(split_setup(lines), (True, False)):
            j = judge(part, setup, known)
            judged += j
            bad = [r for v, r in j if failing(v)][:5]
            if bad:
                if failing_text:
                    failing_text.append("--")
                failing_text.append("\n--\n".join("\n".join(r) for r in bad))
    summary = summarize(judged)
    err = []
    for n, verdict, text in summary:
        if verdict.startswith("known:"):
            err.append("vm-run: known upstream report, not ionode's (%s, "
                       "%dx): %s" % (verdict[len("known:"):], n, text))
        elif verdict == "noise":
            err.append("vm-run: vm-setup noise, no ionode frame (%dx): %s"
                       % (n, text))
    problem = None
    if failing_text:
        bar = "=" * 20
        problem = "\n".join(
            ["vm-run: %s KERNEL PROBLEM REPORTED %s" % (bar, bar)] +
            failing_text +
            ["vm-run: ---- every failing report, by kind:"] +
            ["vm-run:   %d x %s: %s" % s for s in summary if failing(s[1])] +
            ["vm-run: " + "=" * 64])
    elif not judged:
        # Allowed reports taint the kernel too: the taint only counts alone.
        taint = taint_problems((read_text(os.path.join(out, "tainted")) or
                                "").strip())
        if taint:
            problem = "vm-run: KERNEL PROBLEM: %s (see %s)" % (taint, klog)
    return err, problem


def cmd_vm_klog(args):
    err, problem = vm_klog(args.out, load_known())
    for line in err:
        print(line, file=sys.stderr)
    if problem:
        print(problem)
    return 0


def cmd_subtests(args):
    p, f, s = count(subtests(read_lines(args.output) or []))
    print("p=%d f=%d s=%d" % (p, f, s))
    return 0


# ------------------------------------------------------------- self-test

SELF_TEST_LOGS = {
    "kasan-ionode": ("""\
[   12.000000] ==================================================================
[   12.000001] BUG: KASAN: use-after-free in ionode_bo_free+0x40/0x90 [ionode]
[   12.000002] Read of size 8 at addr ffff888012345678 by task ionode_basic/123
[   12.000003] Call Trace:
[   12.000004]  <TASK>
[   12.000005]  ionode_bo_free+0x40/0x90 [ionode]
[   12.000006]  drm_gem_object_free+0x10/0x20 [drm]
[   12.000007]  </TASK>
[   12.000008] ==================================================================
[   12.000009] run-tests: starting /x/ionode_unbind
""", False, ["ionode"]),
    "known-upstream": ("""\
[   20.000000] WARNING: CPU: 0 PID: 99 at kernel/dma/debug.c:1168 debug_dma_map_sg+0x1/0x2
[   20.000001] DMA-API: vkms vkms: mapping sg segment longer than device claims to support [len=1523712] [max=65536]
[   20.000002] Modules linked in: ionode(OE) vkms vgem
[   20.000003] CPU: 0 PID: 99 Comm: ionode_peers Tainted: G OE 6.1.0 #1
[   20.000004]  vkms_gem_prime_import_sg_table+0x1/0x2 [vkms]
[   20.000005] ---[ end trace 0000000000000000 ]---
""", False, ["known:vkms-dma-max-seg"]),
    "setup-noise": ("""\
[    3.000000] unreferenced object 0xffff888003a4b000 (size 64):
[    3.000001]   comm "swapper/0", pid 1, jiffies 4294667296 (age 8.100s)
[    3.000002]   backtrace:
[    3.000003]     kmalloc_trace+0x1/0x2
[    3.000004]     acpi_os_map_iomem+0x1/0x2
[    3.000005] unreferenced object 0xffff888003a4c000 (size 64):
[    3.000006]   comm "insmod", pid 90, jiffies 4294667296 (age 8.100s)
[    3.000007]   backtrace:
[    3.000008]     ionode_heap_register+0x1/0x2 [ionode]
""", True, ["noise", "ionode"]),
    "after-setup-other": ("""\
[   30.000000] WARNING: CPU: 1 PID: 7 at mm/page_alloc.c:1 foo+0x1/0x2
[   30.000001]  bar+0x3/0x4
[   30.000002] ---[ end trace 0000000000000000 ]---
[   30.000003] DMA-API: preallocated 65536 debug entries
""", False, ["other"]),
    "cycle-through-ionode": ("""\
[   40.000000] ======================================================
[   40.000001] WARNING: possible circular locking dependency detected
[   40.000002] the existing dependency chain (in reverse order) is:
[   40.000003] -> #1 (&shmem->vmap_lock){+.+.}-{3:3}:
[   40.000004]        vkms_prepare_fb+0x1/0x2 [vkms]
[   40.000005] -> #0 (&dmabuf->lock){+.+.}-{3:3}:
[   40.000006]        ionode_vb2_vaddr+0x1/0x2 [ionode_v4l2]
[   40.000007]        job_work+0x1/0x2 [ionode_v4l2]
[   40.000008]  </TASK>
""", False, ["known:shmem-vmap-dmabuf-lock-cycle"]),
    "cycle-other-ionode-frame": ("""\
[   40.000001] WARNING: possible circular locking dependency detected
[   40.000003] -> #1 (&shmem->vmap_lock){+.+.}-{3:3}:
[   40.000004]        vkms_prepare_fb+0x1/0x2 [vkms]
[   40.000005] -> #0 (&dmabuf->lock){+.+.}-{3:3}:
[   40.000006]        ionode_gem_vmap+0x1/0x2 [ionode]
[   40.000008]  </TASK>
""", False, ["ionode"]),
}

SELF_TEST_OUTPUT = """\
IGT-Version: 1.27 (ionode)
Starting subtest: create
Subtest create: SUCCESS (0.001s)
Starting subtest: heaps
Starting dynamic subtest: system
Dynamic subtest system: SUCCESS (0.000s)
Starting dynamic subtest: carveout0
Dynamic subtest carveout0: FAIL (0.000s)
Subtest heaps: FAIL (0.002s)
Subtest cma: SKIP (0.000s)
Starting subtest: own
Starting dynamic subtest: system
Dynamic subtest system: SUCCESS (0.000s)
Subtest own: FAIL (0.001s)
"""

SELF_TEST_KTAP = """\
[    5.000000]     # Subtest: ionode_heap
[    5.000001]     1..3
[    5.000002]     ok 1 - first
[    5.000003]     not ok 2 - second
[    5.000004]     ok 3 - third # SKIP no cma
[    5.000005] # ionode_heap: pass:1 fail:1 skip:1 total:3
[    5.000006] not ok 1 - ionode_heap
[    5.000007]     # Subtest: ionode_empty
[    5.000008] not ok 2 - ionode_empty
"""


def self_test():
    known = load_known()
    bad = 0

    def check(what, got, want):
        nonlocal bad
        if got != want:
            bad += 1
            print("self-test: %s: got %r, want %r" % (what, got, want))

    check("allow-list", len(known) > 0, True)
    for name, (log, setup, want) in SELF_TEST_LOGS.items():
        got = [v for v, _ in judge(log.split("\n"), setup, known)]
        check(name, got, want)
    check("taint", taint_problems("4096"), None)
    check("taint W", taint_problems("%d" % (1 << 9 | 4096)),
          "kernel tainted (4608): W(warning)")
    res = subtests(SELF_TEST_OUTPUT.split("\n"))
    check("subtests", res, [("create", "SUCCESS"), ("heaps@system", "SUCCESS"),
                            ("heaps@carveout0", "FAIL"), ("cma", "SKIP"),
                            ("own@system", "SUCCESS"), ("own", "FAIL")])
    check("counts", count(res), (3, 2, 1))
    check("kunit", kunit_results(SELF_TEST_KTAP.split("\n")),
          [("ok", "ionode_heap.first", None),
           ("not ok", "ionode_heap.second", None),
           ("skip", "ionode_heap.third", "no cma"),
           ("not ok", "ionode_empty", None)])
    n = len(SELF_TEST_LOGS) + 6
    print("results.py self-test: %d checks, %d failed" % (n, bad))
    return 1 if bad else 0


def main(argv):
    for stream in (sys.stdout, sys.stderr):
        stream.reconfigure(encoding="latin-1", errors="replace")
    ap = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__.split("\n\n", 1)[1])
    ap.add_argument("--self-test", action="store_true",
                    help="check the classifier on canned kernel logs")
    sub = ap.add_subparsers(dest="cmd")
    rt = sub.add_parser("run-tests", help="account a tools/vm/run-tests run")
    rt.add_argument("results", help="the guest's results directory")
    rt.add_argument("bins", nargs="*", metavar="BIN",
                    help="the binaries guest-tests ran, in order")
    rt.add_argument("--vm-rc", type=int, default=0,
                    help="vm-run's exit status")
    rt.add_argument("--vm-out", default="",
                    help="vm-run's out dir (its logs go into --log)")
    rt.add_argument("--kver", default="", help="the kernel, for --log")
    rt.add_argument("--log", help="where to keep the full guest log")
    rt.add_argument("--repo", help="shown paths are relative to it")
    rt.set_defaults(func=cmd_run_tests)
    vk = sub.add_parser("vm-klog", help="vm-run's kernel-log check")
    vk.add_argument("out", help="vm-run's out dir")
    vk.set_defaults(func=cmd_vm_klog)
    st = sub.add_parser("subtests", help="count a binary's IGT results")
    st.add_argument("output", help="the binary's output")
    st.set_defaults(func=cmd_subtests)
    args = ap.parse_args(argv)
    if args.self_test:
        return self_test()
    if not args.cmd:
        ap.print_usage(sys.stderr)
        return 2
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
