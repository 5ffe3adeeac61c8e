// Builds the EDM U-Nets (DDPM++ SongUNet, ADM DhariwalUNet) wrapped in their preconditioning
// from a JSON config: EDM's constructor argument names plus "arch" and "precond".
#pragma once
#include <cstdint>
#include <memory>

#include <nlohmann/json.hpp>

#include "models/model.h"

namespace diffbench {

class UNetNet;

// "arch": "ddpmpp" | "song-unet" | "adm" | "dhariwal-unet" | "diffit-image";
// "precond": "edm" (default) | "vp".
// nullptr for any other arch. Fresh weights follow EDM's init; load a checkpoint to use one.
std::shared_ptr<DiffusionModel> build_unet_model(const nlohmann::json& config);
// The bare network (no preconditioning) for the same config; nullptr for an unknown arch.
std::shared_ptr<UNetNet> build_unet_net(const nlohmann::json& config);
// Parameter count of the config's model, from shapes only (built on the meta device).
int64_t count_unet_parameters(const nlohmann::json& config);
// Reads a model config file (a preset in models/configs or a user file). Error naming the file.
nlohmann::json read_model_config(const std::string& path);

}  // namespace diffbench
