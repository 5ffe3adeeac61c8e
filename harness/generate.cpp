#include "harness/generate.h"

#include <filesystem>
#include <sstream>

#include "build_info.h"
#include "common/files.h"
#include "common/json_file.h"

#include "common/error.h"
#include "data/quantize.h"
#include "io/state_dict.h"
#include "models/ddpm.h"
#include "models/edm_sampler.h"
#include "models/guidance.h"
#include "models/model.h"
#include "models/noise.h"
#include "models/transformer_common.h"
#include "models/vae_decoder.h"

namespace fs = std::filesystem;

namespace diffbench {

nlohmann::json resolve_model_config(const std::string& model, const std::string& config_path) {
  std::string path = config_path;
  if (path.empty()) {
    path = (fs::path(DIFFBENCH_SOURCE_DIR) / "models" / "configs" / (model + ".json")).string();
    if (!file_exists(path))
      fail("no model preset \"" + model + "\" in models/configs/; pass --config C.json (see `diffbench models`)");
  }
  return read_json_file(path);
}

std::shared_ptr<DiffusionModel> load_model(const nlohmann::json& config, const std::string& weights,
                                           int64_t random_init) {
  if (!weights.empty()) {
    auto model = build_model(config);
    auto state = load_state_dict(weights);
    // A diffbench training checkpoint (model, EMA and Adam state): evaluate its EMA weights; the
    // buffers it does not store (filters, index tables) are the architecture's own.
    auto ema = state.with_prefix_removed("ema.");
    if (!ema.empty()) {
      for (const auto& p : model->named_parameters())
        if (!ema.contains(p.key())) fail(weights + ": training checkpoint lacks ema." + p.key());
      StateDict merged;
      for (const auto& [name, tensor] : module_state_dict(*model))
        merged.insert(name, ema.contains(name) ? ema.at(name) : tensor);
      state = merged;
    }
    load_into_module(*model, state, weights);
    return model;
  }
  // A seeded initialisation: the same seed gives the same weights on every machine. The U-Nets
  // initialise themselves from the global generator; the transformers are built empty.
  uint64_t seed = static_cast<uint64_t>(std::max<int64_t>(random_init, 0));
  torch::manual_seed(seed);
  auto model = build_model(config);
  if (model->kind() == "ddpm-eps") randomize_weights(*model, seed);
  return model;
}

static std::shared_ptr<SdVaeDecoder> load_vae(const nlohmann::json& vae) {
  if (vae.is_null() || vae.empty()) return nullptr;
  if (!vae.contains("config") || !vae["config"].is_object())
    fail("vae: expected {\"config\": {...}, \"weights\": path | \"random_init\": seed}");
  auto decoder = build_vae_decoder(vae["config"]);
  if (vae.contains("weights") && vae["weights"].is_string()) {
    std::string path = vae["weights"];
    decoder->load(load_state_dict(path), path);
  } else {
    torch::manual_seed(vae.value("random_init", 0));
    decoder = build_vae_decoder(vae["config"]);
  }
  decoder->eval();
  return decoder;
}

SampleGenerator::SampleGenerator(const GeneratorSpec& spec) : spec_(spec) {
  model_ = load_model(spec.model_config, spec.weights, spec.random_init);
  model_->eval();
  model_->to(spec.device);
  vae_ = load_vae(spec.vae);
  if (vae_) vae_->to(spec.device);
  parse_quantize_rule(spec.quantize);  // fail early on an unknown rule
  check_precision(spec.precision, spec.device, "sampling");
  if (!spec.sampler.is_object() || !spec.sampler.contains("kind"))
    fail("sampler: expected an object with \"kind\"");
}

SampleGenerator::~SampleGenerator() = default;

int64_t SampleGenerator::parameters() const {
  int64_t n = 0;
  for (const auto& p : model_->parameters()) n += p.numel();
  return n;
}

double SampleGenerator::macs_per_call() const { return model_->macs_per_image(); }

std::string SampleGenerator::describe() const {
  std::ostringstream out;
  out << model_->arch() << ", " << spec_.sampler.value("kind", "?") << " "
      << spec_.sampler.value("steps", 0) << " steps";
  if (spec_.guidance.is_object() && spec_.guidance.value("scale", 1.0) != 1.0)
    out << ", guidance " << spec_.guidance.value("scale", 1.0);
  return out.str();
}

at::Tensor SampleGenerator::sample_float(const std::vector<uint64_t>& seeds) {
  torch::NoGradGuard no_grad;
  PrecisionScope precision(spec_.precision, spec_.device);
  const std::string kind = spec_.sampler["kind"];
  const int64_t steps = spec_.sampler.value("steps", 0);
  const int64_t n = static_cast<int64_t>(seeds.size());
  double scale = spec_.guidance.is_object() ? spec_.guidance.value("scale", 1.0) : 1.0;

  if (model_->kind() == "denoiser") {
    if (kind != "heun" && kind != "euler")
      fail("sampler \"" + kind + "\" does not drive an EDM denoiser; use heun or euler");
    nlohmann::json o = {{"solver", kind}, {"num_steps", steps}, {"cfg_scale", scale}};
    const auto& s = spec_.sampler;
    for (auto [from, to] : {std::pair{"sigma_min", "sigma_min"}, {"sigma_max", "sigma_max"}, {"rho", "rho"},
                            {"s_churn", "S_churn"}, {"s_min", "S_min"}, {"s_max", "S_max"},
                            {"s_noise", "S_noise"}})
      if (s.contains(from)) o[to] = s[from];
    auto options = EdmSamplerOptions::from_json(o, "sampler");
    PerSeedNoise noise(seeds);
    auto draws = edm_draw_inputs(*model_, noise, n, spec_.class_label);
    SamplerStats stats;
    auto x = edm_sample(*model_, draws.latents.to(spec_.device),
                        draws.class_onehot.defined() ? draws.class_onehot.to(spec_.device) : at::Tensor(),
                        noise, options, &stats);
    nfe_per_image_ = stats.nfe;
    return x.to(at::kFloat);
  }
  if (model_->kind() == "ddpm-eps") {
    if (kind != "ddpm" && kind != "ddim")
      fail("sampler \"" + kind + "\" does not drive an eps-prediction model; use ddpm or ddim");
    nlohmann::json o = {{"method", kind},
                        {"respacing", kind == "ddim" ? "ddim" + std::to_string(steps) : std::to_string(steps)}};
    if (spec_.sampler.contains("eta")) o["eta"] = spec_.sampler["eta"];
    if (spec_.sampler.contains("diffusion_steps")) o["diffusion_steps"] = spec_.sampler["diffusion_steps"];
    auto options = parse_sampler_options(o, "sampler");
    Guidance g;
    const Guidance* guidance = nullptr;
    if (scale != 1.0) {
      g = parse_guidance(spec_.guidance, "guidance");
      guidance = &g;
    }
    at::Tensor labels;
    if (spec_.class_label >= 0) {
      if (spec_.class_label >= model_->num_classes())
        fail("class " + std::to_string(spec_.class_label) + " out of range [0, " +
             std::to_string(model_->num_classes()) + ") for this model");
      labels = at::full({n}, spec_.class_label, at::kLong);
    }
    SampleStats stats;
    auto x = generate_per_seed(*model_, options, seeds, labels, guidance, nullptr, &stats);
    nfe_per_image_ = stats.steps * (guidance ? 2 : 1);
    if (vae_) {
      double factor = spec_.vae["config"].value("scaling_factor", 0.18215);
      x = vae_->decode(x.to(at::kFloat) / factor);
    }
    return x.to(at::kFloat);
  }
  fail("model kind \"" + model_->kind() + "\" has no sampler");
}

at::Tensor SampleGenerator::generate(const std::vector<uint64_t>& seeds) {
  auto x = sample_float(seeds).cpu();                                    // [B, C, H, W]
  auto images = quantize_to_uint8(x, parse_quantize_rule(spec_.quantize));  // same shape, uint8
  if (images.size(1) == 1) images = images.expand({-1, 3, -1, -1});      // gray -> RGB, as PIL does
  if (images.size(1) != 3)
    fail("generate: the model makes " + std::to_string(images.size(1)) +
         "-channel images; expected 1 or 3 (a latent model needs a \"vae\")");
  return images.permute({0, 2, 3, 1}).contiguous();
}

}  // namespace diffbench
