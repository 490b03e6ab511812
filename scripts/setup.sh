#!/usr/bin/env bash
# Installs what torchmix needs and is missing, idempotently; a no-op in seconds when all is there.
#   bash scripts/setup.sh [--libtorch pip|debian]
#   pip    (default) pip torch $(cat scripts/TORCH_VERSION) in a per-user venv, addon in build/
#   debian Debian bookworm's libtorch-dev 1.13.1, addon in build-1.13/
# LIBTORCH=/path or LIBTORCH_USE_PYTORCH=1 (see README) override where the addon's LibTorch comes from.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
flavour=pip
while [[ $# -gt 0 ]]; do
  case "$1" in
    --libtorch) flavour=${2:-}; shift 2 ;;
    --libtorch=*) flavour=${1#*=}; shift ;;
    -h|--help) sed -n 2,6p "$0"; exit 0 ;;
    *) echo "setup.sh: unknown argument '$1' (expected --libtorch pip|debian)" >&2; exit 2 ;;
  esac
done
[[ $flavour == pip || $flavour == debian ]] || { echo "setup.sh: --libtorch must be 'pip' or 'debian', got '$flavour'" >&2; exit 2; }

say() { echo "setup: $*"; }
fail() { echo "setup: FAILED: $*" >&2; exit 1; }
torch_version=$(cat scripts/TORCH_VERSION)

# ---- 1. Debian packages -------------------------------------------------------------------------
pkgs=(cmake g++ make python3 python3-venv dataset-fashion-mnist libtorch-dev libgloo-dev chromium)  # chromium: the report's headless-browser test; libgloo-dev: Gloo's headers for torch.distributed (native/dist.cc)
missing=()
for p in "${pkgs[@]}"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p"); done
if ((${#missing[@]})); then
  say "installing Debian packages: ${missing[*]}"
  sudo=""
  [[ $(id -u) -eq 0 ]] || sudo=$(command -v sudo || true)
  [[ $(id -u) -eq 0 || -n $sudo ]] || fail "need root (or sudo) to apt-get install ${missing[*]}"
  $sudo apt-get update -qq || fail "apt-get update"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null || fail "apt-get install ${missing[*]}"
fi

# ---- 2. Python venv with the pinned torch (shared by every clone: keyed by the torch version) -----
venv=${TORCHMIX_VENV_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/torchmix/venv-torch-$torch_version}
check_venv() { "$venv/bin/python" -c "import torch, numpy, safetensors, torchattacks, sys; sys.exit(torch.__version__.split('+')[0] != '$torch_version' or torchattacks.__version__ != '3.5.1')" 2>/dev/null; }
if ! check_venv; then
  mkdir -p "$(dirname "$venv")"
  (
    flock 9  # two clones setting up at once share one venv
    if ! check_venv; then
      say "creating $venv with torch==$torch_version (a few GB, once per machine)"
      [[ -x $venv/bin/python ]] || python3 -m venv "$venv" || fail "python3 -m venv $venv"
      "$venv/bin/pip" install --disable-pip-version-check --progress-bar on "torch==$torch_version" numpy safetensors scipy || fail "pip install torch==$torch_version"
      # torchattacks: the oracle of test/attacks/torchattacks.test.ts. --no-deps, or pip would pull a
      # torchvision and pin requests 2.25; importing it needs only torch, numpy and scipy.
      "$venv/bin/pip" install --disable-pip-version-check --no-deps "torchattacks==3.5.1" || fail "pip install torchattacks==3.5.1"
    fi
  ) 9>"$venv.lock"
fi
[[ $(readlink .venv 2>/dev/null) == "$venv" ]] || ln -sfn "$venv" .venv

# ---- 2b. headers for the NCCL backend (native/dist_nccl.cc) -------------------------------------
# A CUDA pip torch brings the CUDA runtime's and NCCL's headers but not crt/ and CCCL's nv/: two
# small header-only wheels (--no-deps: nothing else changes). Not for a CPU torch; not fatal: without
# them the addon builds without NCCL (torch.distributed.isNcclAvailable() is false).
nv_headers() { compgen -G "$venv/lib/python3*/site-packages/nvidia/cu*/include/crt/host_config.h" >/dev/null && compgen -G "$venv/lib/python3*/site-packages/nvidia/cu*/include/nv/target" >/dev/null; }
if [[ $flavour == pip ]] && compgen -G "$venv/lib/python3*/site-packages/torch/lib/libtorch_cuda.so" >/dev/null && ! nv_headers; then
  (
    flock 9
    if ! nv_headers; then
      cuda_ver=$("$venv/bin/python" -c "import torch; print(torch.version.cuda or '')")
      say "installing the CUDA $cuda_ver headers the NCCL backend compiles against (nvidia-cuda-crt, nvidia-cuda-cccl)"
      "$venv/bin/pip" install -q --disable-pip-version-check --no-deps "nvidia-cuda-crt==$cuda_ver.*" "nvidia-cuda-cccl==$cuda_ver.*" ||
        say "could not install them: the addon is built without NCCL"
    fi
  ) 9>"$venv.lock"
fi
nccl_headers=no
[[ $flavour == pip ]] && nv_headers && nccl_headers=yes

# ---- 3. npm packages ----------------------------------------------------------------------------
# (package.json's install script, which builds the addon where torchmix is installed from npm, is a
# no-op in a clone: the addon is built in step 4.)
lock_sum=$(sha256sum package-lock.json | cut -c1-16)
if [[ ! -d node_modules || $(cat node_modules/.torchmix-lock 2>/dev/null) != "$lock_sum" ]]; then
  say "npm ci"
  npm ci --no-audit --no-fund --loglevel=error >/dev/null || fail "npm ci"
  echo "$lock_sum" > node_modules/.torchmix-lock
fi

# ---- 4. the addon -------------------------------------------------------------------------------
if [[ $flavour == debian ]]; then out=build-1.13; export LIBTORCH=${LIBTORCH:-/usr}; else out=build; fi
addon=$out/Release/torchmix.node
stamp="flavour=$flavour LIBTORCH=${LIBTORCH:-} LIBTORCH_USE_PYTORCH=${LIBTORCH_USE_PYTORCH:-} venv=$venv nccl-headers=$nccl_headers"
# Newer than the last build's stamp (a build that changes no object leaves the addon's mtime as it was).
newer=$( [[ -f $addon && -f $out/.torchmix-stamp ]] && find native CMakeLists.txt package-lock.json -newer "$out/.torchmix-stamp" -print -quit || echo missing)
if [[ -n $newer || $(cat "$out/.torchmix-stamp" 2>/dev/null) != "$stamp" ]]; then
  say "building the addon into $out/ (LibTorch: $flavour${LIBTORCH:+, LIBTORCH=$LIBTORCH})"
  [[ $(cat "$out/.torchmix-stamp" 2>/dev/null) == "$stamp" ]] || rm -rf "$out"
  log=$(mktemp)
  if ! npx --no-install cmake-js compile --parallel "$(nproc)" -O "$out" >"$log" 2>&1; then
    tail -n 40 "$log" >&2
    fail "addon build (full log: $log)"
  fi
  rm -f "$log"
  echo "$stamp" > "$out/.torchmix-stamp"
fi

# ---- 5. TypeScript → dist/ (what `import 'torchmix'` resolves to) -------------------------------
if [[ ! -f dist/index.js || -n $(find lib tsconfig.json -newer dist/index.js -print -quit) ]]; then
  say "compiling TypeScript"
  npx --no-install tsc -p tsconfig.json || fail "tsc"
  touch dist/index.js
fi
say "ready (LibTorch $flavour, addon $addon)"
