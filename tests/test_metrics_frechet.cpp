// Fréchet distance numerics: golden FID/sFID, rank-deficient and eps-fallback parity with
// pytorch-fid, cross-checks between methods, conformance identities.
#include <catch2/catch.hpp>

#include <cmath>
#include <fstream>

#include "build_info.h"
#include "common/error.h"
#include "io/npy.h"
#include "io/npz.h"
#include "metrics/frechet.h"
#include "metrics/running_stats.h"
#include "metrics/sfid.h"

using namespace diffbench;

namespace {

std::string golden(const std::string& name) { return std::string(DIFFBENCH_SHARED_DIR) + "/golden/inception-fid/" + name; }
std::string fixture(const std::string& name) { return std::string(DIFFBENCH_SOURCE_DIR) + "/tests/data/metrics/" + name; }

nlohmann::json load_json(const std::string& path) {
  std::ifstream in(path);
  return nlohmann::json::parse(in);
}

double rel(double a, double b) { return std::abs(a - b) / std::abs(b); }

// Well-conditioned full-rank covariance from n > d Gaussian samples, seeded.
FeatureStats synthetic_stats(int64_t d, int64_t n, int64_t seed, double shift) {
  at::Generator gen = at::detail::createCPUGenerator(seed);
  at::Tensor x = at::randn({n, d}, gen, at::TensorOptions().dtype(at::kDouble));
  x = at::relu(x + shift) + 0.1 * x;
  return feature_stats(x);
}

}  // namespace

TEST_CASE("FID of the golden pool3 features matches pytorch-fid (pytorch_fid protocol)", "[metrics]") {
  auto expected = load_json(golden("expected.json"));
  FeatureStats a = feature_stats(read_npy(golden("feats_A.npy")));
  FeatureStats b = feature_stats(read_npy(golden("feats_B.npy")));
  REQUIRE(a.sigma.sizes() == at::IntArrayRef({2048, 2048}));
  FrechetResult r = frechet_distance(a, b);
  CHECK(r.rank_deficient);  // 200 samples < 2048 dims
  CHECK(r.method == TraceSqrtMethod::General);
  CHECK_FALSE(r.eps_fallback);
  CHECK(rel(r.value, expected["fid"].get<double>()) < 1e-6);
}

TEST_CASE("FID of the golden TF-protocol features matches fid_tf", "[metrics]") {
  auto expected = load_json(golden("expected.json"));
  FeatureStats a = feature_stats(read_npy(golden("feats_tf_A.npy")));
  FeatureStats b = feature_stats(read_npy(golden("feats_tf_B.npy")));
  FrechetResult r = frechet_distance(a, b);
  CHECK(rel(r.value, expected["fid_tf"].get<double>()) < 1e-6);
}

TEST_CASE("rank-deficient statistics: the exact methods agree and differ from sqrtm's round-off", "[metrics]") {
  // 200 samples: tr√ has ~1850 round-off eigenvalues that sqrtm (and General) count; the exact value
  // (nuclear norm of the centred cross-product, computed with numpy: 35.4505077983863) omits them.
  FeatureStats a = feature_stats(read_npy(golden("feats_A.npy")));
  FeatureStats b = feature_stats(read_npy(golden("feats_B.npy")));
  FrechetOptions exact;
  exact.method = TraceSqrtMethod::EigenS1;
  FrechetResult r = frechet_distance(a, b, exact);
  CHECK(std::isfinite(r.value));
  CHECK(rel(r.value, 35.4505077983863) < 1e-5);
}

TEST_CASE("sFID of the golden spatial features matches scipy sqrtm", "[metrics]") {
  // 838.6559327556593: pytorch-fid's calculate_frechet_distance on np.cov of spatial_tf_{A,B}.npy.
  at::Tensor fa = read_npy(golden("spatial_tf_A.npy")), fb = read_npy(golden("spatial_tf_B.npy"));
  REQUIRE(fa.sizes() == at::IntArrayRef({200, 2023}));
  FrechetResult r = sfid(feature_stats(fa), feature_stats(fb));
  CHECK(rel(r.value, 838.6559327556593) < 1e-6);
}

TEST_CASE("sfid_features flattens the first 7 channels in H, W, C order", "[metrics]") {
  at::Tensor x = at::arange(2 * 9 * 3 * 4, at::kFloat).reshape({2, 9, 3, 4});
  at::Tensor f = sfid_features(x);
  REQUIRE(f.sizes() == at::IntArrayRef({2, 84}));
  // index (h·W + w)·7 + c  <-  x[n, c, h, w]
  CHECK(f[1][(2 * 4 + 3) * 7 + 5].item<float>() == x[1][5][2][3].item<float>());
  CHECK_THROWS_WITH(sfid_features(at::zeros({1, 6, 17, 17})),
                    "sFID: spatial features must be [N, C >= 7, H, W], got [1, 6, 17, 17]");
}

TEST_CASE("FID of 100 vs 100 random 2048-d features is finite and equals pytorch-fid", "[metrics]") {
  auto expected = load_json(fixture("expected.json"));
  at::Tensor a = read_npz_member(fixture("rankdef.npz"), "a").to(at::kDouble) / 16.0;
  at::Tensor b = read_npz_member(fixture("rankdef.npz"), "b").to(at::kDouble) / 16.0;
  FrechetResult r = frechet_distance(feature_stats(a), feature_stats(b));
  CHECK(r.rank_deficient);
  CHECK(std::isfinite(r.value));
  CHECK(rel(r.value, expected["rankdef_fid"].get<double>()) < 1e-6);
}

TEST_CASE("pytorch-fid's eps*I retry is reproduced and flagged where its sqrtm fails", "[metrics]") {
  auto expected = load_json(fixture("expected.json"));
  REQUIRE(expected["fallback_fallback"].get<bool>());
  at::Tensor a = read_npz_member(fixture("fallback.npz"), "a").to(at::kDouble) / 16.0;
  at::Tensor b = read_npz_member(fixture("fallback.npz"), "b").to(at::kDouble) / 16.0;
  FeatureStats sa = feature_stats(a), sb = feature_stats(b);
  CHECK(sqrtm_would_fail(sa.sigma, sb.sigma));
  CHECK_FALSE(sqrtm_would_fail(sa.sigma, sa.sigma));  // same constant feature: no failure
  FrechetResult r = frechet_distance(sa, sb);
  CHECK(r.eps_fallback);
  CHECK(rel(r.value, expected["fallback_fid"].get<double>()) < 1e-6);
  FrechetOptions plain;
  plain.reproduce_eps_fallback = false;
  FrechetResult p = frechet_distance(sa, sb, plain);
  CHECK_FALSE(p.eps_fallback);
  CHECK(rel(p.value, expected["fallback_fid_without_eps"].get<double>()) < 1e-6);
  CHECK(std::abs(p.value - r.value) > 1e-3);  // the retry changes the printed value
}

TEST_CASE("trace sqrt: Cholesky, eigen-of-S1, general eigvals and Newton-Schulz agree on full rank", "[metrics]") {
  FeatureStats a = synthetic_stats(256, 1024, 1, 0.0), b = synthetic_stats(256, 1024, 2, 0.5);
  double sym = trace_sqrt_product(a.sigma, b.sigma, TraceSqrtMethod::Symmetric);
  double eig = trace_sqrt_product(a.sigma, b.sigma, TraceSqrtMethod::EigenS1);
  double gen = trace_sqrt_product(a.sigma, b.sigma, TraceSqrtMethod::General);
  double ns = trace_sqrt_newton_schulz(a.sigma, b.sigma, 60);
  CHECK(rel(eig, sym) < 1e-9);
  CHECK(rel(gen, sym) < 1e-9);
  CHECK(rel(ns, sym) < 1e-9);
  FrechetResult r = frechet_distance(a, b);
  CHECK_FALSE(r.rank_deficient);
  CHECK(r.method == TraceSqrtMethod::Symmetric);
  CHECK(r.trace_sqrt == sym);
}

TEST_CASE("Fréchet identities: identical statistics give ~0, equal covariances give |dmu|^2", "[metrics]") {
  FeatureStats a = synthetic_stats(64, 300, 3, 0.2);
  FrechetResult same = frechet_distance(a, a);
  CHECK(std::abs(same.value) < 1e-6 * (same.trace1 + same.trace2));
  FeatureStats b = a;
  b.mu = a.mu + 0.25;
  FrechetResult shifted = frechet_distance(a, b);
  CHECK(std::abs(shifted.value - 64 * 0.0625) < 1e-6);
  // Rank-deficient identical statistics (N < D): still finite, no error.
  FeatureStats c = synthetic_stats(128, 40, 4, 0.0);
  FrechetResult small = frechet_distance(c, c);
  CHECK(std::isfinite(small.value));
  CHECK(std::abs(small.value) < 1e-4 * small.trace1);
}

TEST_CASE("Fréchet distance rejects transposed or mismatched statistics with one line", "[metrics]") {
  at::Tensor mu = at::zeros({2048}, at::kDouble);
  at::Tensor wrong = at::eye(10, at::kDouble);  // torch.cov of a 10x2048 matrix without transposing
  CHECK_THROWS_WITH(frechet_distance(mu, wrong, mu, wrong),
                    "Fréchet distance: Σ1 and Σ2 must be [2048, 2048] (covariance over samples), got [10, 10] and [10, 10]");
  at::Tensor nan_mu = mu.clone();
  nan_mu[3] = std::nan("");
  at::Tensor eye = at::eye(2048, at::kDouble);
  CHECK_THROWS_WITH(frechet_distance(nan_mu, eye, mu, eye), "Fréchet distance: statistics contain NaN or infinity");
}

TEST_CASE("Fréchet distance refuses a sigma that is not positive semi-definite", "[metrics]") {
  // Positive variances, yet [[1, 2], [2, 1]] has the eigenvalue -1: the distance printed -8188 for
  // such a file; pytorch-fid stops on sqrtm's imaginary part.
  at::Tensor mu = at::zeros({4}, at::kDouble);
  at::Tensor eye = at::eye(4, at::kDouble);
  at::Tensor indefinite = eye.clone();
  indefinite[0][1] = indefinite[1][0] = 2.0;
  CHECK_THROWS_WITH(frechet_distance(mu, eye, mu, indefinite),
                    Catch::StartsWith("Fréchet distance: Σ2 is not a covariance matrix (not positive semi-definite"));
  CHECK_THROWS_WITH(frechet_distance(mu, indefinite, mu, eye), Catch::StartsWith("Fréchet distance: Σ1 is not"));
  // Both indefinite: Σ1Σ2 = S² is positive, so only a check of each sigma finds it (FID was -4).
  CHECK_THROWS_WITH(frechet_distance(mu, indefinite, mu, indefinite), Catch::StartsWith("Fréchet distance: Σ1 is not"));
  // A singular covariance (rank 3 of 4) is still a covariance.
  at::Tensor singular = eye.clone();
  singular[3][3] = 0.0;
  CHECK(frechet_distance(mu, singular, mu, singular).value == Approx(0.0).margin(1e-9));
}
