#include "common/precision.h"

#include <ATen/Context.h>
#include <ATen/autocast_mode.h>
#include <torch/version.h>

#include <cstdlib>

#include "common/error.h"

// LibTorch 2.4 replaced the per-device autocast setters with ones taking the device type.
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
#define DIFFBENCH_AUTOCAST_BY_DEVICE_TYPE 1
#endif

namespace diffbench {

bool autocast_enabled(c10::DeviceType type) {
#ifdef DIFFBENCH_AUTOCAST_BY_DEVICE_TYPE
  return at::autocast::is_autocast_enabled(type);
#else
  return type == c10::DeviceType::CUDA ? at::autocast::is_enabled() : at::autocast::is_cpu_enabled();
#endif
}

namespace {

c10::ScalarType autocast_dtype(c10::DeviceType type) {
#ifdef DIFFBENCH_AUTOCAST_BY_DEVICE_TYPE
  return at::autocast::get_autocast_dtype(type);
#else
  return type == c10::DeviceType::CUDA ? at::autocast::get_autocast_gpu_dtype() : at::autocast::get_autocast_cpu_dtype();
#endif
}

void set_autocast(c10::DeviceType type, bool enabled, c10::ScalarType dtype) {
#ifdef DIFFBENCH_AUTOCAST_BY_DEVICE_TYPE
  at::autocast::set_autocast_dtype(type, dtype);
  at::autocast::set_autocast_enabled(type, enabled);
#else
  if (type == c10::DeviceType::CUDA) {
    at::autocast::set_autocast_gpu_dtype(dtype);
    at::autocast::set_enabled(enabled);
  } else {
    at::autocast::set_autocast_cpu_dtype(dtype);
    at::autocast::set_cpu_enabled(enabled);
  }
#endif
}

}  // namespace

void check_precision(const Precision& p, const c10::Device& device, const std::string& origin) {
  if (p.dtype != "fp32" && p.dtype != "bf16" && p.dtype != "fp16")
    fail(origin + ": precision \"" + p.dtype + "\" is not supported (expected \"fp32\", \"bf16\" or \"fp16\")");
  if (p.dtype == "fp16" && !device.is_cuda())
    fail(origin + ": precision \"fp16\" needs a CUDA device (on " + device.str() + " use \"bf16\")");
  if (p.dtype == "bf16" && device.is_cpu()) {
    // oneDNN's bf16 convolutions are AVX-512 kernels; diffbench caps oneDNN at AVX2 for the Inception's
    // parity (metrics/inception.cpp) unless the environment says otherwise.
    std::string isa;
    for (const char* name : {"ONEDNN_MAX_CPU_ISA", "DNNL_MAX_CPU_ISA"})
      if (const char* v = std::getenv(name)) { isa = v; break; }
    if (!isa.empty() && isa != "ALL" && isa.find("BF16") == std::string::npos && isa.find("AMX") == std::string::npos)
      fail(origin + ": precision \"bf16\" on the CPU needs oneDNN's AVX-512 bf16 kernels, but ONEDNN_MAX_CPU_ISA is " +
           isa + " (diffbench's default, so the Inception matches pytorch-fid exactly); run with ONEDNN_MAX_CPU_ISA=ALL "
           "(Inception features then move by ~1e-4) or keep \"fp32\"");
  }
}

PrecisionScope::PrecisionScope(const Precision& p, const c10::Device& device) : device_type_(device.type()) {
  check_precision(p, device, "precision");
  if (device.is_cuda()) {
    auto& ctx = at::globalContext();
    was_tf32_cublas_ = ctx.allowTF32CuBLAS();
    was_tf32_cudnn_ = ctx.allowTF32CuDNN();
    ctx.setAllowTF32CuBLAS(p.tf32);
    ctx.setAllowTF32CuDNN(p.tf32);
  }
  was_enabled_ = autocast_enabled(device_type_);
  was_dtype_ = autocast_dtype(device_type_);
  if (p.dtype != "fp32") {
    autocast_ = true;
    at::autocast::increment_nesting();
    set_autocast(device_type_, true, p.dtype == "bf16" ? at::kBFloat16 : at::kHalf);
  }
}

PrecisionScope::~PrecisionScope() {
  if (autocast_) {
    set_autocast(device_type_, was_enabled_, was_dtype_);
    // Autocast caches the low-precision copies of the weights while it is on; drop them.
    if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
  }
  if (device_type_ == c10::DeviceType::CUDA) {
    at::globalContext().setAllowTF32CuBLAS(was_tf32_cublas_);
    at::globalContext().setAllowTF32CuDNN(was_tf32_cudnn_);
  }
}

}  // namespace diffbench
