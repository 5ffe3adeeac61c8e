#!/usr/bin/env bash
# `make demo`: the main job on real data. Runs the smoke suite (the models trained on Fashion-MNIST,
# their untrained twins and real vs real, all against the test images) and prints the comparison table.
set -euo pipefail
BUILD=${1:-build}
INCEPTION=${INCEPTION:-}
OUT=${DEMO_OUT:-demo-out}
cd "$(dirname "$0")/.."
SUITE=suites/smoke.json
if [ -n "$INCEPTION" ]; then
  # The real FID Inception: a copy of the suite with the weights swapped in.
  mkdir -p "$OUT"
  # "root" pinned to this checkout so the copy's relative paths resolve wherever DEMO_OUT is.
  sed -e "s#\"random:0\"#\"$(realpath "$INCEPTION")\"#" -e "s#^  \"name\": \"smoke\",#  \"name\": \"smoke\", \"root\": \"$PWD\",#" \
    suites/smoke.json > "$OUT/smoke-real-inception.json"
  SUITE="$OUT/smoke-real-inception.json"
fi
"$BUILD/diffbench" info
"$BUILD/diffbench" run "$SUITE" --results "$OUT/results" --force
echo
echo "== Architecture comparison (suites/smoke.json) =="
"$BUILD/diffbench" table "$OUT/results" --format md \
  --columns model,steps,params,training_images,macs,nfe,fid,kid,sfid,precision,recall,images_per_s
echo
echo "Every row is measured against 256 real Fashion-MNIST test images. real-train: 64 real training images"
echo "(real vs real, the floor the models aim at)."
echo "diffit-image-fmnist (TMSA), diffit-image-fmnist-plain (the ablation) and ddpmpp-fmnist: trained by"
echo "diffbench on Fashion-MNIST at equal budget (Params, Train img; suites/train/), weights in models/weights/."
echo "untrained: any of the three before training (EDM's initialisation zeroes the output layer, so every"
echo "architecture starts as the same function). dit-tiny, diffit-latent-tiny: seeded random weights and a"
echo "random stand-in VAE (Train img 0), so their FIDs are large by construction."
echo "MACs are per network call; NFE per image; images/s on this machine."
if [ -z "$INCEPTION" ]; then
  echo "Stand-in Inception (random:0): compare these rows with each other only. Real weights: make demo INCEPTION=path/to/pt_inception-2015-12-05-6726825d.pth"
fi
