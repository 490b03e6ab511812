#!/usr/bin/env bash
# One-call GPU check (issue 14): build against this machine's Python torch, run the CUDA tests, the
# GPU train-step benchmarks (torchmix vs PyTorch eager) and an all-reduce, and write a report.
#
#   bash scripts/device-check.sh --out DIR [--quick]
#
#   --out DIR  where DIR/device-check.md (the report), DIR/results.json (every part's status),
#              DIR/gpu-bench.json / cpu-bench.json (raw benchmark rows), DIR/cuda-tests.json (vitest's
#              JSON report) and DIR/device-check.log (every step's output) go
#   --quick    GPU benchmarks: 1 round and short loops instead of 3 interleaved rounds
#
# Parts: (a) build: the addon against the torch of the Python that has one (python3, else
# .venv/bin/python) with LIBTORCH_USE_PYTORCH=1 into build-device/, unless build/ was already built
# against that same torch (build/Release/torchmix-libtorch.json names it): then build/ is used as it
# is (a clone's default build; rebuilding it here would race other builds); TORCHMIX_ADDON points
# at the one used; prints torch.config(). (b) the CUDA tests: the test files that call
# cuda.isAvailable, only the tests whose name says CUDA (vitest -t '[Cc][Uu][Dd][Aa]'). (c) GPU
# benchmarks: small CNN and PreAct ResNet-18 at batch 128, fp32 and AMP (autocast bf16, and fp16
# with a GradScaler), steps/s and CUDA memory, 3 interleaved rounds
# (scripts/bench/train-step/run.sh --device cuda). Without CUDA, (b) and (c) are skipped with the
# reason and a short CPU sanity bench (batch 16, 3 steps) runs instead. (d) NCCL: a 2-process
# all-reduce on the GPUs where the addon has NCCL and there are 2 GPUs, else a line saying why not;
# always a 2-process Gloo all-reduce on the CPU (the same script). Each step runs under `timeout`
# within a 450 s budget (the whole call under 8 minutes with the unpacking of .device/).
# Exit 0 when no part that ran failed, 1 otherwise, 2 on a bad flag.
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
cd "$root"

usage() { echo "usage: bash scripts/device-check.sh --out DIR [--quick]" >&2; }
out="" quick=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --out) [[ $# -ge 2 && -n $2 ]] || { echo "device-check.sh: --out needs a folder" >&2; usage; exit 2; }; out="$2"; shift 2 ;;
    --quick) quick=1; shift ;;
    -h|--help) sed -n '2,26p' "$0"; exit 0 ;;
    *) echo "device-check.sh: unknown option $1" >&2; usage; exit 2 ;;
  esac
done
[[ -n $out ]] || { echo "device-check.sh: --out DIR is required" >&2; usage; exit 2; }
mkdir -p "$out" || exit 2
out="$(cd "$out" && pwd)"
log="$out/device-check.log"
: > "$log"
body="$(mktemp)" status_file="$(mktemp)"
trap 'rm -f "$body" "$status_file" "$out/.gpu-rows.jsonl" "$out/.cpu-rows.jsonl"' EXIT
deadline=$((SECONDS + 450))
failed=0

note() { echo "$*" | tee -a "$log"; }
md() { printf '%s\n' "$@" >> "$body"; }
# part NAME STATUS DETAIL — one line of results.json's parts and the report's summary
part() {
  printf '%s\t%s\t%s\n' "$1" "$2" "$3" >> "$status_file"
  [[ $2 != failed ]] || failed=1
  note "== $1: $2${3:+ ($3)}"
}
# budget CAP RESERVE → seconds the next step may take: CAP, or less so RESERVE s stay for later parts
budget() {
  local left=$((deadline - SECONDS - $2))
  ((left < $1)) && echo "$left" || echo "$1"
}
# step NAME TIMEOUT cmd… → runs cmd under timeout, output to the log; returns its status
step() {
  local name=$1 t=$2 rc
  shift 2
  if ((t < 5)); then
    echo "---- $name: not run, the time budget is spent" >> "$log"
    return 124
  fi
  {
    echo
    echo "---- $name (timeout ${t}s): $*"
  } >> "$log"
  timeout --kill-after=10 "$t" "$@" >> "$log" 2>&1
  rc=$?
  [[ $rc -ne 124 && $rc -ne 137 ]] || echo "---- $name: timed out after ${t}s" >> "$log"
  return $rc
}
# node_modules/.bin, not npx: the GPU machine gets Node.js and node_modules from .device/, no npm.
bin="$root/node_modules/.bin"

# ---- machine ---------------------------------------------------------------------------------------
py=""
if command -v python3 > /dev/null && python3 -c 'import torch' 2> /dev/null; then py="$(command -v python3)"
elif [[ -x .venv/bin/python ]]; then py="$root/.venv/bin/python"; fi
if command -v nvidia-smi > /dev/null; then
  gpu_line="$(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>&1 | paste -sd ';' -)"
else
  gpu_line="none (no nvidia-smi on PATH)"
fi
cpu_line="$(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo 2> /dev/null | cut -d: -f2 | sed 's/^ //')"
if [[ -n $py ]]; then
  pyinfo="$("$py" - 2>&1 <<'PY'
import json, torch
d = torch.distributed.is_available()
print(json.dumps({'torch': torch.__version__, 'cuda': torch.version.cuda, 'cudaAvailable': torch.cuda.is_available(),
                  'gpus': torch.cuda.device_count(), 'gpuName': torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
                  'cudnn': torch.backends.cudnn.version() if torch.backends.cudnn.is_available() else None,
                  'nccl': bool(d and torch.distributed.is_nccl_available()), 'prefix': torch.__path__[0]}))
PY
)"
else
  pyinfo='{}'
fi
pyget() { node -e 'const o=JSON.parse(process.argv[1]||"{}");const v=o[process.argv[2]];process.stdout.write(v===undefined||v===null?"":String(v))' "$pyinfo" "$1" 2> /dev/null; }
note "machine: GPU $gpu_line; $cpu_line; python ${py:-none}: torch $(pyget torch) (CUDA $(pyget cuda), available $(pyget cudaAvailable))"

# ---- (a) build -------------------------------------------------------------------------------------
addon="" build_how=""
if [[ -z $py ]]; then
  part build failed "no Python with torch: python3 does not import torch and there is no .venv/bin/python"
else
  prefix="$(pyget prefix)"
  built_for="$(node -e 'try{process.stdout.write(JSON.parse(require("fs").readFileSync("build/Release/torchmix-libtorch.json","utf8")).path)}catch{}' 2> /dev/null)"
  if [[ -f build/Release/torchmix.node && -n $prefix && $built_for == "$prefix" ]]; then
    addon="$root/build/Release/torchmix.node"
    build_how="reused build/ (built against the same torch: $prefix)"
  else
    # Direct link against torch's include/ and lib/ (CMakeLists' path for pip torch without a CUDA
    # toolkit), also where nvcc is installed: TorchConfig.cmake's CUDA checks are not needed to link.
    lockcmd=()
    command -v flock > /dev/null && lockcmd=(flock /tmp/torchmix-build.lock)
    t=$(budget 300 150)
    if PATH="$(dirname "$py"):$PATH" LIBTORCH_USE_PYTORCH=1 step build "$t" "${lockcmd[@]}" "$bin/cmake-js" compile --parallel "$(nproc)" -O build-device --CDCMAKE_DISABLE_FIND_PACKAGE_CUDAToolkit=ON; then
      addon="$root/build-device/Release/torchmix.node"
      build_how="built build-device/ with LIBTORCH_USE_PYTORCH=1 against $prefix"
    else
      part build failed "cmake-js compile into build-device/ failed or timed out (see device-check.log)"
    fi
  fi
fi
config='{}'
if [[ -n $addon ]]; then
  export TORCHMIX_ADDON="$addon"
  if config="$(timeout 60 "$bin/tsx" -e "import { torch } from './lib/index.ts'; const d = torch.distributed; console.log(JSON.stringify({ ...torch.config(), gpus: torch.cuda.deviceCount(), nccl: d.isNcclAvailable(), gloo: d.isGlooAvailable() }))" 2>> "$log" | tail -1)" && [[ $config == '{'* ]]; then
    part build ok "$build_how; TORCHMIX_ADDON=$addon"
    note "torch.config(): $config"
  else
    part build failed "$build_how, but the addon does not load (see device-check.log)"
    addon="" config='{}'
  fi
fi
cfg() { node -e 'const o=JSON.parse(process.argv[1]);const v=o[process.argv[2]];process.stdout.write(v===undefined?"":String(v))' "$config" "$1" 2> /dev/null; }
cuda_reason=""
if [[ -z $addon ]]; then cuda_reason="the addon was not built"
elif [[ $(cfg cudaBuilt) != true ]]; then cuda_reason="this LibTorch ($(cfg version)) has no CUDA (torch.config().cudaBuilt is false)"
elif [[ $(cfg cuda) != true ]]; then cuda_reason="no CUDA device visible (torch.cuda.isAvailable() is false; nvidia-smi: $gpu_line)"; fi

# ---- (b) CUDA tests ----------------------------------------------------------------------------------
if [[ -n $cuda_reason ]]; then
  part cuda-tests skipped "$cuda_reason"
else
  mapfile -t files < <(grep -rl 'cuda.isAvailable' test | sort)
  t=$(budget 180 120)
  if ((t < 20)); then part cuda-tests skipped "time budget spent"
  else
    step cuda-tests "$t" "$bin/vitest" run "${files[@]}" -t '[Cc][Uu][Dd][Aa]' --reporter=default --reporter=json --outputFile.json="$out/cuda-tests.json"
    rc=$?
    counts="$(node -e 'const r=JSON.parse(require("fs").readFileSync(process.argv[1],"utf8"));process.stdout.write(`${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests+r.numTodoTests} skipped`)' "$out/cuda-tests.json" 2> /dev/null)"
    if [[ $rc -eq 0 ]]; then part cuda-tests ok "${counts:-passed} (${#files[@]} files, vitest -t '[Cc][Uu][Dd][Aa]')"
    else part cuda-tests failed "${counts:-vitest exit $rc}$([[ $rc -eq 124 || $rc -eq 137 ]] && echo ", timed out after ${t}s")"; fi
  fi
fi

# ---- (c) benchmarks ----------------------------------------------------------------------------------
bench_table() { grep -E '^(\||optimizer:|same final)'; }
if [[ -n $cuda_reason ]]; then
  part gpu-bench skipped "$cuda_reason"
fi
if [[ -z $cuda_reason ]]; then
  # fp32, then torch.autocast bf16 (no scaler) and fp16 (amp.GradScaler), PyTorch's recipes on both sides
  amps="none bf16 fp16" amp_note=""
  if ((quick)); then rounds=1 s1=30 w1=5 s2=10 w2=3; else rounds=3 s1=100 w1=10 s2=30 w2=5; fi
  bench_ok=1
  : > "$out/.gpu-rows.jsonl"
  for spec in "smallcnn $s1 $w1 100" "preact18 $s2 $w2 20"; do
    read -r model s w reserve <<< "$spec"
    t=$(budget 240 "$reserve")
    if ((t < 20)); then bench_ok=0; amp_note="${amp_note:+$amp_note; }$model: time budget spent"; continue; fi
    step "gpu-bench $model" "$t" bash scripts/bench/train-step/run.sh --device cuda --models "$model" --batch 128 --threads "$(nproc)" --optim lib \
      --amp "$amps" --rounds "$rounds" --steps "$s" --warmup "$w" --python "$py" --rows "$out/.gpu-rows.jsonl" --proc-timeout 90 || bench_ok=0
  done
  # Channels-last under bf16 autocast (the layout tensor-core convolutions prefer), when the time allows.
  cl_note="channels-last: skipped (time budget)"
  t=$(budget 150 20)
  if ((bench_ok && t >= 90)); then
    cl_note="channels-last bf16: ok"
    step "gpu-bench channels-last" "$t" bash scripts/bench/train-step/run.sh --device cuda --models "smallcnn preact18" --batch 128 --threads "$(nproc)" --optim lib \
      --amp bf16 --channels-last --rounds "$rounds" --steps "$s2" --warmup "$w2" --python "$py" --rows "$out/.gpu-rows.jsonl" --proc-timeout 60 || { bench_ok=0; cl_note="channels-last bf16: failed"; }
  fi
  amp_note="${amp_note:+$amp_note; }$cl_note"
  "$py" -c 'import json,sys; json.dump([json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")], open(sys.argv[2], "w"), indent=1)' "$out/.gpu-rows.jsonl" "$out/gpu-bench.json"
  n=$(grep -c '^{' "$out/.gpu-rows.jsonl")
  if ((bench_ok)); then part gpu-bench ok "$n rows, amp: $amps, $rounds round(s)${amp_note:+; $amp_note}"
  else part gpu-bench failed "$n rows, amp: $amps; a run failed or timed out${amp_note:+; $amp_note} (see the table and device-check.log)"; fi
fi
# The CPU sanity bench: where the GPU bench is skipped, the same bench path at small sizes.
if [[ -n $cuda_reason && -n $py && -n $addon ]]; then
  : > "$out/.cpu-rows.jsonl"
  t=$(budget 120 40)
  if step cpu-bench "$t" bash scripts/bench/train-step/run.sh --device cpu --models smallcnn --batch 16 --threads 1 --optim lib --amp none \
    --rounds 1 --steps 3 --warmup 1 --python "$py" --rows "$out/.cpu-rows.jsonl" --proc-timeout 60; then
    part cpu-bench ok "small CNN batch 16, 3 steps, 1 thread, 1 round"
  else
    part cpu-bench failed "scripts/bench/train-step/run.sh --device cpu failed (see device-check.log)"
  fi
  "$py" -c 'import json,sys; json.dump([json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")], open(sys.argv[2], "w"), indent=1)' "$out/.cpu-rows.jsonl" "$out/cpu-bench.json"
fi

# ---- (d) all-reduce ----------------------------------------------------------------------------------
if [[ -z $addon ]]; then
  part nccl skipped "the addon was not built"
  part gloo-allreduce skipped "the addon was not built"
else
  gpus=$(cfg gpus)
  if [[ $(cfg nccl) != true ]]; then
    part nccl skipped "NCCL is not built into this addon (torch.distributed.isNcclAvailable() is false: the build found no CUDA toolkit or pip crt/CCCL headers, see the cmake line 'NCCL backend left out' in device-check.log); this machine's PyTorch has NCCL: $(pyget nccl), GPUs: ${gpus:-0}"
  elif ((gpus < 2)); then
    part nccl skipped "NCCL needs one GPU per rank: a 2-process all-reduce needs 2 GPUs, this machine has ${gpus:-0}"
  else
    t=$(budget 60 25)
    if step nccl-allreduce "$t" "$bin/tsx" scripts/device-check/allreduce.ts --backend nccl --world 2; then
      part nccl ok "$(grep '"backend":"nccl"' "$log" | tail -1)"
    else part nccl failed "2-process NCCL all-reduce failed (see device-check.log)"; fi
  fi
  t=$(budget 60 5)
  if step gloo-allreduce "$t" "$bin/tsx" scripts/device-check/allreduce.ts --backend gloo --world 2; then
    part gloo-allreduce ok "2 processes, 2^20 float32 on the CPU: $(grep '"backend":"gloo"' "$log" | tail -1 | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{try{const o=JSON.parse(s);process.stdout.write(`sum ${o.ok?"correct":"WRONG"}, ${o.ranks.map(r=>r.ms.toFixed(1)).join("/")} ms per rank`)}catch{process.stdout.write("ok")}})')"
  else part gloo-allreduce failed "2-process Gloo all-reduce failed (see device-check.log)"; fi
fi

# ---- (e) report ----------------------------------------------------------------------------------------
{
  echo "# device-check"
  echo
  echo "$(date -u '+%Y-%m-%d %H:%M UTC'), $((SECONDS))s, \`bash scripts/device-check.sh --out DIR$( ((quick)) && echo ' --quick')\`, commit $(git rev-parse --short HEAD 2> /dev/null || echo '?')"
  echo
  echo "## Machine"
  echo "- GPU (nvidia-smi name, driver, memory): $gpu_line"
  echo "- CPU: $cpu_line"
  echo "- Python: ${py:-none}; torch $(pyget torch), CUDA $(pyget cuda), cuDNN $(pyget cudnn), torch.cuda.is_available(): $(pyget cudaAvailable)$([[ -n $(pyget gpuName) ]] && echo ", $(pyget gpuName)")"
  echo "- torchmix torch.config(): \`$config\`"
  echo
  echo "## Parts"
  echo "| part | status | detail |"
  echo "|---|---|---|"
  while IFS=$'\t' read -r name st detail; do
    [[ $st == skipped ]] && st="skipped: $detail" detail=""
    echo "| $name | $st | ${detail//|/\\|} |"
  done < "$status_file"
  echo
} > "$out/device-check.md"
{
  echo "## (c) Benchmarks"
  if [[ -s $out/.gpu-rows.jsonl ]]; then
    echo "GPU: \`scripts/bench/train-step/run.sh --device cuda --batch 128 --optim lib\`, medians over rounds; memory: both sides'"
    echo "peak allocated of the timed steps (max_memory_allocated / torch.cuda.maxMemoryAllocated after a reset) and memory_reserved after them."
    echo
    bash scripts/bench/train-step/run.sh --from-rows "$out/.gpu-rows.jsonl" --python "$py" | bench_table
  elif [[ -s $out/.cpu-rows.jsonl ]]; then
    echo "GPU benchmarks skipped: $cuda_reason. CPU sanity run of the same bench (not a measurement: batch 16, 3 steps):"
    echo
    bash scripts/bench/train-step/run.sh --from-rows "$out/.cpu-rows.jsonl" --python "$py" | bench_table
  else
    echo "skipped: ${cuda_reason:-see the parts}"
  fi
  echo
  cat <<'EOS'
## Notes
- (a) build/ is reused when it was built against the same torch (build/Release/torchmix-libtorch.json names it),
  else build-device/ is built (cmake-js, LIBTORCH_USE_PYTORCH=1; incremental when it exists).
- (b) the CUDA tests: `vitest run $(grep -rl cuda.isAvailable test) -t '[Cc][Uu][Dd][Aa]'` (the tests whose full
  name says CUDA; the others in those files are filtered out).
- (c) memory: CUDA: both sides' peak allocated after resetting the peaks (max_memory_allocated, maxMemoryAllocated), and memory_reserved
  after the timed steps; CPU: VmHWM − post-setup VmRSS (VmHWM reset through /proc/self/clear_refs), both sides.
EOS
} >> "$out/device-check.md"
node -e '
  const fs = require("fs");
  const [statusFile, outFile, gpu, cpu, pyinfo, config, quick] = process.argv.slice(1);
  const parts = fs.readFileSync(statusFile, "utf8").split("\n").filter(Boolean).map((l) => { const [name, status, detail] = l.split("\t"); return { name, status, detail }; });
  fs.writeFileSync(outFile, JSON.stringify({ date: new Date().toISOString(), quick: quick === "1", gpu, cpu, python: JSON.parse(pyinfo || "{}"), config: JSON.parse(config || "{}"), parts }, null, 1));
' "$status_file" "$out/results.json" "$gpu_line" "$cpu_line" "$pyinfo" "$config" "$quick"
note "report: $out/device-check.md ($((SECONDS))s)"
exit $failed
