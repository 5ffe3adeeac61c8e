// EDM's samplers (generate.py, baselines.md §6): the 2nd-order Heun sampler with stochastic churn
// (edm_sampler) and its 1st-order Euler variant, for "denoiser" models. The state is float64, the
// network runs in float32; noise comes from a NoiseSource, one float64 draw per step even when
// S_churn = 0 (pitfalls #43), so seeded runs match the reference draw for draw.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <ATen/Tensor.h>
#include <nlohmann/json.hpp>

namespace diffbench {

class DiffusionModel;
class NoiseSource;

struct EdmSamplerOptions {
  std::string solver = "heun";  // "heun" (NFE 2N-1) | "euler" (NFE N)
  int num_steps = 18;
  double sigma_min = 0.002, sigma_max = 80.0, rho = 7.0;
  double S_churn = 0.0, S_min = 0.0, S_max = 1.0 / 0.0, S_noise = 1.0;
  // Classifier-free guidance in D-space: D_u + s (D_c - D_u), D_u with all-zero labels (EDM's
  // dropped label); one doubled-batch call per evaluation. 1 = off.
  double cfg_scale = 1.0;
  // Keys: solver, num_steps, sigma_min, sigma_max, rho, S_churn, S_min, S_max, S_noise, cfg_scale.
  static EdmSamplerOptions from_json(const nlohmann::json& j, const std::string& origin);
};

struct SamplerStats {
  int64_t net_calls = 0;  // batched network calls
  int64_t nfe = 0;        // network evaluations per image (a CFG call counts 2)
  int64_t noise_draws = 0;
};

// Called before each network evaluation with the float64 x and sigma (for logs and golden tests).
using NetCallObserver = std::function<void(const at::Tensor& x, double sigma)>;

// t_0..t_{N-1} (rho schedule in float64, clamped to the model's sigma range and rounded by it) and t_N = 0.
std::vector<double> edm_time_steps(const DiffusionModel& net, const EdmSamplerOptions& options);

// latents [B,C,H,W] ~ N(0,1) (float32 as drawn); class_labels one-hot [B,num_classes] or undefined.
// Returns the float64 samples (images in about [-1,1]).
at::Tensor edm_sample(DiffusionModel& net, const at::Tensor& latents, const at::Tensor& class_labels,
                      NoiseSource& noise, const EdmSamplerOptions& options, SamplerStats* stats = nullptr,
                      const NetCallObserver& observer = {});

// EDM's per-image draw order: latents randn [C,H,W] float32, then (conditional nets only) the
// label randint; `class_override` >= 0 replaces the drawn label after the draw.
struct EdmDraws {
  at::Tensor latents;       // [B,C,H,W] float32
  at::Tensor labels;        // [B] int64 or undefined
  at::Tensor class_onehot;  // [B,num_classes] float32 or undefined
};
EdmDraws edm_draw_inputs(const DiffusionModel& net, NoiseSource& noise, int64_t batch, int class_override = -1);

}  // namespace diffbench
