#!/usr/bin/env bash
# Modules by assignment: cost per step. The tiny-MLP mixup step of overhead.ts, run on the lib/ of
# a git revision (before) and on the working tree (after), in interleaved rounds.
#
#   bash scripts/bench/overhead/module-before-after.sh --before <rev> [--libtorch pip|debian]
#        [--rounds N] [--steps N] [--warmup-steps N] [--threads N]
#
# Each round runs `overhead.ts --model module` and `--model plain` (the control: no module), and
# module-reads.ts (in-process: ns per child→parameter read, µs per tiny forward), once on each side,
# one process each; the side that goes first alternates between rounds. The before side is
# `git archive <rev> lib` in build-bench/before-<rev>/ with today's overhead.ts and module-reads.ts
# (both build their module with registerModule, so they run on both). Prints the medians.
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
cp "$here/overhead.ts" "$here/module-reads.ts" "$here/tiny-mlp.ts" "$old/scripts/bench/overhead/"
ln -s "$root/node_modules" "$old/node_modules"

tsx="$root/node_modules/.bin/tsx"
out="build-bench/module-before-after-$libtorch.jsonl"
: >"$out"
common=(--threads "$threads" --add-iters 1000 --steps "$steps" --warmup-steps "$warmup_steps" --beta once)
run() { # side dir model|reads
  local line
  if [[ "$3" == reads ]]; then line="$(cd "$2" && TORCHMIX_ADDON="$addon" "$tsx" scripts/bench/overhead/module-reads.ts)"
  else line="$(cd "$2" && TORCHMIX_ADDON="$addon" "$tsx" scripts/bench/overhead/overhead.ts "${common[@]}" --model "$3")"; fi
  echo "{\"side\":\"$1\",\"model\":\"$3\",${line#\{}" | tee -a "$out"
}
for ((r = 1; r <= rounds; r++)); do
  echo "round $r/$rounds" >&2
  for model in module plain reads; do
    if ((r % 2)); then run before "$old" "$model"; run after "$root" "$model"
    else run after "$root" "$model"; run before "$old" "$model"; fi
  done
done

echo
python3 - "$out" "$rev" <<'EOF'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
n = len(rows) // 6
print(f"median (min–max) over {n} rounds (before = {sys.argv[2]}, after = working tree); LibTorch {rows[0]['libtorch']}")
print('| measure | before | after | after − before |')
print('|---|---:|---:|---:|')
def cell(v):
    return f"{statistics.median(v):.4f} ({min(v):.3f}–{max(v):.3f})"
for model, key, what in (('module', 'step_ms', 'mixup step, nn.Module MLP, wall (ms)'), ('plain', 'step_ms', 'mixup step, plain tensors, wall (ms; control)'),
                         ('module', 'step_cpu_ms', 'mixup step, nn.Module MLP, CPU time (ms)'), ('plain', 'step_cpu_ms', 'mixup step, plain tensors, CPU time (ms; control)'),
                         ('reads', 'read_ns', 'child→parameter read `net.fc1.weight`, CPU time (ns)'), ('reads', 'forward_us', 'tiny forward, 1×2 input, noGrad, CPU time (µs)')):
    v = {s: [r[key] for r in rows if r['side'] == s and r['model'] == model] for s in ('before', 'after')}
    d = statistics.median(v['after']) - statistics.median(v['before'])
    print(f"| {what} | {cell(v['before'])} | {cell(v['after'])} | {d:+.4f} |")
for model in ('module', 'plain'):
    loss = {s: next(r['final_loss'] for r in rows if r['side'] == s and r['model'] == model) for s in ('before', 'after')}
    print(f"final loss, {model}: before {loss['before']}, after {loss['after']}")
EOF
