// The model interfaces shared by the architectures, the preconditioning wrappers and the samplers.
// Architectures know nothing of noise schedules; samplers know nothing of architectures.
#pragma once
#include <memory>
#include <string>

#include <nlohmann/json.hpp>
#include <torch/nn/module.h>

namespace diffbench {

// A raw U-Net-like network as EDM calls it: F(x, noise_labels, class_labels, augment_labels).
// class_labels is one-hot float [B, label_dim] or undefined; augment_labels [B, augment_dim] or undefined.
class UNetNet : public torch::nn::Module {
 public:
  virtual at::Tensor forward(const at::Tensor& x, const at::Tensor& noise_labels,
                             const at::Tensor& class_labels, const at::Tensor& augment_labels) = 0;
};

// What every model handed to a sampler is. Two kinds:
//  - "denoiser": EDM-style D(x; sigma, class) -> denoised x (EDMPrecond, VPPrecond around a UNetNet)
//  - "ddpm-eps": DiT / latent DiffiT: net(x, t int64 in 0..999, y int64 class, null = num_classes)
//    -> [B, 2C, H, W] (eps and the learned-variance value v) when learn_sigma.
class DiffusionModel : public torch::nn::Module {
 public:
  virtual std::string kind() const = 0;
  virtual std::string arch() const = 0;
  virtual int channels() const = 0;      // channels of x
  virtual int resolution() const = 0;    // spatial size of x
  virtual int num_classes() const = 0;   // 0 = unconditional
  // Denoiser: D(x, sigma [B] float, class one-hot [B, num_classes] or undefined).
  // ddpm-eps: net(x, t [B] int64, y [B] int64).
  virtual at::Tensor forward(const at::Tensor& x, const at::Tensor& t_or_sigma,
                             const at::Tensor& labels) = 0;
  // MACs of one network call for one image (multiply-accumulates), for profiles and tables.
  virtual double macs_per_image() const { return 0.0; }
};

// Builds a model from a config object: the official constructor's argument names and values plus
// "arch" (and "precond" for wrapped U-Nets). Error naming the bad key on invalid configs.
std::shared_ptr<DiffusionModel> build_model(const nlohmann::json& config);

}  // namespace diffbench
