#include "models/noise.h"

#include <ATen/CPUGeneratorImpl.h>

#include "common/error.h"

namespace diffbench {

namespace {
std::string shape_str(at::IntArrayRef shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? "," : "") + std::to_string(shape[i]);
  return s + "]";
}
}  // namespace

at::Tensor NoiseSource::next_labels(int64_t, int64_t) {
  fail("noise source: this source draws no class labels (expected a PerSeedNoise or BatchNoise)");
}

PerSeedNoise::PerSeedNoise(std::vector<uint64_t> seeds) : seeds_(std::move(seeds)) {
  for (uint64_t s : seeds_) generators_.push_back(at::make_generator<at::CPUGeneratorImpl>(s % (1ull << 32)));
}

at::Tensor PerSeedNoise::next(at::IntArrayRef shape, at::ScalarType dtype) {
  if (shape.empty() || shape[0] != static_cast<int64_t>(seeds_.size()))
    fail("PerSeedNoise: asked for shape " + shape_str(shape) + ", expected batch = " +
         std::to_string(seeds_.size()) + " seeds");
  std::vector<at::Tensor> per_image;
  per_image.reserve(seeds_.size());
  for (auto& gen : generators_)
    per_image.push_back(at::randn(shape.slice(1), gen, at::TensorOptions().dtype(dtype)));
  ++draws_;
  return at::stack(per_image);
}

at::Tensor PerSeedNoise::next_labels(int64_t batch, int64_t num_classes) {
  if (batch != static_cast<int64_t>(seeds_.size()))
    fail("PerSeedNoise: asked for " + std::to_string(batch) + " labels, expected " + std::to_string(seeds_.size()));
  std::vector<at::Tensor> labels;
  for (auto& gen : generators_) labels.push_back(at::randint(num_classes, {}, gen, at::kLong));
  return at::stack(labels);
}

BatchNoise::BatchNoise(uint64_t seed) : generator_(at::make_generator<at::CPUGeneratorImpl>(seed)) {}

at::Tensor BatchNoise::next(at::IntArrayRef shape, at::ScalarType dtype) {
  ++draws_;
  return at::randn(shape, generator_, at::TensorOptions().dtype(dtype));
}

at::Tensor BatchNoise::next_labels(int64_t batch, int64_t num_classes) {
  return at::randint(num_classes, {batch}, generator_, at::kLong);
}

RecordedNoise::RecordedNoise(at::Tensor draws) : draws_tensor_(std::move(draws)) {}

at::Tensor RecordedNoise::next(at::IntArrayRef shape, at::ScalarType dtype) {
  if (draws_ >= draws_tensor_.size(0))
    fail("RecordedNoise: draw " + std::to_string(draws_) + " requested but only " +
         std::to_string(draws_tensor_.size(0)) + " were recorded");
  at::Tensor d = draws_tensor_[draws_];
  if (d.sizes() != shape)
    fail("RecordedNoise: draw " + std::to_string(draws_) + " has shape " + shape_str(d.sizes()) +
         ", sampler asked for " + shape_str(shape));
  ++draws_;
  return d.to(dtype);
}

}  // namespace diffbench
