#include "metrics/reference_stats.h"

#include "common/error.h"
#include "common/hash.h"
#include "io/npz.h"

namespace diffbench {

namespace {

FeatureStats read_pair(const std::string& path, const std::string& mu_name, const std::string& sigma_name) {
  FeatureStats s;
  s.mu = read_npz_member(path, mu_name).to(at::kDouble).contiguous();
  s.sigma = read_npz_member(path, sigma_name).to(at::kDouble).contiguous();
  if (s.mu.dim() != 1) fail(path + ": '" + mu_name + "' must be [D], got " + c10::str(s.mu.sizes()));
  int64_t d = s.mu.size(0);
  if (s.sigma.dim() != 2 || s.sigma.size(0) != d || s.sigma.size(1) != d)
    fail(path + ": '" + sigma_name + "' must be [" + std::to_string(d) + ", " + std::to_string(d) + "], got " +
         c10::str(s.sigma.sizes()));
  if (!at::isfinite(s.mu).all().item<bool>() || !at::isfinite(s.sigma).all().item<bool>())
    fail(path + ": '" + mu_name + "' or '" + sigma_name + "' holds NaN or infinity");
  // A covariance has no negative variance; one that does would give a meaningless (or negative) FID.
  const double min_var = s.sigma.diagonal().min().item<double>();
  if (min_var < 0)
    fail(path + ": '" + sigma_name + "' is not a covariance matrix: a diagonal entry (variance) is " +
         std::to_string(min_var) + ", expected >= 0");
  return s;
}

}  // namespace

ReferenceStats read_reference_stats(const std::string& path) {
  ReferenceStats r;
  bool has_mu = npz_contains(path, "mu") && npz_contains(path, "sigma");
  if (has_mu) r.pool = read_pair(path, "mu", "sigma");
  if (npz_contains(path, "mu_s") && npz_contains(path, "sigma_s")) r.spatial = read_pair(path, "mu_s", "sigma_s");
  if (npz_contains(path, "arr_0")) r.images_key = "arr_0";
  if (!has_mu && r.images_key.empty())
    fail(path + ": not reference statistics: expected arrays 'mu' and 'sigma' (or ADM images 'arr_0')");
  if (npz_contains(path, "protocol")) {
    at::Tensor p = read_npz_member(path, "protocol").to(at::kByte).contiguous();
    r.protocol.assign(reinterpret_cast<const char*>(p.data_ptr<uint8_t>()), p.numel());
  }
  if (npz_contains(path, "n")) {
    int64_t n = read_npz_member(path, "n").to(at::kLong).flatten()[0].item<int64_t>();
    r.pool.count = n;
    r.spatial.count = n;
  }
  r.sha256 = sha256_file(path);
  return r;
}

std::string write_reference_stats(const std::string& path, ReferenceStats& stats) {
  if (!stats.pool.mu.defined() || !stats.pool.sigma.defined())
    fail(path + ": cannot write reference statistics without mu and sigma");
  std::vector<std::pair<std::string, at::Tensor>> arrays;
  arrays.emplace_back("mu", stats.pool.mu.to(at::kCPU, at::kDouble).contiguous());
  arrays.emplace_back("sigma", stats.pool.sigma.to(at::kCPU, at::kDouble).contiguous());
  if (stats.spatial.mu.defined()) {
    arrays.emplace_back("mu_s", stats.spatial.mu.to(at::kCPU, at::kDouble).contiguous());
    arrays.emplace_back("sigma_s", stats.spatial.sigma.to(at::kCPU, at::kDouble).contiguous());
  }
  at::Tensor protocol = at::empty({static_cast<int64_t>(stats.protocol.size())}, at::kByte);
  if (!stats.protocol.empty()) std::memcpy(protocol.data_ptr<uint8_t>(), stats.protocol.data(), stats.protocol.size());
  arrays.emplace_back("protocol", protocol);
  arrays.emplace_back("n", at::full({1}, stats.pool.count, at::kLong));
  write_npz(path, arrays);
  stats.sha256 = sha256_file(path);
  return stats.sha256;
}

}  // namespace diffbench
