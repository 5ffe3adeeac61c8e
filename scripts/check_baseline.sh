#!/usr/bin/env bash
# `make test`, last step: runs the smoke suite with this build and compares it with the committed
# baseline (results/baselines/smoke/), so a change that moves the smoke numbers fails with a diff.
set -euo pipefail
BUILD=${1:-build}
cd "$(dirname "$0")/.."
BASE=results/baselines/smoke
if [ ! -d "$BASE" ]; then
  echo "check_baseline: no committed baseline in $BASE" >&2
  exit 1
fi
OUT="$BUILD/smoke-check"
mkdir -p "$BUILD"
rm -rf "$OUT"
DIFFBENCH_CACHE="$BUILD/cache" "$BUILD/diffbench" run suites/smoke.json --results "$OUT" 2>"$OUT.log" || {
  cat "$OUT.log" >&2
  exit 1
}
"$BUILD/diffbench" compare "$BASE" "$OUT/smoke" --fid-tol 0.5% --tol 0.5%
