// Reference statistics files: pytorch-fid / TTUR / clean-fid / EDM npz (mu, sigma), ADM reference
// batches (mu, sigma, mu_s, sigma_s, or only images in arr_0), and the ones diffbench writes: the
// same npz plus `protocol` (uint8 UTF-8 bytes) and `n` (int64) arrays, which np.load and
// pytorch-fid ignore (they read f['mu'] and f['sigma'] only).
#pragma once
#include <cstdint>
#include <string>

#include <ATen/Tensor.h>

#include "metrics/running_stats.h"

namespace diffbench {

struct ReferenceStats {
  FeatureStats pool;      // mu [D], sigma [D, D] float64; undefined when the file holds images only
  FeatureStats spatial;   // mu_s, sigma_s (ADM sFID); undefined when absent
  std::string protocol;   // empty for files diffbench did not write
  std::string sha256;     // of the file read (or written)
  std::string images_key; // "arr_0" when the file carries images (ADM batches)
  // An ADM batch without stored statistics: the caller must run the extractor over images_key.
  bool needs_compute() const { return !pool.mu.defined() && !images_key.empty(); }
};

// Reads any of the formats above. Error naming the file when it holds neither mu/sigma nor arr_0,
// or when shapes disagree (sigma must be [D, D] for mu [D]).
ReferenceStats read_reference_stats(const std::string& path);

// Writes mu, sigma (float64) [, mu_s, sigma_s], protocol, n as a stored npz (np.savez layout),
// atomically; returns the file's SHA-256 (also set in stats).
std::string write_reference_stats(const std::string& path, ReferenceStats& stats);

}  // namespace diffbench
