#include "metrics/kid.h"

#include <cmath>
#include <numeric>

#include "common/error.h"
#include "common/log.h"

namespace diffbench {

uint64_t SplitMix64::next() {
  uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

uint64_t SplitMix64::below(uint64_t bound) {
  // Reject the top partial range so every residue is equally likely.
  uint64_t limit = UINT64_MAX - UINT64_MAX % bound;
  uint64_t x;
  do x = next(); while (x >= limit);
  return x % bound;
}

std::vector<int64_t> sample_without_replacement(int64_t n, int64_t m, SplitMix64& rng) {
  std::vector<int64_t> index(n);
  std::iota(index.begin(), index.end(), 0);
  for (int64_t i = 0; i < m; ++i) {
    int64_t j = i + static_cast<int64_t>(rng.below(static_cast<uint64_t>(n - i)));
    std::swap(index[i], index[j]);
  }
  index.resize(m);
  return index;
}

namespace {

at::Tensor cubic_kernel(const at::Tensor& a, const at::Tensor& b, double gamma) {
  return at::pow(at::mm(a, b.t()) * gamma + 1.0, 3);
}

at::Tensor as_features(const at::Tensor& t, const char* which) {
  if (t.dim() != 2) fail(std::string("KID: ") + which + " features must be [N, D], got " + c10::str(t.sizes()));
  return t.to(at::kCPU, at::kDouble).contiguous();
}

}  // namespace

KidResult kernel_inception_distance(const at::Tensor& real, const at::Tensor& gen, const KidOptions& options) {
  at::Tensor y = as_features(real, "real"), x = as_features(gen, "generated");
  if (x.size(1) != y.size(1))
    fail("KID: feature dimensions differ (real " + std::to_string(y.size(1)) + ", generated " +
         std::to_string(x.size(1)) + ")");
  if (options.subsets < 1) fail("KID: subsets must be >= 1, got " + std::to_string(options.subsets));
  int64_t m = std::min({options.max_subset_size, x.size(0), y.size(0)});
  if (m < 2) fail("KID: needs at least 2 samples per set, got " + std::to_string(m));
  KidResult r;
  r.subset_size = m;
  r.subsets = options.subsets;
  r.seed = options.seed;
  r.small_subsets = m < 1000;
  if (r.small_subsets)
    warn("KID subsets hold " + std::to_string(m) + " samples (< 1000): not comparable with published KID");
  double gamma = 1.0 / static_cast<double>(x.size(1));
  SplitMix64 rng(options.seed);
  double md = static_cast<double>(m);
  for (int s = 0; s < options.subsets; ++s) {
    // Generated subset first, then real: one fixed draw order per seed.
    std::vector<int64_t> gi = sample_without_replacement(x.size(0), m, rng);
    std::vector<int64_t> ri = sample_without_replacement(y.size(0), m, rng);
    at::Tensor xs = x.index_select(0, at::tensor(gi, at::kLong));
    at::Tensor ys = y.index_select(0, at::tensor(ri, at::kLong));
    at::Tensor kxx = cubic_kernel(xs, xs, gamma), kyy = cubic_kernel(ys, ys, gamma);
    at::Tensor kxy = cubic_kernel(xs, ys, gamma);
    double within = (kxx.sum() - kxx.trace() + kyy.sum() - kyy.trace()).item<double>() / (md * (md - 1));
    double cross = kxy.sum().item<double>() / (md * md);
    r.values.push_back(within - 2.0 * cross);
  }
  double sum = 0;
  for (double v : r.values) sum += v;
  r.mean = sum / r.subsets;
  double var = 0;
  for (double v : r.values) var += (v - r.mean) * (v - r.mean);
  r.std = std::sqrt(var / r.subsets);
  return r;
}

}  // namespace diffbench
