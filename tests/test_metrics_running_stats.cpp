// Streaming statistics: float64 accumulation, chunking rule, merge and checkpoint exactness.
#include <catch2/catch.hpp>

#include <filesystem>

#include "build_info.h"
#include "common/error.h"
#include "io/npy.h"
#include "io/state_dict.h"
#include "metrics/frechet.h"
#include "metrics/running_stats.h"

using namespace diffbench;

namespace {

at::Tensor random_features(int64_t n, int64_t d, int64_t seed, double mean = 0.0) {
  at::Generator gen = at::detail::createCPUGenerator(seed);
  return at::randn({n, d}, gen, at::TensorOptions().dtype(at::kFloat)) + mean;
}

RunningStats stream(const at::Tensor& x, int64_t batch, int64_t chunk) {
  RunningStats s(x.size(1), chunk);
  for (int64_t i = 0; i < x.size(0); i += batch) s.add(x.narrow(0, i, std::min(batch, x.size(0) - i)));
  return s;
}

double max_rel(const at::Tensor& a, const at::Tensor& b) {
  return ((a - b).abs().max() / b.abs().max()).item<double>();
}

}  // namespace

TEST_CASE("RunningStats: results do not depend on batch sizes", "[metrics]") {
  at::Tensor x = random_features(2500, 48, 1);
  RunningStats one = stream(x, 1, 500), odd = stream(x, 333, 500), all = stream(x, 2500, 500);
  CHECK(at::equal(one.sum_outer(), all.sum_outer()));
  CHECK(at::equal(odd.sum_outer(), all.sum_outer()));
  CHECK(at::equal(odd.sum(), all.sum()));
  CHECK(all.count() == 2500);
}

TEST_CASE("RunningStats: merging shards equals one uninterrupted run, in any order", "[metrics]") {
  at::Tensor x = random_features(2300, 32, 2, 3.0);
  RunningStats whole = stream(x, 17, 500);
  RunningStats s1 = stream(x.narrow(0, 0, 1000), 64, 500);
  RunningStats s2 = stream(x.narrow(0, 1000, 1000), 100, 500);
  RunningStats s3 = stream(x.narrow(0, 2000, 300), 7, 500);
  RunningStats forward = s1;
  forward.merge(s2);
  forward.merge(s3);
  CHECK(forward.count() == 2300);
  CHECK(at::equal(forward.sum_outer(), whole.sum_outer()));
  CHECK(at::equal(forward.sum(), whole.sum()));
  CHECK(at::equal(forward.covariance(), whole.covariance()));
  RunningStats backward = s3;
  backward.merge(s2);
  backward.merge(s1);
  CHECK(at::equal(backward.covariance(), whole.covariance()));
  CHECK(at::equal(backward.mean(), whole.mean()));
  RunningStats other_chunk(32, 250);
  CHECK_THROWS_WITH(s1.merge(other_chunk), "RunningStats::merge: shards differ (dim 32 vs 32, chunk_rows 500 vs 250)");
}

TEST_CASE("RunningStats: a checkpoint resumes to the same bits", "[metrics]") {
  at::Tensor x = random_features(1700, 24, 3);
  RunningStats whole = stream(x, 50, 400);
  RunningStats first = stream(x.narrow(0, 0, 950), 50, 400);  // ends inside a chunk
  std::string path = (std::filesystem::temp_directory_path() / "diffbench_running_stats_test.npz").string();
  first.save(path);
  RunningStats resumed = RunningStats::load(path);
  for (int64_t i = 950; i < 1700; i += 50) resumed.add(x.narrow(0, i, 50));
  std::filesystem::remove(path);
  CHECK(resumed.count() == 1700);
  CHECK(at::equal(resumed.sum_outer(), whole.sum_outer()));
  CHECK(at::equal(resumed.mean(), whole.mean()));
  StateDict broken = first.to_state();
  broken.insert("pending", at::zeros({400, 24}, at::kDouble));
  CHECK_THROWS_WITH(RunningStats::from_state(broken, "ckpt.npz"),
                    "ckpt.npz: 'pending' must be float64 [p < chunk_rows, 24], got [400, 24]");
}

TEST_CASE("RunningStats: mean and N-1 covariance equal np.cov's two-pass values", "[metrics]") {
  at::Tensor x = random_features(300, 16, 4, 0.5);
  RunningStats s = stream(x, 64, 100);
  FeatureStats ref = feature_stats(x);
  CHECK(max_rel(s.mean(), ref.mu) < 1e-13);
  CHECK(max_rel(s.covariance(), ref.sigma) < 1e-12);
  at::Tensor biased = s.covariance(false);
  CHECK(max_rel(biased * 300.0 / 299.0, ref.sigma) < 1e-12);
}

TEST_CASE("RunningStats: float64 accumulation survives large means where float32 fails (pitfall 3)", "[metrics]") {
  // 30,000 features ≈ 1000 + N(0, 1): float32 sums of x·xᵀ (~3e10) lose the variance (~1) entirely.
  at::Tensor x = random_features(30000, 8, 5, 1000.0);
  RunningStats s = stream(x, 1000, 1000);
  FeatureStats ref = feature_stats(x);
  CHECK(max_rel(s.covariance(), ref.sigma) < 1e-6);
  at::Tensor xf = x.to(at::kFloat);
  at::Tensor sum32 = xf.sum(0), outer32 = at::mm(xf.t(), xf);
  at::Tensor cov32 = ((outer32 - at::outer(sum32, sum32) / 30000.0f) / 29999.0f).to(at::kDouble);
  CHECK(max_rel(cov32, ref.sigma) > 1e-1);
  FrechetResult fid = frechet_distance(s.stats(), ref);
  CHECK(std::abs(fid.value) < 1e-6);
}

TEST_CASE("RunningStats: the covariance is [D, D] over samples (pitfall 4)", "[metrics]") {
  at::Tensor x = random_features(10, 2048, 6);
  RunningStats s(2048);
  s.add(x);
  CHECK(s.covariance().sizes() == at::IntArrayRef({2048, 2048}));
  CHECK(feature_stats(x).sigma.sizes() == at::IntArrayRef({2048, 2048}));
  CHECK_THROWS_WITH(s.add(x.t()), "RunningStats::add: features must be [N, 2048], got [2048, 10]");
  RunningStats one(4);
  one.add(at::ones({1, 4}));
  CHECK_THROWS_WITH(one.covariance(), "RunningStats: covariance needs at least 2 samples, got 1");
}
