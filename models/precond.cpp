#include "models/precond.h"

#include <cmath>
#include <limits>

#include "common/error.h"
#include "models/edm_layers_config.h"

namespace diffbench {

Precond::Precond(std::shared_ptr<UNetNet> net, const PrecondConfig& config) : cfg_(config), net_(std::move(net)) {
  if (!net_) fail("precond: no network to wrap");
  register_module("model", net_);
}

double Precond::macs_per_image() const {
  const auto* counted = dynamic_cast<const CountsMacs*>(net_.get());
  return counted ? counted->macs_per_image() : 0.0;
}

at::Tensor Precond::forward(const at::Tensor& x, const at::Tensor& sigma, const at::Tensor& labels) {
  return denoise(x, sigma, labels, at::Tensor());
}

at::Tensor Precond::denoise(const at::Tensor& x_in, const at::Tensor& sigma_in, const at::Tensor& labels,
                            const at::Tensor& augment_labels) {
  const at::Tensor x = x_in.to(at::kFloat);
  const int64_t batch = x.size(0);
  at::Tensor sigma = sigma_in.to(x.device(), at::kFloat).reshape({-1, 1, 1, 1});
  if (sigma.size(0) == 1 && batch != 1) sigma = sigma.expand({batch, 1, 1, 1});
  if (sigma.size(0) != batch)
    fail("precond: sigma has " + std::to_string(sigma.size(0)) + " values for a batch of " + std::to_string(batch));
  at::Tensor class_labels;
  if (cfg_.label_dim > 0) {
    if (!labels.defined()) {
      class_labels = at::zeros({batch, cfg_.label_dim}, x.options());
    } else if (labels.dim() == 1 && !labels.is_floating_point()) {
      class_labels = at::one_hot(labels.to(x.device(), at::kLong), cfg_.label_dim).to(at::kFloat);
    } else {
      class_labels = labels.to(x.device(), at::kFloat).reshape({-1, cfg_.label_dim});
    }
  }
  // fp16 only on CUDA, as EDM; c_noise and the embedding path stay fp32.
  const auto dtype = (cfg_.use_fp16 && x.is_cuda()) ? at::kHalf : at::kFloat;
  const PrecondCoefficients c = coefficients(sigma);
  at::Tensor aug = augment_labels.defined() ? augment_labels.to(x.device(), at::kFloat) : at::Tensor();
  const at::Tensor f = net_->forward((c.c_in * x).to(dtype), c.c_noise.flatten(), class_labels, aug);
  return c.c_skip * x + c.c_out * f.to(at::kFloat);
}

PrecondCoefficients EDMPrecond::coefficients(const at::Tensor& sigma) const {
  const double sd = cfg_.sigma_data;
  const at::Tensor s2 = sigma * sigma;
  PrecondCoefficients c;
  c.c_skip = (sd * sd) / (s2 + sd * sd);
  c.c_out = sigma * sd / (s2 + sd * sd).sqrt();
  c.c_in = 1 / (sd * sd + s2).sqrt();
  c.c_noise = sigma.log() / 4;
  return c;
}

at::Tensor VPPrecond::vp_sigma(const at::Tensor& t) const {
  return ((0.5 * cfg_.beta_d * (t * t) + cfg_.beta_min * t).exp() - 1).sqrt();
}

at::Tensor VPPrecond::vp_sigma_inv(const at::Tensor& sigma) const {
  return ((cfg_.beta_min * cfg_.beta_min + 2 * cfg_.beta_d * (1 + sigma * sigma).log()).sqrt() - cfg_.beta_min) /
         cfg_.beta_d;
}

PrecondCoefficients VPPrecond::coefficients(const at::Tensor& sigma) const {
  PrecondCoefficients c;
  c.c_skip = at::ones_like(sigma);
  c.c_out = -sigma;
  c.c_in = 1 / (sigma * sigma + 1).sqrt();
  c.c_noise = (cfg_.M - 1) * vp_sigma_inv(sigma);
  return c;
}

double VPPrecond::sigma_min() const {
  return vp_sigma(at::full({}, cfg_.epsilon_t, at::kFloat)).item<double>();
}

double VPPrecond::sigma_max() const { return vp_sigma(at::full({}, 1.0, at::kFloat)).item<double>(); }

const std::vector<std::string>& precond_config_keys() {
  static const std::vector<std::string> keys{"arch", "precond", "img_resolution", "img_channels", "label_dim",
                                             "use_fp16", "sigma_min", "sigma_max", "sigma_data", "beta_d",
                                             "beta_min", "M", "epsilon_t"};
  return keys;
}

PrecondConfig precond_config_from_json(const nlohmann::json& config) {
  ConfigReader r(config, "model config");
  PrecondConfig p;
  p.arch = r.get_string("arch", p.arch);
  p.img_resolution = r.require_int("img_resolution");
  p.img_channels = r.get_int("img_channels", p.img_channels, 1);
  p.label_dim = r.get_int("label_dim", p.label_dim);
  p.use_fp16 = r.get_bool("use_fp16", p.use_fp16);
  p.sigma_min = r.get_double("sigma_min", p.sigma_min);
  p.sigma_max = r.get_double("sigma_max", std::numeric_limits<double>::infinity());
  p.sigma_data = r.get_double("sigma_data", p.sigma_data);
  p.beta_d = r.get_double("beta_d", p.beta_d);
  p.beta_min = r.get_double("beta_min", p.beta_min);
  p.M = r.get_double("M", p.M);
  p.epsilon_t = r.get_double("epsilon_t", p.epsilon_t);
  if (p.img_resolution <= 0 || p.img_channels <= 0 || p.label_dim < 0)
    fail("model config: img_resolution, img_channels must be positive and label_dim >= 0");
  return p;
}

std::shared_ptr<DiffusionModel> make_precond(const std::string& kind, std::shared_ptr<UNetNet> net,
                                             const nlohmann::json& config) {
  const PrecondConfig p = precond_config_from_json(config);
  if (kind == "edm") return std::make_shared<EDMPrecond>(std::move(net), p);
  if (kind == "vp") return std::make_shared<VPPrecond>(std::move(net), p);
  fail("model config: precond \"" + kind + "\" is not supported (expected \"edm\" or \"vp\")");
}

}  // namespace diffbench
