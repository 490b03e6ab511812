#!/usr/bin/env bash
# Modules by assignment: cost per step. The tiny-MLP mixup step of overhead.ts, run on the lib/ of
# a git revision (before) and on the working tree (after), in interleaved rounds.
#
#   bash scripts/bench/overhead/module-before-after.sh --before <rev> [--libtorch pip|debian]
#        [--rounds N] [--steps N] [--warmup-steps N] [--threads N]
#
# Each round runs `overhead.ts --model module` and `--model plain` (the control: no module) once on
# each side, one process each; the side that goes first alternates between rounds. The before side
# is `git archive <rev> lib` in build-bench/before-<rev>/ with today's overhead.ts (which builds its
# module with registerModule, so it runs on both). Prints the median step time per side and model.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
cd "$root"

before="" libtorch=pip rounds=7 steps=2000 warmup_steps=300 threads=1
while [[ $# -gt 0 ]]; do
  case "$1" in
    --before) before="$2"; shift 2 ;;
    --libtorch) libtorch="$2"; shift 2 ;;
    --rounds) rounds="$2"; shift 2 ;;
    --steps) steps="$2"; shift 2 ;;
    --warmup-steps) warmup_steps="$2"; shift 2 ;;
    --threads) threads="$2"; shift 2 ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "module-before-after.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
[[ -n "$before" ]] || { echo "module-before-after.sh: --before <git rev> is required" >&2; exit 2; }
case "$libtorch" in
  pip) addon="$root/build/Release/torchmix.node" ;;
  debian) addon="$root/build-1.13/Release/torchmix.node" ;;
  *) echo "module-before-after.sh: --libtorch must be pip or debian" >&2; exit 2 ;;
esac

rev="$(git rev-parse --short "$before")"
old="build-bench/before-$rev"
rm -rf "$old" && mkdir -p "$old/scripts/bench/overhead"
git archive "$rev" lib package.json | tar -x -C "$old"
cp "$here/overhead.ts" "$old/scripts/bench/overhead/"
ln -s "$root/node_modules" "$old/node_modules"

tsx="$root/node_modules/.bin/tsx"
out="build-bench/module-before-after-$libtorch.jsonl"
: >"$out"
common=(--threads "$threads" --add-iters 1000 --steps "$steps" --warmup-steps "$warmup_steps" --beta once)
run() { # side dir model
  local line
  line="$(cd "$2" && TORCHMIX_ADDON="$addon" "$tsx" scripts/bench/overhead/overhead.ts "${common[@]}" --model "$3")"
  echo "{\"side\":\"$1\",${line#\{}" | tee -a "$out"
}
for ((r = 1; r <= rounds; r++)); do
  echo "round $r/$rounds" >&2
  for model in module plain; do
    if ((r % 2)); then run before "$old" "$model"; run after "$root" "$model"
    else run after "$root" "$model"; run before "$old" "$model"; fi
  done
done

echo
python3 - "$out" "$rev" <<'EOF'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
print(f"median over {len(rows) // 4} rounds, ms per step (before = {sys.argv[2]}, after = working tree); LibTorch {rows[0]['libtorch']}")
print('| model | before | after | after − before | final loss (before / after) |')
print('|---|---:|---:|---:|---|')
for model in ('module', 'plain'):
    med = {s: statistics.median(r['step_ms'] for r in rows if r['side'] == s and r['model'] == model) for s in ('before', 'after')}
    loss = {s: next(r['final_loss'] for r in rows if r['side'] == s and r['model'] == model) for s in ('before', 'after')}
    print(f"| {model} | {med['before']:.4f} | {med['after']:.4f} | {med['after'] - med['before']:+.4f} | {loss['before']} / {loss['after']} |")
EOF
