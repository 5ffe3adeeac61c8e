// Numeric precision of a network's calls. "fp32" is what parity needs and the default. "bf16" and
// "fp16" run the calls under LibTorch's autocast, as torch.autocast does in Python: convolutions
// and matrix products in the low precision, norms, softmax and the samplers' own arithmetic in
// float32 or float64. TF32 (CUDA only) stays off unless asked for: PyTorch turns it on for cuDNN
// convolutions by default, which moves FID-relevant outputs by ~1e-3.
#pragma once
#include <string>

#include <c10/core/Device.h>

namespace diffbench {

struct Precision {
  std::string dtype = "fp32";  // fp32 | bf16 | fp16
  bool tf32 = false;
};

// Fails with one line naming `origin` when the dtype is unknown or the device can't run it
// (fp16 autocast needs CUDA; LibTorch's CPU autocast runs bf16).
// Whether LibTorch's autocast is on for that device type in this thread.
bool autocast_enabled(c10::DeviceType type);

void check_precision(const Precision& precision, const c10::Device& device, const std::string& origin);

// Applies a precision to the calls made in its lifetime, on one device, and restores the
// previous autocast and TF32 settings when it ends.
class PrecisionScope {
 public:
  PrecisionScope(const Precision& precision, const c10::Device& device);
  ~PrecisionScope();
  PrecisionScope(const PrecisionScope&) = delete;
  PrecisionScope& operator=(const PrecisionScope&) = delete;

 private:
  c10::DeviceType device_type_;
  bool autocast_ = false, was_enabled_ = false;
  c10::ScalarType was_dtype_;
  bool was_tf32_cublas_ = false, was_tf32_cudnn_ = false;
};

}  // namespace diffbench
