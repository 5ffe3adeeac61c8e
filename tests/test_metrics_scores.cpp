// IS, KID and precision/recall against the golden values of the reference tools.
#include <catch2/catch.hpp>

#include <cmath>
#include <fstream>

#include "build_info.h"
#include "common/error.h"
#include "io/npy.h"
#include "metrics/inception_score.h"
#include "metrics/kid.h"
#include "metrics/precision_recall.h"

using namespace diffbench;

namespace {

std::string golden(const std::string& name) { return std::string(DIFFBENCH_SHARED_DIR) + "/golden/inception-fid/" + name; }

nlohmann::json expected() {
  std::ifstream in(golden("expected.json"));
  return nlohmann::json::parse(in);
}

}  // namespace

TEST_CASE("Inception Score of the golden logits matches the reference", "[metrics]") {
  auto e = expected();
  InceptionScore is = inception_score(read_npy(golden("logits_A.npy")), 10);
  REQUIRE(is.split_scores.size() == 10);
  CHECK(std::abs(is.mean - e["is_mean"].get<double>()) / e["is_mean"].get<double>() < 1e-6);
  CHECK(std::abs(is.std - e["is_std"].get<double>()) / e["is_std"].get<double>() < 1e-6);
  CHECK_THROWS_WITH(inception_score(at::zeros({5, 1008}), 10), "inception_score: 5 samples cannot form 10 splits");
}

TEST_CASE("KID of the golden features matches clean-fid's value", "[metrics]") {
  auto e = expected();
  at::Tensor a = read_npy(golden("feats_A.npy")), b = read_npy(golden("feats_B.npy"));
  KidOptions options;
  options.subsets = 10;  // m = n = 200: every subset is the whole set, so 10 show the same as 100
  KidResult kid = kernel_inception_distance(a, b, options);
  CHECK(kid.subset_size == 200);
  CHECK(kid.small_subsets);
  CHECK(std::abs(kid.mean - e["kid"].get<double>()) < 1e-6);
  CHECK(kid.std < 1e-12);
}

TEST_CASE("KID is reproducible from its seed and may be negative on tiny sets (pitfalls 28, 30)", "[metrics]") {
  at::Generator g = at::detail::createCPUGenerator(7);
  at::Tensor real = at::relu(at::randn({50, 64}, g, at::kFloat));
  at::Tensor gen = at::relu(at::randn({40, 64}, g, at::kFloat));
  KidOptions options;
  options.max_subset_size = 30;
  options.seed = 11;
  KidResult one = kernel_inception_distance(real, gen, options);
  KidResult two = kernel_inception_distance(real, gen, options);
  CHECK(one.values == two.values);
  CHECK(one.subset_size == 30);
  CHECK(one.std > 0);
  options.seed = 12;
  CHECK(kernel_inception_distance(real, gen, options).values != one.values);
  // Two 6-image sets from one distribution: the unbiased estimate is negative, and that is valid.
  KidResult tiny = kernel_inception_distance(real.narrow(0, 0, 6), real.narrow(0, 6, 6));
  CHECK(tiny.subset_size == 6);
  CHECK(std::isfinite(tiny.mean));
  CHECK(tiny.mean < 0);
}

TEST_CASE("KID subsets come from our own generator, identical on every platform", "[metrics]") {
  SplitMix64 rng(0);
  CHECK(rng.next() == 0xe220a8397b1dcdafULL);  // SplitMix64 reference output for seed 0
  SplitMix64 r2(5);
  std::vector<int64_t> idx = sample_without_replacement(10, 10, r2);
  std::vector<int64_t> sorted = idx;
  std::sort(sorted.begin(), sorted.end());
  CHECK(sorted == std::vector<int64_t>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9});
}

TEST_CASE("precision/recall of the golden features matches torch-fidelity exactly", "[metrics]") {
  auto e = expected();
  at::Tensor real = read_npy(golden("feats_A.npy")), gen = read_npy(golden("feats_B.npy"));
  PrecisionRecall pr = precision_recall(real, gen);
  CHECK(pr.precise_count == std::lround(e["precision_B_vs_A"].get<double>() * 200));
  CHECK(pr.recall_count == std::lround(e["recall_B_vs_A"].get<double>() * 200));
  CHECK(static_cast<float>(pr.precision) == static_cast<float>(e["precision_B_vs_A"].get<double>()));
  PrecisionRecallOptions small;
  small.tile_rows = 48;  // tiles smaller than n: radii and inclusion must not change
  PrecisionRecall tiled = precision_recall(real, gen, small);
  CHECK(tiled.precise_count == pr.precise_count);
  CHECK(tiled.recall_count == pr.recall_count);
  small.tile_rows = 7;
  PrecisionRecall tiny_tiles = precision_recall(real, gen, small);
  CHECK(tiny_tiles.precise_count == pr.precise_count);
  CHECK(tiny_tiles.recall_count == pr.recall_count);
  // sgemm rounds per tile shape, so radii agree to float32 round-off, not always bitwise.
  at::Tensor r7 = knn_radii(real.to(at::kFloat), 3, 7), rall = knn_radii(real.to(at::kFloat), 3, 10000);
  CHECK((r7 - rall).abs().max().item<float>() <= 1e-5f * rall.max().item<float>());
}
