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
  SUITE="$OUT/smoke-real-inception.json"
fi
"$BUILD/diffbench" info
"$BUILD/diffbench" run "$SUITE" --results "$OUT/results" --force
echo
echo "== Architecture comparison (suites/smoke.json) =="
"$BUILD/diffbench" table "$OUT/results" --format md \
  --columns model,params,macs,nfe,fid,kid,precision,recall,images_per_s
echo
echo "real-test: real Fashion-MNIST test images against the training images (the floor the models aim at)."
echo "The other rows are the small models of suites/smoke.json with seeded random weights: untrained, so"
echo "their FIDs are large by construction. MACs are per network call; NFE per image; images/s on this machine."
if [ -z "$INCEPTION" ]; then
  echo "Stand-in Inception (random:0): compare these rows with each other only. Real weights: make demo INCEPTION=path/to/pt_inception-2015-12-05-6726825d.pth"
fi
