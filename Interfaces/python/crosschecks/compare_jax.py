"""PCKit's PC-IL training step against the jit-compiled JAX PC step, measured alternately on the
same machine at the same time (the speed target of issue #3: PC-IL >= 2x faster per batch).

Each round runs `pcctl bench pc --only il il_2threads backprop` and then jax_pc_reference.py;
the summary gives the median over rounds of each figure and of the per-round ratios.

    swift build -c release --product pcctl
    .venv/bin/pip install "jax[cpu]"
    .venv/bin/python Interfaces/python/crosschecks/compare_jax.py [--rounds 5]
"""
import argparse
import json
import os
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))


def pckit(pcctl):
    out = subprocess.run([pcctl, "bench", "pc", "--only", "il", "il_2threads", "backprop", "--json", "--repeats", "7"],
                         check=True, capture_output=True, text=True).stdout
    return {r["name"]: r["value"] for r in json.loads(out)["results"]}


def jax_reference():
    out = subprocess.run([sys.executable, os.path.join(HERE, "jax_pc_reference.py")],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--pcctl", default=os.path.join(ROOT, ".build", "release", "pcctl"))
    args = parser.parse_args()
    rounds = []
    for r in range(args.rounds):
        ours, theirs = pckit(args.pcctl), jax_reference()
        row = {
            "pckit_il_ms": ours["il_ms_per_batch"],
            "pckit_il_2threads_ms": ours["il_2threads_ms_per_batch"],
            "pckit_backprop_ms": ours["backprop_ms_per_batch"],
            "jax_pc_il_ms": theirs["pc_il_ms_per_batch"],
            "jax_backprop_ms": theirs["backprop_ms_per_batch"],
            "load_average": os.getloadavg()[0],
        }
        row["speedup_il"] = row["jax_pc_il_ms"] / row["pckit_il_ms"]
        row["speedup_il_2threads"] = row["jax_pc_il_ms"] / row["pckit_il_2threads_ms"]
        rounds.append(row)
        print(f"round {r + 1}: " + ", ".join(f"{k} {v:.3f}" for k, v in row.items()), file=sys.stderr)
    summary = {k: statistics.median(row[k] for row in rounds) for k in rounds[0]}
    print(json.dumps({"rounds": len(rounds), "jax": theirs.get("jax"), "median": summary}, indent=2))


if __name__ == "__main__":
    main()
