// EDM's DhariwalUNet: the ADM architecture of EDM's ImageNet-64 model (baselines.md §4).
// Module names follow EDM's state_dict (map_label, enc.64x64_conv, dec.8x8_in0.qkv, out_conv ...).
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "models/edm_layers.h"
#include "models/model.h"
#include "models/precond.h"

namespace diffbench {

class ConfigReader;

// EDM's constructor arguments and defaults.
struct DhariwalUNetConfig {
  int img_resolution = 64, in_channels = 3, out_channels = 3;
  int label_dim = 0, augment_dim = 0;
  int model_channels = 192;
  std::vector<int> channel_mult{1, 2, 3, 4};
  int channel_mult_emb = 4, num_blocks = 3;
  std::vector<int> attn_resolutions{32, 16, 8};
  double dropout = 0.10, label_dropout = 0.0;
  static DhariwalUNetConfig from_json(ConfigReader& reader, int img_resolution, int channels, int label_dim);
};

class DhariwalUNet : public UNetNet, public CountsMacs {
 public:
  explicit DhariwalUNet(const DhariwalUNetConfig& config);
  at::Tensor forward(const at::Tensor& x, const at::Tensor& noise_labels, const at::Tensor& class_labels,
                     const at::Tensor& augment_labels) override;
  double macs_per_image() const override;
  const DhariwalUNetConfig& config() const { return cfg_; }

 private:
  struct Entry {
    std::string name;
    std::shared_ptr<edm::Conv2d> conv;
    std::shared_ptr<edm::UNetBlock> block;
  };
  DhariwalUNetConfig cfg_;
  std::shared_ptr<edm::Linear> map_augment, map_layer0, map_layer1, map_label;
  std::shared_ptr<torch::nn::Module> enc_, dec_;
  std::vector<Entry> enc_list_, dec_list_;
  std::shared_ptr<edm::GroupNorm> out_norm;
  std::shared_ptr<edm::Conv2d> out_conv;
};

}  // namespace diffbench
