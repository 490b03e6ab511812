#!/usr/bin/env bash
# torchmix vs the Python PyTorch baseline (train.py), interleaved per (seed, method), then a table.
# AdaMixup's Python side is scripts/baselines/adamixup.py (the reference implementation), the others train.py.
# Semi-supervised: with LABELS=N (labeled images in total) every method trains with --labels N and the Python
# side is scripts/baselines/semisup.py (methods none = supervised only on the N labels, mixmatch, ict).
# Env: METHODS ("none mixup manifold cutmix"; also adamixup; with LABELS: "none mixmatch ict"), SEEDS ("0 1 2"),
#      EPOCHS (3), THREADS (2), LABEL_NOISE (0), OUT (runs/baselines), PYTHON (.venv/bin/python),
#      LABELS (unset; N: semi-supervised runs), DATASET (fashion-mnist; with LABELS also moons),
#      STEPS (with LABELS: --steps-per-epoch; default one pass over the unlabeled part),
#      SAME_STREAM (0; 1: the Python side draws shuffles and label noise with torchmix's data RNG, so
#      both train on the same batches — with the same LibTorch the runs then agree step for step).
set -euo pipefail
cd "$(dirname "$0")/../.."
LABELS=${LABELS:-}
DATASET=${DATASET:-fashion-mnist}
STEPS=${STEPS:-}
if [ -n "$LABELS" ]; then METHODS=${METHODS:-"none mixmatch ict"}; else METHODS=${METHODS:-"none mixup manifold cutmix"}; fi
case " $METHODS " in *" mixmatch "*|*" ict "*) [ -n "$LABELS" ] || { echo "compare.sh: mixmatch/ict need LABELS=N (labeled images)" >&2; exit 2; };; esac
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
    ssl=(); [ -n "$LABELS" ] && ssl=(--labels "$LABELS" ${STEPS:+--steps-per-epoch "$STEPS"})
    node scripts/torchmix.mjs train --dataset "$DATASET" --method "$m" --epochs "$EPOCHS" --seed "$s" \
      --threads "$THREADS" --label-noise "$LABEL_NOISE" --out "$tm" --progress none "${ssl[@]}"
    echo "== pytorch $m seed $s" >&2
    same=(); [ "${SAME_STREAM:-0}" = 1 ] && same=(--same-stream)
    if [ -n "$LABELS" ]; then
      "$PYTHON" scripts/baselines/semisup.py --method "$m" --dataset "$DATASET" --epochs "$EPOCHS" --seed "$s" \
        --threads "$THREADS" --out "$py" "${ssl[@]}" "${same[@]}"
      continue
    fi
    if [ "$m" = adamixup ]; then pyargs=(scripts/baselines/adamixup.py); else pyargs=(scripts/baselines/train.py --method "$m"); fi
    "$PYTHON" "${pyargs[@]}" --dataset "$DATASET" --epochs "$EPOCHS" --seed "$s" \
      --threads "$THREADS" --label-noise "$LABEL_NOISE" --out "$py" "${same[@]}"
  done
done
"$PYTHON" scripts/baselines/summarize.py --dir "$OUT" --methods "$METHODS" --seeds "$SEEDS"
