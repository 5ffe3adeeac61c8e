// Throughput profiles: after warm-up, the latency of one network call at each batch size (median
// and spread over repeats), images and network evaluations per second, peak memory, parameters,
// MACs and the achieved FLOP/s. On CUDA the clock is read only after synchronising.
#pragma once
#include <functional>
#include <string>
#include <vector>

#include <ATen/Tensor.h>
#include <c10/core/Device.h>
#include <nlohmann/json.hpp>

#include "common/precision.h"

namespace diffbench {

class DiffusionModel;

struct ProfileOptions {
  std::vector<int> batch_sizes{1, 8, 32};
  int warmup = 2;    // untimed calls first (allocator, caches, lazy init)
  int repeats = 5;   // timed calls per batch size
  int steps = 0;     // > 0: also report images/s of a whole sampler run of this many calls
  c10::Device device = c10::Device(c10::kCPU);
  Precision precision;  // the calls run under it; the peak FLOP/s is the one of its dtype
};

// One call at a given batch size (the harness supplies the inputs); returns nothing, is timed.
using ProfiledCall = std::function<void(int batch)>;

// Generic timing of `call` at each batch size. macs_per_image: one call, one image.
nlohmann::json profile_calls(const std::string& label, const ProfiledCall& call, double macs_per_image,
                             int64_t parameters, const ProfileOptions& options);

// A diffusion model's network call on random inputs of its own shape.
nlohmann::json profile_model(DiffusionModel& model, const ProfileOptions& options);

// Process peak memory (bytes): resident set on CPU, the caching allocator's peak on CUDA.
void reset_peak_memory(const c10::Device& device);
double peak_memory_bytes(const c10::Device& device);
void synchronize(const c10::Device& device);

// Peak dense FLOP/s of the device at a precision when known (the vendor's sheet), else 0.
double device_peak_flops(const std::string& device_name, const Precision& precision);

// Human-readable table of a profile JSON.
std::string format_profile(const nlohmann::json& profile);

}  // namespace diffbench
