// Where samplers get their random numbers: one interface, so a test can feed recorded draws and
// a benchmark can make every image a pure function of its own seed (baselines.md §6.3-6.4).
#pragma once
#include <cstdint>
#include <memory>
#include <vector>

#include <ATen/Tensor.h>
#include <ATen/core/Generator.h>

namespace diffbench {

// A stream of standard-normal tensors (and class labels) in the order a sampler asks for them.
// Tensors come back on the CPU; the sampler moves them to its device.
class NoiseSource {
 public:
  virtual ~NoiseSource() = default;
  // Next N(0,1) tensor of `shape` (shape[0] = batch) in `dtype`.
  virtual at::Tensor next(at::IntArrayRef shape, at::ScalarType dtype) = 0;
  // Next class labels, int64 [batch] in [0, num_classes). Default: Error (source has no labels).
  virtual at::Tensor next_labels(int64_t batch, int64_t num_classes);
  // How many next() calls were answered (for checks such as "one draw per sampler step").
  int64_t draws() const { return draws_; }

 protected:
  int64_t draws_ = 0;
};

// One CPU generator (mt19937) per image, seeded with seed mod 2^32; image i's draws depend only on
// seeds[i], so any batch split gives the same images. next() draws shape[1:] per image and stacks.
class PerSeedNoise : public NoiseSource {
 public:
  explicit PerSeedNoise(std::vector<uint64_t> seeds);
  at::Tensor next(at::IntArrayRef shape, at::ScalarType dtype) override;
  at::Tensor next_labels(int64_t batch, int64_t num_classes) override;  // one randint per image
  const std::vector<uint64_t>& seeds() const { return seeds_; }

 private:
  std::vector<uint64_t> seeds_;
  std::vector<at::Generator> generators_;
};

// One generator for the whole batch (seeded once), the draw order of scripts that seed globally.
class BatchNoise : public NoiseSource {
 public:
  explicit BatchNoise(uint64_t seed);
  at::Tensor next(at::IntArrayRef shape, at::ScalarType dtype) override;
  at::Tensor next_labels(int64_t batch, int64_t num_classes) override;

 private:
  at::Generator generator_;
};

// Replays recorded draws: draws[k] answers the k-th next() (golden sampler tests). Error on a
// shape mismatch or when the record runs out.
class RecordedNoise : public NoiseSource {
 public:
  explicit RecordedNoise(at::Tensor draws);
  at::Tensor next(at::IntArrayRef shape, at::ScalarType dtype) override;

 private:
  at::Tensor draws_tensor_;
};

}  // namespace diffbench
