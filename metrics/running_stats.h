// Streaming first and second moments of feature vectors in float64, for FID/sFID statistics.
//
// Determinism rule (so a checkpointed, resumed or sharded run gives the numbers of an
// uninterrupted one): rows are buffered into fixed chunks of `chunk_rows` samples counted from the
// start of the stream; each complete chunk contributes one float64 matmul X^T X (and a row sum)
// computed from those rows alone, whatever the batch sizes that delivered them. Chunk totals are
// added into a double-double (hi + lo) accumulator, which makes the result independent of the
// order chunks are added in, up to the final rounding of hi + lo to float64 (exact unless the true
// sum lies within ~2^-100 relative of a rounding boundary). Shards merge exactly when every shard
// but the last holds a multiple of chunk_rows samples (their chunks then coincide with the
// uninterrupted run's); a shard's trailing partial chunk is folded in as one short chunk.
#pragma once
#include <cstdint>
#include <string>

#include <ATen/Tensor.h>

namespace diffbench {

class StateDict;

// Mean and covariance (N-1) of a feature set, float64 on the CPU.
struct FeatureStats {
  at::Tensor mu;     // [D]
  at::Tensor sigma;  // [D, D]
  int64_t count = 0;
};

// Two-pass statistics exactly as np.mean / np.cov(rowvar=False) compute them (centred float64
// matmul): the reference path for parity with pytorch-fid from a whole feature matrix [N, D].
FeatureStats feature_stats(const at::Tensor& features);

class RunningStats {
 public:
  static constexpr int64_t kDefaultChunkRows = 1000;

  explicit RunningStats(int64_t dim, int64_t chunk_rows = kDefaultChunkRows);

  // features: [B, D] (any floating dtype, any device); converted to float64 on the CPU.
  void add(const at::Tensor& features);
  // Adds another shard's totals (see the determinism rule above). Dims and chunk sizes must match.
  void merge(const RunningStats& other);

  int64_t count() const { return count_; }
  int64_t dim() const { return dim_; }
  int64_t chunk_rows() const { return chunk_rows_; }

  at::Tensor sum() const;        // [D] float64, Σx (complete chunks + pending rows)
  at::Tensor sum_outer() const;  // [D, D] float64, Σxxᵀ
  at::Tensor mean() const;       // Σx / n; Error when n == 0
  // (Σxxᵀ - n μμᵀ) / (n - 1), or / n when unbiased is false. Error when n < 2; [D, D].
  at::Tensor covariance(bool unbiased = true) const;
  FeatureStats stats() const;

  // Exact state (accumulators and pending rows) for checkpoints: arrays "n", "chunk_rows",
  // "sum_hi", "sum_lo", "outer_hi", "outer_lo", "pending".
  StateDict to_state() const;
  static RunningStats from_state(const StateDict& state, const std::string& origin);
  void save(const std::string& npz_path) const;  // atomic
  static RunningStats load(const std::string& npz_path);

 private:
  void add_chunk(const at::Tensor& rows);  // rows: [r, D] float64
  at::Tensor total_sum_outer_chunks() const;

  int64_t dim_;
  int64_t chunk_rows_;
  int64_t count_ = 0;
  at::Tensor sum_hi_, sum_lo_;      // [D]
  at::Tensor outer_hi_, outer_lo_;  // [D, D]
  at::Tensor pending_;              // [p, D] float64, p < chunk_rows
};

}  // namespace diffbench
