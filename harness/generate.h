// Seeds in, uint8 RGB images out: a model with its weights, its sampler, its guidance, an optional
// VAE decoder for latent models and the quantisation rule. Image i depends only on seed i
// (per-seed noise), never on the batch it was generated in.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <ATen/Tensor.h>
#include <c10/core/Device.h>
#include <nlohmann/json.hpp>

#include "common/precision.h"

namespace diffbench {

class DiffusionModel;
class SdVaeDecoder;

struct GeneratorSpec {
  nlohmann::json model_config;    // arch + constructor arguments (+ precond)
  std::string weights;            // checkpoint path, or "" with random_init
  int64_t random_init = -1;       // seed of a random initialisation (weights == "")
  nlohmann::json vae;             // {"config": {...}, "weights": path | "random_init": seed} or null
  nlohmann::json sampler;         // {"kind": heun|euler|ddpm|ddim, "steps": N, ...}
  nlohmann::json guidance;        // {"scale", "channels", "schedule", ...} or null
  std::string quantize = "round";  // data/quantize.h rule
  int class_label = -1;           // fixed class for every image; -1 = drawn per seed
  c10::Device device = c10::Device(c10::kCPU);
  Precision precision;            // fp32 (default) | bf16 | fp16 autocast, and TF32 on CUDA
};

class SampleGenerator {
 public:
  explicit SampleGenerator(const GeneratorSpec& spec);
  ~SampleGenerator();
  // uint8 [B, H, W, 3] on the CPU, one image per seed, in seed order.
  at::Tensor generate(const std::vector<uint64_t>& seeds);
  int64_t nfe_per_image() const { return nfe_per_image_; }  // known after the first generate()
  int64_t parameters() const;
  double macs_per_call() const;  // one network call for one image (the VAE not included)
  const DiffusionModel& model() const { return *model_; }
  DiffusionModel& model() { return *model_; }
  std::string describe() const;  // "dit, ddpm 250 steps, guidance 1.5 first3"

 private:
  at::Tensor sample_float(const std::vector<uint64_t>& seeds);  // [B, C, H, W] in about [-1, 1]
  GeneratorSpec spec_;
  std::shared_ptr<DiffusionModel> model_;
  std::shared_ptr<SdVaeDecoder> vae_;
  int64_t nfe_per_image_ = 0;
};

// MODEL on the command line: a preset name (models/configs/NAME.json), or any label when a config
// file is given. Error naming what is missing.
nlohmann::json resolve_model_config(const std::string& model, const std::string& config_path);

// Builds a model from its config and loads weights strictly, or initialises it from a seed.
std::shared_ptr<DiffusionModel> load_model(const nlohmann::json& config, const std::string& weights,
                                           int64_t random_init);

}  // namespace diffbench
