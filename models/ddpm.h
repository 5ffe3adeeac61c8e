// Gaussian-diffusion samplers for eps-predicting networks (guided-diffusion as DiT and latent
// DiffiT ship it; baselines.md §8): beta schedules and respacing in float64, the ancestral DDPM
// step with learned-range variance, and DDIM. Per-step coefficients are cast to float32 before
// use, as the official code does. Noise comes from a NoiseSource, one draw per step.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <ATen/Tensor.h>
#include <nlohmann/json.hpp>

#include "models/guidance.h"
#include "models/noise.h"

namespace diffbench {

class DiffusionModel;

// ---- Schedules ---------------------------------------------------------------------------------
// "linear": linspace(1e-4 * 1000/T, 0.02 * 1000/T, T); "squaredcos_cap_v2": cosine alpha-bar, beta <= 0.999.
std::vector<double> named_beta_schedule(const std::string& name, int64_t steps);
// guided-diffusion space_timesteps: "250" or "10,15,20" (even sections) or "ddim50" (integer stride).
// Returns the kept original indices, sorted.
std::vector<int64_t> space_timesteps(int64_t steps, const std::string& spec);

// The float64 tables of a (respaced) process; index k = 0..K-1 is the respaced step.
struct DiffusionSchedule {
  at::Tensor timestep_map;  // int64 [K]: original index the model sees at step k
  at::Tensor betas, alphas_cumprod, alphas_cumprod_prev, alphas_cumprod_next;
  at::Tensor posterior_variance, posterior_log_variance_clipped;
  at::Tensor posterior_mean_coef1, posterior_mean_coef2;
  at::Tensor sqrt_recip_alphas_cumprod, sqrt_recipm1_alphas_cumprod;
  at::Tensor log_betas;
  int64_t size() const { return betas.size(0); }
};
// Respaced betas: beta'_k = 1 - abar[S_k] / abar[S_{k-1}] (abar before S_0 is 1); all tables
// recomputed from beta'.
DiffusionSchedule make_schedule(const std::vector<double>& betas, const std::vector<int64_t>& use_timesteps);
// create_diffusion(respacing) of DiT/DiffiT: linear betas over 1000 steps, respaced.
DiffusionSchedule make_respaced_schedule(const std::string& respacing, const std::string& noise_schedule = "linear",
                                         int64_t diffusion_steps = 1000);

// ---- Sampling ----------------------------------------------------------------------------------
// net(x, t_original [B] int64, y [B] int64) -> [B, 2C, H, W] (eps, v) or [B, C, H, W] (eps only).
using EpsModelFn = std::function<at::Tensor(const at::Tensor& x, const at::Tensor& t, const at::Tensor& y)>;

enum class VarianceType { LearnedRange, FixedSmall, FixedLarge };

struct SamplerOptions {
  std::string method = "ddpm";  // "ddpm" (ancestral p_sample) or "ddim"
  std::string respacing = "250";
  std::string noise_schedule = "linear";
  int64_t diffusion_steps = 1000;
  VarianceType variance = VarianceType::LearnedRange;  // DiT/DiffiT: learn_sigma
  double eta = 0.0;                                    // DDIM only
  bool clip_denoised = false;                          // DiT/DiffiT pass False
};
// {"method", "respacing", "eta", "clip_denoised", "variance": "learned_range"|"fixed_small"|"fixed_large",
// "noise_schedule", "diffusion_steps"}; all optional. Errors name `origin` and the key.
SamplerOptions parse_sampler_options(const nlohmann::json& j, const std::string& origin);

struct SampleStats {
  int64_t steps = 0;            // sampler steps (network calls)
  int64_t image_evaluations = 0;  // sum of batch rows over network calls (CFG doubles it)
};

// Called before each network call with loop step k (0 = first), respaced index i and x.
using StepCallback = std::function<void(int64_t step, int64_t index, const at::Tensor& x)>;

// The loop of p_sample_loop / ddim_sample_loop: starts at x_T = z, calls net at every step
// (original timesteps), draws noise.next(x.shape) at every step including the last.
at::Tensor run_sampler(const EpsModelFn& net, const DiffusionSchedule& schedule, const SamplerOptions& options,
                       const at::Tensor& z, const at::Tensor& y, NoiseSource& noise,
                       SampleStats* stats = nullptr, const StepCallback& callback = nullptr);

// Samples images of a ddpm-eps model. z [N, C, H, W] initial noise, y [N] labels. With guidance
// (scale != 1) the batch is doubled as the official scripts do ([z; z], [y; null]) and the model's
// forward_with_cfg semantics apply; the null half is dropped from the result. The noise source is
// asked for [N, ...] draws; the null half reuses them (it never reaches the kept half).
at::Tensor sample_images(DiffusionModel& model, const SamplerOptions& options, const at::Tensor& z,
                         const at::Tensor& y, NoiseSource& noise, const Guidance* guidance,
                         SampleStats* stats = nullptr);

// Per-seed generation: image i's initial noise, label (if conditional and labels undefined) and
// per-step noise come from seed i alone (PerSeedNoise, CPU mt19937), so any batch split gives the
// same images. Returns x_0 [N, C, H, W] on the model's device; labels_out receives the labels.
at::Tensor generate_per_seed(DiffusionModel& model, const SamplerOptions& options,
                             const std::vector<uint64_t>& seeds, const at::Tensor& labels,
                             const Guidance* guidance, at::Tensor* labels_out = nullptr,
                             SampleStats* stats = nullptr);

}  // namespace diffbench
