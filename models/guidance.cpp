#include "models/guidance.h"

#include <cmath>

#include "common/error.h"
#include "models/model.h"

namespace diffbench {

Guidance parse_guidance(const nlohmann::json& j, const std::string& origin) {
  const std::string where = origin + ": \"guidance\"";
  if (!j.is_object())
    fail(where + " must be an object {\"scale\", \"channels\", \"schedule\"} (published presets: "
                 "DiT 1.5 first3 constant, DiffiT-256 4.4 first3 power_cosine, DiffiT-512 1.49)");
  for (const auto& item : j.items()) {
    const std::string& k = item.key();
    if (k != "scale" && k != "channels" && k != "schedule" && k != "power" && k != "diffusion_steps")
      fail(where + ": unknown key \"" + k +
           "\" (expected scale, channels, schedule, power, diffusion_steps)");
  }
  for (const char* k : {"scale", "channels", "schedule"})
    if (!j.contains(k)) fail(where + ": missing \"" + std::string(k) + "\"");
  Guidance g;
  if (!j["scale"].is_number()) fail(where + ".scale must be a number");
  g.scale = j["scale"].get<double>();
  const std::string ch = j["channels"].is_string() ? j["channels"].get<std::string>() : "";
  if (ch == "first3") g.channels = GuidanceChannels::First3;
  else if (ch == "all") g.channels = GuidanceChannels::All;
  else fail(where + ".channels is " + j["channels"].dump() + ", expected \"first3\" or \"all\"");
  const std::string sc = j["schedule"].is_string() ? j["schedule"].get<std::string>() : "";
  if (sc == "constant") g.schedule = GuidanceSchedule::Constant;
  else if (sc == "power_cosine") g.schedule = GuidanceSchedule::PowerCosine;
  else fail(where + ".schedule is " + j["schedule"].dump() + ", expected \"constant\" or \"power_cosine\"");
  if (g.schedule == GuidanceSchedule::PowerCosine && !j.contains("power"))
    fail(where + ": schedule power_cosine needs \"power\" (DiffiT-256: 4)");
  if (j.contains("power")) {
    if (!j["power"].is_number()) fail(where + ".power must be a number");
    g.power = j["power"].get<double>();
  }
  if (j.contains("diffusion_steps")) {
    if (!j["diffusion_steps"].is_number_integer() || j["diffusion_steps"].get<int>() <= 0)
      fail(where + ".diffusion_steps must be a positive integer");
    g.diffusion_steps = j["diffusion_steps"].get<int>();
  }
  return g;
}

nlohmann::json guidance_to_json(const Guidance& g) {
  nlohmann::json j;
  j["scale"] = g.scale;
  j["channels"] = g.channels == GuidanceChannels::First3 ? "first3" : "all";
  j["schedule"] = g.schedule == GuidanceSchedule::Constant ? "constant" : "power_cosine";
  if (g.schedule == GuidanceSchedule::PowerCosine) j["power"] = g.power;
  j["diffusion_steps"] = g.diffusion_steps;
  return j;
}

at::Tensor guidance_scale_at(const Guidance& g, const at::Tensor& t) {
  auto opts = at::TensorOptions().dtype(at::kFloat).device(t.device());
  if (g.schedule == GuidanceSchedule::Constant) return at::full({t.size(0)}, g.scale, opts);
  // Same float32 operation order as the official code (t / steps with an int64 t gives float32).
  at::Tensor frac = t.to(at::kFloat) / static_cast<double>(g.diffusion_steps);
  at::Tensor step = (1.0 - at::cos(at::pow(1.0 - frac, g.power) * M_PI)) * 0.5;
  return (g.scale - 1.0) * step + 1.0;
}

at::Tensor apply_guidance(const at::Tensor& out, const at::Tensor& t, const Guidance& g,
                          int eps_channels) {
  const int64_t n = out.size(0);
  if (n % 2 != 0) fail("classifier-free guidance: batch " + std::to_string(n) + " is odd, expected [cond; uncond]");
  const int64_t guided = g.channels == GuidanceChannels::First3 ? 3 : eps_channels;
  at::Tensor eps = out.slice(1, 0, guided);
  at::Tensor rest = out.slice(1, guided);
  at::Tensor cond = eps.slice(0, 0, n / 2);
  at::Tensor uncond = eps.slice(0, n / 2);
  at::Tensor s = guidance_scale_at(g, t.slice(0, 0, n / 2)).to(out.scalar_type()).view({-1, 1, 1, 1});
  at::Tensor half = uncond + s * (cond - uncond);
  return at::cat({at::cat({half, half}, 0), rest}, 1);
}

at::Tensor forward_with_cfg(DiffusionModel& model, const at::Tensor& x, const at::Tensor& t,
                            const at::Tensor& y, const Guidance& g) {
  at::Tensor half = x.slice(0, 0, x.size(0) / 2);
  at::Tensor out = model.forward(at::cat({half, half}, 0), t, y);
  return apply_guidance(out, t, g, model.channels());
}

}  // namespace diffbench
