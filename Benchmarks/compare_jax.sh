#!/bin/sh
# Runs `pcctl bench pc` and the JAX reference alternately (same machine, same time), three rounds.
# Usage: swift build -c release --product pcctl && Benchmarks/compare_jax.sh
set -e
for round in 1 2 3; do
    echo "round $round"
    .build/release/pcctl bench pc --repeats 7 | grep -E "il_ms_per_batch|il_2threads_ms_per_batch|ipc_ms_per_batch|seqil_ms_per_batch|backprop_ms_per_batch"
    .venv/bin/python Benchmarks/jax_pc_reference.py | grep -E "ms_per_batch"
    uptime
done
