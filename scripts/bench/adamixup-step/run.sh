#!/usr/bin/env bash
# AdaMixup step benchmark: torchmix (lib/mixup/adamixup.ts) vs the Python reference
# (scripts/baselines/adamixup.py) on the same LibTorch, small CNN, batch 128 (64 mixed pairs),
# SGD; rounds interleaved (Python, then torchmix), one process each.
#
#   bash scripts/bench/adamixup-step/run.sh [--threads N] [--rounds N]
#
# Prints ms per step (median over 20 timed steps, then median over rounds) for the forward part
# (generator on 64 rows, classifier on 128, discriminator trunk on 192), backward, optimizer step.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here/../../.."
threads=2 rounds=3
while [ $# -gt 0 ]; do
  case "$1" in
    --threads) threads="$2"; shift 2 ;;
    --rounds) rounds="$2"; shift 2 ;;
    *) echo "run.sh: unknown flag '$1' (known: --threads N, --rounds N)" >&2; exit 2 ;;
  esac
done
out=$(mktemp)
for r in $(seq "$rounds"); do
  .venv/bin/python "$here/step.py" "$threads" >> "$out"
  npx --no-install tsx "$here/step.ts" "$threads" 2>/dev/null >> "$out"
done
.venv/bin/python - "$out" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.startswith('{')]
med = lambda impl, k: statistics.median(r[k] for r in rows if r['impl'] == impl)
print(f"| phase (ms/step, threads {rows[0]['threads']}) | torchmix | PyTorch | ratio |")
print('|---|---|---|---|')
for k in ('forward', 'backward', 'step', 'total'):
    t, p = med('torchmix', k), med('pytorch', k)
    print(f'| {k} | {t:.1f} | {p:.1f} | {t / p:.3f} |')
PY
rm -f "$out"
