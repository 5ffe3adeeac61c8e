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
  std::string inception;  // the network's identity (inception_identity); empty when not recorded
  std::string sha256;     // of the file read (or written)
  std::string images_key; // "arr_0" when the file carries images (ADM batches)
  // An ADM batch without stored statistics: the caller must run the extractor over images_key.
  bool needs_compute() const { return !pool.mu.defined() && !images_key.empty(); }
};

// Reads any of the formats above. Error naming the file when it holds neither mu/sigma nor arr_0,
// or when shapes disagree (sigma must be [D, D] for mu [D]).
ReferenceStats read_reference_stats(const std::string& path);

// Writes mu, sigma (float64) [, mu_s, sigma_s], protocol, inception, n as a stored npz (np.savez
// layout; pytorch-fid reads mu and sigma and ignores the rest), atomically; returns the file's
// SHA-256 (also set in stats).
std::string write_reference_stats(const std::string& path, ReferenceStats& stats);

// What statistics record of the network that made them: "random:SEED" for a stand-in, else
// "sha256:<hex of the weights file>".
std::string inception_identity(bool stand_in, const std::string& label, const std::string& sha256);

// Statistics read from `path` may be compared with features made under `protocol` by the network
// `inception` (an inception_identity): Error when the file records another protocol, or another
// network where either is a stand-in (its numbers compare with nothing else); a warning when two
// real weights files differ (the same weights re-saved in another container hash differently).
// Files that record neither (pytorch-fid's, ADM's) pass.
void check_stats_compatible(const ReferenceStats& stats, const std::string& path, const std::string& protocol,
                            const std::string& inception);

}  // namespace diffbench
