#!/usr/bin/env python3
"""Runs two pcctl binaries' benchmark suites alternately and prints the median of every row.

    python3 Tests/kernels/compare_bench.py OLD_PCCTL NEW_PCCTL --rounds 7 -- numerics
    python3 Tests/kernels/compare_bench.py OLD_PCCTL NEW_PCCTL --rounds 7 -- pc --only il settle

Each round runs `OLD bench ARGS --json` then `NEW bench ARGS --json` (the order alternates every
round), so both see the same load; the table gives each row's median over the rounds and
new ÷ old (for time units, old ÷ new), so > 1 means the new binary is faster.
"""
import argparse
import json
import statistics
import subprocess
import sys


def run(binary, args):
    out = subprocess.run([binary, "bench", *args, "--json"], check=True, capture_output=True, text=True).stdout
    report = json.loads(out)
    return report.get("machine", {}).get("kernels", "-"), {r["name"]: (r["value"], r["unit"]) for r in report["results"]}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("old")
    parser.add_argument("new")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--samples", help="also write every round's values to this JSON file")
    parser.add_argument("args", nargs="+", help="the suite and its options, after --")
    a = parser.parse_args()
    samples = {"old": {}, "new": {}}
    kernels = {}
    for r in range(a.rounds):
        order = ["old", "new"] if r % 2 == 0 else ["new", "old"]
        for which in order:
            kernels[which], rows = run(getattr(a, which), a.args)
            for name, (value, unit) in rows.items():
                samples[which].setdefault(name, (unit, []))[1].append(value)
        print(f"round {r + 1}/{a.rounds} done", file=sys.stderr)
    if a.samples:
        with open(a.samples, "w") as f:
            json.dump({w: {n: v for n, (u, v) in rows.items()} for w, rows in samples.items()}, f)
    print(f"{'row':44} {'unit':18} {'old':>10} {'new':>10} {'speed new/old':>14}   (old kernels: {kernels['old']}, new: {kernels['new']}, {a.rounds} rounds, medians)")
    for name, (unit, old) in samples["old"].items():
        if name not in samples["new"]:
            continue
        new = samples["new"][name][1]
        mo, mn = statistics.median(old), statistics.median(new)
        # Times and counts per thing are lower-is-better; rates (GFLOP/s, steps/s) higher-is-better.
        lower_is_better = unit.split("/")[0] in ("ns", "µs", "us", "ms", "s", "allocations")
        if mo == 0 or mn == 0:
            ratio = float("nan") if mo != mn else 1.0
        else:
            ratio = mo / mn if lower_is_better else mn / mo
        print(f"{name:44} {unit:18} {mo:10.4g} {mn:10.4g} {ratio:14.3f}")


if __name__ == "__main__":
    main()
