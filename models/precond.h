// EDM preconditioning (baselines.md §5): D(x; sigma) = c_skip x + c_out F(c_in x; c_noise, labels).
// The wrapper holds ANY UNetNet as submodule "model" (state_dict keys "model.*") and knows nothing of
// the architecture; the architecture knows nothing of sigma.
#pragma once
#include <memory>
#include <string>

#include <ATen/Tensor.h>
#include <nlohmann/json.hpp>

#include "models/model.h"

namespace diffbench {

// Implemented by networks that can state their cost (multiply-accumulates per image per call).
class CountsMacs {
 public:
  virtual ~CountsMacs() = default;
  virtual double macs_per_image() const = 0;
};

struct PrecondConfig {
  std::string arch = "unknown";  // the wrapped network's "arch" (reported by arch())
  int img_resolution = 32, img_channels = 3, label_dim = 0;
  bool use_fp16 = false;          // fp16 network only on CUDA (as EDM); the embedding stays fp32
  double sigma_min = 0.0, sigma_max = 1.0 / 0.0, sigma_data = 0.5;        // EDMPrecond
  double beta_d = 19.9, beta_min = 0.1, M = 1000, epsilon_t = 1e-5;       // VPPrecond
};

// The per-sigma scalings, each shaped [B,1,1,1] (c_noise [B]).
struct PrecondCoefficients {
  at::Tensor c_skip, c_out, c_in, c_noise;
};

class Precond : public DiffusionModel {
 public:
  Precond(std::shared_ptr<UNetNet> net, const PrecondConfig& config);
  std::string kind() const override { return "denoiser"; }
  std::string arch() const override { return cfg_.arch; }
  int channels() const override { return cfg_.img_channels; }
  int resolution() const override { return cfg_.img_resolution; }
  int num_classes() const override { return cfg_.label_dim; }
  double macs_per_image() const override;

  // x [B,C,H,W]; sigma 0-d, [1] or [B]; labels one-hot [B,label_dim], int64 [B] or undefined (zeros).
  at::Tensor forward(const at::Tensor& x, const at::Tensor& sigma, const at::Tensor& labels) override;
  // The same with EDM's augment_labels [B, augment_dim] passed to the network.
  at::Tensor denoise(const at::Tensor& x, const at::Tensor& sigma, const at::Tensor& labels,
                     const at::Tensor& augment_labels);

  virtual std::string precond_name() const = 0;  // "edm" | "vp"
  virtual PrecondCoefficients coefficients(const at::Tensor& sigma) const = 0;  // sigma float32 [B,1,1,1]
  // The sigma range the network was trained for; samplers clamp their schedule to it.
  virtual double sigma_min() const = 0;
  virtual double sigma_max() const = 0;
  virtual double round_sigma(double sigma) const { return sigma; }

  UNetNet& net() { return *net_; }
  std::shared_ptr<UNetNet> net_ptr() { return net_; }
  const PrecondConfig& config() const { return cfg_; }

 protected:
  PrecondConfig cfg_;
  std::shared_ptr<UNetNet> net_;
};

class EDMPrecond : public Precond {
 public:
  using Precond::Precond;
  std::string precond_name() const override { return "edm"; }
  PrecondCoefficients coefficients(const at::Tensor& sigma) const override;
  double sigma_min() const override { return cfg_.sigma_min; }
  double sigma_max() const override { return cfg_.sigma_max; }
};

class VPPrecond : public Precond {
 public:
  using Precond::Precond;
  std::string precond_name() const override { return "vp"; }
  PrecondCoefficients coefficients(const at::Tensor& sigma) const override;
  double sigma_min() const override;  // sigma(epsilon_t), float32 as EDM
  double sigma_max() const override;  // sigma(1)
  at::Tensor vp_sigma(const at::Tensor& t) const;
  at::Tensor vp_sigma_inv(const at::Tensor& sigma) const;
};

// Reads the wrapper keys of `config` (img_resolution, img_channels, label_dim, use_fp16, sigma_min,
// sigma_max, sigma_data; vp: beta_d, beta_min, M, epsilon_t; "arch") and marks nothing else.
PrecondConfig precond_config_from_json(const nlohmann::json& config);
// The keys precond_config_from_json reads (for unknown-key validation by the registries).
const std::vector<std::string>& precond_config_keys();

// kind "edm" or "vp": wraps `net` (registered as "model"). Error on any other kind.
std::shared_ptr<DiffusionModel> make_precond(const std::string& kind, std::shared_ptr<UNetNet> net,
                                             const nlohmann::json& config);

}  // namespace diffbench
