#!/usr/bin/env bash
# The README's test command (npm test): set up what is missing, then run the whole suite.
#   npm test [-- --libtorch pip|debian] [-- vitest args…]
set -euo pipefail
cd "$(dirname "$0")/.."
flavour=pip
args=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --libtorch) flavour=${2:-}; shift 2 ;;
    --libtorch=*) flavour=${1#*=}; shift ;;
    *) args+=("$1"); shift ;;
  esac
done
bash scripts/setup.sh --libtorch "$flavour"
if [[ $flavour == debian ]]; then export TORCHMIX_ADDON=build-1.13/Release/torchmix.node; fi
report=$(mktemp --suffix=.json)
set +e
npx --no-install vitest run --reporter=default --reporter=json --outputFile.json="$report" "${args[@]}"
rc=$?
set -e
# One closing line any CI log reader understands: "N passed, N failed, N skipped".
node -e '
  const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  const skipped = (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
  console.log(`torchmix tests (libtorch ${process.argv[2]}): ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${skipped} skipped`);
' "$report" "$flavour" 2>/dev/null || true
rm -f "$report"
exit $rc
