// Building blocks shared by DiT and latent DiffiT (baselines.md §7, diffit.md §2): the config,
// the embedders (patch, timestep, label, 2-D sin-cos positions), the MLP and the patch-transformer
// base that owns them. Parameters are created with torch::empty on the requested device and are
// meant to be loaded from a checkpoint; on the meta device a full-size model costs no memory.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include <ATen/Tensor.h>
#include <nlohmann/json.hpp>
#include <torch/nn/module.h>

#include "models/guidance.h"
#include "models/model.h"

namespace diffbench {

// ---- Config: the official constructor arguments plus "arch" and "guidance" -------------------
struct PatchTransformerConfig {
  std::string arch;  // "dit" or "diffit-latent"
  int input_size = 32;
  int patch_size = 2;
  int in_channels = 4;
  int hidden_size = 1152;
  int depth = 28;
  int num_heads = 16;
  double mlp_ratio = 4.0;
  double class_dropout_prob = 0.1;
  int num_classes = 1000;
  bool learn_sigma = true;
  Guidance guidance;

  int out_channels() const { return learn_sigma ? 2 * in_channels : in_channels; }
  int grid() const { return input_size / patch_size; }
  int tokens() const { return grid() * grid(); }
  int mlp_hidden() const { return static_cast<int>(hidden_size * mlp_ratio); }  // Python int()
  int head_dim() const { return hidden_size / num_heads; }
  bool has_null_class() const { return class_dropout_prob > 0; }  // the official table's extra row
};

// Every structural key is required (the DiffiT class default depth 30 is a known trap); keys in
// `ignored` are accepted and unused (DiffiT's mask_ratio, decode_layer). Errors name the key.
PatchTransformerConfig parse_patch_transformer_config(const nlohmann::json& j,
                                                      const std::vector<std::string>& ignored);
nlohmann::json patch_transformer_config_to_json(const PatchTransformerConfig& c);

// ---- Functional pieces -------------------------------------------------------------------------
// [B] timesteps -> [B, dim] float32, [cos, sin] halves, freq_k = exp(-ln(max_period) k / half).
at::Tensor timestep_embedding(const at::Tensor& t, int64_t dim, double max_period = 10000.0);
// MAE 2-D sin-cos table [grid*grid, dim] float32 (computed in float64): first half from the column
// coordinate, second from the row, each [sin, cos]; tokens row-major.
at::Tensor sincos_pos_embed_2d(int64_t dim, int64_t grid);
// LayerNorm without affine, eps 1e-6 (every norm of both models).
at::Tensor layer_norm_plain(const at::Tensor& x);
// [B, T, p*p*C] -> [B, C, g*p, g*p]; per-token vector ordered (p_row, p_col, channel).
at::Tensor unpatchify(const at::Tensor& x, int64_t channels, int64_t patch);

// ---- Modules (names as the official state_dict) -------------------------------------------------
class LinearLayer : public torch::nn::Module {  // nn.Linear: weight [out, in], bias [out]
 public:
  LinearLayer(int64_t in, int64_t out, const at::TensorOptions& opts, bool bias = true);
  at::Tensor forward(const at::Tensor& x);
  at::Tensor weight, bias;
};

class PatchEmbed : public torch::nn::Module {  // timm PatchEmbed: proj = Conv2d(k = s = patch)
 public:
  PatchEmbed(int64_t in_channels, int64_t dim, int64_t patch, const at::TensorOptions& opts);
  at::Tensor forward(const at::Tensor& x);  // [B, C, H, W] -> [B, T, D]
 private:
  std::shared_ptr<torch::nn::Module> proj_;
  at::Tensor weight_, bias_;
  int64_t patch_;
};

class TimestepEmbedder : public torch::nn::Module {  // mlp.0 Linear(256, D), SiLU, mlp.2 Linear(D, D)
 public:
  TimestepEmbedder(int64_t dim, const at::TensorOptions& opts, int64_t freq_dim = 256);
  at::Tensor forward(const at::Tensor& t);
 private:
  std::shared_ptr<LinearLayer> fc0_, fc2_;
  int64_t freq_dim_;
};

class LabelEmbedder : public torch::nn::Module {  // embedding_table [num_classes (+1 null), D]
 public:
  LabelEmbedder(int64_t num_classes, int64_t dim, bool null_class, const at::TensorOptions& opts);
  at::Tensor forward(const at::Tensor& y);
 private:
  at::Tensor table_;
};

class Mlp : public torch::nn::Module {  // timm Mlp: fc1, GELU (tanh approximation), fc2
 public:
  Mlp(int64_t dim, int64_t hidden, const at::TensorOptions& opts);
  at::Tensor forward(const at::Tensor& x);
 private:
  std::shared_ptr<LinearLayer> fc1_, fc2_;
};

// Softmax((q * hd^-1/2) k^T + bias) v over [B, N, 3D] packed qkv (rows [q | k | v], heads contiguous).
// bias [H, N, N] or undefined. Returns [B, N, D] with heads concatenated.
at::Tensor multi_head_attention(const at::Tensor& qkv, int64_t heads, const at::Tensor& bias);

// ---- The patch-transformer base: embedders, blocks holder, the DiffusionModel plumbing ---------
class PatchTransformer : public DiffusionModel {
 public:
  PatchTransformer(PatchTransformerConfig config, const at::TensorOptions& opts);
  std::string kind() const override { return "ddpm-eps"; }
  std::string arch() const override { return config_.arch; }
  int channels() const override { return config_.in_channels; }
  int resolution() const override { return config_.input_size; }
  int num_classes() const override { return config_.num_classes; }
  const PatchTransformerConfig& config() const { return config_; }
  const Guidance& guidance() const { return config_.guidance; }
  int null_class() const { return config_.num_classes; }
  // forward_with_cfg with the config's guidance, or an override (the golden cases use 4.0).
  at::Tensor forward_with_cfg(const at::Tensor& x, const at::Tensor& t, const at::Tensor& y);
  at::Tensor forward_with_cfg(const at::Tensor& x, const at::Tensor& t, const at::Tensor& y,
                              const Guidance& g);

 protected:
  // x + pos_embed tokens [B, T, D] and the condition c = t_emb + y_emb [B, D].
  at::Tensor embed_tokens(const at::Tensor& x);
  at::Tensor embed_condition(const at::Tensor& t, const at::Tensor& y);
  // MACs of the parts both models share (patch conv, t MLP, qkv/proj/MLP/attention per block,
  // final linear); subclasses add their conditioning projections.
  double shared_macs() const;

  PatchTransformerConfig config_;
  at::Tensor pos_embed_;
  std::shared_ptr<PatchEmbed> x_embedder_;
  std::shared_ptr<TimestepEmbedder> t_embedder_;
  std::shared_ptr<LabelEmbedder> y_embedder_;
  std::shared_ptr<torch::nn::Module> blocks_;  // children "0".."depth-1"
};

// Fills every learnable tensor with N(0, 1/fan_in) (1-D ones with N(0, 0.02^2)), leaving the
// fixed pos_embed and buffers alone: deterministic random weights for demos and tests.
void randomize_weights(torch::nn::Module& module, uint64_t seed);
// Sum of numel over all parameters (frozen ones included), as the golden keys.txt counts.
int64_t count_parameters(const torch::nn::Module& module);

}  // namespace diffbench
