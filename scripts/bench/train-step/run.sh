#!/usr/bin/env bash
# Training-step benchmark: forward + backward + SGD (momentum 0.9) step, torchmix vs the same model
# in Python PyTorch on the same LibTorch (pip torch in .venv; build/Release/torchmix.node, or
# TORCHMIX_ADDON) and the same intra-op thread count, on the CPU (default) or a CUDA device.
#
#   bash scripts/bench/train-step/run.sh [--threads "N M"] [--rounds N] [--optim hand|lib] [--models "smallcnn preact18"]
#        [--device cpu|cuda] [--batch N] [--amp "none bf16 fp16"] [--channels-last] [--steps S --warmup W]
#        [--python PATH] [--rows FILE] [--proc-timeout S] [--from-rows FILE]
#
#   --threads  thread counts to run (default: "$(nproc) 1" on the CPU, "$(nproc)" on cuda)
#   --rounds   interleaved rounds (default 5); each round runs Python then torchmix, one process each
#   --optim    hand (default unless the addon has native optimizers): the momentum-SGD update written
#              out in both languages; lib: torch.optim.SGD vs torchmix optim.SGD (native torch::optim)
#   --device   cpu (default) or cuda (timing synchronizes the device on both sides)
#   --batch    batch size of every model (default: 128 small CNN, 32 PreAct ResNet-18)
#   --amp      precisions to run, a list of none|bf16|fp16 (default none): autocast on the forward
#              and loss, fp16 with a GradScaler (PyTorch's recipe; needs --optim lib)
#   --channels-last  model and input in channels-last memory format on both sides
#   --steps/--warmup timed and warm-up steps of every model (default: 20/3 small CNN, 6/2 PreAct)
#   --python   the Python with torch (default .venv/bin/python, else python3 if it imports torch)
#   --rows     also append the raw JSON rows (one per process; failed ones carry "error") to FILE
#   --proc-timeout  seconds one process may take (default 600); a process over it is a failed row
#   --from-rows  run nothing: print the table of the rows a --rows FILE collected (several runs' too)
#
# Workloads: small CNN (nn.models.smallCNN = PyTorch examples/mnist Net), 1×28×28; PreAct
# ResNet-18, 3×32×32. Both sides seed 0 and draw the same initial weights and data, so in fp32 they
# print the same loss. The table gives medians over rounds: time per step, ratio = torchmix /
# PyTorch, steps/s, and memory: cpu: peak RSS above the post-setup baseline (VmHWM reset through
# /proc/self/clear_refs); cuda: PyTorch's max_memory_allocated of the timed steps and both sides'
# memory_reserved (the caching allocator's segments) after them. A failed process is a row marked
# failed with its message, and the script then exits 1 after the table.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
cd "$root"

usage() { sed -n '6,8p' "$0" | sed 's/^# \{0,3\}//' >&2; }
threads="" rounds=5 models="smallcnn preact18" optim="" device=cpu batch="" amps="none" cl="" steps="" warm="" py="" rows="" ptimeout=600 from="" 
while [[ $# -gt 0 ]]; do
  case "$1" in
    --threads|--rounds|--optim|--models|--device|--batch|--amp|--steps|--warmup|--python|--rows|--proc-timeout|--from-rows)
      [[ $# -ge 2 ]] || { echo "run.sh: $1 needs a value" >&2; usage; exit 2; } ;;
  esac
  case "$1" in
    --threads) threads="$2"; shift 2 ;;
    --rounds) rounds="$2"; shift 2 ;;
    --optim) optim="$2"; shift 2 ;;
    --models) models="$2"; shift 2 ;;
    --device) device="$2"; shift 2 ;;
    --batch) batch="$2"; shift 2 ;;
    --amp) amps="$2"; shift 2 ;;
    --channels-last) cl="--channels-last"; shift ;;
    --steps) steps="$2"; shift 2 ;;
    --warmup) warm="$2"; shift 2 ;;
    --python) py="$2"; shift 2 ;;
    --rows) rows="$2"; shift 2 ;;
    --proc-timeout) ptimeout="$2"; shift 2 ;;
    --from-rows) from="$2"; shift 2 ;;
    -h|--help) sed -n '2,30p' "$0"; exit 0 ;;
    *) echo "run.sh: unknown option $1" >&2; usage; exit 2 ;;
  esac
done
[[ $device == cpu || $device == cuda ]] || { echo "run.sh: --device must be cpu or cuda, got $device" >&2; exit 2; }
for a in $amps; do [[ $a == none || $a == bf16 || $a == fp16 ]] || { echo "run.sh: --amp takes none, bf16, fp16; got $a" >&2; exit 2; }; done
[[ -n $threads ]] || { if [[ $device == cuda ]]; then threads="$(nproc)"; else threads="$(nproc) 1"; fi; }
if [[ -z $py ]]; then
  if [[ -x "$root/.venv/bin/python" ]]; then py="$root/.venv/bin/python"
  elif python3 -c 'import torch' 2>/dev/null; then py=python3
  else echo "run.sh: no Python with torch (.venv/bin/python from scripts/setup.sh, python3, or --python)" >&2; exit 1; fi
fi
addon="${TORCHMIX_ADDON:-$root/build/Release/torchmix.node}"
if [[ -z "$optim" && -z $from ]]; then
  optim=$(node -e "const m=require(require('path').resolve(process.argv[1])); process.stdout.write(typeof m.optimCreate==='function'?'lib':'hand')" "$addon")
fi
out=$(mktemp) err=$(mktemp)
trap 'rm -f "$out" "$err"' EXIT
if [[ -n $from ]]; then
  [[ -f $from ]] || { echo "run.sh: --from-rows $from: no such file" >&2; exit 2; }
  cat "$from" > "$out"
  models=""
fi
failed=0
# One process → one JSON row in $out (and $rows); a failure becomes a row with its message.
one() { # impl model threads amp cmd...
  local impl=$1 model=$2 t=$3 amp=$4 line rc=0
  shift 4
  line=$(timeout "$ptimeout" "$@" 2>"$err" | grep '^{' | tail -1) || rc=$?
  if [[ $rc -ne 0 || -z $line ]]; then
    failed=1
    local msg
    msg=$(grep -v '^\s*$' "$err" | tail -1 | cut -c1-300)
    [[ $rc -eq 124 ]] && msg="timed out after ${ptimeout}s"
    line=$("$py" -c 'import json,sys; b=sys.argv[8]; print(json.dumps({"impl":sys.argv[1],"model":sys.argv[2],"threads":int(sys.argv[3]),"amp":sys.argv[4],"device":sys.argv[5],**({"batch":int(b)} if b else {}),"channelsLast":sys.argv[9]=="1","error":sys.argv[6] or "exit %s" % sys.argv[7],"rc":int(sys.argv[7])}))' \
      "$impl" "$model" "$t" "$amp" "$device" "$msg" "$rc" "$batch" "${cl:+1}")
  fi
  echo "$line" | tee -a "$out"
  [[ -z $rows ]] || echo "$line" >> "$rows"
}
for model in $models; do
  if [[ $model == smallcnn ]]; then s=20 w=3; else s=6 w=2; fi
  s=${steps:-$s} w=${warm:-$w}
  common=(--model "$model" --steps "$s" --warmup "$w" --optim "$optim" --device "$device" ${batch:+--batch "$batch"} $cl)
  for t in $threads; do
    for amp in $amps; do
      ampf=()
      [[ $amp == none ]] || ampf=(--amp "$amp")
      for ((r = 1; r <= rounds; r++)); do
        one pytorch "$model" "$t" "$amp" "$py" "$here/train_step.py" "${common[@]}" --threads "$t" "${ampf[@]}"
        one torchmix "$model" "$t" "$amp" "$root/node_modules/.bin/tsx" "$here/train-step.ts" "${common[@]}" --threads "$t" "${ampf[@]}"
      done
    done
  done
done
"$py" - "$out" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.startswith('{')]
if not rows:
    sys.exit('run.sh: no rows')
# What ran, from the rows themselves (--from-rows may be given several runs' rows)
optim = next((r['optim'] for r in rows if 'optim' in r), '?')
device = rows[0]['device']
cuda = device == 'cuda'
names = {'smallcnn': 'small CNN, batch {b}, 1×28×28', 'preact18': 'PreAct ResNet-18, batch {b}, 3×32×32'}
print(f"\noptimizer: {'hand-written momentum SGD (same update in both)' if optim == 'hand' else 'torch.optim.SGD vs optim.SGD (native)'}; device: {device}")
mem = ('PyTorch peak alloc MiB | torchmix peak alloc MiB | PyTorch reserved MiB | torchmix reserved MiB' if cuda else 'PyTorch peak RSS MiB | torchmix peak RSS MiB')
print(f'| workload | threads | amp | PyTorch ms/step | torchmix ms/step | ratio | target ≤ 1.05 | PyTorch steps/s | torchmix steps/s | {mem} |')
print('|---|---:|---|---:|---:|---:|---|---:|---:|' + '---:|' * mem.count('|') + '---:|')
amp_order = ['none', 'bf16', 'fp16']
key = lambda r: (r['model'], r['threads'], r['amp'], bool(r.get('channelsLast')))
keys = sorted({key(r) for r in rows}, key=lambda k: (list(names).index(k[0]), k[3], -k[1], amp_order.index(k[2])))


def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def fmt(v, d=1):
    return '—' if v is None else f'{v:.{d}f}'


same, compared = True, 0
for m, t, amp, cl in keys:
    sel = [r for r in rows if key(r) == (m, t, amp, cl)]
    ok = {i: [r for r in sel if r['impl'] == i and 'error' not in r] for i in ('pytorch', 'torchmix')}
    bad = [r for r in sel if 'error' in r]
    batch = next((r['batch'] for r in sel if 'batch' in r), '?')
    name = names[m].format(b=batch) + (', channels-last' if cl else '')
    if not ok['pytorch'] or not ok['torchmix']:
        why = '; '.join(sorted({f"{r['impl']}: {r['error']}" for r in bad})) or 'one side has no row (the run was stopped)'
        print(f'| {name} | {t} | {amp} | failed: {why} |')
        continue
    py, tm = [r['msPerStep'] for r in ok['pytorch']], [r['msPerStep'] for r in ok['torchmix']]
    # per-round ratios too: the median of paired ratios is less sensitive to load drifting between rounds
    ratios = [b / a for a, b in zip(py, tm)]
    p, q = statistics.median(py), statistics.median(tm)
    verdict = 'OK' if q / p <= 1.05 else 'MISS'
    if cuda:
        memcols = [med(r.get('peakAllocMiB') for r in ok['pytorch']), med(r.get('peakAllocMiB') for r in ok['torchmix']),
                   med(r.get('reservedMiB') for r in ok['pytorch']), med(r.get('reservedMiB') for r in ok['torchmix'])]
    else:
        memcols = [med(r.get('peakRssMiB') for r in ok['pytorch']), med(r.get('peakRssMiB') for r in ok['torchmix'])]
    print(f"| {name} | {t} | {amp} | {p:.1f} | {q:.1f} | {q / p:.3f} (paired median {statistics.median(ratios):.3f}) | {verdict} | "
          f"{1000 / p:.1f} | {1000 / q:.1f} | " + ' | '.join(fmt(v) for v in memcols) + ' |')
    if amp == 'none':  # fp32: the same loss on both sides; under autocast the kernels may differ
        compared += 1
        same = same and abs(ok['pytorch'][-1]['loss'] - ok['torchmix'][-1]['loss']) < 1e-4 * (1 if device == 'cpu' else 10)
print(f"\nsame final fp32 loss on both sides (same seed, same weights, same data): {same if compared else 'n/a (no fp32 pair ran)'}")
PY
exit $failed
