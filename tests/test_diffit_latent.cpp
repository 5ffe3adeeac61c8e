// Latent DiffiT: golden parity (256 style with power-cosine CFG, 512 style with constant CFG),
// full-size key layout and parameter counts on the meta device, MACs, relative position index.
#include <catch2/catch.hpp>

#include "models/diffit_latent.h"
#include "models/tmsa.h"
#include "test_dit_helpers.h"

using namespace diffbench;
using namespace diffbench::test_dit;

namespace {
void check_golden_case(const std::string& name, const nlohmann::json& guidance) {
  auto model = golden_model(name, "diffit-latent", guidance);
  torch::NoGradGuard no_grad;
  at::Tensor out = model->forward(read_npy(golden(name + "/x.npy")), read_npy(golden(name + "/t.npy")),
                                  read_npy(golden(name + "/y.npy")));
  at::Tensor ref = read_npy(golden(name + "/forward_out.npy"));
  REQUIRE(out.sizes() == ref.sizes());
  CHECK(rel_err(out, ref) <= 1e-4);
  at::Tensor cfg = model->forward_with_cfg(read_npy(golden(name + "/x_cfg.npy")), read_npy(golden(name + "/t_cfg.npy")),
                                           read_npy(golden(name + "/y_cfg.npy")));
  at::Tensor cfg_ref = read_npy(golden(name + "/cfg_out.npy"));
  REQUIRE(cfg.sizes() == cfg_ref.sizes());
  CHECK(rel_err(cfg, cfg_ref) <= 1e-4);
}

std::shared_ptr<DiffusionModel> build_preset_on_meta(const std::string& name) {
  auto cfg = read_json(std::string(DIFFBENCH_SOURCE_DIR) + "/models/configs/" + name + ".json");
  return build_transformer_model(cfg, at::TensorOptions().dtype(at::kFloat).device(at::kMeta));
}
}  // namespace

TEST_CASE("diffit-latent: golden 256 style (power-cosine CFG) matches the official DiffiT", "[dit]") {
  check_golden_case("diffit_latent_256style", kGuidance4PowerCosine);
}

TEST_CASE("diffit-latent: golden 512 style (constant CFG) matches the official DiffiT", "[dit]") {
  check_golden_case("diffit_latent_512style", kGuidance4First3Constant);
}

TEST_CASE("diffit-latent: full-size presets have the official keys and parameter counts", "[dit]") {
  auto m256 = build_preset_on_meta("diffit-latent-256");
  CHECK(module_keys(*m256) == golden_keys(golden("full_size/diffit_latent_256/keys.txt")));
  CHECK(module_keys(*m256).size() == 346);
  // golden keys.txt counts every nn.Parameter (561,330,144); diffit.md's 561,035,232 excludes the
  // frozen pos_embed table (294,912 = 256 x 1152).
  CHECK(count_parameters(*m256) == 561330144);
  CHECK(trainable_parameters(*m256) == 561035232);
  CHECK(m256->macs_per_image() / 1e9 == Approx(118.51).margin(0.01));  // diffit.md §2.6

  auto m512 = build_preset_on_meta("diffit-latent-512");
  CHECK(module_keys(*m512) == golden_keys(golden("full_size/diffit_latent_512/keys.txt")));
  CHECK(count_parameters(*m512) == 563562464);
  CHECK(trainable_parameters(*m512) == 562382816);  // + 1,179,648 frozen pos_embed
  CHECK(m512->macs_per_image() / 1e9 == Approx(524.42).margin(0.01));
}

TEST_CASE("diffit-latent: relative position index and bias match the official buffers", "[dit]") {
  at::Tensor idx16 = relative_position_index(16);  // diffit.md §2.4 test values
  CHECK(idx16[0][0].item<int64_t>() == 480);
  CHECK(idx16[0][1].item<int64_t>() == 479);
  CHECK(idx16[0][255].item<int64_t>() == 0);
  CHECK(idx16[255][0].item<int64_t>() == 960);
  CHECK(idx16.max().item<int64_t>() == 960);
  auto state = load_state_dict(golden("diffit_latent_512style/weights.safetensors"));
  CHECK(relative_position_index(10).equal(state.at("blocks.1.attn.relative_position_index")));
}

TEST_CASE("diffit-latent: power-cosine guidance scale follows diffit.md §2.10", "[dit]") {
  Guidance g;
  g.scale = 4.4;
  g.schedule = GuidanceSchedule::PowerCosine;
  g.power = 4.0;
  at::Tensor s = guidance_scale_at(g, at::tensor({999, 750, 500, 250, 100, 0}));
  const double expected[] = {1.0000, 1.0001, 1.0327, 1.7729, 3.5007, 4.4};
  for (int i = 0; i < 6; ++i) CHECK(s[i].item<double>() == Approx(expected[i]).margin(1e-4));
}

TEST_CASE("diffit-latent: tiny preset is a 1-3M parameter CPU model", "[dit]") {
  auto cfg = read_json(std::string(DIFFBENCH_SOURCE_DIR) + "/models/configs/diffit-latent-tiny.json");
  auto model = build_transformer_model(cfg);
  const int64_t n = count_parameters(*model);
  CHECK(n > 1000000);
  CHECK(n < 3000000);
  CHECK(model->arch() == "diffit-latent");
  CHECK(model->kind() == "ddpm-eps");
}
