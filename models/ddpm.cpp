#include "models/ddpm.h"

#include <cmath>
#include <set>

#include "common/error.h"
#include "models/model.h"

namespace diffbench {

// ---- Schedules ---------------------------------------------------------------------------------

std::vector<double> named_beta_schedule(const std::string& name, int64_t steps) {
  if (steps < 2) fail("beta schedule: diffusion_steps " + std::to_string(steps) + ", expected >= 2");
  std::vector<double> betas(steps);
  if (name == "linear") {
    // numpy linspace: start + i * step, the last entry set to stop exactly.
    const double scale = 1000.0 / static_cast<double>(steps);
    const double start = scale * 0.0001, stop = scale * 0.02;
    const double step = (stop - start) / static_cast<double>(steps - 1);
    for (int64_t i = 0; i < steps; ++i) betas[i] = static_cast<double>(i) * step + start;
    betas[steps - 1] = stop;
  } else if (name == "squaredcos_cap_v2") {
    auto alpha_bar = [](double t) { return std::pow(std::cos((t + 0.008) / 1.008 * M_PI / 2), 2); };
    for (int64_t i = 0; i < steps; ++i) {
      const double t1 = static_cast<double>(i) / steps, t2 = static_cast<double>(i + 1) / steps;
      betas[i] = std::min(1 - alpha_bar(t2) / alpha_bar(t1), 0.999);
    }
  } else {
    fail("beta schedule \"" + name + "\" is unknown (expected \"linear\" or \"squaredcos_cap_v2\")");
  }
  return betas;
}

std::vector<int64_t> space_timesteps(int64_t steps, const std::string& spec) {
  const std::string where = "timestep respacing \"" + spec + "\"";
  std::set<int64_t> kept;
  if (spec.rfind("ddim", 0) == 0) {
    int64_t desired = 0;
    try { desired = std::stoll(spec.substr(4)); } catch (...) { fail(where + ": expected ddim<N>"); }
    for (int64_t stride = 1; stride < steps; ++stride) {
      if ((steps + stride - 1) / stride == desired) {
        for (int64_t i = 0; i < steps; i += stride) kept.insert(i);
        return {kept.begin(), kept.end()};
      }
    }
    fail(where + ": no integer stride gives exactly " + std::to_string(desired) + " steps of " + std::to_string(steps));
  }
  std::vector<int64_t> counts;
  size_t pos = 0;
  while (pos <= spec.size()) {
    size_t comma = spec.find(',', pos);
    const std::string part = spec.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    size_t used = 0;
    int64_t v = 0;
    try { v = std::stoll(part, &used); } catch (...) { used = 0; }
    if (part.empty() || used != part.size() || v <= 0)
      fail(where + ": expected comma-separated positive step counts or ddim<N>");
    counts.push_back(v);
    if (comma == std::string::npos) break;
    pos = comma + 1;
  }
  const int64_t size_per = steps / static_cast<int64_t>(counts.size());
  const int64_t extra = steps % static_cast<int64_t>(counts.size());
  int64_t start = 0;
  for (size_t i = 0; i < counts.size(); ++i) {
    const int64_t size = size_per + (static_cast<int64_t>(i) < extra ? 1 : 0);
    if (size < counts[i])
      fail(where + ": cannot take " + std::to_string(counts[i]) + " steps from a section of " + std::to_string(size));
    const double stride = counts[i] <= 1 ? 1.0 : static_cast<double>(size - 1) / static_cast<double>(counts[i] - 1);
    double cur = 0.0;
    for (int64_t k = 0; k < counts[i]; ++k) {
      kept.insert(start + static_cast<int64_t>(std::nearbyint(cur)));  // Python round: half to even
      cur += stride;
    }
    start += size;
  }
  return {kept.begin(), kept.end()};
}

namespace {
at::Tensor f64(const std::vector<double>& v) {
  return at::tensor(at::ArrayRef<double>(v), at::TensorOptions().dtype(at::kDouble));
}
}  // namespace

DiffusionSchedule make_schedule(const std::vector<double>& betas_in, const std::vector<int64_t>& use_timesteps) {
  // Respace: keep the alpha-bar values at the kept indices.
  std::vector<double> full_ac(betas_in.size());
  double acc = 1.0;
  for (size_t i = 0; i < betas_in.size(); ++i) full_ac[i] = acc = acc * (1.0 - betas_in[i]);
  std::set<int64_t> keep(use_timesteps.begin(), use_timesteps.end());
  std::vector<double> b;
  std::vector<int64_t> map;
  double last = 1.0;
  for (size_t i = 0; i < full_ac.size(); ++i) {
    if (!keep.count(static_cast<int64_t>(i))) continue;
    b.push_back(1.0 - full_ac[i] / last);
    last = full_ac[i];
    map.push_back(static_cast<int64_t>(i));
  }
  const size_t n = b.size();
  if (n < 2) fail("diffusion schedule: respacing keeps " + std::to_string(n) + " steps, expected >= 2");
  std::vector<double> ac(n), acp(n), acn(n), pv(n), plv(n), c1(n), c2(n), sr(n), srm1(n), lb(n);
  acc = 1.0;
  for (size_t i = 0; i < n; ++i) ac[i] = acc = acc * (1.0 - b[i]);
  for (size_t i = 0; i < n; ++i) {
    acp[i] = i == 0 ? 1.0 : ac[i - 1];
    acn[i] = i + 1 < n ? ac[i + 1] : 0.0;
    sr[i] = std::sqrt(1.0 / ac[i]);
    srm1[i] = std::sqrt(1.0 / ac[i] - 1);
    pv[i] = b[i] * (1.0 - acp[i]) / (1.0 - ac[i]);
    c1[i] = b[i] * std::sqrt(acp[i]) / (1.0 - ac[i]);
    c2[i] = (1.0 - acp[i]) * std::sqrt(1.0 - b[i]) / (1.0 - ac[i]);
    lb[i] = std::log(b[i]);
  }
  for (size_t i = 0; i < n; ++i) plv[i] = std::log(i == 0 ? pv[1] : pv[i]);  // entry 0 is 0: use entry 1
  DiffusionSchedule s;
  s.timestep_map = at::tensor(at::ArrayRef<int64_t>(map), at::TensorOptions().dtype(at::kLong));
  s.betas = f64(b);
  s.alphas_cumprod = f64(ac);
  s.alphas_cumprod_prev = f64(acp);
  s.alphas_cumprod_next = f64(acn);
  s.posterior_variance = f64(pv);
  s.posterior_log_variance_clipped = f64(plv);
  s.posterior_mean_coef1 = f64(c1);
  s.posterior_mean_coef2 = f64(c2);
  s.sqrt_recip_alphas_cumprod = f64(sr);
  s.sqrt_recipm1_alphas_cumprod = f64(srm1);
  s.log_betas = f64(lb);
  return s;
}

DiffusionSchedule make_respaced_schedule(const std::string& respacing, const std::string& noise_schedule,
                                         int64_t diffusion_steps) {
  const std::string spec = respacing.empty() ? std::to_string(diffusion_steps) : respacing;
  return make_schedule(named_beta_schedule(noise_schedule, diffusion_steps), space_timesteps(diffusion_steps, spec));
}

// ---- Options -----------------------------------------------------------------------------------

SamplerOptions parse_sampler_options(const nlohmann::json& j, const std::string& origin) {
  if (!j.is_object()) fail(origin + ": sampler options must be a JSON object");
  SamplerOptions o;
  for (const auto& item : j.items()) {
    const std::string& k = item.key();
    const auto& v = item.value();
    auto bad = [&](const std::string& expected) { fail(origin + ": \"" + k + "\" is " + v.dump() + ", expected " + expected); };
    if (k == "method") {
      if (!v.is_string() || (v != "ddpm" && v != "ddim")) bad("\"ddpm\" or \"ddim\"");
      o.method = v.get<std::string>();
    } else if (k == "respacing") {
      if (v.is_number_integer()) o.respacing = std::to_string(v.get<int64_t>());
      else if (v.is_string()) o.respacing = v.get<std::string>();
      else bad("a step count or a respacing string such as \"250\" or \"ddim50\"");
    } else if (k == "noise_schedule") {
      if (!v.is_string()) bad("\"linear\" or \"squaredcos_cap_v2\"");
      o.noise_schedule = v.get<std::string>();
    } else if (k == "diffusion_steps") {
      if (!v.is_number_integer() || v.get<int64_t>() < 2) bad("an integer >= 2");
      o.diffusion_steps = v.get<int64_t>();
    } else if (k == "variance") {
      if (v == "learned_range") o.variance = VarianceType::LearnedRange;
      else if (v == "fixed_small") o.variance = VarianceType::FixedSmall;
      else if (v == "fixed_large") o.variance = VarianceType::FixedLarge;
      else bad("\"learned_range\", \"fixed_small\" or \"fixed_large\"");
    } else if (k == "eta") {
      if (!v.is_number() || v.get<double>() < 0) bad("a number >= 0");
      o.eta = v.get<double>();
    } else if (k == "clip_denoised") {
      if (!v.is_boolean()) bad("true or false");
      o.clip_denoised = v.get<bool>();
    } else {
      fail(origin + ": unknown sampler key \"" + k +
           "\" (expected method, respacing, noise_schedule, diffusion_steps, variance, eta, clip_denoised)");
    }
  }
  if (o.method == "ddpm" && o.eta != 0.0) fail(origin + ": \"eta\" applies to method \"ddim\" only");
  space_timesteps(o.diffusion_steps, o.respacing);  // validates the spec now, not mid-run
  return o;
}

// ---- Sampling ----------------------------------------------------------------------------------

namespace {
// A float64 table entry as the float32 the official _extract_into_tensor(...).float() yields.
double coef(const at::Tensor& table, int64_t i) {
  return static_cast<double>(static_cast<float>(table.data_ptr<double>()[i]));
}
}  // namespace

at::Tensor run_sampler(const EpsModelFn& net, const DiffusionSchedule& s, const SamplerOptions& o,
                       const at::Tensor& z, const at::Tensor& y, NoiseSource& noise, SampleStats* stats,
                       const StepCallback& callback) {
  if (o.method != "ddpm" && o.method != "ddim") fail("sampler: method \"" + o.method + "\" is unknown");
  at::NoGradGuard no_grad;
  const int64_t channels = z.size(1);
  const int64_t steps = s.size();
  at::Tensor x = z;
  const auto* map = s.timestep_map.data_ptr<int64_t>();
  for (int64_t step = 0; step < steps; ++step) {
    const int64_t i = steps - 1 - step;
    if (callback) callback(step, i, x);
    at::Tensor t = at::full({x.size(0)}, map[i], at::TensorOptions().dtype(at::kLong).device(x.device()));
    at::Tensor out = net(x, t, y);
    if (stats) {
      ++stats->steps;
      stats->image_evaluations += x.size(0);
    }
    if (out.size(1) != channels && out.size(1) != 2 * channels)
      fail("sampler: network output has " + std::to_string(out.size(1)) + " channels, expected " +
           std::to_string(channels) + " or " + std::to_string(2 * channels));
    at::Tensor eps = out.slice(1, 0, channels);
    at::Tensor x0 = coef(s.sqrt_recip_alphas_cumprod, i) * x - coef(s.sqrt_recipm1_alphas_cumprod, i) * eps;
    if (o.clip_denoised) x0 = x0.clamp(-1, 1);
    at::Tensor draw = noise.next(x.sizes(), at::kFloat).to(x.device(), x.scalar_type());
    const double nonzero = i != 0 ? 1.0 : 0.0;
    if (o.method == "ddpm") {
      at::Tensor log_var;
      if (o.variance == VarianceType::LearnedRange) {
        if (out.size(1) != 2 * channels) fail("sampler: variance learned_range needs a network with 2C output channels");
        at::Tensor frac = (out.slice(1, channels) + 1) / 2;
        log_var = frac * coef(s.log_betas, i) + (1 - frac) * coef(s.posterior_log_variance_clipped, i);
      } else {
        double lv = 0;
        if (o.variance == VarianceType::FixedSmall) lv = s.posterior_log_variance_clipped.data_ptr<double>()[i];
        else lv = std::log(i == 0 ? s.posterior_variance.data_ptr<double>()[1] : s.betas.data_ptr<double>()[i]);
        log_var = at::full_like(x, static_cast<double>(static_cast<float>(lv)));
      }
      at::Tensor mean = coef(s.posterior_mean_coef1, i) * x0 + coef(s.posterior_mean_coef2, i) * x;
      x = mean + nonzero * at::exp(0.5 * log_var) * draw;
    } else {
      // DDIM: eps re-derived from x0; float32 scalars as the official float32 tensors.
      const float sr = static_cast<float>(coef(s.sqrt_recip_alphas_cumprod, i));
      const float srm1 = static_cast<float>(coef(s.sqrt_recipm1_alphas_cumprod, i));
      const float ab = static_cast<float>(coef(s.alphas_cumprod, i));
      const float abp = static_cast<float>(coef(s.alphas_cumprod_prev, i));
      at::Tensor eps_hat = (sr * x - x0) / static_cast<double>(srm1);
      const float sigma = static_cast<float>(o.eta) * std::sqrt((1.0f - abp) / (1.0f - ab)) * std::sqrt(1.0f - ab / abp);
      at::Tensor mean = x0 * static_cast<double>(std::sqrt(abp)) +
                        static_cast<double>(std::sqrt(1.0f - abp - sigma * sigma)) * eps_hat;
      x = mean + nonzero * static_cast<double>(sigma) * draw;
    }
  }
  return x;
}

namespace {
// Serves a doubled [cond; null] batch from a source that draws for the cond half only.
class DuplicatedNoise : public NoiseSource {
 public:
  explicit DuplicatedNoise(NoiseSource& inner) : inner_(inner) {}
  at::Tensor next(at::IntArrayRef shape, at::ScalarType dtype) override {
    std::vector<int64_t> half(shape.begin(), shape.end());
    half[0] /= 2;
    at::Tensor d = inner_.next(half, dtype);
    ++draws_;
    return at::cat({d, d}, 0);
  }
 private:
  NoiseSource& inner_;
};

c10::Device model_device(DiffusionModel& model) {
  auto params = model.parameters();
  return params.empty() ? c10::Device(c10::kCPU) : params.front().device();
}
}  // namespace

at::Tensor sample_images(DiffusionModel& model, const SamplerOptions& options, const at::Tensor& z,
                         const at::Tensor& y, NoiseSource& noise, const Guidance* guidance, SampleStats* stats) {
  if (model.kind() != "ddpm-eps")
    fail("DDPM/DDIM sampler: model \"" + model.arch() + "\" is of kind \"" + model.kind() + "\", expected \"ddpm-eps\"");
  const DiffusionSchedule schedule =
      make_respaced_schedule(options.respacing, options.noise_schedule, options.diffusion_steps);
  const c10::Device device = model_device(model);
  at::Tensor zd = z.to(device);
  at::Tensor yd = y.defined() ? y.to(device, at::kLong) : y;
  if (guidance == nullptr || guidance->scale == 1.0) {
    EpsModelFn net = [&](const at::Tensor& x, const at::Tensor& t, const at::Tensor& lab) {
      return model.forward(x, t, lab);
    };
    return run_sampler(net, schedule, options, zd, yd, noise, stats);
  }
  if (!yd.defined() || model.num_classes() == 0)
    fail("classifier-free guidance needs a class-conditional model and labels");
  const Guidance g = *guidance;
  EpsModelFn net = [&](const at::Tensor& x, const at::Tensor& t, const at::Tensor& lab) {
    return forward_with_cfg(model, x, t, lab, g);
  };
  at::Tensor y2 = at::cat({yd, at::full_like(yd, model.num_classes())}, 0);
  DuplicatedNoise doubled(noise);
  at::Tensor x = run_sampler(net, schedule, options, at::cat({zd, zd}, 0), y2, doubled, stats);
  return x.slice(0, 0, z.size(0));
}

at::Tensor generate_per_seed(DiffusionModel& model, const SamplerOptions& options,
                             const std::vector<uint64_t>& seeds, const at::Tensor& labels,
                             const Guidance* guidance, at::Tensor* labels_out, SampleStats* stats) {
  PerSeedNoise noise(seeds);
  const int64_t n = static_cast<int64_t>(seeds.size());
  // Draw order per image: initial noise, then the label (conditional models only), then the steps.
  at::Tensor z = noise.next({n, model.channels(), model.resolution(), model.resolution()}, at::kFloat);
  at::Tensor y = labels;
  if (!y.defined() && model.num_classes() > 0) y = noise.next_labels(n, model.num_classes());
  if (y.defined() && y.size(0) != n)
    fail("generate: " + std::to_string(y.size(0)) + " labels for " + std::to_string(n) + " seeds");
  if (labels_out) *labels_out = y;
  return sample_images(model, options, z, y, noise, guidance, stats);
}

}  // namespace diffbench
