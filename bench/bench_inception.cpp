// Inception forward latency (batch 1, 8, 32 of 299x299) and the full feature pipeline on the golden 200
// images (decode, resize, network), for comparison with bench/pytorch_fid_ref.py on the same machine:
//   diffbench_bench --benchmark_filter=Inception
//   /usr/bin/python3 bench/pytorch_fid_ref.py --images <shared>/golden/inception-fid/images_A \
//       --weights <shared>/golden/inception-fid/weights.safetensors --threads 2
#include <benchmark/benchmark.h>

#include "build_info.h"
#include "common/runtime.h"
#include "data/source.h"
#include "metrics/features.h"

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
