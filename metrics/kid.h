// Kernel Inception Distance: unbiased MMD² with the cubic polynomial kernel (γ·xᵀy + 1)³, γ = 1/D,
// averaged over seeded random subsets of m = min(max_subset_size, n_real, n_gen) samples per set.
#pragma once
#include <cstdint>
#include <vector>

#include <ATen/Tensor.h>

namespace diffbench {

struct KidOptions {
  int subsets = 100;
  int64_t max_subset_size = 1000;
  uint64_t seed = 0;  // subsets are drawn with our own SplitMix64, identical on every platform
};

struct KidResult {
  double mean = 0;
  double std = 0;  // population std over subsets
  int64_t subset_size = 0;
  int subsets = 0;
  uint64_t seed = 0;
  bool small_subsets = false;  // m < 1000: values are not comparable with published KID
  std::vector<double> values;   // per subset
};

// real, gen: [N, D] features (any floating dtype); computed in float64. Negative values are valid.
// Warns when m < 1000. Never allocates an N×N matrix beyond the subsets' m×m kernels.
KidResult kernel_inception_distance(const at::Tensor& real, const at::Tensor& gen, const KidOptions& options = {});

// The deterministic generator behind the subsets (SplitMix64), exposed for tests.
class SplitMix64 {
 public:
  explicit SplitMix64(uint64_t seed) : state_(seed) {}
  uint64_t next();
  uint64_t below(uint64_t bound);  // uniform in [0, bound), rejection sampling, bound > 0
 private:
  uint64_t state_;
};

// m distinct indices of [0, n) in a seeded order (partial Fisher–Yates).
std::vector<int64_t> sample_without_replacement(int64_t n, int64_t m, SplitMix64& rng);

}  // namespace diffbench
