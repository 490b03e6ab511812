#!/usr/bin/env bash
# Semi-supervised study: supervised-only vs MixMatch vs ICT on the same split, torchmix next to the Python
# reference (scripts/baselines/semisup.py), each (seed, method) pair run side by side (two processes, THREADS
# each), so both see the same machine load. Then the table (mean ± std over seeds) and the learning curves.
# Env: DATASET (fashion-mnist | moons), LABELS (1000), SEEDS ("0 1 2"), METHODS ("none mixmatch ict"),
#      EPOCHS (4), STEPS (steps per epoch, 50), THREADS (1), OUT (runs/ssl-fmnist), PYTHON (.venv/bin/python),
#      EXTRA_MIXMATCH / EXTRA_ICT / EXTRA_NONE (extra flags for both sides, e.g. "--rampup 50").
set -euo pipefail
cd "$(dirname "$0")/../.."
DATASET=${DATASET:-fashion-mnist}
LABELS=${LABELS:-1000}
SEEDS=${SEEDS:-"0 1 2"}
METHODS=${METHODS:-"none mixmatch ict"}
EPOCHS=${EPOCHS:-4}
STEPS=${STEPS:-50}
THREADS=${THREADS:-1}
OUT=${OUT:-runs/ssl-fmnist}
PYTHON=${PYTHON:-.venv/bin/python}
mkdir -p "$OUT"
t0=$(date +%s)
for s in $SEEDS; do
  for m in $METHODS; do
    var="EXTRA_$(echo "$m" | tr a-z A-Z)"; read -r -a extra <<< "${!var:-}"
    tm="$OUT/torchmix-$m-s$s"; py="$OUT/pytorch-$m-s$s"
    rm -rf "$tm" "$py"
    echo "== $m seed $s ($(date -u +%H:%M:%S))" >&2
    node scripts/torchmix.mjs train --dataset "$DATASET" --method "$m" --labels "$LABELS" --epochs "$EPOCHS" --steps-per-epoch "$STEPS" \
      --seed "$s" --threads "$THREADS" --out "$tm" --progress none "${extra[@]}" > "$tm.log" 2>&1 &
    "$PYTHON" scripts/baselines/semisup.py --method "$m" --dataset "$DATASET" --labels "$LABELS" --epochs "$EPOCHS" --steps-per-epoch "$STEPS" \
      --seed "$s" --threads "$THREADS" --out "$py" "${extra[@]}" > "$py.log" 2>&1 &
    wait
  done
done
echo "wall: $(( $(date +%s) - t0 )) s" >&2
"$PYTHON" - "$OUT" "$SEEDS" "$METHODS" <<'PY'
import json, os, statistics, sys
out, seeds, methods = sys.argv[1], sys.argv[2].split(), sys.argv[3].split()
def ms(v):
    return '–' if not v else f'{100 * statistics.mean(v):.2f} ± {100 * statistics.stdev(v):.2f}' if len(v) > 1 else f'{100 * v[0]:.2f}'
print('| method | torchmix test acc (final) | PyTorch test acc (final) | torchmix best | PyTorch best | torchmix s/run | PyTorch s/run |')
print('|---|---|---|---|---|---|---|')
for m in methods:
    row = {}
    for impl in ('torchmix', 'pytorch'):
        rs = [json.load(open(f)) for s in seeds if os.path.exists(f := os.path.join(out, f'{impl}-{m}-s{s}', 'results.json'))]
        eps = [r['history']['epochs'] for r in rs]
        row[impl] = ([e[-1]['valAcc'] for e in eps], [max(x['valAcc'] for x in e) for e in eps], [sum(x['seconds'] for x in e) for e in eps])
    t, p = row['torchmix'], row['pytorch']
    sec = lambda v: f'{statistics.mean(v):.0f}' if v else '–'  # noqa: E731
    print(f'| {m} | {ms(t[0])} | {ms(p[0])} | {ms(t[1])} | {ms(p[1])} | {sec(t[2])} | {sec(p[2])} |')
PY
