// Google Benchmark cases for the image-space DiffiT building blocks at CPU-sized shapes:
// TMSA versus plain windowed attention on the same tokens, and one whole DiffiT ResBlock.
// Run: diffbench_bench --benchmark_filter=DiffiT --benchmark_format=json
#include <benchmark/benchmark.h>

#include "common/runtime.h"
#include "models/diffit_image_blocks.h"
#include "models/tmsa.h"

namespace {

using diffbench::TimeAttention;

// Args: attention (0 tmsa, 1 plain), channels, feature-map size, window; batch 4 images.
void BM_DiffiTWindowAttention(benchmark::State& state) {
  const auto mode = state.range(0) == 0 ? TimeAttention::Tmsa : TimeAttention::Plain;
  const int64_t c = state.range(1), res = state.range(2), w = state.range(3), batch = 4, emb = 512;
  torch::manual_seed(0);
  diffbench::WindowAttention attn({c, c / 32, w, emb, mode});
  attn.eval();
  const at::Tensor tokens = diffbench::window_partition(torch::randn({batch, c, res, res}), w);
  const at::Tensor temb = torch::randn({batch, emb});
  torch::NoGradGuard no_grad;
  for (auto _ : state) benchmark::DoNotOptimize(attn.forward(tokens, temb));
  state.SetLabel(diffbench::time_attention_name(mode));
  state.SetItemsProcessed(state.iterations() * batch);  // images
  state.counters["MAC_per_image"] = attn.macs(res * res);
}
BENCHMARK(BM_DiffiTWindowAttention)
    ->ArgNames({"plain", "C", "res", "w"})
    ->Args({0, 128, 32, 4})
    ->Args({1, 128, 32, 4})
    ->Args({0, 256, 16, 4})
    ->Args({1, 256, 16, 4})
    ->Args({0, 128, 32, 8})
    ->Args({1, 128, 32, 8})
    ->Unit(benchmark::kMillisecond);

// Args: channels, feature-map size, window; batch 4 images, tmsa, forward without gradients.
void BM_DiffiTResBlock(benchmark::State& state) {
  diffbench::DiffiTBlockOptions o;
  o.channels = state.range(0);
  o.num_heads = o.channels / 32;
  o.window = state.range(2);
  o.mlp_hidden = 4 * o.channels;
  const int64_t res = state.range(1), batch = 4;
  torch::manual_seed(0);
  diffbench::DiffiTResBlock block(o);
  block.eval();
  const at::Tensor x = torch::randn({batch, o.channels, res, res});
  const at::Tensor temb = torch::randn({batch, o.emb_channels});
  torch::NoGradGuard no_grad;
  for (auto _ : state) benchmark::DoNotOptimize(block.forward(x, temb));
  state.SetItemsProcessed(state.iterations() * batch);
  state.counters["MAC_per_image"] = block.macs(res);
  state.counters["GMAC_per_s"] = benchmark::Counter(block.macs(res) * batch * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_DiffiTResBlock)
    ->ArgNames({"C", "res", "w"})
    ->Args({128, 32, 4})
    ->Args({256, 16, 4})
    ->Unit(benchmark::kMillisecond);

}  // namespace

// The one main of diffbench_bench: LibTorch picks a single thread here unless told otherwise.
int main(int argc, char** argv) {
  diffbench::configure_threads(0);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
