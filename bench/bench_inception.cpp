// Inception forward latency (batch 1, 8, 32 of 299x299), the cheap layers against ATen's ops, and the full
// feature pipeline on the golden 200 images (decode, resize, network), for comparison with
// bench/pytorch_fid_ref.py on the same machine (G = <shared>/golden/inception-fid):
//   diffbench_bench --benchmark_filter=Inception
//   /usr/bin/python3 bench/pytorch_fid_ref.py --images G/images_A --weights G/weights.safetensors --threads 1
//   (pytorch-fid's default here: torch.get_num_threads() is 1) and --threads 2
#include <benchmark/benchmark.h>

#include "build_info.h"
#include "common/runtime.h"
#include "data/source.h"
#include "metrics/features.h"
#include "metrics/inception_ops.h"

namespace {

using namespace diffbench;

const std::string kGolden = std::string(DIFFBENCH_SHARED_DIR) + "/golden/inception-fid";

FeatureExtractorOptions bench_options(int batch, bool fold) {
  FeatureExtractorOptions o;
  o.weights = kGolden + "/weights.safetensors";
  o.batch_size = batch;
  o.fold_batchnorm = fold;
  o.progress = false;
  return o;
}

void BM_InceptionForward(benchmark::State& state) {
  configure_threads(0);
  const int batch = static_cast<int>(state.range(0));
  FeatureExtractor fx(bench_options(batch, state.range(1) != 0));
  at::Tensor input = at::rand({batch, 3, 299, 299}) * 2 - 1;
  fx.forward(input, {});  // warm-up: oneDNN primitive creation
  for (auto _ : state) benchmark::DoNotOptimize(fx.forward(input, {}).pool3);
  state.SetItemsProcessed(state.iterations() * batch);
  state.counters["threads"] = current_threads();
}
BENCHMARK(BM_InceptionForward)
    ->ArgNames({"batch", "fold_bn"})
    ->Args({1, 0})->Args({8, 0})->Args({32, 0})->Args({8, 1})
    ->Unit(benchmark::kMillisecond)->MinTime(2.0)->UseRealTime();

// The cheap layers at their largest Inception shapes (one image, one thread, as the extractor runs them):
// metrics/inception_ops.h's kernels (ours:1) against the ATen ops they replace (ours:0).
void BM_InceptionMaxPool(benchmark::State& state) {  // after Conv2d_2b: 64 x 147 x 147
  configure_threads(1);
  const at::Tensor x = at::rand({1, 64, 147, 147});
  for (auto _ : state)
    benchmark::DoNotOptimize(state.range(0) ? max_pool_3x3_stride2(x) : at::max_pool2d(x, {3, 3}, {2, 2}));
  configure_threads(0);
}
BENCHMARK(BM_InceptionMaxPool)->ArgName("ours")->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

void BM_InceptionAvgPool(benchmark::State& state) {  // Mixed_6b's pool branch: 768 x 17 x 17
  configure_threads(1);
  const at::Tensor x = at::rand({1, 768, 17, 17});
  for (auto _ : state)
    benchmark::DoNotOptimize(state.range(0) ? avg_pool_3x3_same(x)
                                            : at::avg_pool2d(x, {3, 3}, {1, 1}, {1, 1}, false, false));
  configure_threads(0);
}
BENCHMARK(BM_InceptionAvgPool)->ArgName("ours")->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

void BM_InceptionBatchNormRelu(benchmark::State& state) {  // Conv2d_4a's output: 192 x 71 x 71
  configure_threads(1);
  const at::Tensor x = at::randn({1, 192, 71, 71});
  const at::Tensor w = at::rand({192}) + 0.5, b = at::randn({192}), m = at::randn({192}), v = at::rand({192});
  at::Tensor y = x.clone();
  for (auto _ : state) {
    y.copy_(x);
    if (state.range(0)) batchnorm_relu_(y, w, b, m, v, 0.001);
    else benchmark::DoNotOptimize(at::batch_norm(y, w, b, m, v, false, 0.0, 0.001, true).relu_());
  }
  configure_threads(0);
}
BENCHMARK(BM_InceptionBatchNormRelu)->ArgName("ours")->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

// The whole pipeline as `diffbench features` runs it: folder source, pytorch-fid protocol, batch 50.
void BM_InceptionPipelineGolden200(benchmark::State& state) {
  configure_threads(static_cast<int>(state.range(0)));
  FeatureExtractor fx(bench_options(50, false));
  auto source = open_source(kGolden + "/images_A");
  fx.extract_batch(source->read(0, 2), {});  // warm-up
  for (auto _ : state) benchmark::DoNotOptimize(fx.extract(*source, {}).pool3);
  state.SetItemsProcessed(state.iterations() * source->size());
  state.counters["threads"] = current_threads();
  configure_threads(0);
}
BENCHMARK(BM_InceptionPipelineGolden200)->ArgName("threads")->Arg(1)->Arg(2)->Iterations(1)->Unit(benchmark::kSecond)->UseRealTime();

}  // namespace
