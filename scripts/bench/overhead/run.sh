#!/usr/bin/env bash
# Per-op and mixup-step overhead: torchmix vs Python PyTorch vs plain C++ LibTorch (the floor),
# all on the same LibTorch and the same intra-op thread count.
#
#   bash scripts/bench/overhead/run.sh [--libtorch pip|debian] [--threads N] [--rounds N]
#                                      [--add-iters N] [--steps N] [--warmup-steps N] [--beta step|once]
#
#   --libtorch pip     (default) pip torch in .venv; torchmix uses build/Release/torchmix.node
#   --libtorch debian  Debian's LibTorch 1.13; torchmix uses build-1.13/Release/torchmix.node,
#                      Python is /usr/bin/python3 with python3-torch (column skipped if missing)
#   --beta step        (default) the Beta(1,1) distribution is built inside every step, as in
#                      `torch.distributions.Beta(1., 1.).sample()` written inline; `once`: before the loop
#
# Each round runs C++, Python and torchmix once each (interleaved, one process each); every
# process prints one JSON line. The table reports the median over rounds. The C++ floor is built
# into build-bench/ when missing or older than overhead.cc (g++ -O2, no cmake: pip torch's
# TorchConfig.cmake wants a CUDA toolkit).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
cd "$root"

libtorch=pip threads=1 rounds=7 add_iters=200000 steps=2000 warmup_steps=300 beta=step
while [[ $# -gt 0 ]]; do
  case "$1" in
    --libtorch) libtorch="$2"; shift 2 ;;
    --threads) threads="$2"; shift 2 ;;
    --rounds) rounds="$2"; shift 2 ;;
    --add-iters) add_iters="$2"; shift 2 ;;
    --steps) steps="$2"; shift 2 ;;
    --warmup-steps) warmup_steps="$2"; shift 2 ;;
    --beta) beta="$2"; shift 2 ;;
    -h|--help) sed -n '2,18p' "$0"; exit 0 ;;
    *) echo "run.sh: unknown option $1" >&2; exit 2 ;;
  esac
done

mkdir -p build-bench
case "$libtorch" in
  pip)
    py="$root/.venv/bin/python"
    [[ -x "$py" ]] || { echo "run.sh: $py not found (pip torch venv)" >&2; exit 1; }
    tdir="$("$py" -c 'import torch, os; print(os.path.dirname(torch.__file__))')"
    abi="$("$py" -c 'import torch; print(int(torch._C._GLIBCXX_USE_CXX11_ABI))')"
    addon="$root/build/Release/torchmix.node"
    cxx_inc=(-isystem "$tdir/include" -isystem "$tdir/include/torch/csrc/api/include")
    cxx_lib=(-L"$tdir/lib" -Wl,-rpath,"$tdir/lib")
    ;;
  debian)
    py=/usr/bin/python3
    if ! "$py" -c 'import torch' 2>/dev/null; then
      echo "run.sh: $py cannot import torch (apt-get install python3-torch); skipping the Python column" >&2
      py=""
    fi
    cfg=/usr/lib/x86_64-linux-gnu/cmake/Torch/TorchConfig.cmake
    abi="$(grep -o '_GLIBCXX_USE_CXX11_ABI=[01]' "$cfg" | head -n1 | cut -d= -f2 || true)"
    abi="${abi:-1}"
    addon="$root/build-1.13/Release/torchmix.node"
    cxx_inc=(-I/usr/include/torch/csrc/api/include)
    cxx_lib=()
    ;;
  *) echo "run.sh: --libtorch must be pip or debian" >&2; exit 2 ;;
esac
[[ -f "$addon" ]] || { echo "run.sh: torchmix addon $addon not found" >&2; exit 1; }

bin="build-bench/overhead-$libtorch"
if [[ ! -x "$bin" || "$here/overhead.cc" -nt "$bin" ]]; then
  echo "building $bin (g++ -O2, _GLIBCXX_USE_CXX11_ABI=$abi) ..." >&2
  g++ -O2 -std=c++17 -D_GLIBCXX_USE_CXX11_ABI="$abi" "${cxx_inc[@]}" "$here/overhead.cc" -o "$bin" \
    "${cxx_lib[@]}" -Wl,--no-as-needed -ltorch -ltorch_cpu -lc10
fi

[[ "$beta" == step || "$beta" == once ]] || { echo "run.sh: --beta must be step or once" >&2; exit 2; }
common=(--threads "$threads" --add-iters "$add_iters" --steps "$steps" --warmup-steps "$warmup_steps" --beta "$beta")
tsx="$root/node_modules/.bin/tsx"
out="build-bench/overhead-$libtorch-$beta.jsonl"
: >"$out"
for ((r = 1; r <= rounds; r++)); do
  echo "round $r/$rounds" >&2
  "./$bin" "${common[@]}" | tee -a "$out"
  if [[ -n "$py" ]]; then "$py" "$here/overhead.py" "${common[@]}" | tee -a "$out"; fi
  TORCHMIX_ADDON="$addon" "$tsx" "$here/overhead.ts" "${common[@]}" | tee -a "$out"
done

echo
aggpy=/usr/bin/python3
[[ -x "$aggpy" ]] || aggpy="$root/.venv/bin/python"
"$aggpy" "$here/aggregate.py" "$out"
