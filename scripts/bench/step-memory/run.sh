#!/usr/bin/env bash
# Peak memory of one training step (forward + cross-entropy + backward + SGD momentum 0.9), CPU,
# torchmix vs the same model in Python PyTorch on the same LibTorch (pip torch in .venv;
# build/Release/torchmix.node), measured the same way on both sides:
#   rss   peak RSS above the baseline just before the step: VmHWM − VmRSS, the high-water mark
#         reset by writing 5 to /proc/self/clear_refs (what the kernel sees: memory malloc keeps
#         after a free still counts, so steady steps read ~0 once the process holds its working set)
#   heap  peak of bytes live in malloc above those before the step: heapcount.so (built here from
#         heapcount.c, LD_PRELOAD into both interpreters) counts malloc_usable_size of every block
#         (what LibTorch's CPU allocator asks malloc for; not V8's or pymalloc's own mmaps)
# `first` is the first step after setup (model, data, optimizer), `steady` the median of 3 steps
# after 2 more. Rows: PyTorch with glibc's defaults and with torchmix's tuned setting given by
# MALLOC_* (mmap threshold 32 MiB, trim 256 MiB, top pad 64 MiB); torchmix as loaded (tuned),
# with TORCHMIX_MALLOC=system (glibc's defaults, as PyTorch), and each with
# TORCHMIX_MODULE_SCOPES=off (intermediates live until the step's tidy ends: before issue 14).
#
#   bash scripts/bench/step-memory/run.sh [--threads N] [--rounds N] [--models "smallcnn preact18"]
#
# Rounds are interleaved (every configuration once per round, one process each); the table gives
# the median over rounds, in MiB.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
cd "$root"

threads=1 rounds=3 models="smallcnn preact18"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --threads) threads="$2"; shift 2 ;;
    --rounds) rounds="$2"; shift 2 ;;
    --models) models="$2"; shift 2 ;;
    -h|--help) sed -n '2,23p' "$0"; exit 0 ;;
    *) echo "run.sh: unknown option $1 (known: --threads N, --rounds N, --models LIST)" >&2; exit 2 ;;
  esac
done
py="$root/.venv/bin/python"
[[ -x "$py" ]] || { echo "run.sh: $py not found (pip torch venv from scripts/setup.sh)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cc -O2 -shared -fPIC -o "$tmp/heapcount.so" "$here/heapcount.c"
tuned=(MALLOC_MMAP_THRESHOLD_=33554432 MALLOC_TRIM_THRESHOLD_=268435456 MALLOC_TOP_PAD_=67108864)
out="$tmp/rows"
n=0
one() { # label, then env assignments and the command
  local label="$1"; shift
  n=$((n + 1))
  env STEPMEM_COUNTERS="$tmp/c$n" LD_PRELOAD="$tmp/heapcount.so" "$@" | sed "s/^{/{\"config\": \"$label\", /" | tee -a "$out"
}
for ((r = 1; r <= rounds; r++)); do
  for model in $models; do
    pyc=("$py" "$here/step_memory.py" --model "$model" --threads "$threads")
    tsc=(node --import tsx "$here/step-memory.ts" --model "$model" --threads "$threads")
    one "PyTorch, glibc defaults" "${pyc[@]}" --malloc default
    one "torchmix, TORCHMIX_MALLOC=system" TORCHMIX_MALLOC=system "${tsc[@]}"
    one "torchmix, system, scopes off" TORCHMIX_MALLOC=system TORCHMIX_MODULE_SCOPES=off "${tsc[@]}"
    one "PyTorch, tuned MALLOC_*" "${tuned[@]}" "${pyc[@]}" --malloc tuned
    one "torchmix, tuned (default)" "${tsc[@]}"
    one "torchmix, tuned, scopes off" TORCHMIX_MODULE_SCOPES=off "${tsc[@]}"
  done
done
"$py" - "$out" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.startswith('{')]
names = {'smallcnn': 'small CNN b128', 'preact18': 'PreAct ResNet-18 b32'}
mib = lambda v: v / 2**20
print(f"\nthreads {rows[0]['threads']}, {len(rows) // len({(r['model'], r['config']) for r in rows})} round(s); MiB above the pre-step baseline, median over rounds")
print('| workload | configuration | heap first | heap steady | RSS first | RSS steady |')
print('|---|---|---:|---:|---:|---:|')
configs = list(dict.fromkeys(r['config'] for r in rows))
for m in [k for k in names if any(r['model'] == k for r in rows)]:
    for c in configs:
        sel = [r for r in rows if r['model'] == m and r['config'] == c]
        med = lambda f: statistics.median(f(r) for r in sel)
        print(f"| {names[m]} | {c} | {mib(med(lambda r: r['first']['heap'])):.1f} | {mib(med(lambda r: r['steady']['heap'])):.1f} | "
              f"{mib(med(lambda r: r['first']['rss'])):.1f} | {mib(med(lambda r: r['steady']['rss'])):.1f} |")
PY
