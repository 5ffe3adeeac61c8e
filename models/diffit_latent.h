// Latent DiffiT (NVlabs/DiffiT latent release; diffit.md §2): transformer blocks with
// time-dependent self-attention (TMSA): qkv of each spatial token plus qkv of the condition token,
// and a learned relative position bias over one window equal to the whole token grid.
#pragma once
#include <memory>
#include <vector>

#include "models/transformer_common.h"

namespace diffbench {

class LatentTMSA : public torch::nn::Module {
 public:
  LatentTMSA(int64_t dim, int64_t heads, int64_t window, const at::TensorOptions& opts);
  // x [B, N, D] (layer-normed tokens), c [B, D] (time + label token).
  at::Tensor forward(const at::Tensor& x, const at::Tensor& c);
 private:
  at::Tensor bias_table_, index_;
  std::shared_ptr<LinearLayer> qkv_temb_, qkv_, proj_;
  int64_t heads_;
};

class DiffiTLatentBlock : public torch::nn::Module {
 public:
  DiffiTLatentBlock(const PatchTransformerConfig& c, const at::TensorOptions& opts);
  at::Tensor forward(const at::Tensor& x, const at::Tensor& c);
 private:
  std::shared_ptr<LatentTMSA> attn_;
  std::shared_ptr<Mlp> mlp_;
};

class DiffiTLatentModel : public PatchTransformer {
 public:
  // config: the official DiffiT constructor arguments plus "arch": "diffit-latent" and "guidance".
  explicit DiffiTLatentModel(PatchTransformerConfig config, const at::TensorOptions& opts = {});
  at::Tensor forward(const at::Tensor& x, const at::Tensor& t, const at::Tensor& y) override;
  double macs_per_image() const override;
 private:
  std::vector<std::shared_ptr<DiffiTLatentBlock>> block_list_;
  std::shared_ptr<LinearLayer> final_linear_;
};

}  // namespace diffbench
