#include "models/registry_unets.h"

#include <fstream>

#include "common/error.h"
#include "common/json_file.h"
#include "models/dhariwal_unet.h"
#include "models/diffit_image.h"
#include "models/edm_layers_config.h"
#include "models/precond.h"
#include "models/song_unet.h"

namespace diffbench {

namespace {

// Descriptive keys a config may carry besides the constructor arguments.
const std::vector<std::string> kMetaKeys{"name", "description", "source", "notes", "weights", "sampler", "dataset"};

bool is_song(const std::string& a) { return a == "ddpmpp" || a == "song-unet" || a == "songunet"; }
bool is_adm(const std::string& a) { return a == "adm" || a == "dhariwal-unet" || a == "dhariwalunet"; }

std::string arch_of(const nlohmann::json& config) {
  if (!config.is_object() || !config.contains("arch") || !config.at("arch").is_string()) return "";
  return config.at("arch").get<std::string>();
}

}  // namespace

std::shared_ptr<UNetNet> build_unet_net(const nlohmann::json& config) {
  const std::string arch = arch_of(config);
  // Image-space DiffiT is a UNetNet too: its builder validates its own keys.
  if (arch == "diffit-image") return build_diffit_image_net(config);
  if (!is_song(arch) && !is_adm(arch)) return nullptr;
  const PrecondConfig p = precond_config_from_json(config);
  ConfigReader r(config, "model config (arch \"" + arch + "\")");
  for (const auto& k : precond_config_keys()) r.mark_used(k);
  std::shared_ptr<UNetNet> net;
  if (is_song(arch)) {
    net = std::make_shared<SongUNet>(SongUNetConfig::from_json(r, p.img_resolution, p.img_channels, p.label_dim));
  } else {
    net = std::make_shared<DhariwalUNet>(
        DhariwalUNetConfig::from_json(r, p.img_resolution, p.img_channels, p.label_dim));
  }
  r.reject_unused(kMetaKeys);
  return net;
}

std::shared_ptr<DiffusionModel> build_unet_model(const nlohmann::json& config) {
  auto net = build_unet_net(config);
  if (!net) return nullptr;
  std::string precond = "edm";
  if (config.contains("precond")) {
    if (!config.at("precond").is_string()) fail("model config: key \"precond\" must be \"edm\" or \"vp\"");
    precond = config.at("precond").get<std::string>();
  }
  return make_precond(precond, std::move(net), config);
}

int64_t count_unet_parameters(const nlohmann::json& config) {
  edm::MetaScope meta;
  auto model = build_unet_model(config);
  if (!model) fail("model config: arch \"" + arch_of(config) + "\" is not an EDM U-Net");
  return edm::count_parameters(*model);
}

nlohmann::json read_model_config(const std::string& path) {
  return read_json_file(path);
}

}  // namespace diffbench
