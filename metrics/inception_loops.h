// The plain loops behind metrics/inception_ops.h, on one [H, W] float plane, free of LibTorch types. On x86-64
// the BN+ReLU and average-pool loops also get an AVX2+FMA copy, picked at run time; the arithmetic is the
// same in every copy.
#pragma once
#include <cstdint>

namespace diffbench {

// q[i] = max(fma(q[i], alpha, beta), 0) for i < n.
void batchnorm_relu_plane(float* q, int64_t n, float alpha, float beta);
// dst [(h-3)/2+1, (w-3)/2+1] = 3x3 stride-2 max of src [h, w] (h, w >= 3); NaN wins, as in ATen.
void max_pool_3x3_stride2_plane(const float* src, float* dst, int64_t h, int64_t w);
// dst [h, w] = mean of the valid pixels of each 3x3 window of src [h, w], summed in row-major window order.
void avg_pool_3x3_same_plane(const float* src, float* dst, int64_t h, int64_t w);

}  // namespace diffbench
