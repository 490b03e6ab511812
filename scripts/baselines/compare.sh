#!/usr/bin/env bash
# torchmix vs the Python PyTorch baseline (train.py), interleaved per (seed, method), then a table.
# Env: METHODS ("none mixup manifold cutmix"), SEEDS ("0 1 2"), EPOCHS (3), THREADS (2),
#      LABEL_NOISE (0), OUT (runs/baselines), PYTHON (.venv/bin/python).
set -euo pipefail
cd "$(dirname "$0")/../.."
METHODS=${METHODS:-"none mixup manifold cutmix"}
SEEDS=${SEEDS:-"0 1 2"}
EPOCHS=${EPOCHS:-3}
THREADS=${THREADS:-2}
LABEL_NOISE=${LABEL_NOISE:-0}
OUT=${OUT:-runs/baselines}
PYTHON=${PYTHON:-.venv/bin/python}
mkdir -p "$OUT"
for s in $SEEDS; do
  for m in $METHODS; do
    tm="$OUT/torchmix-$m-s$s"; py="$OUT/pytorch-$m-s$s"
    rm -rf "$tm" "$py"
    echo "== torchmix $m seed $s" >&2
    node scripts/torchmix.mjs train --dataset fashion-mnist --method "$m" --epochs "$EPOCHS" --seed "$s" \
      --threads "$THREADS" --label-noise "$LABEL_NOISE" --out "$tm" --progress none
    echo "== pytorch $m seed $s" >&2
    "$PYTHON" scripts/baselines/train.py --dataset fashion-mnist --method "$m" --epochs "$EPOCHS" --seed "$s" \
      --threads "$THREADS" --label-noise "$LABEL_NOISE" --out "$py"
  done
done
"$PYTHON" scripts/baselines/summarize.py --dir "$OUT" --methods "$METHODS" --seeds "$SEEDS"
