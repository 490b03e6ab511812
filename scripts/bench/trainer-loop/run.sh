#!/usr/bin/env bash
# The Trainer of an older commit against the working tree's, interleaved, one process per run:
#   epoch  one epoch of the small-CNN recipe (torchmix train, Fashion-MNIST, input mixup, seed 0,
#          2 threads): the epoch's training seconds from results.json (and its train loss: the two
#          must agree, they do the same computation);
#   micro  the loop's own cost per step (overhead.ts: MLP 2→8→2, batch 16, 1 thread).
#   bash scripts/bench/trainer-loop/run.sh [--old REV] [--rounds N] [--micro-rounds N] [--what epoch|micro|both]
set -euo pipefail
cd "$(dirname "$0")/../../.."
OLD=53b90b3 ROUNDS=2 MICRO=7 WHAT=both
while [[ $# -gt 0 ]]; do
  case "$1" in
    --old) OLD=$2; shift 2 ;;
    --rounds) ROUNDS=$2; shift 2 ;;
    --micro-rounds) MICRO=$2; shift 2 ;;
    --what) WHAT=$2; shift 2 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# The old tree: its lib/ and scripts/, this tree's node_modules and addon.
mkdir -p "$tmp/old"
git archive "$OLD" lib scripts package.json tsconfig.json | tar -x -C "$tmp/old"
ln -s "$PWD/node_modules" "$tmp/old/node_modules"
ln -s "$PWD/build" "$tmp/old/build"
median() { sort -n | awk '{ a[NR] = $1 } END { print (NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2) }'; }
epoch() { # tree label round
  local out="$tmp/$2-$3"
  (cd "$1" && TORCHMIX_CLI=source node scripts/torchmix.mjs train --dataset fashion-mnist --method mixup --epochs 1 --seed 0 \
    --threads 2 --out "$out" --progress none > /dev/null 2>&1)
  node -e 'const e = require(process.argv[1]).history.epochs[0]; console.log(process.argv[2], process.argv[3], e.seconds.toFixed(2), e.trainLoss)' "$out/results.json" "$2" "$3"
}
if [[ $WHAT != micro ]]; then
  for r in $(seq 1 "$ROUNDS"); do epoch "$tmp/old" old "$r"; epoch "$PWD" new "$r"; done | tee "$tmp/epoch"
  for k in old new; do echo "epoch $k: median $(awk -v k=$k '$1 == k { print $3 }' "$tmp/epoch" | median) s"; done
fi
if [[ $WHAT != epoch ]]; then
  for r in $(seq 1 "$MICRO"); do
    for k in old new; do
      root=$([ $k = old ] && echo "$tmp/old" || echo "$PWD")
      node --import tsx scripts/bench/trainer-loop/overhead.ts --root "$root" --label "$k"
    done
  done | tee "$tmp/micro"
  for k in old new; do echo "micro $k: median $(grep "\"label\":\"$k\"" "$tmp/micro" | sed 's/.*usPerStep":\([0-9.]*\).*/\1/' | median) µs/step"; done
fi
