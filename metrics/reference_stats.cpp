#include "metrics/reference_stats.h"

#include <cstring>

#include "common/error.h"
#include "common/hash.h"
#include "common/log.h"
#include "io/npz.h"
#include "metrics/inception_weights.h"

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

// Text stored as a uint8 array ("" when absent).
std::string read_text_member(const std::string& path, const std::string& name) {
  if (!npz_contains(path, name)) return "";
  at::Tensor t = read_npz_member(path, name).to(at::kByte).contiguous();
  return std::string(reinterpret_cast<const char*>(t.data_ptr<uint8_t>()), t.numel());
}

at::Tensor text_member(const std::string& text) {
  at::Tensor t = at::empty({static_cast<int64_t>(text.size())}, at::kByte);
  if (!text.empty()) std::memcpy(t.data_ptr<uint8_t>(), text.data(), text.size());
  return t;
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
  r.protocol = read_text_member(path, "protocol");
  r.inception = read_text_member(path, "inception");
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
  arrays.emplace_back("protocol", text_member(stats.protocol));
  if (!stats.inception.empty()) arrays.emplace_back("inception", text_member(stats.inception));
  arrays.emplace_back("n", at::full({1}, stats.pool.count, at::kLong));
  write_npz(path, arrays);
  stats.sha256 = sha256_file(path);
  return stats.sha256;
}

std::string inception_identity(bool stand_in, const std::string& label, const std::string& sha256) {
  return stand_in ? label : "sha256:" + sha256;
}

void check_stats_compatible(const ReferenceStats& stats, const std::string& path, const std::string& protocol,
                            const std::string& inception) {
  if (!stats.protocol.empty() && stats.protocol != protocol)
    fail(path + ": statistics were computed with protocol \"" + stats.protocol + "\" but this run uses \"" +
         protocol + "\"; mixing protocols gives meaningless FIDs");
  if (stats.inception.empty() || stats.inception == inception) return;
  const bool stand_in = is_random_inception(stats.inception) || is_random_inception(inception);
  if (stand_in)
    fail(path + ": statistics were computed with Inception " + stats.inception + " but this run uses " + inception +
         "; a stand-in network's numbers compare only with its own");
  warn(path + ": statistics were computed with Inception weights " + stats.inception.substr(0, 19) +
       "..., this run uses " + inception.substr(0, 19) + "... (fine if they are the same weights re-saved)");
}

}  // namespace diffbench
