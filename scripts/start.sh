#!/usr/bin/env bash
# The README's main command (npm start): set up what is missing, then train the small CNN with
# input mixup on Fashion-MNIST (3 epochs, ~2–3 min on 2 CPU cores). Extra flags override:
#   npm start -- --epochs 10 --method cutmix --device cuda
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec node scripts/torchmix.mjs train --dataset fashion-mnist --method mixup --epochs 3 "$@"
