#!/usr/bin/env bash
# MixMatch and ICT step benchmark: torchmix (lib/mixup/mixmatch.ts, ict.ts) vs the Python reference
# (scripts/baselines/semisup.py) on the same machine and threads, small CNN on 1×28×28 inputs;
# MixMatch 64 labeled + 64 unlabeled × 2 views (Adam, EMA, decoupled weight decay), ICT 100 + 100
# (SGD, teacher). Rounds interleaved (Python, then torchmix, per method), one process each.
#
#   bash scripts/bench/ssl-step/run.sh [--threads N] [--rounds N] [--steps N]
#
# Prints ms per step (median over the timed steps, then median over rounds) by phase and the ratio.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here/../../.."
threads=1 rounds=3 steps=20
while [ $# -gt 0 ]; do
  case "$1" in
    --threads) threads="$2"; shift 2 ;;
    --rounds) rounds="$2"; shift 2 ;;
    --steps) steps="$2"; shift 2 ;;
    *) echo "run.sh: unknown flag '$1' (known: --threads N, --rounds N, --steps N)" >&2; exit 2 ;;
  esac
done
out=$(mktemp)
for r in $(seq "$rounds"); do
  for m in mixmatch ict; do
    .venv/bin/python "$here/step.py" "$m" "$threads" "$steps" >> "$out"
    npx --no-install tsx "$here/step.ts" "$m" "$threads" "$steps" 2>/dev/null >> "$out"
  done
done
.venv/bin/python - "$out" "$rounds" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.startswith('{')]
print(f"threads {rows[0]['threads']}, {sys.argv[2]} rounds; ms per step, median over rounds (each a median of its timed steps)")
print('| method | phase | torchmix | PyTorch | ratio |')
print('|---|---|---|---|---|')
for m in ('mixmatch', 'ict'):
    med = lambda impl, k: statistics.median(r[k] for r in rows if r['impl'] == impl and r['method'] == m)  # noqa: E731
    for k in ('forward', 'backward', 'step', 'total'):
        t, p = med('torchmix', k), med('pytorch', k)
        print(f'| {m} | {k} | {t:.1f} | {p:.1f} | {t / p:.3f} |')
    tot = [(r['total']) for r in rows if r['method'] == m]
print('per round (total ms):', ' '.join(f"{r['method']}/{r['impl']}={r['total']:.1f}" for r in rows))
PY
rm -f "$out"
