// EDM's primitives (training/networks.py, baselines.md §1): Linear, Conv2d with resampling,
// GroupNorm, the unified UNetBlock and the sinusoidal embeddings. SongUNet (DDPM++) and
// DhariwalUNet (ADM) are compositions of these that differ only in constructor arguments.
// Parameter names are EDM's, so a converted checkpoint loads strictly.
#pragma once
#include <cstdint>
#include <memory>
#include <vector>

#include <ATen/Tensor.h>
#include <torch/nn/module.h>

namespace diffbench::edm {

// How a fresh weight is initialised (EDM's weight_init); loading a checkpoint overwrites it.
enum class InitMode { XavierUniform, XavierNormal, KaimingUniform, KaimingNormal };
struct InitSpec {
  InitMode mode = InitMode::KaimingNormal;
  double weight = 1.0;
  double bias = 0.0;
};

// While alive, modules built on this thread allocate their tensors on the meta device (shapes
// only, no memory): parameter counts of full-size models cost nothing.
class MetaScope {
 public:
  MetaScope();
  ~MetaScope();
  MetaScope(const MetaScope&) = delete;
  MetaScope& operator=(const MetaScope&) = delete;
  static bool active();
 private:
  bool previous_;
};

// A tensor of `shape` drawn per `mode` with the given fans and multiplied by `scale`
// (EDM's weight_init; empty on the meta device).
at::Tensor make_weight(at::IntArrayRef shape, InitMode mode, double scale, int64_t fan_in, int64_t fan_out);

// ---- Primitives ------------------------------------------------------------------------------

class Linear : public torch::nn::Module {
 public:
  Linear(int64_t in, int64_t out, bool bias, const InitSpec& init);
  at::Tensor forward(const at::Tensor& x);
  int64_t in_features, out_features;
  double macs() const { return static_cast<double>(in_features) * out_features; }
  at::Tensor weight, bias;
};

// kernel 0 = no weights (pure up/down resampling). The `resample_filter` buffer exists (and is
// in the state_dict) only when up or down.
class Conv2d : public torch::nn::Module {
 public:
  Conv2d(int64_t in, int64_t out, int kernel, bool bias, bool up, bool down,
         const std::vector<double>& resample_filter, const InitSpec& init);
  at::Tensor forward(const at::Tensor& x);
  int out_resolution(int in_res) const { return up_ ? in_res * 2 : down_ ? in_res / 2 : in_res; }
  double macs(int in_res) const;  // per image
  int64_t in_channels, out_channels;
  at::Tensor weight, bias, resample_filter;
 private:
  int kernel_;
  bool up_, down_;
};

// groups = min(32, C / 4).
class GroupNorm : public torch::nn::Module {
 public:
  GroupNorm(int64_t channels, double eps, int64_t num_groups = 32, int64_t min_channels_per_group = 4);
  at::Tensor forward(const at::Tensor& x);
  at::Tensor weight, bias;
 private:
  int64_t groups_;
  double eps_;
};

struct UNetBlockOptions {
  int64_t emb_channels = 0;
  int num_heads = -1;            // -1: out_channels / channels_per_head (when attention)
  int channels_per_head = 64;
  double dropout = 0.0;
  double skip_scale = 1.0;
  double eps = 1e-5;
  std::vector<double> resample_filter{1, 1};
  bool resample_proj = false;
  bool adaptive_scale = true;
  InitSpec init, init_zero, init_attn;
};

// norm0/conv0 (carries up/down), affine(emb), norm1/conv1, optional skip, optional attention
// (norm2, qkv with per-channel interleaved q|k|v rows, proj).
class UNetBlock : public torch::nn::Module {
 public:
  UNetBlock(int64_t in, int64_t out, bool up, bool down, bool attention, const UNetBlockOptions& o);
  at::Tensor forward(const at::Tensor& x, const at::Tensor& emb);
  double macs(int in_res) const;
  int out_resolution(int in_res) const { return conv0->out_resolution(in_res); }
  int64_t in_channels, out_channels;
  int num_heads;

 private:
  UNetBlockOptions o_;
  std::shared_ptr<GroupNorm> norm0, norm1, norm2;
  std::shared_ptr<Conv2d> conv0, conv1, skip, qkv, proj;
  std::shared_ptr<Linear> affine;
};

// [cos(x f), sin(x f)], f_i = (1/max_positions)^(i / (n/2 - endpoint)).
at::Tensor positional_embedding(const at::Tensor& x, int64_t num_channels, bool endpoint,
                                double max_positions = 10000);

// Sum of numel over the module's parameters (meta tensors included).
int64_t count_parameters(const torch::nn::Module& module);

}  // namespace diffbench::edm
