// DiT: golden parity of forward and forward_with_cfg, full-size key layout and parameter count on
// the meta device, MACs, embeddings, guidance semantics and config validation.
#include <catch2/catch.hpp>

#include "common/error.h"
#include "models/dit.h"
#include "test_dit_helpers.h"

using namespace diffbench;
using namespace diffbench::test_dit;

namespace {
std::shared_ptr<DiffusionModel> build_preset_on_meta(const std::string& name) {
  auto cfg = read_json(std::string(DIFFBENCH_SOURCE_DIR) + "/models/configs/" + name + ".json");
  return build_transformer_model(cfg, at::TensorOptions().dtype(at::kFloat).device(at::kMeta));
}
}  // namespace

TEST_CASE("dit: golden forward and forward_with_cfg match the official DiT", "[dit]") {
  auto model = golden_model("dit", "dit", kGuidance4First3Constant);
  torch::NoGradGuard no_grad;
  at::Tensor out = model->forward(read_npy(golden("dit/x.npy")), read_npy(golden("dit/t.npy")),
                                  read_npy(golden("dit/y.npy")));
  at::Tensor ref = read_npy(golden("dit/forward_out.npy"));
  REQUIRE(out.sizes() == ref.sizes());
  CHECK(rel_err(out, ref) <= 1e-4);
  at::Tensor cfg = model->forward_with_cfg(read_npy(golden("dit/x_cfg.npy")), read_npy(golden("dit/t_cfg.npy")),
                                           read_npy(golden("dit/y_cfg.npy")));
  at::Tensor cfg_ref = read_npy(golden("dit/cfg_out.npy"));
  REQUIRE(cfg.sizes() == cfg_ref.sizes());
  CHECK(rel_err(cfg, cfg_ref) <= 1e-4);
}

TEST_CASE("dit: DiT-XL/2 presets have the official keys and 675,129,632 parameters", "[dit]") {
  auto model = build_preset_on_meta("dit-xl-2-256");
  CHECK(count_parameters(*model) == 675129632);
  CHECK(trainable_parameters(*model) == 674834720);  // pos_embed is frozen
  CHECK(module_keys(*model) == golden_keys(golden("full_size/dit_xl_2_256/keys.txt")));
  CHECK(model->named_parameters().size() + model->named_buffers().size() == 292);
  // baselines.md §7: 118.62 GMAC per forward (114.39 linear/conv + 4.23 attention).
  CHECK(model->macs_per_image() / 1e9 == Approx(118.62).margin(0.01));
  auto model512 = build_preset_on_meta("dit-xl-2-512");
  CHECK(count_parameters(*model512) == 676014368);
  CHECK(model512->macs_per_image() / 1e9 == Approx(524.5).margin(0.1));
}

TEST_CASE("dit: embeddings follow the official sinusoid orders", "[dit]") {
  // Timestep embedding is [cos, sin]: t = 0 gives [1...1, 0...0].
  at::Tensor e = timestep_embedding(at::zeros({1}, at::kLong), 256);
  CHECK(e.slice(1, 0, 128).eq(1).all().item<bool>());
  CHECK(e.slice(1, 128).eq(0).all().item<bool>());
  // The 2-D table equals the one stored in the official state_dict.
  at::Tensor table = load_state_dict(golden("dit/weights.safetensors")).at("pos_embed");
  CHECK((sincos_pos_embed_2d(64, 8).unsqueeze(0) - table).abs().max().item<double>() < 1e-6);
}

TEST_CASE("dit: first3 guidance leaves latent channel 3 conditional, all guides it", "[dit]") {
  // out: cond half 1, uncond half 0 in every channel; t irrelevant for constant guidance.
  at::Tensor out = at::cat({at::ones({1, 8, 2, 2}), at::zeros({1, 8, 2, 2})}, 0);
  at::Tensor t = at::full({2}, 10, at::kLong);
  Guidance g;
  g.scale = 1.5;
  at::Tensor first3 = apply_guidance(out, t, g, 4);
  CHECK(first3.slice(1, 0, 3).eq(1.5).all().item<bool>());  // both halves guided
  CHECK(first3[0][3].eq(1).all().item<bool>());              // channel 3: each half's own output
  CHECK(first3[1][3].eq(0).all().item<bool>());
  CHECK(first3[0].slice(0, 4).eq(1).all().item<bool>());     // variance values untouched
  g.channels = GuidanceChannels::All;
  at::Tensor all = apply_guidance(out, t, g, 4);
  CHECK(all.slice(1, 0, 4).eq(1.5).all().item<bool>());
  CHECK(all[1].slice(0, 4).eq(0).all().item<bool>());
}

TEST_CASE("dit: configs without guidance or with unknown keys are rejected", "[dit]") {
  auto cfg = read_json(std::string(DIFFBENCH_SOURCE_DIR) + "/models/configs/dit-tiny.json");
  auto no_guidance = cfg;
  no_guidance.erase("guidance");
  CHECK_THROWS_WITH(build_transformer_model(no_guidance),
                    Catch::StartsWith("model config (arch \"dit\"): missing \"guidance\""));
  auto unknown = cfg;
  unknown["heads"] = 4;
  CHECK_THROWS_WITH(build_transformer_model(unknown), "model config (arch \"dit\"): unknown key \"heads\"");
  auto bad_channels = cfg;
  bad_channels["guidance"]["channels"] = "rgb";
  CHECK_THROWS_WITH(build_transformer_model(bad_channels),
                    "model config (arch \"dit\"): \"guidance\".channels is \"rgb\", expected \"first3\" or \"all\"");
  auto no_depth = cfg;
  no_depth.erase("depth");
  CHECK_THROWS_WITH(build_transformer_model(no_depth),
                    "model config (arch \"dit\"): missing \"depth\" (official constructor argument)");
  CHECK(build_transformer_model(nlohmann::json{{"arch", "songunet"}}) == nullptr);
}

TEST_CASE("dit: tiny preset is a 1-3M parameter CPU model", "[dit]") {
  auto cfg = read_json(std::string(DIFFBENCH_SOURCE_DIR) + "/models/configs/dit-tiny.json");
  auto model = build_transformer_model(cfg);
  const int64_t n = count_parameters(*model);
  CHECK(n > 1000000);
  CHECK(n < 3000000);
  randomize_weights(*model, 0);
  torch::NoGradGuard no_grad;
  at::Tensor out = model->forward(at::randn({2, 4, 8, 8}), at::tensor({0, 999}), at::tensor({1, 10}));
  CHECK(out.sizes().vec() == std::vector<int64_t>{2, 8, 8, 8});
  CHECK(std::isfinite(out.abs().sum().item<double>()));
}
