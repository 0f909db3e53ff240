#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""report.py: bench_heaps' figures (its -o JSON) as a report.

  report.py [--md FILE] [--png FILE] [--baseline FILE] BENCH.json
      print the Markdown report (also written to FILE with --md): one
      table of every allocator at every size, each ionode figure followed
      by its ratio to the best peer, then the speed targets with the
      measured ratio and whether each is met; with --png, a chart of
      latency against size (Debian's python3-matplotlib; skipped with a
      note when it is missing). --baseline (default: baseline.json next
      to this script) holds the cold ratios of the driver the targets call
      "today".
  report.py --write-baseline FILE [--note TEXT] BENCH.json
      record BENCH.json's cold ratios as that baseline (TEXT: which driver).
  report.py --self-test
      check the ratios, the best-peer rule and the targets on canned
      figures (make host-checks).

The best peer of a figure is the lowest figure, at the same size, of the
upstream allocators ("peer": true) of the same kind (contiguous or not;
all peers when none is of that kind), leaving out a lazy allocator's
alloc+free, back to back, paced and cold (vgem gets its pages at first
use, so its alloc+free allocates no memory) and a self-import's import
(vgem importing its own buffer attaches nothing). The targets compare with the upstream system heap
("dma-heap-system") itself; the steady-state alloc+free targets are
evaluated twice, paced (each alloc+free after bench_heaps' pause, a frame
period: the frame-rate pipeline they were set for) and back to back (as
fast as the CPU can: a pool zeroing freed memory off the caller's path
is held to its zeroing throughput). The ALLOC_FD rows' cold target uses
their own baseline when it has one, else that of the PRIME row of the
same caching mode: one ioctl instead of three must be no slower than
today's PRIME path. Targets are reported, never enforced: the exit
status is 0 unless the input cannot be read.
"""

import argparse
import json
import math
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
PAGE = 4096
KIB, MIB = 1 << 10, 1 << 20

# (key in the JSON, column title, has a p99 column); the JSON has every
# p99, the table only alloc+free's.
COLUMNS = [
    ("alloc", "alloc+free, back to back", True),
    ("paced", "paced alloc+free", True),
    ("cold", "cold alloc+free", True),
    ("touch", "first touch", False),
    ("faults", "faults", False),
    ("sync", "SYNC pair", False),
    ("noop", "no-op pair", False),
    ("import", "import", False),
    ("written", "written alloc+free, back to back", True),
    ("wpaced", "written, paced", True),
]

SYSTEM_PEER = "dma-heap-system"
ION_ROWS = [("ionode-system-wc", "wc"), ("ionode-system-cached", "cached"),
            ("ionode-system-wc-fd", "wc, ALLOC_FD"),
            ("ionode-system-cached-fd", "cached, ALLOC_FD")]
# A row without a baseline of its own is held to this row's ("today's"
# PRIME path of the same caching mode).
BASELINE_OF = {"ionode-system-wc-fd": "ionode-system-wc",
               "ionode-system-cached-fd": "ionode-system-cached"}
COLD_SLACK = 1.3  # run-to-run spread of a ratio of two medians under TCG


def size_name(size):
    if size >= MIB and size % MIB == 0:
        return "%d MiB" % (size // MIB)
    return "%d KiB" % (size // KIB)


class Bench:
    """The JSON, indexed: result(id, size) -> dict of metric -> figures."""

    def __init__(self, data):
        self.data = data
        self.sizes = data["sizes"]
        self.allocs = data["allocators"]
        self.by_id = {a["id"]: a for a in self.allocs}
        # Labels name rows: one shared by two (a JSON of before the
        # ALLOC_FD rows had their own) gets the id.
        labels = [a["label"] for a in self.allocs]
        for a in self.allocs:
            if labels.count(a["label"]) > 1:
                a["label"] = "%s [%s]" % (a["label"], a["id"])
        self.res = {}
        for a in self.allocs:
            for r in a.get("results", []):
                self.res[(a["id"], r["size"])] = r

    def present(self):
        return [a for a in self.allocs if not a.get("missing")]

    def value(self, aid, size, metric, stat="median"):
        r = self.res.get((aid, size))
        if not r or "skipped" in r or metric not in r:
            return None
        return r[metric].get(stat)

    def best_peer(self, alloc, size, metric, stat="median"):
        """(value, peer id) of the best peer for @alloc's figure, or None."""
        peers = [a for a in self.present() if a["peer"]]
        same = [a for a in peers if a["contig"] == alloc["contig"]]
        best = None
        for a in same or peers:
            if metric in ("alloc", "paced", "cold", "written", "wpaced") and a.get("lazy"):
                continue
            if metric == "import" and a.get("self_import"):
                continue
            v = self.value(a["id"], size, metric, stat)
            if v is not None and (best is None or v < best[0]):
                best = (v, a["id"])
        return best

    def ratio(self, num_id, den_id, size, metric, stat="median"):
        a = self.value(num_id, size, metric, stat)
        b = self.value(den_id, size, metric, stat)
        if a is None or b is None or b <= 0:
            return None
        return a / b


def fmt(v, metric):
    if v is None:
        return "-"
    if metric == "faults":
        return "%d" % round(v)
    if v >= 1000:
        return "%.0f" % v
    return "%.1f" % v if v >= 10 else "%.2f" % v


def cell(bench, alloc, size, metric, stat):
    v = bench.value(alloc["id"], size, metric, stat)
    text = fmt(v, metric)
    if v is None:
        return text
    best = bench.best_peer(alloc, size, metric, stat)
    if alloc["peer"]:
        if best and best[1] == alloc["id"]:
            return "**%s**" % text
        return text
    if best is None:
        return text
    if best[0] <= 0:
        return "%s (peer 0)" % text
    return "%s (%.2f×)" % (text, v / best[0])


def table(bench):
    head = ["size", "allocator"]
    for _, title, p99 in COLUMNS:
        head.append(title)
        if p99:
            head.append("p99")
    lines = ["| " + " | ".join(head) + " |",
             "|" + "|".join("---" if i < 2 else "--:" for i in range(len(head))) + "|"]
    for size in bench.sizes:
        for a in bench.present():
            r = bench.res.get((a["id"], size))
            if r is None:
                continue
            row = [size_name(size), a["label"]]
            if "skipped" in r:
                row.append(r["skipped"])
                row += [""] * (len(head) - 3)
            else:
                for key, _, p99 in COLUMNS:
                    row.append(cell(bench, a, size, key, "median"))
                    if p99:
                        row.append(cell(bench, a, size, key, "p99"))
            lines.append("| " + " | ".join(row) + " |")
    return lines


def verdict(ok):
    if ok is None:
        return "n/a"
    return "yes" if ok else "**no**"


def rx(v, goal=None):
    """A ratio, with more decimals where two would read as @goal
    (1.0005× is not ≤ 1.00×)."""
    if v is None:
        return "-"
    digits = 2
    while goal is not None and v != goal and round(v, digits) == goal and digits < 6:
        digits += 1
    return "%.*f×" % (digits, v)


def paced_name(bench):
    """How the paced rows are named: "paced 30 ms"."""
    ms = bench.data.get("pause_ms")
    return "paced %s ms" % ms if ms else "paced"


def baseline_of(baseline, aid, size):
    """(cold ratio, borrowed) of @aid's baseline at @size: its own, else
    (borrowed) its PRIME row's, else (None, False)."""
    cold = (baseline or {}).get("cold_ratio", {})
    for bid in (aid, BASELINE_OF.get(aid)):
        v = cold.get(bid, {}).get(str(size)) if bid else None
        if v is not None:
            return v, bid != aid
    return None, False


def targets(bench, baseline):
    """Rows [target, goal, measured, met] of the issue's speed targets."""
    rows = []
    peer = SYSTEM_PEER
    have_peer = peer in bench.by_id and not bench.by_id[peer].get("missing")
    paced = paced_name(bench)
    for aid, kind in ION_ROWS:
        if aid not in bench.by_id or bench.by_id[aid].get("missing"):
            continue
        # Steady state, paced (the frame-rate case) then back to back.
        for sizes, goal in (((8 * MIB, 32 * MIB), 0.20), ((4 * KIB, 64 * KIB), 1.0)):
            for size in sizes:
                for metric, how in (("paced", paced), ("alloc", "back to back"),
                                    ("wpaced", "written, " + paced),
                                    ("written", "written, back to back")):
                    if metric.startswith("w") and not bench.value(aid, size, metric):
                        continue  # a JSON from before the written figures
                    r = bench.ratio(aid, peer, size, metric) if have_peer else None
                    rows.append(["alloc+free %s, %s, %s" % (size_name(size), kind, how),
                                 "≤ %.2f×" % goal, rx(r, goal),
                                 verdict(None if r is None else r <= goal)])
        for size in (8 * MIB, 32 * MIB):
            r = bench.ratio(aid, peer, size, "touch") if have_peer else None
            faults = bench.value(aid, size, "faults")
            limit = size // PAGE / 100
            ok = None
            if r is not None and faults is not None:
                ok = r <= 0.5 and faults <= limit
            rows.append(["first touch %s, %s" % (size_name(size), kind),
                         "≤ 0.50×, ≤ %d faults" % limit,
                         "%s, %s faults" % (rx(r), fmt(faults, "faults")), verdict(ok)])
        worst = None
        for size in bench.sizes:
            s = bench.value(aid, size, "sync")
            n = bench.value(aid, size, "noop")
            if s is not None and n:
                r = s / n
                if worst is None or r > worst[0]:
                    worst = (r, size)
        rows.append(["SYNC pair / no-op pair, %s (worst size%s)" %
                     (kind, ", %s" % size_name(worst[1]) if worst else ""),
                     "≤ 1.50×", rx(worst[0] if worst else None, 1.5),
                     verdict(None if worst is None else worst[0] <= 1.5)])
        for size in bench.sizes:
            r = bench.ratio(aid, peer, size, "cold") if have_peer else None
            base, borrowed = baseline_of(baseline, aid, size)
            ok = None
            if r is not None and base is not None:
                ok = r <= base * COLD_SLACK
            goal = "≤ today (no baseline)"
            if base is not None:
                goal = "≤ %s × %.2f" % (rx(base), COLD_SLACK)
                if borrowed:
                    goal += " (PRIME's)"
            rows.append(["cold alloc+free %s, %s, vs today" % (size_name(size), kind),
                         goal, rx(r), verdict(ok)])
    return rows


# Why a target is missed, for the rows of targets() that say "no": the
# causes measured and profiled in Documentation/heaps.rst ("Compared with
# dma-buf heaps"), first match wins.
MISS_REASONS = [
    ("written, back to back",
     "every reused byte of a written buffer is zeroed once before reuse, by "
     "the worker or by the allocation that meets it first; back to back there "
     "is no time to do it off the path, so the loop runs at the rate the CPU "
     "zeroes, as the upstream heap's does, plus ionode's fixed cost per buffer "
     "(see the 4 KiB rows)"),
    ("written, paced",
     "the pause leaves the worker too little time to zero the buffer under "
     "TCG, or (small buffers) the buffer's fixed cost dominates, as in the "
     "4 KiB rows"),
    ("SYNC pair",
     "SYNC start and end take the buffer's lock and walk its attachments (none "
     "here), as the upstream heap's do; the ratio at the worst of the sizes "
     "moves by about 0.2 from run to run under TCG"),
]
# The 4 KiB rows left: by DRM_IOCTL_IONODE_ALLOC_FD, or by the PRIME route.
ALLOC_FD_4K = ("the dma-buf's anonymous inode and file, the same for both, is "
               "about half of a 4 KiB round trip; ionode's object and accounting "
               "cost about what the upstream heap's page allocation and zeroing "
               "do, and the spread of one run under TCG is larger than the "
               "difference")
PRIME_4K = ("the PRIME route is three system calls (CREATE, PRIME export, "
            "GEM_CLOSE) and DRM's handle bookkeeping (handle IDR, PRIME's "
            "lookup trees, mmap-offset permissions) where the upstream heap "
            "makes one; the dma-buf file, half of the cost, is the same: "
            "DRM_IOCTL_IONODE_ALLOC_FD is ionode's one-call equivalent")


def miss_reason(name):
    """Why the target of row @name is missed, in a sentence."""
    for key, why in MISS_REASONS:
        if key in name:
            return why
    if name.startswith("alloc+free 4 KiB,"):
        return ALLOC_FD_4K if "ALLOC_FD" in name else PRIME_4K
    return "see Documentation/heaps.rst"


def report(bench, baseline, baseline_name):
    d = bench.data
    out = ["# ionode heaps against the upstream allocators", ""]
    out.append("Kernel %s, KASAN %s, ionode %s; %d rounds over the allocators, "
               "%d warm-up iteration(s) each; bench_heaps took %s s." %
               (d["kernel"], d["kasan"], d["ionode"], d["rounds"], d["warmup"],
                d.get("seconds", "?")))
    out.append("")
    if d["kasan"] == "on":
        out += ["**KASAN is on: its checks (and this debug kernel's other detectors) "
                "distort every absolute time; compare ratios within this run only.**", ""]
    if d.get("checks_failed"):
        out += ["**A buffer did not hold what it should: see bench.txt.**", ""]
    if not d.get("cold"):
        out += ["Cold allocations were not measured (drop_caches not writable).", ""]
    missing = [a for a in bench.allocs if a.get("missing")]
    if missing:
        out.append("Missing: " + "; ".join("%s (%s)" % (a["label"], a["missing"])
                                           for a in missing) + ".")
        out.append("")
    pause = d.get("pause_ms")
    out.append("Medians in µs (and the 99th percentiles of alloc+free); faults per first "
               "touch (median). Each ionode "
               "figure is followed by its ratio to the best peer (in bold: the upstream "
               "allocators of the same kind, the lazy vgem's alloc+free and its "
               "self-import left out). alloc+free, back to back: one after the other as "
               "fast as the CPU can. paced: %s. cold: after drop_caches. "
               "no-op pair: two ioctls the dma-buf rejects (ENOTTY). import: into vgem "
               "and released. written: alloc+free of buffers written between the two "
               "(one byte per page through a mapping, not timed), back to back and "
               "paced: memory somebody wrote must be zeroed before reuse, memory "
               "nobody touched need not be." %
               ("each after a %s ms pause, a frame period (frame-rate allocation)" % pause
                if pause else "not measured"))
    out.append("")
    out += table(bench)
    out += ["", "## Targets", "",
            "Ratios of medians to the upstream system heap (%s) of this run; cold "
            "against %s. Reported, not enforced. The steady-state alloc+free targets "
            "are shown %s (each after a pause of a frame: the frame-rate pipeline they "
            "were set for, where a pool zeroing freed memory off the caller's path "
            "has the time to) and back to back (no pause: such a pool is held to its "
            "zeroing throughput)." % (SYSTEM_PEER, baseline_name, paced_name(bench)), "",
            "| target | goal | measured | met |", "|---|---|---|---|"]
    rows = targets(bench, baseline)
    for row in rows:
        out.append("| " + " | ".join(row) + " |")
    out.append("")
    missed = [r for r in rows if r[3] == verdict(False)]
    if missed:
        out += ["Missed, by how much and why (the profiles are in "
                "Documentation/heaps.rst):", ""]
        for r in missed:
            out.append("- %s: %s for %s: %s." % (r[0], r[2], r[1], miss_reason(r[0])))
        out.append("")
    return "\n".join(out)


def chart(bench, path):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("report.py: no matplotlib (apt-get install python3-matplotlib): no chart",
              file=sys.stderr)
        return False
    panels = [("alloc", "alloc+free, back to back"),
              ("paced", "alloc+free, %s" % paced_name(bench)),
              ("cold", "alloc+free, cold"), ("touch", "first touch")]
    # A metric not measured (paced with -p 0, cold without drop_caches,
    # a JSON of before paced) gets no panel.
    panels = [p for p in panels
              if any(bench.value(a["id"], s, p[0]) for a in bench.present()
                     for s in bench.sizes)]
    fig, axes = plt.subplots(1, len(panels), figsize=(5 * len(panels), 5.5),
                             squeeze=False)
    axes = axes[0]
    for ax, (metric, title) in zip(axes, panels):
        for a in bench.present():
            pts = [(s, bench.value(a["id"], s, metric)) for s in bench.sizes]
            pts = [(s / KIB, v) for s, v in pts if v]
            if not pts:
                continue
            fd = a["id"].endswith("-fd")
            ax.plot([p[0] for p in pts], [p[1] for p in pts],
                    "--" if a["peer"] else ":" if fd else "-",
                    marker="o" if a["peer"] else "^" if fd else "s",
                    label=a["label"])
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xticks([s / KIB for s in bench.sizes])
        ax.set_xticklabels([size_name(s) for s in bench.sizes])
        ax.set_xlabel("buffer size")
        ax.set_ylabel("median, µs")
        ax.set_title(title)
        ax.grid(True, which="both", alpha=0.3)
    axes[0].legend(fontsize="small")
    d = bench.data
    fig.suptitle("ionode vs upstream allocators: kernel %s, KASAN %s%s" %
                 (d["kernel"], d["kasan"],
                  " (absolute times distorted)" if d["kasan"] == "on" else ""))
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return True


def cold_ratios(bench):
    out = {}
    for aid, _ in ION_ROWS:
        for size in bench.sizes:
            r = bench.ratio(aid, SYSTEM_PEER, size, "cold")
            if r is not None:
                out.setdefault(aid, {})[str(size)] = round(r, 3)
    return out


# ------------------------------------------------------------- self-test

def canned():
    def res(size, alloc, touch, faults, sync=10.0, noop=8.0, cold=None, paced=None,
            written=None):
        m = {"alloc": alloc, "paced": paced or alloc, "cold": cold or alloc * 2,
             "touch": touch, "faults": faults, "sync": sync, "noop": noop,
             "import": 50.0}
        if written:
            m["written"] = m["wpaced"] = written
        r = {"size": size}
        for k, v in m.items():
            r[k] = {"median": v, "p99": v * 2, "n": 10}
        return r

    def alloc(aid, peer, results, lazy=False, contig=False, missing=None, label=None):
        return {"id": aid, "label": label or aid, "peer": peer, "contig": contig,
                "lazy": lazy, "self_import": lazy, "missing": missing, "results": results}

    sizes = [4 * KIB, 8 * MIB, 32 * MIB]
    return {
        "tool": "bench_heaps", "version": 1, "kernel": "6.1.0-test", "kasan": "on",
        "ionode": "1.0.0", "rounds": 4, "warmup": 2, "cold": True, "pause_ms": 30,
        "seconds": 1,
        "checks_failed": False, "sizes": sizes,
        "allocators": [
            alloc("ionode-system-wc", False, [
                res(4 * KIB, 90, 20, 1),
                res(8 * MIB, 1000, 4000, 2048, sync=20, written=5000),
                res(32 * MIB, 1500, 9000, 8, cold=30000)]),
            alloc("ionode-system-cached", False, [
                res(4 * KIB, 110, 20, 1, paced=50), res(8 * MIB, 20000, 4000, 20, paced=1500),
                res(32 * MIB, 6000, 20000, 80, paced=12000)]),
            # ALLOC_FD: paced meets what back to back does not; its label
            # is that of the PRIME row, as bench_heaps gave it before.
            alloc("ionode-system-wc-fd", False, [
                res(4 * KIB, 120, 20, 1, paced=80, cold=260),
                res(8 * MIB, 9000, 4000, 2048, paced=1800, cold=24000),
                res(32 * MIB, 30000, 9000, 8, paced=16000, cold=60000)],
                label="ionode-system-wc"),
            alloc("ionode-system-contig", False, [
                res(4 * KIB, 50, 20, 1), {"size": 8 * MIB, "skipped": "skipped: big"}],
                contig=True),
            alloc("dma-heap-system", True, [
                res(4 * KIB, 100, 30, 0),
                res(8 * MIB, 10000, 10000, 0, paced=9000, written=10000),
                res(32 * MIB, 40000, 30000, 0, paced=80000)]),
            alloc("udmabuf", True, [
                res(4 * KIB, 200, 25, 1), res(8 * MIB, 12000, 8000, 2048),
                res(32 * MIB, 50000, 40000, 8192)]),
            alloc("vgem", True, [
                res(4 * KIB, 10, 40, 1), res(8 * MIB, 10, 20000, 2048),
                res(32 * MIB, 10, 80000, 8192)], lazy=True),
            alloc("dma-heap-cma", True, [], contig=True, missing="no CMA"),
        ]}


def self_test():
    n = bad = 0

    def check(what, got, want):
        nonlocal n, bad
        n += 1
        if got != want:
            bad += 1
            print("self-test: %s: got %r, want %r" % (what, got, want))

    b = Bench(json.loads(json.dumps(canned())))
    wc = b.by_id["ionode-system-wc"]
    # vgem's alloc is lazy: the best peer at 8 MiB is the dma-heap, not vgem.
    check("best alloc peer", b.best_peer(wc, 8 * MIB, "alloc"), (10000, "dma-heap-system"))
    check("best touch peer", b.best_peer(wc, 8 * MIB, "touch"), (8000, "udmabuf"))
    check("best import peer skips self-import",
          b.best_peer(wc, 4 * KIB, "import")[1], "dma-heap-system")
    # No contiguous peer present: all peers count.
    contig = b.by_id["ionode-system-contig"]
    check("contig falls back to all peers", b.best_peer(contig, 4 * KIB, "alloc"),
          (100, "dma-heap-system"))
    check("ratio cell", cell(b, wc, 8 * MIB, "alloc", "median"), "1000 (0.10×)")
    check("best peer bold", cell(b, b.by_id["dma-heap-system"], 8 * MIB, "alloc",
                                 "median"), "**10000**")
    check("zero peer", cell(b, wc, 8 * MIB, "faults", "median"), "2048 (peer 0)")
    fd = b.by_id["ionode-system-wc-fd"]
    check("shared label gets the id", (wc["label"], fd["label"]),
          ("ionode-system-wc [ionode-system-wc]", "ionode-system-wc [ionode-system-wc-fd]"))
    check("paced cell", cell(b, fd, 8 * MIB, "paced", "median"), "1800 (0.20×)")
    check("paced p99 cell", cell(b, fd, 8 * MIB, "paced", "p99"), "3600 (0.20×)")
    base = {"cold_ratio": {"ionode-system-wc": {str(32 * MIB): 0.5, str(8 * MIB): 2.0},
                           "ionode-system-wc-fd": {str(8 * MIB): 2.5}}}
    rows = {r[0]: r for r in targets(b, base)}
    check("8 MiB wc met", rows["alloc+free 8 MiB, wc, back to back"][2:], ["0.10×", "yes"])
    check("8 MiB cached not met", rows["alloc+free 8 MiB, cached, back to back"][2:],
          ["2.00×", "**no**"])
    check("4 KiB wc", rows["alloc+free 4 KiB, wc, back to back"][2:], ["0.90×", "yes"])
    check("4 KiB cached", rows["alloc+free 4 KiB, cached, back to back"][3], "**no**")
    check("8 MiB cached paced", rows["alloc+free 8 MiB, cached, paced 30 ms"][1:],
          ["≤ 0.20×", "0.17×", "yes"])
    check("32 MiB cached paced", rows["alloc+free 32 MiB, cached, paced 30 ms"][2:],
          ["0.15×", "yes"])
    check("4 KiB cached paced", rows["alloc+free 4 KiB, cached, paced 30 ms"][1:],
          ["≤ 1.00×", "0.50×", "yes"])
    check("ALLOC_FD paced met, back to back not",
          [rows["alloc+free 8 MiB, wc, ALLOC_FD, %s" % how][3]
           for how in ("paced 30 ms", "back to back")], ["yes", "**no**"])
    check("paced row before back to back",
          [r[0] for r in targets(b, base)][:2],
          ["alloc+free 8 MiB, wc, paced 30 ms", "alloc+free 8 MiB, wc, back to back"])
    check("touch time ok, faults not", rows["first touch 8 MiB, wc"][2:],
          ["0.40×, 2048 faults", "**no**"])
    check("written back to back", rows["alloc+free 8 MiB, wc, written, back to back"][2:],
          ["0.50×", "**no**"])
    check("no written row without figures",
          "alloc+free 32 MiB, wc, written, back to back" in rows, False)
    check("miss reason, PRIME 4 KiB", miss_reason("alloc+free 4 KiB, cached, back to back"),
          PRIME_4K)
    check("miss reason, ALLOC_FD 4 KiB",
          miss_reason("alloc+free 4 KiB, cached, ALLOC_FD, paced 30 ms").startswith(
              "the dma-buf's"), True)
    check("miss reason, written", miss_reason(
        "alloc+free 8 MiB, wc, written, back to back").startswith("every reused"), True)
    check("miss reason, SYNC at 64 KiB", miss_reason(
        "SYNC pair / no-op pair, wc (worst size, 64 KiB)").startswith("SYNC start"), True)
    check("touch met", rows["first touch 32 MiB, wc"][2:], ["0.30×, 8 faults", "yes"])
    check("touch faults limit", rows["first touch 32 MiB, cached"][1], "≤ 0.50×, ≤ 81 faults")
    check("sync worst", rows["SYNC pair / no-op pair, wc (worst size, 8 MiB)"][2:],
          ["2.50×", "**no**"])
    check("sync cached", rows["SYNC pair / no-op pair, cached (worst size, 4 KiB)"][2:],
          ["1.25×", "yes"])
    check("cold vs baseline", rows["cold alloc+free 32 MiB, wc, vs today"][1:],
          ["≤ 0.50× × 1.30", "0.38×", "yes"])
    check("cold without baseline", rows["cold alloc+free 4 KiB, wc, vs today"][1:],
          ["≤ today (no baseline)", "0.90×", "n/a"])
    check("ALLOC_FD cold, own baseline",
          rows["cold alloc+free 8 MiB, wc, ALLOC_FD, vs today"][1:],
          ["≤ 2.50× × 1.30", "1.20×", "yes"])
    check("ALLOC_FD cold, PRIME's baseline",
          rows["cold alloc+free 32 MiB, wc, ALLOC_FD, vs today"][1:],
          ["≤ 0.50× × 1.30 (PRIME's)", "0.75×", "**no**"])
    check("ALLOC_FD cold, no baseline at all",
          rows["cold alloc+free 4 KiB, wc, ALLOC_FD, vs today"][1:],
          ["≤ today (no baseline)", "1.30×", "n/a"])
    check("ratio next to the goal", (rx(1.001, 1.0), rx(0.9995, 1.0), rx(1.0, 1.0),
                                     rx(1.001)), ("1.001×", "0.9995×", "1.00×", "1.00×"))
    check("cold ratios", cold_ratios(b)["ionode-system-cached"][str(8 * MIB)], 2.0)
    check("cold ratios of ALLOC_FD", cold_ratios(b)["ionode-system-wc-fd"][str(4 * KIB)],
          1.3)
    md = report(b, base, "a test baseline")
    check("KASAN note", "distort every absolute time" in md, True)
    check("missing listed", "dma-heap-cma (no CMA)" in md, True)
    check("skipped row", "| 8 MiB | ionode-system-contig | skipped: big |" in md, True)
    check("paced columns", "| alloc+free, back to back | p99 | paced alloc+free | p99 |"
          in md, True)
    check("pause in the text", "each after a 30 ms pause" in md, True)
    old = canned()
    del old["pause_ms"]
    for a in old["allocators"]:
        for r in a["results"]:
            r.pop("paced", None)
    ob = Bench(old)
    orows = {r[0]: r for r in targets(ob, base)}
    check("no paced figures", orows["alloc+free 8 MiB, wc, paced"][2:], ["-", "n/a"])
    check("no paced cell", cell(ob, ob.by_id["ionode-system-wc"], 8 * MIB, "paced",
                                "median"), "-")
    widths = {line.count("|") for line in md.splitlines()
              if line.startswith("| ") and "allocator" in md}
    check("table rows of two widths (results, targets)", len(widths), 2)
    print("report.py self-test: %d checks, %d failed" % (n, bad))
    return 1 if bad else 0


def main():
    ap = argparse.ArgumentParser(description="bench_heaps' JSON as a report")
    ap.add_argument("json", nargs="?")
    ap.add_argument("--md")
    ap.add_argument("--png")
    ap.add_argument("--baseline", default=os.path.join(HERE, "baseline.json"))
    ap.add_argument("--write-baseline", metavar="FILE")
    ap.add_argument("--note", default="", help="with --write-baseline: which driver")
    ap.add_argument("--self-test", action="store_true")
    args = ap.parse_args()
    if args.self_test:
        return self_test()
    if not args.json:
        ap.error("no BENCH.json given")
    with open(args.json) as f:
        bench = Bench(json.load(f))

    if args.write_baseline:
        base = {"comment": "cold alloc+free, median, ionode / dma-heap system, "
                           "per size in bytes: the driver the bench's cold "
                           "target calls today (tools/bench/report.py "
                           "--write-baseline)",
                "kernel": bench.data["kernel"], "kasan": bench.data["kasan"],
                "driver": args.note, "cold_ratio": cold_ratios(bench)}
        with open(args.write_baseline, "w") as f:
            json.dump(base, f, indent=2, sort_keys=True)
            f.write("\n")
        return 0

    baseline, name = None, "no baseline"
    if os.path.exists(args.baseline):
        with open(args.baseline) as f:
            baseline = json.load(f)
        name = "%s (kernel %s)" % (os.path.relpath(args.baseline), baseline.get("kernel"))
        if baseline.get("kasan") != bench.data["kasan"]:
            baseline, name = None, "no baseline for KASAN %s" % bench.data["kasan"]
    md = report(bench, baseline, name)
    print(md)
    if args.md:
        with open(args.md, "w") as f:
            f.write(md)
    if args.png and chart(bench, args.png):
        print("report.py: chart in %s" % args.png)
    return 0


if __name__ == "__main__":
    sys.exit(main())
