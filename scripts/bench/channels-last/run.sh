#!/usr/bin/env bash
# Channels-last vs contiguous: seconds per training step (forward, cross-entropy, backward, SGD
# momentum 0.9) of the small CNN (b128) and PreAct ResNet-18 (b32), torchmix and PyTorch on the same
# LibTorch (pip torch in .venv; build/Release/torchmix.node or TORCHMIX_ADDON), channels-last on
# both sides (model.to(memory_format) and channels-last input).
#
#   bash scripts/bench/channels-last/run.sh [--threads 1] [--rounds 5] [--repeat 1] [--models "smallcnn preact18"]
#        [--steps S] [--rows FILE]
#
# Each process holds both twins (same weights) and times them in alternating blocks (ABBA over
# --rounds), so load on the machine hits both formats alike; --repeat runs that many
# PyTorch-then-torchmix process pairs per model. The table gives medians over all rounds: ms per
# step contiguous and channels-last, and the per-round ratio channels-last / contiguous (< 1: faster).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
cd "$root"
threads=1 rounds=5 repeat=1 models="smallcnn preact18" steps="" rows=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --threads) threads="$2"; shift 2 ;;
    --rounds) rounds="$2"; shift 2 ;;
    --repeat) repeat="$2"; shift 2 ;;
    --models) models="$2"; shift 2 ;;
    --steps) steps="$2"; shift 2 ;;
    --rows) rows="$2"; shift 2 ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    *) echo "run.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
py="$root/.venv/bin/python"
[[ -x $py ]] || { echo "run.sh: $py missing (scripts/setup.sh makes it)" >&2; exit 1; }
out=$(mktemp)
trap 'rm -f "$out"' EXIT
common=(--threads "$threads" --rounds "$rounds")
[[ -n $steps ]] && common+=(--steps "$steps")
for m in $models; do
  for ((k = 0; k < repeat; k++)); do
    echo "run.sh: $m, PyTorch then torchmix ($((k + 1))/$repeat)" >&2
    "$py" "$here/channels_last.py" --model "$m" "${common[@]}" >> "$out"
    npx --no-install tsx "$here/channels-last.ts" --model "$m" "${common[@]}" >> "$out"
  done
done
[[ -n $rows ]] && cat "$out" >> "$rows"
node -e '
const rows = require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n").map((l) => JSON.parse(l));
const med = (a) => { const s = [...a].sort((x, y) => x - y); const n = s.length; return n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2; };
const names = { smallcnn: "small CNN", preact18: "PreAct ResNet-18" };
console.log("| workload | threads | impl | contiguous ms | channels-last ms | channels-last / contiguous | rounds |");
console.log("|---|---:|---|---:|---:|---:|---:|");
const keys = [...new Set(rows.map((r) => `${r.model}|${r.batch}|${r.threads}|${r.impl}`))];
for (const k of keys) {
  const rs = rows.filter((r) => `${r.model}|${r.batch}|${r.threads}|${r.impl}` === k);
  const r0 = rs[0];
  console.log(`| ${names[r0.model]} b${r0.batch} | ${r0.threads} | ${r0.impl === "pytorch" ? "PyTorch " + r0.torch : "torchmix (LibTorch " + r0.torch + ")"} | ${med(rs.map((r) => r.msContiguous)).toFixed(1)} | ${med(rs.map((r) => r.msChannelsLast)).toFixed(1)} | ${med(rs.map((r) => r.msChannelsLast / r.msContiguous)).toFixed(3)} | ${rs.length} |`);
}' "$out"
