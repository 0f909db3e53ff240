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
alloc+free (vgem gets its pages at first use, so its alloc+free allocates
no memory) and a self-import's import (vgem importing its own buffer
attaches nothing). The targets compare with the upstream system heap
("dma-heap-system") itself. Targets are reported, never enforced: the exit
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
    ("alloc", "alloc+free", True),
    ("cold", "cold alloc+free", True),
    ("touch", "first touch", False),
    ("faults", "faults", False),
    ("sync", "SYNC pair", False),
    ("noop", "no-op pair", False),
    ("import", "import", False),
]

SYSTEM_PEER = "dma-heap-system"
ION_ROWS = [("ionode-system-wc", "wc"), ("ionode-system-cached", "cached"),
            ("ionode-system-wc-fd", "wc, ALLOC_FD"),
            ("ionode-system-cached-fd", "cached, ALLOC_FD")]
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
            if metric in ("alloc", "cold") and a.get("lazy"):
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


def rx(v):
    return "-" if v is None else "%.2f×" % v


def targets(bench, baseline):
    """Rows [target, goal, measured, met] of the issue's speed targets."""
    rows = []
    peer = SYSTEM_PEER
    have_peer = peer in bench.by_id and not bench.by_id[peer].get("missing")
    for aid, kind in ION_ROWS:
        if aid not in bench.by_id or bench.by_id[aid].get("missing"):
            continue
        for size in (8 * MIB, 32 * MIB):
            r = bench.ratio(aid, peer, size, "alloc") if have_peer else None
            rows.append(["alloc+free %s, %s, steady" % (size_name(size), kind),
                         "≤ 0.20×", rx(r), verdict(None if r is None else r <= 0.20)])
        for size in (4 * KIB, 64 * KIB):
            r = bench.ratio(aid, peer, size, "alloc") if have_peer else None
            rows.append(["alloc+free %s, %s, steady" % (size_name(size), kind),
                         "≤ 1.00×", rx(r), verdict(None if r is None else r <= 1.0)])
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
                     "≤ 1.50×", rx(worst[0] if worst else None),
                     verdict(None if worst is None else worst[0] <= 1.5)])
        for size in bench.sizes:
            r = bench.ratio(aid, peer, size, "cold") if have_peer else None
            base = (baseline or {}).get("cold_ratio", {}).get(aid, {}).get(str(size))
            ok = None
            if r is not None and base is not None:
                ok = r <= base * COLD_SLACK
            rows.append(["cold alloc+free %s, %s, vs today" % (size_name(size), kind),
                         "≤ %s × %.2f" % (rx(base), COLD_SLACK) if base is not None
                         else "≤ today (no baseline)",
                         rx(r), verdict(ok)])
    return rows


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
    out.append("Medians in µs (and the 99th percentile of alloc+free); faults per first "
               "touch (median). Each ionode "
               "figure is followed by its ratio to the best peer (in bold: the upstream "
               "allocators of the same kind, the lazy vgem's alloc+free and its "
               "self-import left out). cold: after drop_caches. no-op pair: two ioctls "
               "the dma-buf rejects (ENOTTY). import: into vgem and released.")
    out.append("")
    out += table(bench)
    out += ["", "## Targets", "",
            "Ratios of medians to the upstream system heap (%s) of this run; cold "
            "against %s. Reported, not enforced." % (SYSTEM_PEER, baseline_name), "",
            "| target | goal | measured | met |", "|---|---|---|---|"]
    for row in targets(bench, baseline):
        out.append("| " + " | ".join(row) + " |")
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
    panels = [("alloc", "alloc+free, steady"), ("cold", "alloc+free, cold"),
              ("touch", "first touch")]
    fig, axes = plt.subplots(1, len(panels), figsize=(15, 5))
    for ax, (metric, title) in zip(axes, panels):
        for a in bench.present():
            pts = [(s, bench.value(a["id"], s, metric)) for s in bench.sizes]
            pts = [(s / KIB, v) for s, v in pts if v]
            if not pts:
                continue
            ax.plot([p[0] for p in pts], [p[1] for p in pts],
                    "--" if a["peer"] else "-", marker="o" if a["peer"] else "s",
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
    def res(size, alloc, touch, faults, sync=10.0, noop=8.0, cold=None):
        m = {"alloc": alloc, "cold": cold or alloc * 2, "touch": touch, "faults": faults,
             "sync": sync, "noop": noop, "import": 50.0}
        r = {"size": size}
        for k, v in m.items():
            r[k] = {"median": v, "p99": v * 2, "n": 10}
        return r

    def alloc(aid, peer, results, lazy=False, contig=False, missing=None):
        return {"id": aid, "label": aid, "peer": peer, "contig": contig, "lazy": lazy,
                "self_import": lazy, "missing": missing, "results": results}

    sizes = [4 * KIB, 8 * MIB, 32 * MIB]
    return {
        "tool": "bench_heaps", "version": 1, "kernel": "6.1.0-test", "kasan": "on",
        "ionode": "1.0.0", "rounds": 4, "warmup": 2, "cold": True, "seconds": 1,
        "checks_failed": False, "sizes": sizes,
        "allocators": [
            alloc("ionode-system-wc", False, [
                res(4 * KIB, 90, 20, 1), res(8 * MIB, 1000, 4000, 2048, sync=20),
                res(32 * MIB, 1500, 9000, 8, cold=30000)]),
            alloc("ionode-system-cached", False, [
                res(4 * KIB, 110, 20, 1), res(8 * MIB, 20000, 4000, 20),
                res(32 * MIB, 6000, 20000, 80)]),
            alloc("ionode-system-contig", False, [
                res(4 * KIB, 50, 20, 1), {"size": 8 * MIB, "skipped": "skipped: big"}],
                contig=True),
            alloc("dma-heap-system", True, [
                res(4 * KIB, 100, 30, 0), res(8 * MIB, 10000, 10000, 0),
                res(32 * MIB, 40000, 30000, 0)]),
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
    base = {"cold_ratio": {"ionode-system-wc": {str(32 * MIB): 0.5}}}
    rows = {r[0]: r for r in targets(b, base)}
    check("8 MiB wc met", rows["alloc+free 8 MiB, wc, steady"][2:], ["0.10×", "yes"])
    check("8 MiB cached not met", rows["alloc+free 8 MiB, cached, steady"][2:],
          ["2.00×", "**no**"])
    check("4 KiB wc", rows["alloc+free 4 KiB, wc, steady"][2:], ["0.90×", "yes"])
    check("4 KiB cached", rows["alloc+free 4 KiB, cached, steady"][3], "**no**")
    check("touch time ok, faults not", rows["first touch 8 MiB, wc"][2:],
          ["0.40×, 2048 faults", "**no**"])
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
    check("cold ratios", cold_ratios(b)["ionode-system-cached"][str(8 * MIB)], 2.0)
    md = report(b, base, "a test baseline")
    check("KASAN note", "distort every absolute time" in md, True)
    check("missing listed", "dma-heap-cma (no CMA)" in md, True)
    check("skipped row", "| 8 MiB | ionode-system-contig | skipped: big |" in md, True)
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
