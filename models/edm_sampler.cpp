#include "models/edm_sampler.h"

#include <cmath>

#include "common/error.h"
#include "models/edm_layers_config.h"
#include "models/model.h"
#include "models/noise.h"
#include "models/precond.h"

namespace diffbench {

EdmSamplerOptions EdmSamplerOptions::from_json(const nlohmann::json& j, const std::string& origin) {
  ConfigReader r(j, origin);
  EdmSamplerOptions o;
  o.solver = r.get_string("solver", o.solver);
  o.num_steps = r.get_int("num_steps", o.num_steps, 1);
  o.sigma_min = r.get_double("sigma_min", o.sigma_min);
  o.sigma_max = r.get_double("sigma_max", o.sigma_max);
  o.rho = r.get_double("rho", o.rho);
  o.S_churn = r.get_double("S_churn", o.S_churn);
  o.S_min = r.get_double("S_min", o.S_min);
  o.S_max = r.get_double("S_max", o.S_max);
  o.S_noise = r.get_double("S_noise", o.S_noise);
  o.cfg_scale = r.get_double("cfg_scale", o.cfg_scale);
  r.reject_unused({"name", "kind", "method", "sampler"});
  if (o.solver != "heun" && o.solver != "euler")
    fail(origin + ": solver \"" + o.solver + "\" is not supported (expected \"heun\" or \"euler\")");
  if (o.num_steps < 1) fail(origin + ": num_steps must be >= 1");
  return o;
}

std::vector<double> edm_time_steps(const DiffusionModel& net, const EdmSamplerOptions& o) {
  double smin = o.sigma_min, smax = o.sigma_max;
  const auto* pre = dynamic_cast<const Precond*>(&net);
  if (pre) {
    smin = std::max(smin, pre->sigma_min());
    smax = std::min(smax, pre->sigma_max());
  }
  const int n = o.num_steps;
  std::vector<double> t;
  const double a = std::pow(smax, 1.0 / o.rho), b = std::pow(smin, 1.0 / o.rho);
  for (int i = 0; i < n; ++i) {
    const double frac = n > 1 ? static_cast<double>(i) / (n - 1) : 0.0;
    const double ti = std::pow(a + frac * (b - a), o.rho);
    t.push_back(pre ? pre->round_sigma(ti) : ti);
  }
  t.push_back(0.0);
  return t;
}

namespace {

// One denoiser evaluation in float32, with optional D-space CFG; returns float64.
at::Tensor denoise(DiffusionModel& net, const at::Tensor& x, double sigma, const at::Tensor& labels,
                   const EdmSamplerOptions& o, SamplerStats& stats, const NetCallObserver& observer) {
  if (observer) observer(x, sigma);
  const int64_t b = x.size(0);
  const bool cfg = o.cfg_scale != 1.0 && labels.defined();
  ++stats.net_calls;
  stats.nfe += cfg ? 2 : 1;
  const at::Tensor xf = x.to(at::kFloat);
  if (!cfg) {
    const at::Tensor s = at::full({b}, sigma, xf.options());
    return net.forward(xf, s, labels).to(at::kDouble);
  }
  const at::Tensor s = at::full({2 * b}, sigma, xf.options());
  const at::Tensor out = net.forward(at::cat({xf, xf}), s, at::cat({labels, at::zeros_like(labels)})).to(at::kDouble);
  const at::Tensor cond = out.narrow(0, 0, b), uncond = out.narrow(0, b, b);
  return uncond + o.cfg_scale * (cond - uncond);
}

}  // namespace

at::Tensor edm_sample(DiffusionModel& net, const at::Tensor& latents, const at::Tensor& class_labels,
                      NoiseSource& noise, const EdmSamplerOptions& o, SamplerStats* stats_out,
                      const NetCallObserver& observer) {
  if (net.kind() != "denoiser")
    fail("edm sampler: model kind \"" + net.kind() + "\" is not a denoiser (EDMPrecond/VPPrecond)");
  if (latents.dim() != 4) fail("edm sampler: latents must be [B,C,H,W]");
  SamplerStats stats;
  const std::vector<double> t = edm_time_steps(net, o);
  const int n = o.num_steps;
  const bool heun = o.solver == "heun";
  at::Tensor labels = class_labels.defined() ? class_labels.to(latents.device(), at::kFloat) : at::Tensor();
  at::Tensor x_next = latents.to(at::kDouble) * t[0];
  for (int i = 0; i < n; ++i) {
    const at::Tensor x_cur = x_next;
    const double t_cur = t[i], t_next = t[i + 1];
    // Churn: the draw happens at every step, multiplied by 0 when gamma = 0.
    const double gamma = (o.S_min <= t_cur && t_cur <= o.S_max) ? std::min(o.S_churn / n, std::sqrt(2.0) - 1) : 0.0;
    double t_hat = t_cur + gamma * t_cur;
    if (const auto* pre = dynamic_cast<const Precond*>(&net)) t_hat = pre->round_sigma(t_hat);
    const at::Tensor eps = noise.next(x_cur.sizes(), at::kDouble).to(x_cur.device());
    ++stats.noise_draws;
    const at::Tensor x_hat = x_cur + std::sqrt(t_hat * t_hat - t_cur * t_cur) * o.S_noise * eps;
    // Euler step.
    const at::Tensor d_cur = (x_hat - denoise(net, x_hat, t_hat, labels, o, stats, observer)) / t_hat;
    x_next = x_hat + (t_next - t_hat) * d_cur;
    // 2nd-order correction (not on the last step, which goes to sigma 0).
    if (heun && i < n - 1) {
      const at::Tensor d_prime = (x_next - denoise(net, x_next, t_next, labels, o, stats, observer)) / t_next;
      x_next = x_hat + (t_next - t_hat) * (0.5 * d_cur + 0.5 * d_prime);
    }
  }
  if (stats_out) *stats_out = stats;
  return x_next;
}

EdmDraws edm_draw_inputs(const DiffusionModel& net, NoiseSource& noise, int64_t batch, int class_override) {
  EdmDraws d;
  d.latents = noise.next({batch, net.channels(), net.resolution(), net.resolution()}, at::kFloat);
  if (net.num_classes() > 0) {
    d.labels = noise.next_labels(batch, net.num_classes());
    if (class_override >= 0) {
      if (class_override >= net.num_classes())
        fail("edm sampler: class " + std::to_string(class_override) + " out of range [0, " +
             std::to_string(net.num_classes()) + ")");
      d.labels.fill_(class_override);
    }
    d.class_onehot = at::one_hot(d.labels, net.num_classes()).to(at::kFloat);
  }
  return d;
}

}  // namespace diffbench
