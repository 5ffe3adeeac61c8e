// Classifier-free guidance for eps-predicting transformers (baselines.md §9, diffit.md §2.10).
// The guidance scale, channels and schedule are explicit config fields: the published presets
// differ in all three (DiT 1.5 first3 constant, DiffiT-256 4.4 power-cosine, DiffiT-512 1.49).
#pragma once
#include <string>

#include <ATen/Tensor.h>
#include <nlohmann/json.hpp>

namespace diffbench {

class DiffusionModel;

enum class GuidanceChannels { First3, All };           // DiT/DiffiT slice [:, :3]; diffusers/LDM all eps
enum class GuidanceSchedule { Constant, PowerCosine };  // DiffiT-256 ramps the scale with t

struct Guidance {
  double scale = 1.0;
  GuidanceChannels channels = GuidanceChannels::First3;
  GuidanceSchedule schedule = GuidanceSchedule::Constant;
  double power = 4.0;         // scale_pow of the power-cosine ramp
  int diffusion_steps = 1000; // t is divided by this (original DDPM index)
};

// JSON object {"scale", "channels": "first3"|"all", "schedule": "constant"|"power_cosine",
// "power", "diffusion_steps"}; every field required except power/diffusion_steps for constant.
// `origin` names the config in errors.
Guidance parse_guidance(const nlohmann::json& j, const std::string& origin);
nlohmann::json guidance_to_json(const Guidance& g);

// Per-sample guidance scale s(t) [B] float32 for original timesteps t [B].
// power_cosine: s = (scale - 1) * 0.5 * (1 - cos(pi * (1 - t/steps)^power)) + 1.
at::Tensor guidance_scale_at(const Guidance& g, const at::Tensor& t);

// Combines one network output of a [cond; uncond] batch: out [2B, 2C, H, W], t [2B].
// Guided eps = u + s (c - u) on the guided channels, written to both halves; the other
// channels (eps channel 3 for first3, and the variance values) keep each half's own output.
at::Tensor apply_guidance(const at::Tensor& out, const at::Tensor& t, const Guidance& g,
                          int eps_channels);

// The official forward_with_cfg: runs the model once on cat(x[:B/2], x[:B/2]) with t, y
// (labels [classes; null]) and applies guidance. The second half of x is ignored, as there.
at::Tensor forward_with_cfg(DiffusionModel& model, const at::Tensor& x, const at::Tensor& t,
                            const at::Tensor& y, const Guidance& g);

}  // namespace diffbench
