// build_model: the one entry point from a config to a model; each family's registry answers for
// its own "arch" values and returns nullptr for the others.
#include "models/model.h"

#include "common/error.h"
#include "models/registry_transformers.h"
#include "models/registry_unets.h"

namespace diffbench {

std::shared_ptr<DiffusionModel> build_model(const nlohmann::json& config) {
  if (!config.is_object()) fail("model config: expected a JSON object");
  if (!config.contains("arch") || !config.at("arch").is_string())
    fail("model config: missing string key \"arch\" (e.g. \"ddpmpp\", \"adm\", \"dit\", \"diffit-latent\")");
  if (auto model = build_unet_model(config)) return model;
  if (auto model = build_transformer_model(config)) return model;
  const std::string arch = config.at("arch").get<std::string>();
  if (arch == "sd-vae-decoder")
    fail("model config: arch \"sd-vae-decoder\" is a latent decoder, not a diffusion model (use build_vae_decoder)");
  fail("model config: unknown arch \"" + arch +
       "\" (expected ddpmpp, song-unet, adm, dhariwal-unet, dit, diffit-latent, diffit-image)");
}

}  // namespace diffbench
