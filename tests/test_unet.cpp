// EDM U-Nets: golden parity of SongUNet (EDMPrecond, VPPrecond) and DhariwalUNet against NVlabs/edm,
// full-size key lists, parameter and MAC counts, config validation.
#include <catch2/catch.hpp>

#include <set>

#include "common/error.h"
#include "io/state_dict.h"
#include "models/edm_layers.h"
#include "models/precond.h"
#include "models/registry_unets.h"
#include "test_unet_helpers.h"

using namespace diffbench;
using namespace diffbench::testing_unet;

namespace {

// The golden precond kwargs as a diffbench config ("model_type" becomes "arch").
nlohmann::json golden_config(const nlohmann::json& kwargs, const std::string& precond) {
  nlohmann::json c = kwargs;
  c["arch"] = c["model_type"] == "SongUNet" ? "song-unet" : "dhariwal-unet";
  c.erase("model_type");
  c["precond"] = precond;
  return c;
}

nlohmann::json read_json(const std::string& path) { return read_model_config(path); }

std::shared_ptr<DiffusionModel> load_golden(const std::string& dir, const nlohmann::json& cfg) {
  auto model = build_unet_model(cfg);
  REQUIRE(model);
  load_into_module(*model, load_state_dict(golden(dir + "/weights.safetensors")), dir);
  model->eval();
  return model;
}

std::string preset(const std::string& name) {
  return std::string(DIFFBENCH_SOURCE_DIR) + "/models/configs/" + name;
}

// Names and shapes of the module on the meta device vs an official keys.txt.
void check_keys(const nlohmann::json& cfg, const std::string& keys_path) {
  edm::MetaScope meta;
  auto model = build_unet_model(cfg);
  REQUIRE(model);
  std::set<std::string> ours, theirs;
  const StateDict state = module_state_dict(*model);  // kept alive: items() refers into it
  for (const auto& [name, t] : state.items()) ours.insert(name + " " + shape_text(t.sizes()));
  for (const auto& [name, shape] : read_keys(keys_path)) theirs.insert(name + " " + shape);
  std::vector<std::string> only_ours, only_theirs;
  for (const auto& k : ours) if (!theirs.count(k)) only_ours.push_back(k);
  for (const auto& k : theirs) if (!ours.count(k)) only_theirs.push_back(k);
  INFO("first extra: " << (only_ours.empty() ? "-" : only_ours[0]) << "; first missing: "
                       << (only_theirs.empty() ? "-" : only_theirs[0]));
  CHECK(only_ours.empty());
  CHECK(only_theirs.empty());
}

}  // namespace

TEST_CASE("SongUNet in EDMPrecond matches NVlabs/edm (edm_out, edm_out_aug, inner U-Net)", "[unet]") {
  torch::NoGradGuard no_grad;
  const auto cfg = read_json(golden("edm_songunet_ddpmpp/config.json"));
  auto model = load_golden("edm_songunet_ddpmpp", golden_config(cfg["edm_precond"]["kwargs_passed"], "edm"));
  auto& pre = dynamic_cast<Precond&>(*model);
  const auto x = npy("edm_songunet_ddpmpp/x.npy"), sigma = npy("edm_songunet_ddpmpp/sigma.npy");
  const auto labels = npy("edm_songunet_ddpmpp/class_labels.npy"), aug = npy("edm_songunet_ddpmpp/augment_labels.npy");

  // Preconditioning inputs of the inner call (c_in x, c_noise).
  const auto c = pre.coefficients(sigma.reshape({-1, 1, 1, 1}));
  CHECK(max_rel(c.c_in * x, npy("edm_songunet_ddpmpp/edm_unet_in_x.npy")) < 1e-6);
  CHECK(max_rel(c.c_noise.flatten(), npy("edm_songunet_ddpmpp/edm_unet_in_noise_labels.npy")) < 1e-6);
  // The bare U-Net on the recorded inputs.
  const auto f = pre.net().forward(npy("edm_songunet_ddpmpp/edm_unet_in_x.npy"),
                                   npy("edm_songunet_ddpmpp/edm_unet_in_noise_labels.npy"), labels, at::Tensor());
  CHECK(max_rel(f, npy("edm_songunet_ddpmpp/edm_unet_out.npy")) < 1e-4);
  // The whole denoiser, without and with augment labels.
  CHECK(max_rel(model->forward(x, sigma, labels), npy("edm_songunet_ddpmpp/edm_out.npy")) < 1e-4);
  CHECK(max_rel(pre.denoise(x, sigma, labels, aug), npy("edm_songunet_ddpmpp/edm_out_aug.npy")) < 1e-4);
  // Integer labels are one-hot encoded by the wrapper.
  CHECK(max_rel(model->forward(x, sigma, npy("edm_songunet_ddpmpp/class_label_indices.npy")),
                npy("edm_songunet_ddpmpp/edm_out.npy")) < 1e-4);
  CHECK(model->kind() == "denoiser");
  CHECK(model->num_classes() == 10);
  CHECK(edm::count_parameters(*model) == 556099);
}

TEST_CASE("SongUNet in VPPrecond matches NVlabs/edm (vp_out, inner U-Net, sigma range)", "[unet]") {
  torch::NoGradGuard no_grad;
  const auto cfg = read_json(golden("edm_songunet_ddpmpp/config.json"));
  auto model = load_golden("edm_songunet_ddpmpp", golden_config(cfg["vp_precond"]["kwargs_passed"], "vp"));
  auto& pre = dynamic_cast<Precond&>(*model);
  CHECK(pre.precond_name() == "vp");
  const auto x = npy("edm_songunet_ddpmpp/x.npy"), sigma = npy("edm_songunet_ddpmpp/sigma.npy");
  const auto labels = npy("edm_songunet_ddpmpp/class_labels.npy");
  const auto c = pre.coefficients(sigma.reshape({-1, 1, 1, 1}));
  CHECK(max_rel(c.c_in * x, npy("edm_songunet_ddpmpp/vp_unet_in_x.npy")) < 1e-6);
  CHECK(max_rel(c.c_noise.flatten(), npy("edm_songunet_ddpmpp/vp_unet_in_noise_labels.npy")) < 1e-6);
  const auto f = pre.net().forward(npy("edm_songunet_ddpmpp/vp_unet_in_x.npy"),
                                   npy("edm_songunet_ddpmpp/vp_unet_in_noise_labels.npy"), labels, at::Tensor());
  CHECK(max_rel(f, npy("edm_songunet_ddpmpp/vp_unet_out.npy")) < 1e-4);
  CHECK(max_rel(model->forward(x, sigma, labels), npy("edm_songunet_ddpmpp/vp_out.npy")) < 1e-4);
  CHECK(pre.sigma_min() == 0.0009765625);
  CHECK(pre.sigma_max() == Approx(152.16697692871094).epsilon(1e-12));
}

TEST_CASE("DhariwalUNet in EDMPrecond matches NVlabs/edm (edm_out, inner U-Net, multi-head attention)", "[unet]") {
  torch::NoGradGuard no_grad;
  const auto cfg = read_json(golden("edm_dhariwal_adm/config.json"));
  auto model = load_golden("edm_dhariwal_adm", golden_config(cfg["kwargs_passed"], "edm"));
  auto& pre = dynamic_cast<Precond&>(*model);
  const auto x = npy("edm_dhariwal_adm/x.npy"), sigma = npy("edm_dhariwal_adm/sigma.npy");
  const auto labels = npy("edm_dhariwal_adm/class_labels.npy");
  const auto c = pre.coefficients(sigma.reshape({-1, 1, 1, 1}));
  CHECK(max_rel(c.c_in * x, npy("edm_dhariwal_adm/unet_in_x.npy")) < 1e-6);
  CHECK(max_rel(c.c_noise.flatten(), npy("edm_dhariwal_adm/unet_in_noise_labels.npy")) < 1e-6);
  const auto f = pre.net().forward(npy("edm_dhariwal_adm/unet_in_x.npy"), npy("edm_dhariwal_adm/unet_in_noise_labels.npy"),
                                   labels, at::Tensor());
  CHECK(max_rel(f, npy("edm_dhariwal_adm/unet_out.npy")) < 1e-4);
  CHECK(max_rel(model->forward(x, sigma, labels), npy("edm_dhariwal_adm/edm_out.npy")) < 1e-4);
  CHECK(edm::count_parameters(*model) == 3346243);
}

TEST_CASE("Full-size EDM presets: official key lists, parameter counts and MACs (meta device)", "[unet]") {
  const auto cifar = read_model_config(preset("ddpmpp-cifar10.json"));
  const auto ffhq = read_model_config(preset("ddpmpp-ffhq64.json"));
  const auto adm = read_model_config(preset("adm-imagenet64.json"));
  CHECK(count_unet_parameters(cifar) == 55735299);
  CHECK(count_unet_parameters(ffhq) == 61805571);
  CHECK(count_unet_parameters(adm) == 295899267);
  check_keys(cifar, golden("full_size/edm_cifar10_32x32_cond_ddpmpp/keys.txt"));
  check_keys(ffhq, golden("full_size/edm_ffhq_64x64_uncond_ddpmpp/keys.txt"));
  check_keys(adm, golden("full_size/edm_imagenet_64x64_cond_adm/keys.txt"));
  // GMAC per forward (baselines.md §13: 21.19, 41.9, 109.7).
  edm::MetaScope meta;
  CHECK(build_unet_model(cifar)->macs_per_image() / 1e9 == Approx(21.19).margin(0.01));
  CHECK(build_unet_model(ffhq)->macs_per_image() / 1e9 == Approx(41.9).margin(0.1));
  CHECK(build_unet_model(adm)->macs_per_image() / 1e9 == Approx(109.7).margin(0.1));
}

TEST_CASE("ddpmpp-tiny preset is a ~2M-parameter 32x32 model that runs on CPU", "[unet]") {
  torch::NoGradGuard no_grad;
  const auto tiny = read_model_config(preset("ddpmpp-tiny.json"));
  const int64_t n = count_unet_parameters(tiny);
  CHECK(n > 1000000);
  CHECK(n < 3000000);
  auto model = build_model(tiny);
  model->eval();
  const auto y = model->forward(at::randn({2, 3, 32, 32}), at::full({2}, 1.0), at::tensor({1, 7}));
  CHECK(y.sizes() == at::IntArrayRef({2, 3, 32, 32}));
  CHECK(std::isfinite(y.abs().max().item<double>()));
}

TEST_CASE("EDM U-Net configs fail with one line naming the bad key", "[unet]") {
  auto cfg = read_model_config(preset("ddpmpp-tiny.json"));
  cfg["num_block"] = 2;
  CHECK_THROWS_WITH(build_model(cfg),
                    "model config (arch \"ddpmpp\"): unknown key \"num_block\" (not an argument of this architecture)");
  cfg.erase("num_block");
  cfg["precond"] = "ve";
  CHECK_THROWS_WITH(build_model(cfg), "model config: precond \"ve\" is not supported (expected \"edm\" or \"vp\")");
  cfg["precond"] = "edm";
  cfg["channel_mult"] = "1,2,2";
  CHECK_THROWS_WITH(build_model(cfg),
                    "model config (arch \"ddpmpp\"): key \"channel_mult\" is \"1,2,2\", expected a list of integers >= 1");
  // Impossible sizes are refused with the key, not left to LibTorch (which crashed or printed
  // "Trying to create tensor with negative dimension").
  cfg["channel_mult"] = {1, 0};
  CHECK_THROWS_WITH(build_model(cfg),
                    "model config (arch \"ddpmpp\"): key \"channel_mult\" is [1,0], expected a list of integers >= 1");
  cfg["channel_mult"] = {1, 2};
  cfg["model_channels"] = -4;
  CHECK_THROWS_WITH(build_model(cfg),
                    "model config (arch \"ddpmpp\"): key \"model_channels\" is -4, expected an integer >= 1");
  // 2 channels make 0 GroupNorm groups (EDM's min 4 channels per group): a division by zero in LibTorch.
  cfg["model_channels"] = 2;
  CHECK_THROWS_WITH(build_model(cfg), Catch::StartsWith("model config: a GroupNorm over 2 channels needs min(32, "
                                                        "channels / 4) groups that divide them"));
  CHECK(build_unet_model(nlohmann::json{{"arch", "dit"}}) == nullptr);
}
