// The FID Inception-v3 (pytorch-fid's `fid_inception_v3`, metrics.md §1): the 2015 TF graph's network with
// 1008 classes, count_include_pad=False average pools, a max-pool branch in Mixed_7c and BN eps 0.001.
// Module names equal pytorch-fid's state_dict names, so its weights file loads by name.
//
// Taps: pool3 (2048, FID/KID/P-R), IS logits (pool3 · fc.weightᵀ, no bias, 1008), sFID spatial
// (Mixed_6d.branch1x1 after BN+ReLU, first 7 channels, 17x17, flattened H, W, C: 2023).
#pragma once
#include <torch/nn/module.h>
#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>

#include <ATen/Tensor.h>

namespace diffbench {

// Which outputs a forward pass computes (pool3 is always computed: the others derive from the same pass).
struct InceptionTaps {
  bool logits = false;
  bool spatial = false;
};

struct InceptionOutputs {
  at::Tensor pool3;    // [N, 2048]
  at::Tensor logits;   // [N, 1008] when asked
  at::Tensor spatial;  // [N, 2023] when asked
};

// One of the 94 units: conv (no bias) -> BatchNorm(eps 0.001, running statistics) -> ReLU.
class InceptionUnitImpl : public torch::nn::Module {
 public:
  InceptionUnitImpl(int64_t in, int64_t out, int64_t kh, int64_t kw, int64_t stride = 1, int64_t ph = 0,
                    int64_t pw = 0);
  at::Tensor forward(const at::Tensor& x);
  // Folds BN into the conv's weight and a bias (computed in float64). Faster, but rounds differently:
  // features then differ from the reference by up to 1.7e-4 on the golden set (measured).
  void fold_batchnorm();
  torch::nn::Conv2d conv{nullptr};
  torch::nn::BatchNorm2d bn{nullptr};

 private:
  std::array<int64_t, 2> stride_, padding_;
  at::Tensor folded_weight_, folded_bias_;
};
TORCH_MODULE(InceptionUnit);

class FidInceptionV3Impl : public torch::nn::Module {
 public:
  FidInceptionV3Impl();
  // x: [N, 3, 299, 299] float32, already resized and normalised by the input protocol (metrics/protocol.h).
  InceptionOutputs forward(const at::Tensor& x, const InceptionTaps& taps = {});
  void fold_batchnorm();  // on every unit (see InceptionUnitImpl::fold_batchnorm)
  torch::nn::Linear fc{nullptr};
};
TORCH_MODULE(FidInceptionV3);

// The 94 unit names in state_dict order (Appendix A), e.g. "Mixed_6d.branch1x1".
std::vector<std::string> inception_unit_names();

}  // namespace diffbench
