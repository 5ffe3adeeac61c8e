// Fréchet distance between two Gaussians (FID, sFID): ‖μ1−μ2‖² + tr Σ1 + tr Σ2 − 2 tr √(Σ1Σ2),
// in float64, never NaN or complex.
//
// tr √(Σ1Σ2) methods:
//   Symmetric  Σ1 = LLᵀ (Cholesky), eigenvalues of the symmetric LᵀΣ2L; exact, fast. Needs Σ1 > 0.
//   EigenS1    Σ1^½ from Σ1's eigendecomposition (negative eigenvalues clipped), eigenvalues of
//              Σ1^½Σ2Σ1^½. Exact for singular Σ1 too (round-off eigenvalues are kept, as sqrtm does
//              not drop them either).
//   General    eigenvalues of the non-symmetric product Σ1Σ2 (LAPACK geev), Σ Re √λ. On rank-deficient
//              statistics (N ≤ D) this is what pytorch-fid's scipy sqrtm prints: both add √ of the
//              round-off eigenvalues of the ~D−N null directions, ~1e-5 relative above the exact value.
//   Auto       Symmetric when both Σ are numerically full rank, else General (reference parity).
// pytorch-fid adds 1e-6·I to both Σ when sqrtm returns non-finite values. That happens when some
// feature is constant in set 1 and another, different one in set 2 (exact zero eigenvalues on both
// ends of the Schur form); Auto reproduces it then and sets eps_fallback.
#pragma once
#include <string>

#include <ATen/Tensor.h>

#include "metrics/running_stats.h"

namespace diffbench {

enum class TraceSqrtMethod { Auto, Symmetric, EigenS1, General };
const char* method_name(TraceSqrtMethod method);

struct FrechetOptions {
  TraceSqrtMethod method = TraceSqrtMethod::Auto;
  bool reproduce_eps_fallback = true;  // pytorch-fid's +eps·I retry where its sqrtm would fail
  double eps = 1e-6;
};

struct FrechetResult {
  double value = 0;        // the distance
  double mean_term = 0;    // ‖μ1−μ2‖²
  double trace1 = 0, trace2 = 0;
  double trace_sqrt = 0;   // tr √(Σ1Σ2) as used in value
  TraceSqrtMethod method = TraceSqrtMethod::Auto;  // the method actually used
  bool rank_deficient = false;  // some Σ is not numerically positive definite (N ≤ D, constant features)
  bool eps_fallback = false;    // eps·I was added to both Σ inside the square root, as pytorch-fid does
};

// mu: [D], sigma: [D, D], any floating dtype (converted to float64). Errors name the mismatch.
FrechetResult frechet_distance(const at::Tensor& mu1, const at::Tensor& sigma1, const at::Tensor& mu2,
                               const at::Tensor& sigma2, const FrechetOptions& options = {});
FrechetResult frechet_distance(const FeatureStats& a, const FeatureStats& b,
                               const FrechetOptions& options = {});

// tr √(Σ1Σ2) by one method (no Auto, no eps handling): for cross-checks and benchmarks.
double trace_sqrt_product(const at::Tensor& sigma1, const at::Tensor& sigma2, TraceSqrtMethod method);
// Coupled Newton–Schulz iteration on Σ1Σ2 (normalised): an independent check for full-rank inputs.
double trace_sqrt_newton_schulz(const at::Tensor& sigma1, const at::Tensor& sigma2, int iterations = 60);

// True when pytorch-fid's scipy sqrtm(Σ1Σ2) would return non-finite values (see above).
bool sqrtm_would_fail(const at::Tensor& sigma1, const at::Tensor& sigma2);

}  // namespace diffbench
