#include "harness/profile.h"

#include <torch/cuda.h>

// The CUDA allocator statistics need a CUDA build of LibTorch and the CUDA runtime headers.
#if __has_include(<c10/cuda/CUDACachingAllocator.h>) && __has_include(<cuda_runtime_api.h>)
#include <c10/cuda/CUDACachingAllocator.h>
#define DIFFBENCH_HAVE_CUDA_ALLOCATOR 1
#endif

#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "common/runtime.h"
#include "models/model.h"

namespace diffbench {

void synchronize(const c10::Device& device) {
  if (device.is_cuda()) torch::cuda::synchronize(device.index());
}

void reset_peak_memory(const c10::Device& device) {
  if (device.is_cuda()) {
#ifdef DIFFBENCH_HAVE_CUDA_ALLOCATOR
    c10::cuda::CUDACachingAllocator::resetPeakStats(device.index());
#endif
    return;
  }
  // Linux: writing 5 to clear_refs resets the peak resident set (VmHWM) to the current one.
  std::ofstream clear("/proc/self/clear_refs");
  if (clear) clear << "5";
}

double peak_memory_bytes(const c10::Device& device) {
  if (device.is_cuda()) {
#ifdef DIFFBENCH_HAVE_CUDA_ALLOCATOR
    auto stats = c10::cuda::CUDACachingAllocator::getDeviceStats(device.index());
    return static_cast<double>(
        stats.allocated_bytes[static_cast<size_t>(c10::cuda::CUDACachingAllocator::StatType::AGGREGATE)].peak);
#else
    return 0;
#endif
  }
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("VmHWM:", 0) == 0) return std::stod(line.substr(6)) * 1024.0;  // kB
  return 0;
}

double device_peak_flops(const std::string& name, const Precision& precision) {
  // Dense (no sparsity) peaks from the vendors' data sheets; CPUs vary too much to guess.
  struct Peak { const char* name; double fp32, tf32, half; };
  static const Peak peaks[] = {{"H200", 67e12, 495e12, 989e12}, {"H100", 67e12, 495e12, 989e12},
                               {"A100", 19.5e12, 156e12, 312e12}, {"L40S", 91.6e12, 183e12, 362e12}};
  for (const auto& p : peaks)
    if (name.find(p.name) != std::string::npos)
      return precision.dtype != "fp32" ? p.half : precision.tf32 ? p.tf32 : p.fp32;
  return 0;
}

static double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

nlohmann::json profile_calls(const std::string& label, const ProfiledCall& call, double macs_per_image,
                             int64_t parameters, const ProfileOptions& o) {
  std::string device_name = device_description(o.device);
  double peak = device_peak_flops(device_name, o.precision);
  PrecisionScope precision(o.precision, o.device);
  nlohmann::json rows = nlohmann::json::array();
  for (int batch : o.batch_sizes) {
    for (int i = 0; i < o.warmup; ++i) call(batch);
    synchronize(o.device);
    reset_peak_memory(o.device);
    std::vector<double> seconds;
    for (int i = 0; i < o.repeats; ++i) {
      synchronize(o.device);
      auto t0 = std::chrono::steady_clock::now();
      call(batch);
      synchronize(o.device);
      seconds.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    }
    double med = median(seconds);
    double lo = *std::min_element(seconds.begin(), seconds.end());
    double hi = *std::max_element(seconds.begin(), seconds.end());
    double flops = 2.0 * macs_per_image * batch / med;
    nlohmann::json row = {{"batch_size", batch},
                          {"latency_s", med},
                          {"latency_min_s", lo},
                          {"latency_max_s", hi},
                          {"latency_per_image_s", med / batch},
                          {"calls_per_s", 1.0 / med},
                          {"network_evals_per_s", batch / med},
                          {"peak_memory_bytes", peak_memory_bytes(o.device)},
                          {"flops_per_s", flops}};
    if (peak > 0) row["fraction_of_peak"] = flops / peak;
    if (o.steps > 0) row["images_per_s"] = batch / (med * o.steps);
    else row["images_per_s"] = batch / med;
    rows.push_back(row);
  }
  return {{"label", label},
          {"device", device_name},
          {"threads", current_threads()},
          {"parameters", parameters},
          {"macs_per_image", macs_per_image},
          {"steps", o.steps},
          {"precision", o.precision.dtype},
          {"tf32", o.precision.tf32},
          {"warmup", o.warmup},
          {"repeats", o.repeats},
          {"peak_flops", peak > 0 ? nlohmann::json(peak) : nlohmann::json(nullptr)},
          {"points", rows}};
}

nlohmann::json profile_model(DiffusionModel& model, const ProfileOptions& o) {
  torch::NoGradGuard no_grad;
  model.eval();
  model.to(o.device);
  int64_t params = 0;
  for (const auto& p : model.parameters()) params += p.numel();
  auto call = [&](int batch) {
    auto opts = torch::TensorOptions().device(o.device);
    auto x = torch::randn({batch, model.channels(), model.resolution(), model.resolution()}, opts);
    at::Tensor t, labels;
    if (model.kind() == "denoiser") {
      t = torch::full({batch}, 1.0, opts);
      if (model.num_classes() > 0)
        labels = torch::zeros({batch, model.num_classes()}, opts).index_fill_(1, torch::tensor({0}, opts.dtype(torch::kLong)), 1.0);
    } else {
      t = torch::full({batch}, 500, opts.dtype(torch::kLong));
      if (model.num_classes() > 0) labels = torch::zeros({batch}, opts.dtype(torch::kLong));
    }
    model.forward(x, t, labels);
  };
  return profile_calls(model.arch(), call, model.macs_per_image(), params, o);
}

std::string format_profile(const nlohmann::json& p) {
  std::ostringstream out;
  char buf[256];
  std::snprintf(buf, sizeof buf, "%s on %s, %d threads, %s%s: %.3g M parameters, %.3g GMACs per image per call\n",
                p["label"].get<std::string>().c_str(), p["device"].get<std::string>().c_str(),
                p["threads"].get<int>(), p.value("precision", "fp32").c_str(), p.value("tf32", false) ? " + TF32" : "", p["parameters"].get<double>() / 1e6,
                p["macs_per_image"].get<double>() / 1e9);
  out << buf;
  out << "| batch | latency (median, min-max) | per image | images/s | NFE/s | GFLOP/s | peak memory |\n"
         "|---|---|---|---|---|---|---|\n";
  for (const auto& r : p["points"]) {
    std::snprintf(buf, sizeof buf, "| %d | %.4g s (%.4g-%.4g) | %.4g s | %.4g | %.4g | %.4g%s | %.1f MiB |\n",
                  r["batch_size"].get<int>(), r["latency_s"].get<double>(), r["latency_min_s"].get<double>(),
                  r["latency_max_s"].get<double>(), r["latency_per_image_s"].get<double>(),
                  r["images_per_s"].get<double>(), r["network_evals_per_s"].get<double>(),
                  r["flops_per_s"].get<double>() / 1e9,
                  r.contains("fraction_of_peak")
                      ? (" (" + std::to_string(int(100 * r["fraction_of_peak"].get<double>())) + "% of peak)").c_str()
                      : "",
                  r["peak_memory_bytes"].get<double>() / (1024.0 * 1024.0));
    out << buf;
  }
  if (p.value("steps", 0) > 0)
    out << "images/s counts a whole sampler run of " << p["steps"].get<int>() << " network calls\n";
  return out.str();
}

}  // namespace diffbench
