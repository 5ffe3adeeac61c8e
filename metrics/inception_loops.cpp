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

// One output row of the 3x3 average: rows [first, first + rows) of the window, ATen's summation order (a
// float sum from 0, window rows then columns) and its divisor (the count of valid pixels).
DIFFBENCH_LOOP void avg_row(const float* first, int64_t rows, int64_t w, float* out) {
  const float* r0 = first;
  const float* r1 = first + w;
  const float* r2 = rows == 3 ? first + 2 * w : first;
  auto edge = [&](int64_t j0, int64_t j1) {
    float sum = 0;
    for (int64_t a = 0; a < rows; ++a)
      for (int64_t b = j0; b < j1; ++b) sum += first[a * w + b];
    return sum / static_cast<float>(rows * (j1 - j0));
  };
  if (w == 1) {
    out[0] = edge(0, 1);
    return;
  }
  out[0] = edge(0, 2);
  const float n = static_cast<float>(rows * 3);
  if (rows == 3) {
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
  out[w - 1] = edge(w - 2, w);
}

DIFFBENCH_LOOP void avg_pool_loop(const float* src, float* dst, int64_t h, int64_t w) {
  for (int64_t i = 0; i < h; ++i) {
    const int64_t i0 = std::max<int64_t>(i - 1, 0), i1 = std::min<int64_t>(i + 2, h);
    if (i1 - i0 == 1) {  // a single row (h == 1): the edge rule covers it
      float* out = dst + i * w;
      for (int64_t j = 0; j < w; ++j) {
        const int64_t j0 = std::max<int64_t>(j - 1, 0), j1 = std::min<int64_t>(j + 2, w);
        float sum = 0;
        for (int64_t b = j0; b < j1; ++b) sum += src[i0 * w + b];
        out[j] = sum / static_cast<float>(j1 - j0);
      }
      continue;
    }
    avg_row(src + i0 * w, i1 - i0, w, dst + i * w);
  }
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
