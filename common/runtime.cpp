#include "common/runtime.h"

#include <ATen/Config.h>
#include <ATen/Parallel.h>
#include <torch/cuda.h>

#include <fstream>
#include <limits.h>
#include <stdlib.h>
#include <exception>
#include <thread>
#include <vector>

#include "common/error.h"
#include "common/log.h"

namespace diffbench {

int configure_threads(int requested) {
  if (requested < 0) fail("--threads: expected a non-negative integer (0 = all cores), got " +
                          std::to_string(requested));
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  // Far more threads than cores only thrashes (1000 threads took 40x longer for one image on 2
  // cores; 100000 never finished); a few more than cores stays allowed for invariance tests.
  if (requested > 4 * cores)
    fail("--threads: " + std::to_string(requested) + " is more than 4x the " + std::to_string(cores) +
         " cores here; expected 0 (all cores) or 1 to " + std::to_string(4 * cores));
  int n = requested;
  if (n == 0) n = cores;
  at::set_num_threads(n);
  // A thread reads the process-wide count at its first parallel op. Mark this one as done now (the flag is
  // one per thread across the process), so that a helper thread confining itself later
  // (confine_to_one_thread) cannot lower this one's count.
  at::internal::lazy_init_num_threads();
  return at::get_num_threads();
}

int current_threads() { return at::get_num_threads(); }

bool single_threaded_tasks() { return AT_PARALLEL_OPENMP; }

void confine_to_one_thread() {
  if (single_threaded_tasks()) at::set_num_threads(1);
}

void run_single_threaded_tasks(int n, const std::function<void(int)>& task) {
  if (n <= 0) return;
  if (!single_threaded_tasks()) {
    for (int i = 0; i < n; ++i) task(i);
    return;
  }
  // With OpenMP, at::set_num_threads sets the calling thread's count and the process-wide default that
  // a new thread takes at its first parallel op. Both are 1 while the tasks run; the caller's count is
  // restored after.
  const int saved = at::get_num_threads();
  confine_to_one_thread();
  std::vector<std::exception_ptr> errors(static_cast<size_t>(n));
  auto run = [&](int i) {
    try {
      confine_to_one_thread();
      task(i);
    } catch (...) {
      errors[static_cast<size_t>(i)] = std::current_exception();
    }
  };
  std::vector<std::thread> others;
  for (int i = 1; i < n; ++i) others.emplace_back(run, i);
  run(0);
  for (auto& t : others) t.join();
  at::set_num_threads(saved);
  for (const auto& e : errors)
    if (e) std::rethrow_exception(e);
}

std::string linked_blas() {
  // The BLAS that the dynamic linker actually mapped, resolved through Debian's alternatives.
  std::ifstream maps("/proc/self/maps");
  std::string line;
  while (std::getline(maps, line)) {
    auto pos = line.find('/');
    if (pos == std::string::npos) continue;
    std::string path = line.substr(pos);
    auto base = path.substr(path.rfind('/') + 1);
    if (base.find("blas") == std::string::npos && base.find("mkl") == std::string::npos) continue;
    char resolved[PATH_MAX];
    if (realpath(path.c_str(), resolved)) return resolved;
    return path;
  }
  return "unknown";
}

void check_blas() {
  static bool checked = false;
  if (checked) return;
  checked = true;
  std::string blas = linked_blas();
  // Debian's reference BLAS lives in .../blas/libblas.so.3; OpenBLAS in .../openblas-*/.
  if (blas.find("/blas/libblas") != std::string::npos)
    warn("the reference BLAS is linked (" + blas +
         "); matmul runs ~40x slower: install libopenblas0-pthread");
}

c10::Device resolve_device(const std::string& name) {
  if (name.empty() || name == "auto")
    return torch::cuda::is_available() ? c10::Device(c10::kCUDA, 0) : c10::Device(c10::kCPU);
  c10::Device device(c10::kCPU);
  try {
    device = c10::Device(name);
  } catch (const std::exception&) {
    fail("--device: unknown device \"" + name + "\"; expected cpu, cuda, cuda:N or auto");
  }
  if (device.is_cuda()) {
    if (!torch::cuda::is_available())
      fail("--device " + name + ": CUDA is not available in this build or on this machine; use --device cpu");
    int index = device.has_index() ? device.index() : 0;
    if (index >= static_cast<int>(torch::cuda::device_count()))
      fail("--device " + name + ": only " + std::to_string(torch::cuda::device_count()) +
           " CUDA device(s) present");
    return c10::Device(c10::kCUDA, index);
  }
  if (!device.is_cpu()) fail("--device " + name + ": only cpu and cuda devices are supported");
  return device;
}

std::string device_description(const c10::Device& device) {
  if (device.is_cpu()) {
    std::ifstream cpuinfo("/proc/cpuinfo");
    std::string line;
    while (std::getline(cpuinfo, line)) {
      if (line.rfind("model name", 0) == 0) {
        auto pos = line.find(':');
        if (pos != std::string::npos) return "cpu: " + line.substr(pos + 2);
      }
    }
    return "cpu";
  }
  // The CUDA device name needs the CUDA runtime; the harness fills it in where it is built with CUDA.
  return device.str();
}

}  // namespace diffbench
