#include "metrics/inception_ops.h"

#include "metrics/inception_loops.h"

#include <ATen/Functions.h>
#include <ATen/Parallel.h>

#include <algorithm>
#include <cmath>
#include <vector>

namespace diffbench {

namespace {

bool use_kernel(const at::Tensor& x) {
  return x.device().is_cpu() && x.scalar_type() == at::kFloat && x.dim() == 4 && x.is_contiguous() &&
         !x.requires_grad();
}

// Runs plane(p) for every [H, W] plane of an [N, C, H, W] tensor, planes split over the intra-op threads.
template <typename F>
void for_each_plane(int64_t planes, int64_t plane_size, const F& plane) {
  const int64_t grain = std::max<int64_t>(1, 16384 / std::max<int64_t>(1, plane_size));
  at::parallel_for(0, planes, grain, [&](int64_t begin, int64_t end) {
    for (int64_t p = begin; p < end; ++p) plane(p);
  });
}

}  // namespace

at::Tensor batchnorm_relu_(at::Tensor& y, const at::Tensor& weight, const at::Tensor& bias, const at::Tensor& mean,
                           const at::Tensor& var, double eps) {
  if (!use_kernel(y) || weight.scalar_type() != at::kFloat) {
    y = at::batch_norm(y, weight, bias, mean, var, /*training=*/false, 0.0, eps, /*cudnn_enabled=*/true);
    return y.relu_();
  }
  // ATen's eval-mode terms, in float: alpha = weight / sqrt(var + eps), beta = bias - mean * alpha, and
  // y * alpha + beta, with the fused multiply-adds its AVX2 and AVX-512 kernels are compiled to.
  const int64_t channels = y.size(1), plane_size = y.size(2) * y.size(3);
  const at::Tensor w = weight.contiguous(), b = bias.contiguous(), m = mean.contiguous(), v = var.contiguous();
  std::vector<float> alpha(static_cast<size_t>(channels)), beta(static_cast<size_t>(channels));
  for (int64_t c = 0; c < channels; ++c) {
    const float invstd = 1 / std::sqrt(v.data_ptr<float>()[c] + static_cast<float>(eps));
    alpha[c] = invstd * w.data_ptr<float>()[c];
    beta[c] = std::fma(-m.data_ptr<float>()[c], alpha[c], b.data_ptr<float>()[c]);
  }
  float* data = y.data_ptr<float>();
  for_each_plane(y.size(0) * channels, plane_size, [&](int64_t p) {
    batchnorm_relu_plane(data + p * plane_size, plane_size, alpha[p % channels], beta[p % channels]);
  });
  return y;
}

at::Tensor max_pool_3x3_stride2(const at::Tensor& x) {
  if (!use_kernel(x) || x.size(2) < 3 || x.size(3) < 3) return at::max_pool2d(x, {3, 3}, {2, 2});
  const int64_t h = x.size(2), w = x.size(3), oh = (h - 3) / 2 + 1, ow = (w - 3) / 2 + 1;
  at::Tensor out = at::empty({x.size(0), x.size(1), oh, ow}, x.options());
  const float* in = x.data_ptr<float>();
  float* o = out.data_ptr<float>();
  for_each_plane(x.size(0) * x.size(1), h * w,
                 [&](int64_t p) { max_pool_3x3_stride2_plane(in + p * h * w, o + p * oh * ow, h, w); });
  return out;
}

at::Tensor avg_pool_3x3_same(const at::Tensor& x) {
  if (!use_kernel(x))
    return at::avg_pool2d(x, {3, 3}, {1, 1}, {1, 1}, /*ceil_mode=*/false, /*count_include_pad=*/false);
  const int64_t h = x.size(2), w = x.size(3);
  at::Tensor out = at::empty_like(x);
  const float* in = x.data_ptr<float>();
  float* o = out.data_ptr<float>();
  for_each_plane(x.size(0) * x.size(1), h * w,
                 [&](int64_t p) { avg_pool_3x3_same_plane(in + p * h * w, o + p * h * w, h, w); });
  return out;
}

}  // namespace diffbench
