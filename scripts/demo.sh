#!/usr/bin/env bash
# `make demo`: the main job on real data. Runs the smoke suite (Fashion-MNIST real vs real, and the
# small models) and prints the architecture comparison table.
set -euo pipefail
BUILD=${1:-build}
INCEPTION=${INCEPTION:-}
OUT=${DEMO_OUT:-demo-out}
cd "$(dirname "$0")/.."
SUITE=suites/smoke.json
if [ -n "$INCEPTION" ]; then
  # The real FID Inception: a copy of the suite with the weights swapped in.
  mkdir -p "$OUT"
  sed "s#\"random:0\"#\"$(realpath "$INCEPTION")\"#" suites/smoke.json > "$OUT/smoke-real-inception.json"
  sed -i 's#"root": "\.\."#"root": "'"$(pwd)"'"#' "$OUT/smoke-real-inception.json"
  SUITE="$OUT/smoke-real-inception.json"
fi
"$BUILD/diffbench" info
"$BUILD/diffbench" run "$SUITE" --results "$OUT/results" --force
echo
echo "== Architecture comparison (suites/smoke.json) =="
"$BUILD/diffbench" table "$OUT/results" --format md \
  --columns model,params,macs,nfe,fid,kid,precision,recall,images_per_s
