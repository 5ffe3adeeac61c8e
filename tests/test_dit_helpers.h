// Shared helpers of the DiT / latent DiffiT / DDPM tests: golden paths, model set-up, error metric.
#pragma once
#include <fstream>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "build_info.h"
#include "io/npy.h"
#include "io/state_dict.h"
#include "models/registry_transformers.h"
#include "models/transformer_common.h"

namespace diffbench::test_dit {

inline std::string golden(const std::string& rel) {
  return std::string(DIFFBENCH_SHARED_DIR) + "/golden/models/" + rel;
}

inline nlohmann::json read_json(const std::string& path) {
  std::ifstream in(path);
  return nlohmann::json::parse(in);
}

// The golden case's resolved constructor arguments plus our arch and guidance fields.
inline nlohmann::json golden_config(const std::string& case_name, const std::string& arch,
                                    const nlohmann::json& guidance) {
  nlohmann::json c = read_json(golden(case_name + "/config.json"))["resolved_args"];
  c["arch"] = arch;
  c["guidance"] = guidance;
  return c;
}

// Builds the model of a golden case and loads its weights strictly.
inline std::shared_ptr<PatchTransformer> golden_model(const std::string& case_name, const std::string& arch,
                                                      const nlohmann::json& guidance) {
  auto model = std::dynamic_pointer_cast<PatchTransformer>(
      build_transformer_model(golden_config(case_name, arch, guidance)));
  load_into_module(*model, load_state_dict(golden(case_name + "/weights.safetensors")), case_name);
  model->eval();
  return model;
}

// max|a - b| / max|b|: the golden README's relative parity measure.
inline double rel_err(const at::Tensor& a, const at::Tensor& b) {
  return (a.to(at::kDouble) - b.to(at::kDouble)).abs().max().item<double>() /
         b.to(at::kDouble).abs().max().item<double>();
}

// Name -> shape lines of a golden keys.txt ("name<TAB>dtype<TAB>[shape]<TAB>kind").
inline std::map<std::string, std::string> golden_keys(const std::string& path) {
  std::map<std::string, std::string> keys;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream fields(line);
    std::string name, dtype, shape;
    std::getline(fields, name, '\t');
    std::getline(fields, dtype, '\t');
    std::getline(fields, shape, '\t');
    keys[name] = shape;
  }
  return keys;
}

// The module's parameters and buffers as name -> "[a, b]" (the keys.txt shape notation).
inline std::map<std::string, std::string> module_keys(const torch::nn::Module& m) {
  std::map<std::string, std::string> keys;
  auto add = [&](const std::string& name, const at::Tensor& t) {
    std::string s = "[";
    for (int64_t i = 0; i < t.dim(); ++i) s += (i ? ", " : "") + std::to_string(t.size(i));
    keys[name] = s + "]";
  };
  for (const auto& p : m.named_parameters()) add(p.key(), p.value());
  for (const auto& b : m.named_buffers()) add(b.key(), b.value());
  return keys;
}

inline int64_t trainable_parameters(const torch::nn::Module& m) {
  int64_t n = 0;
  for (const auto& p : m.parameters())
    if (p.requires_grad()) n += p.numel();
  return n;
}

inline const nlohmann::json kGuidance4First3Constant = {{"scale", 4.0}, {"channels", "first3"}, {"schedule", "constant"}};
inline const nlohmann::json kGuidance4PowerCosine = {
    {"scale", 4.0}, {"channels", "first3"}, {"schedule", "power_cosine"}, {"power", 4.0}, {"diffusion_steps", 1000}};

}  // namespace diffbench::test_dit
