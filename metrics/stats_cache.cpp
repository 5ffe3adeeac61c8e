#include "metrics/stats_cache.h"

#include <cstdlib>
#include <filesystem>

#include "common/error.h"
#include "common/files.h"
#include "common/hash.h"
#include "common/log.h"
#include "io/npz.h"

namespace diffbench {

std::string StatsCacheKey::canonical() const {
  // Lengths prefix each field so no two different keys share a line.
  auto field = [](const std::string& s) { return std::to_string(s.size()) + ":" + s + ";"; };
  return "diffbench-stats-v1;" + field(source_hash) + field(protocol) + field(weights_hash) + field(layer) +
         field(std::to_string(count));
}

std::string StatsCacheKey::digest() const { return sha256_hex(canonical()); }

std::string StatsCache::default_dir() {
  if (const char* env = std::getenv("DIFFBENCH_CACHE"); env && *env) return env;
  const char* home = std::getenv("HOME");
  return std::string(home && *home ? home : ".") + "/.cache/diffbench/stats";
}

StatsCache::StatsCache(std::string dir) : dir_(std::move(dir)) {}

std::string StatsCache::path_for(const StatsCacheKey& key) const { return dir_ + "/" + key.digest() + ".npz"; }

std::optional<ReferenceStats> StatsCache::lookup(const StatsCacheKey& key) const {
  std::string path = path_for(key);
  if (!file_exists(path)) return std::nullopt;
  try {
    at::Tensor stored = read_npz_member(path, "cache_key").to(at::kByte).contiguous();
    std::string stored_key(reinterpret_cast<const char*>(stored.data_ptr<uint8_t>()), stored.numel());
    if (stored_key != key.canonical()) {
      warn(path + ": cache entry belongs to another key; ignoring it");
      return std::nullopt;
    }
    ReferenceStats stats = read_reference_stats(path);
    if (stats.pool.count != key.count) {
      warn(path + ": cache entry holds " + std::to_string(stats.pool.count) + " samples, expected " +
           std::to_string(key.count) + "; ignoring it");
      return std::nullopt;
    }
    return stats;
  } catch (const Error& e) {
    warn(std::string("unreadable statistics cache entry, recomputing: ") + e.what());
    return std::nullopt;
  }
}

std::string StatsCache::store(const StatsCacheKey& key, const ReferenceStats& stats) const {
  std::error_code ec;
  std::filesystem::create_directories(dir_, ec);
  if (ec) fail(dir_ + ": cannot create the statistics cache directory: " + ec.message());
  std::string path = path_for(key);
  std::vector<std::pair<std::string, at::Tensor>> arrays;
  arrays.emplace_back("mu", stats.pool.mu.to(at::kCPU, at::kDouble).contiguous());
  arrays.emplace_back("sigma", stats.pool.sigma.to(at::kCPU, at::kDouble).contiguous());
  if (stats.spatial.mu.defined()) {
    arrays.emplace_back("mu_s", stats.spatial.mu.to(at::kCPU, at::kDouble).contiguous());
    arrays.emplace_back("sigma_s", stats.spatial.sigma.to(at::kCPU, at::kDouble).contiguous());
  }
  auto bytes = [](const std::string& s) {
    at::Tensor t = at::empty({static_cast<int64_t>(s.size())}, at::kByte);
    if (!s.empty()) std::memcpy(t.data_ptr<uint8_t>(), s.data(), s.size());
    return t;
  };
  arrays.emplace_back("protocol", bytes(stats.protocol.empty() ? key.protocol : stats.protocol));
  arrays.emplace_back("n", at::full({1}, key.count, at::kLong));
  arrays.emplace_back("cache_key", bytes(key.canonical()));
  write_npz(path, arrays);  // atomic: temp file + rename
  return path;
}

}  // namespace diffbench
