// The Stable Diffusion VAE (kl-f8) decoder with LDM's module names (baselines.md §11):
// decode(z) = decoder(post_quant_conv(z)). Diffusers and legacy-diffusers files load through
// vae_state_to_ldm, which renames keys and reshapes [C,C] attention weights to [C,C,1,1].
#pragma once
#include <memory>
#include <string>
#include <vector>

#include <ATen/Tensor.h>
#include <nlohmann/json.hpp>
#include <torch/nn/module.h>

#include "models/edm_layers.h"

namespace diffbench {

class StateDict;

// LDM Decoder arguments (ddconfig) plus AutoencoderKL's embed_dim; defaults are kl-f8's.
struct VaeDecoderConfig {
  int ch = 128, out_ch = 3;
  std::vector<int> ch_mult{1, 2, 4, 4};
  int num_res_blocks = 2;
  std::vector<int> attn_resolutions{};
  double dropout = 0.0;
  bool resamp_with_conv = true;
  int in_channels = 3, resolution = 256, z_channels = 4;
  int embed_dim = 4;
  double scaling_factor = 0.18215;  // pipelines decode z / scaling_factor (outside decode())
  static VaeDecoderConfig from_json(const nlohmann::json& config);  // "arch": "sd-vae-decoder"
};

namespace vae {

// GroupNorm(32, eps 1e-6) -> swish -> 3x3 conv, twice; 1x1 nin_shortcut when channels change.
class ResnetBlock : public torch::nn::Module {
 public:
  ResnetBlock(int64_t in, int64_t out, double dropout);
  at::Tensor forward(const at::Tensor& x);
  double macs(int res) const;
 private:
  std::shared_ptr<edm::GroupNorm> norm1, norm2;
  std::shared_ptr<edm::Conv2d> conv1, conv2, nin_shortcut;
  double dropout_;
};

// Single-head spatial self-attention with 1x1-conv q, k, v, proj_out.
class AttnBlock : public torch::nn::Module {
 public:
  explicit AttnBlock(int64_t channels);
  at::Tensor forward(const at::Tensor& x);
  double macs(int res) const;
 private:
  std::shared_ptr<edm::GroupNorm> norm;
  std::shared_ptr<edm::Conv2d> q, k, v, proj_out;
};

}  // namespace vae

// LDM's Decoder: conv_in, mid (block_1, attn_1, block_2), up.{L}.{block, attn, upsample}, norm_out, conv_out.
class VaeDecoder : public torch::nn::Module {
 public:
  explicit VaeDecoder(const VaeDecoderConfig& config);
  at::Tensor forward(const at::Tensor& z);
  double macs(int latent_res) const;
 private:
  struct Level {
    std::vector<std::shared_ptr<vae::ResnetBlock>> blocks;
    std::vector<std::shared_ptr<vae::AttnBlock>> attns;
    std::shared_ptr<edm::Conv2d> upsample;  // nullptr at level 0
  };
  VaeDecoderConfig cfg_;
  std::shared_ptr<edm::Conv2d> conv_in, conv_out;
  std::shared_ptr<vae::ResnetBlock> mid_block_1, mid_block_2;
  std::shared_ptr<vae::AttnBlock> mid_attn_1;
  std::vector<Level> levels_;
  std::shared_ptr<edm::GroupNorm> norm_out;
};

// AutoencoderKL's decoding half: submodules "decoder" and "post_quant_conv" (keys as in LDM files).
class SdVaeDecoder : public torch::nn::Module {
 public:
  explicit SdVaeDecoder(const VaeDecoderConfig& config);
  at::Tensor decode(const at::Tensor& z);               // decoder(post_quant_conv(z)), float32
  at::Tensor decoder_forward(const at::Tensor& z);      // decoder alone
  // Loads LDM, diffusers or legacy-diffusers weights (full autoencoder files too: the encoder,
  // quant_conv and loss entries are ignored). Strict on everything the decoder needs.
  void load(const StateDict& state, const std::string& origin);
  double macs_per_image() const;  // one decode at the config's latent size
  const VaeDecoderConfig& config() const { return cfg_; }
  VaeDecoder& decoder_module() { return *decoder; }
 private:
  VaeDecoderConfig cfg_;
  std::shared_ptr<VaeDecoder> decoder;
  std::shared_ptr<edm::Conv2d> post_quant_conv;
};

// Renames a VAE state dict to LDM names ("decoder.*", "post_quant_conv.*"), dropping other entries.
// Accepts: LDM AutoencoderKL (optionally prefixed "first_stage_model." / "vae."), a bare LDM Decoder
// state dict (no prefix), diffusers AutoencoderKL names and the legacy query/key/value/proj_attn names;
// [C,C] attention weights become [C,C,1,1].
StateDict vae_state_to_ldm(const StateDict& state);

std::shared_ptr<SdVaeDecoder> build_vae_decoder(const nlohmann::json& config);

}  // namespace diffbench
