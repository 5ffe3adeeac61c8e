#include "metrics/inception_loops.h"

#include <algorithm>
#include <cmath>

namespace diffbench {

namespace {

// Each loop is written once, inlined into a plain copy and, on x86-64, an AVX2+FMA copy chosen at run time
// (std::fma is one instruction there and a library call in the plain copy).
#define DIFFBENCH_LOOP static inline __attribute__((always_inline))

DIFFBENCH_LOOP void batchnorm_relu_loop(float* q, int64_t n, float alpha, float beta) {
  for (int64_t i = 0; i < n; ++i) q[i] = std::max(std::fma(q[i], alpha, beta), 0.0f);
}

DIFFBENCH_LOOP void max_pool_loop(const float* src, float* dst, int64_t h, int64_t w) {
  const int64_t oh = (h - 3) / 2 + 1, ow = (w - 3) / 2 + 1;
  for (int64_t i = 0; i < oh; ++i) {
    const float* r = src + 2 * i * w;
    float* out = dst + i * ow;
    for (int64_t j = 0; j < ow; ++j) {
      // The window in ATen's order; a later value wins if greater, or if NaN.
      float best = r[2 * j];
      for (int64_t di = 0; di < 3; ++di)
        for (int64_t dj = 0; dj < 3; ++dj) {
          const float v = r[di * w + 2 * j + dj];
          if (v > best || std::isnan(v)) best = v;
        }
      out[j] = best;
    }
  }
}

// The mean of src's window rows [i0, i1) x columns [j0, j1) in ATen's order: a float sum from 0 over the
// rows, then the columns, divided by the count of valid pixels.
DIFFBENCH_LOOP float window_mean(const float* src, int64_t w, int64_t i0, int64_t i1, int64_t j0, int64_t j1) {
  float sum = 0;
  for (int64_t a = i0; a < i1; ++a)
    for (int64_t b = j0; b < j1; ++b) sum += src[a * w + b];
  return sum / static_cast<float>((i1 - i0) * (j1 - j0));
}

// Output row i of the 3x3 average. Interior columns of a two- or three-row window are written out, in the
// same order as window_mean, so that they vectorise; everything else goes through window_mean.
DIFFBENCH_LOOP void avg_row(const float* src, int64_t h, int64_t w, int64_t i, float* out) {
  const int64_t i0 = std::max<int64_t>(i - 1, 0), i1 = std::min<int64_t>(i + 2, h), rows = i1 - i0;
  auto edge = [&](int64_t j) {
    return window_mean(src, w, i0, i1, std::max<int64_t>(j - 1, 0), std::min<int64_t>(j + 2, w));
  };
  if (rows == 1 || w < 3) {
    for (int64_t j = 0; j < w; ++j) out[j] = edge(j);
    return;
  }
  const float* r0 = src + i0 * w;
  const float* r1 = r0 + w;
  const float n = static_cast<float>(rows * 3);
  out[0] = edge(0);
  if (rows == 3) {
    const float* r2 = r1 + w;
    for (int64_t j = 1; j < w - 1; ++j) {
      float sum = 0;
      sum += r0[j - 1]; sum += r0[j]; sum += r0[j + 1];
      sum += r1[j - 1]; sum += r1[j]; sum += r1[j + 1];
      sum += r2[j - 1]; sum += r2[j]; sum += r2[j + 1];
      out[j] = sum / n;
    }
  } else {
    for (int64_t j = 1; j < w - 1; ++j) {
      float sum = 0;
      sum += r0[j - 1]; sum += r0[j]; sum += r0[j + 1];
      sum += r1[j - 1]; sum += r1[j]; sum += r1[j + 1];
      out[j] = sum / n;
    }
  }
  out[w - 1] = edge(w - 1);
}

DIFFBENCH_LOOP void avg_pool_loop(const float* src, float* dst, int64_t h, int64_t w) {
  for (int64_t i = 0; i < h; ++i) avg_row(src, h, w, i, dst + i * w);
}

#if defined(__x86_64__) && defined(__GNUC__)
#define DIFFBENCH_AVX2 __attribute__((target("avx2,fma")))
DIFFBENCH_AVX2 void batchnorm_relu_avx2(float* q, int64_t n, float a, float b) { batchnorm_relu_loop(q, n, a, b); }
DIFFBENCH_AVX2 void avg_pool_avx2(const float* s, float* d, int64_t h, int64_t w) { avg_pool_loop(s, d, h, w); }
const bool kAvx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
void batchnorm_relu_avx2(float* q, int64_t n, float a, float b) { batchnorm_relu_loop(q, n, a, b); }
void avg_pool_avx2(const float* s, float* d, int64_t h, int64_t w) { avg_pool_loop(s, d, h, w); }
const bool kAvx2 = false;
#endif

}  // namespace

void batchnorm_relu_plane(float* q, int64_t n, float alpha, float beta) {
  if (kAvx2) batchnorm_relu_avx2(q, n, alpha, beta);
  else batchnorm_relu_loop(q, n, alpha, beta);
}

void max_pool_3x3_stride2_plane(const float* src, float* dst, int64_t h, int64_t w) { max_pool_loop(src, dst, h, w); }

void avg_pool_3x3_same_plane(const float* src, float* dst, int64_t h, int64_t w) {
  if (kAvx2) avg_pool_avx2(src, dst, h, w);
  else avg_pool_loop(src, dst, h, w);
}

}  // namespace diffbench
