// Image-space DiffiT (diffit.md §3.3, proposed design): a U-shaped encoder-decoder of DiffiT
// ResBlocks with windowed TMSA, conditioned by an EDM/DDPM++ mapping network, used as the raw
// network F inside EDM preconditioning. Every open choice of the paper is a config field;
// models/README.md lists them with their defaults (the CIFAR-10 "I1" preset).
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <ATen/Tensor.h>
#include <nlohmann/json.hpp>
#include <torch/nn/module.h>

#include "models/diffit_image_blocks.h"
#include "models/edm_layers.h"
#include "models/model.h"
#include "models/precond.h"
#include "models/tmsa.h"

namespace diffbench {

struct DiffiTImageConfig {
  int64_t img_resolution = 32;
  int64_t img_channels = 3;    // input and output channels (the preconditioner's img_channels)
  int64_t label_dim = 0;       // 0 = unconditional (the paper's models)
  int64_t augment_dim = 9;     // EDM augmentation labels; 0 = no map_augment
  std::vector<int64_t> channels{128, 256, 256};  // per stage, top resolution first
  std::vector<int64_t> num_blocks{2, 2, 2};      // ResBlocks per stage (encoder; decoder too but the bottom)
  std::vector<int64_t> window_size{4, 4, 4};     // per stage (a scalar in JSON applies to all)
  std::vector<int64_t> num_heads;                // per stage; empty = channels / channels_per_head
  int64_t channels_per_head = 32;
  int64_t emb_channels = 512;    // time-token width (Table 3's best)
  int64_t noise_channels = 128;  // positional embedding of c_noise
  bool embedding_endpoint = true;
  double mlp_ratio = 4.0;
  double dropout = 0.13;
  TimeAttention attention = TimeAttention::Tmsa;
  int64_t gn_groups = 32;
  double gn_eps = 1e-6;
  double ln_eps = 1e-6;
  std::string resample = "conv";  // "conv": stride-2 conv / nearest×2 + conv; "bilinear": resize + conv
  bool gelu_tanh = true;

  int64_t stages() const { return static_cast<int64_t>(channels.size()); }
  int64_t heads(int64_t stage) const;
  int64_t mlp_hidden(int64_t stage) const;  // int(C · mlp_ratio), as Python's int()
};

// Reads the fields above from a model config (missing ones keep their defaults). Besides them it
// accepts only the preconditioner's keys, "arch", "precond" and descriptive keys (name,
// description, ...): a misspelt key fails. Errors name the key and what was expected.
DiffiTImageConfig parse_diffit_image_config(const nlohmann::json& j);
nlohmann::json diffit_image_config_to_json(const DiffiTImageConfig& c);

// Stage modules: enc.{s}.{down, conv_in, blocks.{j}} and dec.{k}.{up, conv_in, blocks.{j}}.
class DiffiTStage : public torch::nn::Module {
 public:
  // resample: "down" (encoder s ≥ 1), "up" (decoder) or "" (encoder stage 0).
  DiffiTStage(const DiffiTImageConfig& c, int64_t stage, int64_t in_channels, int64_t resample_channels,
              const std::string& resample, int64_t blocks);
  std::shared_ptr<edm::Conv2d> down, up, conv_in;
  std::vector<std::shared_ptr<DiffiTResBlock>> blocks;
};

class DiffiTImageNet : public UNetNet, public CountsMacs {
 public:
  // Inside an edm::MetaScope the parameters are shapes only (counting full-size presets).
  explicit DiffiTImageNet(const DiffiTImageConfig& config);
  // x (B, img_channels, R, R); noise_labels (B) or a single value (c_noise = ln(σ)/4 under EDM);
  // class_labels one-hot (B, label_dim) or undefined; augment_labels (B, augment_dim) or undefined.
  at::Tensor forward(const at::Tensor& x, const at::Tensor& noise_labels, const at::Tensor& class_labels,
                     const at::Tensor& augment_labels) override;
  // The time token x_t (B, emb_channels) that every ResBlock receives.
  at::Tensor time_token(const at::Tensor& noise_labels, int64_t batch, const at::Tensor& class_labels,
                        const at::Tensor& augment_labels);
  // MACs of one forward for one image (conv, linear, attention matmuls; map_augment excluded:
  // it runs only in training).
  double macs_per_image() const override;
  const DiffiTImageConfig& config() const { return config_; }

 private:
  at::Tensor downsample(const DiffiTStage& stage, const at::Tensor& x) const;
  at::Tensor upsample(const DiffiTStage& stage, const at::Tensor& x) const;

  DiffiTImageConfig config_;
  std::shared_ptr<edm::Linear> map_label, map_augment, map_layer0, map_layer1;
  std::vector<std::shared_ptr<DiffiTStage>> enc_, dec_;
  std::shared_ptr<edm::GroupNorm> out_norm;
  std::shared_ptr<edm::Conv2d> out_conv;
};

// The arch "diffit-image" entry point for the model registry (wrap it with make_precond).
std::shared_ptr<UNetNet> build_diffit_image_net(const nlohmann::json& config);
std::shared_ptr<DiffiTImageNet> make_diffit_image_net(const DiffiTImageConfig& config);

// The state_dict a PyTorch module with this structure would produce, in its order
// (each module: own parameters, own buffers, then children): name -> shape.
std::vector<std::pair<std::string, std::vector<int64_t>>> ordered_state_shapes(
    const torch::nn::Module& module, const std::string& prefix = "");

}  // namespace diffbench
