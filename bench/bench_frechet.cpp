// Fréchet distance at D = 2048 (pool3): the full-rank path FID uses for N > 2048, the General path
// used for rank-deficient statistics, and Eigen's own symmetric eigensolver for comparison with the
// LAPACK one we call. Compare with bench/frechet_ref.py (scipy sqrtm as pytorch-fid calls it).
// Run: diffbench_bench --benchmark_filter=Frechet
#include <benchmark/benchmark.h>

#include <Eigen/Dense>

#include "metrics/frechet.h"
#include "metrics/running_stats.h"

namespace {

// Full-rank covariances of ReLU'd Gaussian features, N = 4096 > D; built once.
const diffbench::FeatureStats& stats(int which) {
  static diffbench::FeatureStats s[2] = {
      [] {
        at::Generator g = at::detail::createCPUGenerator(1);
        return diffbench::feature_stats(at::relu(at::randn({4096, 2048}, g, at::kDouble)));
      }(),
      [] {
        at::Generator g = at::detail::createCPUGenerator(2);
        return diffbench::feature_stats(at::relu(at::randn({4096, 2048}, g, at::kDouble) + 0.2));
      }()};
  return s[which];
}

void BM_Frechet2048(benchmark::State& state) {
  const auto& a = stats(0);
  const auto& b = stats(1);
  diffbench::FrechetOptions options;
  options.method = static_cast<diffbench::TraceSqrtMethod>(state.range(0));
  double value = 0;
  for (auto _ : state) value = diffbench::frechet_distance(a, b, options).value;
  state.SetLabel(diffbench::method_name(options.method));
  state.counters["fid"] = value;
}
BENCHMARK(BM_Frechet2048)
    ->ArgName("method")
    ->Arg(static_cast<int>(diffbench::TraceSqrtMethod::Auto))
    ->Arg(static_cast<int>(diffbench::TraceSqrtMethod::EigenS1))
    ->Arg(static_cast<int>(diffbench::TraceSqrtMethod::General))
    ->Unit(benchmark::kSecond)
    ->Iterations(1);

// Eigen's unblocked SelfAdjointEigenSolver (eigenvalues only) on the same size, for the record.
void BM_FrechetEigenSolverOnly(benchmark::State& state) {
  at::Tensor s = stats(0).sigma.contiguous();
  Eigen::MatrixXd m = Eigen::Map<const Eigen::MatrixXd>(s.data_ptr<double>(), 2048, 2048);
  for (auto _ : state) {
    Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> es(m, Eigen::EigenvaluesOnly);
    benchmark::DoNotOptimize(es.eigenvalues().sum());
  }
}
BENCHMARK(BM_FrechetEigenSolverOnly)->Unit(benchmark::kSecond)->Iterations(1);

void BM_FrechetLapackEigvalsh(benchmark::State& state) {
  at::Tensor s = stats(0).sigma.contiguous();
  for (auto _ : state) benchmark::DoNotOptimize(at::linalg_eigvalsh(s, "L").sum().item<double>());
}
BENCHMARK(BM_FrechetLapackEigvalsh)->Unit(benchmark::kSecond)->Iterations(1);

}  // namespace
