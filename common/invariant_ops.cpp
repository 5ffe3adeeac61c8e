#include "common/invariant_ops.h"

#include <ATen/Context.h>
#include <ATen/Functions.h>
#include <c10/core/GradMode.h>

#include "common/precision.h"

namespace diffbench {

namespace {

// oneDNN's direct convolution takes float32 CPU tensors; under autocast ATen's own op must run so
// that it casts to the low precision. Training (grad mode on) keeps ATen's choice, the faster one for
// its backward pass: training is reproducible per batch size and thread count, which is all it needs.
bool use_onednn(const at::Tensor& x, const at::Tensor& w) {
  return !at::GradMode::is_enabled() && at::hasMKLDNN() && x.device().is_cpu() && x.scalar_type() == at::kFloat &&
         w.scalar_type() == at::kFloat && !x.is_mkldnn() && x.numel() > 0 &&
         !autocast_enabled(c10::DeviceType::CPU);
}

}  // namespace

at::Tensor conv2d_invariant(const at::Tensor& x, const at::Tensor& w, const at::Tensor& b, at::IntArrayRef stride,
                            at::IntArrayRef padding, int64_t groups) {
  const std::vector<int64_t> dilation = {1, 1};
  if (!use_onednn(x, w)) return at::conv2d(x, w, b, stride, padding, dilation, groups);
  auto expand = [](at::IntArrayRef v) { return v.size() == 1 ? std::vector<int64_t>{v[0], v[0]} : v.vec(); };
  return at::mkldnn_convolution(x, w, b, expand(padding), expand(stride), dilation, groups);
}

at::Tensor linear_invariant(const at::Tensor& x, const at::Tensor& w, const at::Tensor& b) {
  if (!use_onednn(x, w)) return at::linear(x, w, b);
  const int64_t k = w.size(1), n = w.size(0);
  std::vector<int64_t> out_shape = x.sizes().vec();
  out_shape.back() = n;
  const at::Tensor rows = x.reshape({-1, k, 1, 1});
  const at::Tensor y = at::mkldnn_convolution(rows, w.view({n, k, 1, 1}), b, {0, 0}, {1, 1}, {1, 1}, 1);
  return y.view(out_shape);
}

}  // namespace diffbench
