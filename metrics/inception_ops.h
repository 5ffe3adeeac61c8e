// CPU kernels for the FID Inception's cheap layers: the eval-mode BatchNorm + ReLU of a unit in one pass, the
// 3x3 stride-2 max pool and the 3x3 count_include_pad=False average pool. Each computes what ATen's op computes,
// in the same order (tests/test_inception.cpp compares bit for bit), one plane at a time so the data stays in
// cache: ATen's NCHW pools walk the window with index arithmetic per pixel and took a sixth of the network's
// time single-threaded. Other devices, dtypes and layouts go through ATen's ops.
#pragma once
#include <ATen/Tensor.h>

namespace diffbench {

// relu(batch_norm(y)) with running statistics; in place on y where the kernel applies.
at::Tensor batchnorm_relu_(at::Tensor& y, const at::Tensor& weight, const at::Tensor& bias, const at::Tensor& mean,
                           const at::Tensor& var, double eps);
// max_pool2d(x, 3, stride 2), no padding.
at::Tensor max_pool_3x3_stride2(const at::Tensor& x);
// avg_pool2d(x, 3, stride 1, padding 1, count_include_pad=False): TF's SAME average pool.
at::Tensor avg_pool_3x3_same(const at::Tensor& x);

}  // namespace diffbench
