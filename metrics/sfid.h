// sFID (Nash et al. 2021, ADM evaluator): the Fréchet distance of spatial Inception features, the
// first 7 channels of Mixed_6d's branch1x1 output (17×17), flattened in H, W, C order (2023 dims).
#pragma once
#include <ATen/Tensor.h>

#include "metrics/frechet.h"

namespace diffbench {

constexpr int64_t kSfidChannels = 7;

// branch1x1: [N, C >= 7, H, W] (NCHW, after BN and ReLU) -> [N, H·W·7], index (h·W + w)·7 + c.
at::Tensor sfid_features(const at::Tensor& branch1x1);

// Fréchet distance of the spatial statistics (same numerics and flags as FID).
FrechetResult sfid(const FeatureStats& a, const FeatureStats& b, const FrechetOptions& options = {});

}  // namespace diffbench
