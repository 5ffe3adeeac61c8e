// Builds the patch transformers (DiT, latent DiffiT) from their JSON configs.
#pragma once
#include <memory>

#include <ATen/core/TensorBody.h>
#include <nlohmann/json.hpp>

#include "models/model.h"

namespace diffbench {

// "arch": "dit" | "diffit-latent"; nullptr for any other arch. Parameters are uninitialised
// (load a checkpoint or call randomize_weights); opts may name the meta device to count without
// allocating.
std::shared_ptr<DiffusionModel> build_transformer_model(const nlohmann::json& config);
std::shared_ptr<DiffusionModel> build_transformer_model(const nlohmann::json& config,
                                                        const at::TensorOptions& opts);

}  // namespace diffbench
