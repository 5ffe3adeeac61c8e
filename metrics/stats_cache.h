// Content-addressed cache of feature statistics. The key hashes everything the numbers depend on
// (source content, protocol, extractor weights, layer, sample count), never a dataset's name, so a
// changed image gives a new source hash and a miss. Entries are reference-statistics npz files
// written atomically; a damaged or foreign entry is a miss (with a warning), never an error.
#pragma once
#include <cstdint>
#include <optional>
#include <string>

#include "metrics/reference_stats.h"

namespace diffbench {

struct StatsCacheKey {
  std::string source_hash;   // content hash of the images (manifest of per-file hashes)
  std::string protocol;      // e.g. "pytorch_fid"
  std::string weights_hash;  // SHA-256 of the extractor weights
  std::string layer;         // e.g. "pool3", "spatial"
  int64_t count = 0;         // number of samples
  std::string canonical() const;  // one line, fields in fixed order
  std::string digest() const;     // sha256 of canonical()
};

class StatsCache {
 public:
  // $DIFFBENCH_CACHE if set, else ~/.cache/diffbench/stats.
  static std::string default_dir();
  explicit StatsCache(std::string dir = default_dir());

  const std::string& dir() const { return dir_; }
  std::string path_for(const StatsCacheKey& key) const;  // <dir>/<digest>.npz
  std::optional<ReferenceStats> lookup(const StatsCacheKey& key) const;
  // Writes the entry (creating the directory) and returns its path.
  std::string store(const StatsCacheKey& key, const ReferenceStats& stats) const;

 private:
  std::string dir_;
};

}  // namespace diffbench
