#!/usr/bin/env bash
# Loader benchmark: images/s for one Fashion-MNIST training epoch (60k, batch 128, shuffle,
# random crop 28 / padding 4 + horizontal flip + normalise), torchmix's DataLoader vs the same
# pipeline in Python torch (TensorDataset + per-sample transform + DataLoader, num_workers 0 and 2;
# and a batched-tensor pipeline like torchmix's for reference), same intra-op threads; plus the
# loading time per batch as a % of a small-CNN training step (nn.functional on plain tensors).
#
#   bash scripts/bench/loader/run.sh [--libtorch pip|debian] [--threads N] [--rounds N] [--epochs N] [--steps N]
#
# Each round runs torchmix then Python (one process each, interleaved); every process prints JSON
# lines (kept in build-bench/loader-*.jsonl); the table gives the median over all timed epochs.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
cd "$root"

libtorch=pip threads=1 rounds=3 epochs=3 steps=30
while [[ $# -gt 0 ]]; do
  case "$1" in
    --libtorch) libtorch="$2"; shift 2 ;;
    --threads) threads="$2"; shift 2 ;;
    --rounds) rounds="$2"; shift 2 ;;
    --epochs) epochs="$2"; shift 2 ;;
    --steps) steps="$2"; shift 2 ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "run.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
case "$libtorch" in
  pip) py="$root/.venv/bin/python"; addon="$root/build/Release/torchmix.node" ;;
  debian) py=/usr/bin/python3; addon="$root/build-1.13/Release/torchmix.node" ;;
  *) echo "run.sh: --libtorch pip|debian" >&2; exit 2 ;;
esac
[[ -f "$addon" ]] || { echo "run.sh: $addon not built" >&2; exit 1; }
mkdir -p build-bench
out="build-bench/loader-$libtorch-t$threads.jsonl"
: > "$out"
for ((r = 0; r < rounds; r++)); do
  TORCHMIX_ADDON="$addon" npx --no-install tsx "$here/loader.ts" --threads "$threads" --epochs "$epochs" --steps "$steps" | tee -a "$out"
  if "$py" -c 'import torch' 2>/dev/null; then
    "$py" "$here/loader.py" --threads "$threads" --epochs "$epochs" --steps "$steps" | tee -a "$out"
  else
    echo "run.sh: $py cannot import torch; Python column skipped" >&2
  fi
done
"${py:-python3}" - "$out" <<'PY'
import json, sys, statistics as st
rows = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
ep = {}
for r in rows:
    if "imgPerS" in r:
        ep.setdefault((r["impl"], r["setting"]), []).append(r)
tm = st.median(r["imgPerS"] for r in ep.get(("torchmix", "DataLoader (batched, on device)"), [{"imgPerS": float("nan")}]))
print("\n| pipeline | epoch time (ms, median) | images/s (median) | torchmix speed-up |")
print("|---|---:|---:|---:|")
for (impl, setting), rs in ep.items():
    ips = st.median(r["imgPerS"] for r in rs)
    print(f"| {impl}: {setting} | {st.median(r['ms'] for r in rs):.0f} | {ips:,.0f} | {tm / ips:.2f}× |")
print("\n| impl | small-CNN step (ms, median) | loading per batch (ms) | loading / step |")
print("|---|---:|---:|---:|")
for impl in ("torchmix", "python"):
    rs = [r for r in rows if r.get("setting") == "small CNN step" and r["impl"] == impl]
    if rs:
        s, l = st.median(r["stepMs"] for r in rs), st.median(r["loadMsPerBatch"] for r in rs)
        name = "torchmix DataLoader" if impl == "torchmix" else "python batched tensors"
        print(f"| {name} | {s:.1f} | {l:.3f} | {100 * l / s:.2f} % |")
PY
