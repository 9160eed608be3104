#!/usr/bin/env python3
"""Totals of `scripts/vnnlib_side_by_side.py` output, one Markdown table row per property.

usage: scripts/vnnlib_summary.py [--instances] RESULTS.tsv [MORE.tsv...]

Per property: instances; our verdicts and nnenum's (and where they differ); our wall and CPU
(user + sys) seconds in total; nnenum's wall, CPU and self-reported runtime in total; the worst
ratio of our CPU time to nnenum's runtime over the instances nnenum answered (with the network),
and of our wall time to it; the instances where our CPU time exceeds twice nnenum's runtime (nnenum's runtime leaves out its
start-up and model loading, ours includes process start and reading the network: about 0.2 s of
CPU, so the ratio is also given over the instances where nnenum's runtime is at least 1 s); the
proof checks (how many passed) with their wall and CPU totals. Where a run recorded our own
`seconds` (`vnnlib --json`: the decision alone, without process start and reading the files, as
nnenum's runtime leaves out its start-up and model loading; column `ours_runtime_s`), their total
is given with the number of instances it covers, and the instances where it exceeds twice
nnenum's runtime. Files with and without that column can be mixed. With `--instances`, one row per
instance instead.
"""
import csv
import sys
from collections import Counter, defaultdict


def verdicts(counter):
    return ", ".join(f"{n} {v}" for v, n in sorted(counter.items()))


def own(r):
    """Our own reported seconds, or None where the run did not record them."""
    v = r.get("ours_runtime_s")
    return float(v) if v not in (None, "") else None


def instances(rows):
    print("| network | property | ours | ours wall / CPU / own s | nnenum | nnenum wall / CPU / runtime s | check "
          "| check wall / CPU s | proof MB |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in sorted(rows, key=lambda r: (int(r["property"]), r["network"])):
        size = f"{int(r['proof_bytes']) / 1e6:.2f}" if r["check"] != "-" else "-"
        mine = f"{own(r):.2f}" if own(r) is not None else "-"
        print(f"| {r['network']} | {r['property']} | {r['ours']} | {float(r['ours_s']):.2f} / "
              f"{float(r['ours_cpu_s']):.2f} / {mine} | {r['nnenum']} | {float(r['nnenum_wall_s']):.2f} / "
              f"{float(r['nnenum_cpu_s']):.2f} / {float(r['nnenum_runtime_s']):.2f} | {r['check']} | "
              f"{float(r['check_s']):.2f} / {float(r['check_cpu_s']):.2f} | {size} |")


def main():
    args = sys.argv[1:]
    per_instance = "--instances" in args
    rows = []
    for path in [a for a in args if a != "--instances"]:
        with open(path) as f:
            rows += [r for r in csv.DictReader(f, delimiter="\t") if r.get("network") != "network"]
    if per_instance:
        instances(rows)
        return
    by_prop = defaultdict(list)
    for r in rows:
        by_prop[r["property"]].append(r)
    print("| property | instances | ours | nnenum | differ | ours wall / CPU s | nnenum wall / CPU / runtime s "
          "| worst ours CPU / nnenum runtime (runtime >= 1 s) | ours CPU (own time) > 2x runtime | checks ok "
          "| check wall / CPU s |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for p in sorted(by_prop, key=int):
        rs = by_prop[p]
        total = lambda key: sum(float(r[key]) for r in rs)
        # the ratios where nnenum answered (its runtime then measures a complete run)
        answered = [r for r in rs if r["nnenum"] in ("sat", "unsat")]
        ratio = lambda r: float(r["ours_cpu_s"]) / max(float(r["nnenum_runtime_s"]), 0.01)
        slow = [r for r in answered if float(r["nnenum_runtime_s"]) >= 1.0]
        if slow:
            r = max(slow, key=ratio)
            worst = f"{ratio(r):.2f}x ({r['network']}: {float(r['ours_cpu_s']):.2f} / {float(r['nnenum_runtime_s']):.2f})"
        else:
            worst = "-"
        over = [r["network"] for r in answered if ratio(r) > 2.0]
        differ = [r["network"] for r in rs
                  if r["nnenum"] in ("sat", "unsat") and r["ours"] in ("sat", "unsat") and r["ours"] != r["nnenum"]]
        checked = [r for r in rs if r["check"] != "-"]
        # our own reported seconds, where the run recorded them (`vnnlib --json`)
        timed = [r for r in rs if own(r) is not None]
        runtime = f" (own {sum(own(r) for r in timed):.1f} on {len(timed)})" if timed else ""
        own_over = [r["network"] for r in answered
                    if own(r) is not None and own(r) > 2.0 * float(r["nnenum_runtime_s"])]
        own_answered = sum(own(r) is not None for r in answered)
        own_note = f"; own time: {len(own_over)} of {own_answered}" if own_answered else ""
        ok = sum(r["check"] == "ok" for r in checked)
        print(f"| {p} | {len(rs)} | {verdicts(Counter(r['ours'] for r in rs))} "
              f"| {verdicts(Counter(r['nnenum'] for r in rs))} | {', '.join(differ) or 'none'} "
              f"| {total('ours_s'):.1f} / {total('ours_cpu_s'):.1f}{runtime} "
              f"| {total('nnenum_wall_s'):.1f} / {total('nnenum_cpu_s'):.1f} / {total('nnenum_runtime_s'):.1f} "
              f"| {worst} | {len(over)} of {len(answered)}{own_note} | {ok} of {len(checked)} "
              f"| {total('check_s'):.1f} / {total('check_cpu_s'):.1f} |")


if __name__ == "__main__":
    main()
