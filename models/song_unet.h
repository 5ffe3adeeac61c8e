// EDM's SongUNet: the DDPM++ architecture (CIFAR-10 and FFHQ-64 presets, baselines.md §3).
// Module names follow EDM's state_dict (map_label, enc.32x32_conv, dec.16x16_block4.qkv ...).
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
struct SongUNetConfig {
  int img_resolution = 32, in_channels = 3, out_channels = 3;
  int label_dim = 0, augment_dim = 0;
  int model_channels = 128;
  std::vector<int> channel_mult{1, 2, 2, 2};
  int channel_mult_emb = 4, num_blocks = 4;
  std::vector<int> attn_resolutions{16};
  double dropout = 0.10, label_dropout = 0.0;
  std::string embedding_type = "positional";
  int channel_mult_noise = 1;
  std::string encoder_type = "standard", decoder_type = "standard";
  std::vector<double> resample_filter{1, 1};
  // Reads the architecture keys (img_resolution / channels / label_dim come from the wrapper).
  static SongUNetConfig from_json(ConfigReader& reader, int img_resolution, int channels, int label_dim);
};

class SongUNet : public UNetNet, public CountsMacs {
 public:
  explicit SongUNet(const SongUNetConfig& config);
  at::Tensor forward(const at::Tensor& x, const at::Tensor& noise_labels, const at::Tensor& class_labels,
                     const at::Tensor& augment_labels) override;
  double macs_per_image() const override;
  const SongUNetConfig& config() const { return cfg_; }

 private:
  struct Entry {
    std::string name;
    std::shared_ptr<edm::Conv2d> conv;      // enc conv / aux conv
    std::shared_ptr<edm::UNetBlock> block;  // UNet blocks
    std::shared_ptr<edm::GroupNorm> norm;   // aux_norm
  };
  SongUNetConfig cfg_;
  std::shared_ptr<edm::Linear> map_label, map_augment, map_layer0, map_layer1;
  std::shared_ptr<torch::nn::Module> enc_, dec_;
  std::vector<Entry> enc_list_, dec_list_;
};

}  // namespace diffbench
