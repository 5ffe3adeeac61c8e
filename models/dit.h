// DiT (facebookresearch/DiT models.py; baselines.md §7): adaLN-Zero transformer blocks on latent
// patches. Keys match the official state_dict (292 tensors for DiT-XL/2).
#pragma once
#include <memory>
#include <vector>

#include "models/transformer_common.h"

namespace diffbench {

class DiTBlock : public torch::nn::Module {
 public:
  DiTBlock(const PatchTransformerConfig& c, const at::TensorOptions& opts);
  at::Tensor forward(const at::Tensor& x, const at::Tensor& c);
 private:
  std::shared_ptr<LinearLayer> qkv_, proj_, ada_;
  std::shared_ptr<Mlp> mlp_;
  int64_t heads_;
};

class DiTModel : public PatchTransformer {
 public:
  // config: the official DiT constructor arguments plus "arch": "dit" and "guidance".
  explicit DiTModel(PatchTransformerConfig config, const at::TensorOptions& opts = {});
  at::Tensor forward(const at::Tensor& x, const at::Tensor& t, const at::Tensor& y) override;
  double macs_per_image() const override;
 private:
  std::vector<std::shared_ptr<DiTBlock>> block_list_;
  std::shared_ptr<LinearLayer> final_linear_, final_ada_;
};

}  // namespace diffbench
