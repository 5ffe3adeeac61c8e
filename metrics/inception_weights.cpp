#include "metrics/inception_weights.h"

#include <sys/stat.h>

#include "common/error.h"
#include "common/hash.h"
#include "io/state_dict.h"

namespace diffbench {

bool is_random_inception(const std::string& weights) { return weights.rfind("random:", 0) == 0; }

static uint64_t parse_seed(const std::string& weights) {
  const std::string digits = weights.substr(7);
  if (digits.empty() || digits.size() > 19 || digits.find_first_not_of("0123456789") != std::string::npos)
    fail("--inception " + weights + ": expected random:SEED with SEED a non-negative integer");
  return std::stoull(digits);
}

void init_random_inception(FidInceptionV3& net, uint64_t seed) {
  torch::NoGradGuard no_grad;
  at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  for (auto& item : net->named_modules("", /*include_self=*/false)) {
    auto* unit = item.value()->as<InceptionUnitImpl>();
    if (!unit) continue;
    at::Tensor w = unit->conv->weight;
    const double fan_in = static_cast<double>(w.size(1) * w.size(2) * w.size(3));
    w.copy_(at::normal(0.0, std::sqrt(2.0 / fan_in), w.sizes(), gen));  // He-normal keeps ReLU activations O(1)
    const int64_t c = w.size(0);
    unit->bn->weight.copy_(at::empty({c}).uniform_(0.5, 1.5, gen));
    unit->bn->bias.copy_(at::normal(0.0, 0.1, {c}, gen));
    unit->bn->running_mean.copy_(at::normal(0.0, 0.1, {c}, gen));
    unit->bn->running_var.copy_(at::empty({c}).uniform_(0.5, 1.5, gen));
  }
  net->fc->weight.copy_(at::normal(0.0, 0.05, net->fc->weight.sizes(), gen));
  net->fc->bias.copy_(at::normal(0.0, 1.0, net->fc->bias.sizes(), gen));
}

static bool is_directory(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

static bool exists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

FidInceptionV3 load_fid_inception(const std::string& weights, InceptionWeightsInfo* info) {
  FidInceptionV3 net;
  net->eval();
  InceptionWeightsInfo local;
  InceptionWeightsInfo& out = info ? *info : local;
  out = InceptionWeightsInfo{};
  out.label = weights;
  if (is_random_inception(weights)) {
    init_random_inception(net, parse_seed(weights));
    out.format = "random";
    out.stand_in = true;
    return net;
  }
  std::string path = weights;
  if (!path.empty() && is_directory(path)) path += std::string(path.back() == '/' ? "" : "/") + kInceptionWeightsName;
  if (path.empty() || !exists(path))
    fail("--inception: weights file " + (path.empty() ? std::string("(none given)") : path) +
         " not found; expected pytorch-fid's " + kInceptionWeightsName + " (" + std::to_string(kInceptionWeightsBytes) +
         " bytes) from " + kInceptionWeightsUrl + " (or random:SEED for a stand-in network)");
  StateDict state = load_state_dict(path);
  load_into_module(*net, state, path);
  out.path = path;
  out.sha256 = sha256_file(path);
  out.format = format_name(detect_weights_format(path));
  return net;
}

}  // namespace diffbench
