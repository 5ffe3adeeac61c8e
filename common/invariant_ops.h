// Convolution and linear layers whose result for one image does not depend on the other images of
// its batch, nor on the thread count. ATen's at::conv2d chooses its algorithm by batch size and
// thread count (a batch below 16 on one thread goes to im2col + BLAS for 1x1 kernels), and OpenBLAS
// chooses its kernels by matrix size, so an image's pixels or features moved by ~1e-6 with the batch
// it was computed in. On CPU in float32 these call oneDNN's direct convolution, whose value per
// image is fixed (measured: bit-identical for batches 1/7/16/50 and 1/2/3/4/8 threads); elsewhere
// (CUDA, autocast, other dtypes, builds without oneDNN) and in grad mode (training) they are
// at::conv2d / at::linear.
#pragma once
#include <ATen/Tensor.h>
#include <c10/util/ArrayRef.h>

namespace diffbench {

// x [N, C, H, W], w [O, C/groups, kh, kw], b [O] or undefined.
at::Tensor conv2d_invariant(const at::Tensor& x, const at::Tensor& w, const at::Tensor& b, at::IntArrayRef stride,
                            at::IntArrayRef padding, int64_t groups = 1);
// x [..., K], w [N, K], b [N] or undefined: y [..., N] (a 1x1 convolution with the rows as the batch).
at::Tensor linear_invariant(const at::Tensor& x, const at::Tensor& w, const at::Tensor& b);

}  // namespace diffbench
