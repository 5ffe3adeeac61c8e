#include "metrics/sfid.h"

#include "common/error.h"

namespace diffbench {

at::Tensor sfid_features(const at::Tensor& branch1x1) {
  if (branch1x1.dim() != 4 || branch1x1.size(1) < kSfidChannels)
    fail("sFID: spatial features must be [N, C >= 7, H, W], got " + c10::str(branch1x1.sizes()));
  at::Tensor first = branch1x1.narrow(1, 0, kSfidChannels).permute({0, 2, 3, 1});
  return first.contiguous().reshape({branch1x1.size(0), -1});
}

FrechetResult sfid(const FeatureStats& a, const FeatureStats& b, const FrechetOptions& options) {
  return frechet_distance(a, b, options);
}

}  // namespace diffbench
