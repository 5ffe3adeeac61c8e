// Google Benchmark case for one EDM U-Net block (DDPM++'s UNetBlock: GroupNorm, 3x3 convs, the
// embedding's adaptive scale, optional self-attention), the unit DiffiT's ResBlock is compared with.
// Run: diffbench_bench --benchmark_filter=UNetBlock --benchmark_format=json
#include <benchmark/benchmark.h>

#include "common/runtime.h"
#include "models/edm_layers.h"

namespace {

// Args: channels, feature-map size, attention (0/1); batch 4 images, forward without gradients.
void BM_UNetBlock(benchmark::State& state) {
  const int64_t c = state.range(0), res = state.range(1), batch = 4, emb = 4 * c;
  const bool attention = state.range(2) != 0;
  diffbench::configure_threads(0);
  torch::manual_seed(0);
  diffbench::edm::UNetBlockOptions o;
  o.emb_channels = emb;
  o.channels_per_head = 64;
  o.skip_scale = std::sqrt(0.5);
  o.eps = 1e-6;
  diffbench::edm::UNetBlock block(c, c, false, false, attention, o);
  block.eval();
  const at::Tensor x = torch::randn({batch, c, res, res});
  const at::Tensor e = torch::randn({batch, emb});
  torch::NoGradGuard no_grad;
  for (auto _ : state) benchmark::DoNotOptimize(block.forward(x, e));
  state.SetItemsProcessed(state.iterations() * batch);  // images
  state.counters["MAC_per_image"] = block.macs(static_cast<int>(res));
}
BENCHMARK(BM_UNetBlock)
    ->ArgNames({"C", "res", "attn"})
    ->Args({128, 32, 0})
    ->Args({128, 16, 1})
    ->Args({256, 16, 0})
    ->Args({256, 8, 1})
    ->Unit(benchmark::kMillisecond);

}  // namespace
