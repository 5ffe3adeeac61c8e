// The DiffiT ResBlock of the image-space model (diffit.md §3.1 Eqs. 9-10, §3.3):
//   h = conv0(SiLU(norm0(x)));  tokens of h in w×w windows:
//   z = z + attn(LN(z), x_t);  z = z + mlp(LN(z));  out = windows back to the map + x.
#pragma once
#include <cstdint>
#include <memory>

#include <ATen/Tensor.h>
#include <torch/nn/module.h>

#include "models/edm_layers.h"
#include "models/tmsa.h"

namespace diffbench {

struct DiffiTBlockOptions {
  int64_t channels = 128;
  int64_t num_heads = 4;
  int64_t window = 4;
  int64_t emb_channels = 512;  // time-token channels
  TimeAttention attention = TimeAttention::Tmsa;
  int64_t mlp_hidden = 512;    // fc1 width
  double dropout = 0.0;        // on the MLP hidden activations, training only
  int64_t gn_groups = 32;      // EDM rule: min(gn_groups, C / 4) groups
  double gn_eps = 1e-6;
  double ln_eps = 1e-6;        // LayerNorms carry no affine parameters
  bool gelu_tanh = true;       // GELU tanh approximation (as latent DiffiT) or exact erf
};

// mlp.fc1 (C -> hidden), GELU, dropout, mlp.fc2 (hidden -> C).
class DiffiTMlp : public torch::nn::Module {
 public:
  DiffiTMlp(int64_t channels, int64_t hidden, double dropout, bool gelu_tanh);
  at::Tensor forward(const at::Tensor& x);
  std::shared_ptr<edm::Linear> fc1, fc2;

 private:
  double dropout_;
  bool gelu_tanh_;
};

// Keys: norm0.{weight,bias}, conv0.{weight,bias}, attn.*, mlp.fc1.*, mlp.fc2.*.
class DiffiTResBlock : public torch::nn::Module {
 public:
  explicit DiffiTResBlock(const DiffiTBlockOptions& options);
  // x (B, C, H, W) with H, W multiples of the window; temb (B, emb_channels).
  at::Tensor forward(const at::Tensor& x, const at::Tensor& temb);
  // The transformer part alone on window tokens (B·nW, w², C): what the bench times.
  at::Tensor transformer(const at::Tensor& tokens, const at::Tensor& temb);
  // MACs for one image at resolution×resolution (convs, linears, attention matmuls).
  double macs(int64_t resolution) const;
  const DiffiTBlockOptions& options() const { return options_; }

  std::shared_ptr<edm::GroupNorm> norm0;
  std::shared_ptr<edm::Conv2d> conv0;
  std::shared_ptr<WindowAttention> attn;
  std::shared_ptr<DiffiTMlp> mlp;

 private:
  DiffiTBlockOptions options_;
};

}  // namespace diffbench
