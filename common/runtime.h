// Process-wide run-time set-up: thread count, BLAS check, device choice.
#pragma once
#include <string>

#include <c10/core/Device.h>

namespace diffbench {

// Sets LibTorch's intra-op threads. 0 means all cores (LibTorch alone picks 1 on some machines).
// Returns the count in effect.
int configure_threads(int requested);
int current_threads();

// The BLAS library actually mapped into the process (real path), e.g. ".../openblas-pthread/libblas.so.3".
std::string linked_blas();
// Warns once, in one line, when the reference BLAS is linked (matmul then runs ~40x slower).
void check_blas();

// "cpu", "cuda", "cuda:1" or "auto" (CUDA when available). Fails with a clear line otherwise.
c10::Device resolve_device(const std::string& name);
// Human-readable device name for provenance ("cpu: <model name>" or the CUDA device name).
std::string device_description(const c10::Device& device);

}  // namespace diffbench
