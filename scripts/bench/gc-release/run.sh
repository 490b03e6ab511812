#!/usr/bin/env bash
# The GC release path (issue 16): mechanism costs, then per-op cost against a baseline checkout.
#
#   bash scripts/bench/gc-release/run.sh --baseline DIR [--libtorch pip|debian] [--rounds N]
#                                        [--iters N] [--steps N]
#
#   --baseline DIR  a checkout of the code to compare with (e.g. `git worktree add /tmp/base REF`)
#                   whose addon is built (DIR/build or DIR/build-1.13; a symlink to a build of the
#                   same native/ sources is fine)
#   --libtorch      pip (default: build/) or debian (build-1.13/), for both trees
#
# 1. mechanisms.cc (no LibTorch): ns per object for FinalizationRegistry, a Node-API finalizer in an
#    experimental-version module and a V8 weak callback, and how many objects are live during a
#    synchronous loop. Needs Node's own headers (v8.h) next to the node binary or in /usr/include/node.
# 2. overhead.ts for the baseline and this tree, interleaved, one process each per round, threads=1;
#    the table shows medians over rounds and this/baseline ratios.
# Flat memory in a loop without tidy: scripts/bench/gc-release/flat-memory.ts (separately).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
cd "$root"
baseline="" libtorch=pip rounds=5 iters=200000 steps=2000
while [[ $# -gt 0 ]]; do
  case "$1" in
    --baseline) baseline="$2"; shift 2 ;;
    --libtorch) libtorch="$2"; shift 2 ;;
    --rounds) rounds="$2"; shift 2 ;;
    --iters) iters="$2"; shift 2 ;;
    --steps) steps="$2"; shift 2 ;;
    -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
    *) echo "run.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
[[ -n $baseline && -f $baseline/lib/index.ts ]] || { echo "run.sh: --baseline DIR must be a torchmix checkout (no lib/index.ts in '$baseline')" >&2; exit 2; }
case $libtorch in pip) bdir=build ;; debian) bdir=build-1.13 ;; *) echo "run.sh: --libtorch must be pip or debian" >&2; exit 2 ;; esac
for d in "$root" "$baseline"; do [[ -f $d/$bdir/Release/torchmix.node ]] || { echo "run.sh: no addon at $d/$bdir/Release/torchmix.node" >&2; exit 1; }; done
mkdir -p build-bench
tsx="$root/node_modules/.bin/tsx"

echo "## 1. mechanisms (no LibTorch)"
nodeinc="$(dirname "$(dirname "$(command -v node)")")/include/node"
[[ -f $nodeinc/v8.h ]] || nodeinc=/usr/include/node
if [[ -f $nodeinc/v8.h ]]; then
  mech=build-bench/gc-mechanisms.node
  if [[ ! -f $mech || $here/mechanisms.cc -nt $mech ]]; then
    g++ -O2 -std=c++17 -shared -fPIC -DNAPI_VERSION=2147483647 -DNAPI_EXPERIMENTAL -I"$nodeinc" "$here/mechanisms.cc" -o "$mech"
  fi
  echo "| mechanism | ns per object | max live during the loop | live at end |"
  echo "|---|---:|---:|---:|"
  for m in 'dispose (explicit free)' 'registry, dropped' 'registry + dispose' 'napi finalizer, dropped' 'v8 weak, dropped'; do
    node "$here/mechanisms.mjs" "$root/$mech" "$m" --row
  done
else
  echo "(skipped: no v8.h next to $(command -v node) or in /usr/include/node)"
fi

echo
echo "## 2. per-op cost, $libtorch LibTorch, threads=1, $rounds interleaved rounds"
out=build-bench/gc-release-$libtorch.jsonl
: >"$out"
for ((r = 1; r <= rounds; r++)); do
  echo "round $r/$rounds" >&2
  for d in "$baseline" "$root"; do
    TORCHMIX_ADDON="$d/$bdir/Release/torchmix.node" "$tsx" "$here/overhead.ts" --lib "$d" --iters "$iters" --steps "$steps" | tee -a "$out" >&2
  done
done
python3 - "$out" "$baseline" "$root" <<'PY'
import json, statistics, sys, os
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
base, cur = os.path.realpath(sys.argv[2]), os.path.realpath(sys.argv[3])
def med(lib, k): return statistics.median(r[k] for r in rows if os.path.realpath(r['lib']) == lib)
keys = [('add_tidy_us', 'a.add(b) in tidy (µs)'), ('add_dispose_us', 'a.add(b).dispose() at top level (µs)'),
        ('add_drop_us', 'a.add(b) at top level, dropped (µs)'), ('mlp_tidy_ms', 'MLP step in tidy (ms)'),
        ('mlp_drop_ms', 'MLP step, no tidy (ms)'), ('live_end', 'live tensors after the loops')]
print('| workload | baseline | this tree | ratio |')
print('|---|---:|---:|---:|')
for k, name in keys:
    b, c = med(base, k), med(cur, k)
    print(f'| {name} | {b:g} | {c:g} | {c / b:.2f} |' if b else f'| {name} | {b:g} | {c:g} | |')
PY
