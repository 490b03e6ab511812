#!/usr/bin/env bash
# The README's main command (npm start): set up what is missing, then train with mixup.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec npx --no-install tsx scripts/demo.ts "$@"
