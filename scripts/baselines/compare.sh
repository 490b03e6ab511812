#!/usr/bin/env bash
# torchmix vs the Python PyTorch baseline (train.py), interleaved per (seed, method), then a table.
# AdaMixup's Python side is scripts/baselines/adamixup.py (the reference implementation), the others train.py.
# Env: METHODS ("none mixup manifold cutmix"; also adamixup), SEEDS ("0 1 2"), EPOCHS (3), THREADS (2),
#      LABEL_NOISE (0), OUT (runs/baselines), PYTHON (.venv/bin/python),
#      SAME_STREAM (0; 1: the Python side draws shuffles and label noise with torchmix's data RNG, so
#      both train on the same batches — with the same LibTorch the runs then agree step for step).
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
    if [ "$m" = adamixup ]; then pyargs=(scripts/baselines/adamixup.py); else pyargs=(scripts/baselines/train.py --method "$m"); fi
    "$PYTHON" "${pyargs[@]}" --dataset fashion-mnist --epochs "$EPOCHS" --seed "$s" \
      --threads "$THREADS" --label-noise "$LABEL_NOISE" --out "$py" ${SAME_STREAM:+$([ "$SAME_STREAM" = 1 ] && echo --same-stream)}
  done
done
"$PYTHON" scripts/baselines/summarize.py --dir "$OUT" --methods "$METHODS" --seeds "$SEEDS"
