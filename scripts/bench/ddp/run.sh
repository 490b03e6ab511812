#!/usr/bin/env bash
# DDP benchmark: small CNN, 1 vs 2 processes × 1 thread, torchmix (ddp-bench.ts) and PyTorch DDP
# (ddp_bench.py, Gloo) on the same machine; sync and nosync (no all-reduce) steps; ROUNDS rounds.
#   bash scripts/bench/ddp/run.sh [ROUNDS=3]   → one JSON line per measurement on stdout
set -euo pipefail
cd "$(dirname "$0")/../../.."
ROUNDS=${1:-3}
PY=.venv/bin/python
for round in $(seq 1 "$ROUNDS"); do
  for procs in 1 2; do
    modes=sync; [ "$procs" -gt 1 ] && modes="sync nosync"
    for mode in $modes; do
      $PY scripts/bench/ddp/ddp_bench.py --procs "$procs" --mode "$mode" | sed "s/^{/{\"round\": $round, /"
      node --import tsx scripts/bench/ddp/ddp-bench.ts --procs "$procs" --mode "$mode" | sed "s/^{/{\"round\": $round, /"
    done
  done
done
