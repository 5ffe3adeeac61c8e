#include "models/registry_transformers.h"

#include "models/diffit_latent.h"
#include "models/dit.h"

namespace diffbench {

std::shared_ptr<DiffusionModel> build_transformer_model(const nlohmann::json& config) {
  return build_transformer_model(config, at::TensorOptions().dtype(at::kFloat));
}

std::shared_ptr<DiffusionModel> build_transformer_model(const nlohmann::json& config,
                                                        const at::TensorOptions& opts) {
  if (!config.is_object() || !config.contains("arch") || !config["arch"].is_string()) return nullptr;
  const std::string arch = config["arch"].get<std::string>();
  if (arch == "dit") return std::make_shared<DiTModel>(parse_patch_transformer_config(config, {}), opts);
  if (arch == "diffit-latent")
    return std::make_shared<DiffiTLatentModel>(
        parse_patch_transformer_config(config, {"mask_ratio", "decode_layer"}), opts);
  return nullptr;
}

}  // namespace diffbench
