#!/usr/bin/env bash
# Training-step benchmark: forward + backward + SGD (momentum 0.9) step on the CPU, torchmix vs the
# same model in Python PyTorch on the same LibTorch (pip torch in .venv; build/Release/torchmix.node)
# and the same intra-op thread count.
#
#   bash scripts/bench/train-step/run.sh [--threads "N M"] [--rounds N] [--optim hand|lib] [--models "smallcnn preact18"]
#
#   --threads  thread counts to run (default: "$(nproc) 1": all cores, then one)
#   --rounds   interleaved rounds (default 5); each round runs Python then torchmix, one process each
#   --optim    hand (default unless the addon has native optimizers): the momentum-SGD update written
#              out in both languages; lib: torch.optim.SGD vs torchmix optim.SGD (native torch::optim)
#
# Workloads: small CNN (nn.models.smallCNN = PyTorch examples/mnist Net), batch 128, 1×28×28,
# 20 timed steps after 3 warm-up; PreAct ResNet-18, batch 32, 3×32×32, 6 timed steps after 2.
# Both sides seed 0 and draw the same initial weights and data, so they print the same loss.
# The table gives the median over rounds of the per-step time and ratio = torchmix / PyTorch.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
cd "$root"

threads="$(nproc) 1" rounds=5 models="smallcnn preact18" optim=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --threads) threads="$2"; shift 2 ;;
    --rounds) rounds="$2"; shift 2 ;;
    --optim) optim="$2"; shift 2 ;;
    --models) models="$2"; shift 2 ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    *) echo "run.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
py="$root/.venv/bin/python"
[[ -x "$py" ]] || { echo "run.sh: $py not found (pip torch venv from scripts/setup.sh)" >&2; exit 1; }
if [[ -z "$optim" ]]; then
  optim=$(node -e "const m=require('$root/build/Release/torchmix.node'); process.stdout.write(typeof m.optimCreate==='function'?'lib':'hand')")
fi
out=$(mktemp)
trap 'rm -f "$out"' EXIT
for model in $models; do
  if [[ $model == smallcnn ]]; then steps=20 warm=3; else steps=6 warm=2; fi
  for t in $threads; do
    for ((r = 1; r <= rounds; r++)); do
      "$py" "$here/train_step.py" --model "$model" --threads "$t" --steps $steps --warmup $warm --optim "$optim" | tee -a "$out"
      npx --no-install tsx "$here/train-step.ts" --model "$model" --threads "$t" --steps $steps --warmup $warm --optim "$optim" 2>/dev/null | tee -a "$out"
    done
  done
done
"$py" - "$out" "$optim" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.startswith('{')]
optim = sys.argv[2]
names = {'smallcnn': 'small CNN, batch 128, 1×28×28', 'preact18': 'PreAct ResNet-18, batch 32, 3×32×32'}
print(f"\noptimizer: {'hand-written momentum SGD (same update in both)' if optim == 'hand' else 'torch.optim.SGD vs optim.SGD (native)'}")
print('| workload | threads | PyTorch ms/step | torchmix ms/step | ratio | target ≤ 1.05 |')
print('|---|---:|---:|---:|---:|---|')
keys = sorted({(r['model'], r['threads']) for r in rows}, key=lambda k: (list(names).index(k[0]), -k[1]))
for m, t in keys:
    py = [r['msPerStep'] for r in rows if r['model'] == m and r['threads'] == t and r['impl'] == 'pytorch']
    tm = [r['msPerStep'] for r in rows if r['model'] == m and r['threads'] == t and r['impl'] == 'torchmix']
    # per-round ratios too: the median of paired ratios is less sensitive to load drifting between rounds
    ratios = [b / a for a, b in zip(py, tm)]
    p, q = statistics.median(py), statistics.median(tm)
    ok = 'OK' if q / p <= 1.05 else 'MISS'
    print(f"| {names[m]} | {t} | {p:.1f} | {q:.1f} | {q / p:.3f} (paired median {statistics.median(ratios):.3f}) | {ok} |")
losses = {(r['model'], r['threads'], r['impl']): r['loss'] for r in rows}
same = all(abs(losses[(m, t, 'pytorch')] - losses[(m, t, 'torchmix')]) < 1e-4 for m, t in keys)
print(f"\nsame final loss on both sides (same seed, same weights, same data): {same}")
PY
