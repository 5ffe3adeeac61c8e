#include "metrics/running_stats.h"

#include "common/error.h"
#include "io/npz.h"
#include "io/state_dict.h"

namespace diffbench {

namespace {

// Knuth's TwoSum: hi + x = s + e exactly; e goes into lo, so the pair carries ~106 bits.
void two_sum_into(at::Tensor& hi, at::Tensor& lo, const at::Tensor& x) {
  at::Tensor s = hi + x;
  at::Tensor bp = s - hi;
  at::Tensor e = (hi - (s - bp)) + (x - bp);
  hi = s;
  lo = lo + e;
}

at::Tensor as_double_rows(const at::Tensor& features, int64_t dim, const char* what) {
  if (features.dim() != 2 || features.size(1) != dim)
    fail(std::string(what) + ": features must be [N, " + std::to_string(dim) + "], got " +
         c10::str(features.sizes()));
  if (!at::isFloatingType(features.scalar_type()))
    fail(std::string(what) + ": features must be floating point, got " +
         std::string(c10::toString(features.scalar_type())));
  return features.to(at::kCPU, at::kDouble).contiguous();
}

int64_t scalar_of(const StateDict& state, const std::string& name, const std::string& origin) {
  if (!state.contains(name)) fail(origin + ": running statistics lack '" + name + "'");
  return state.at(name).to(at::kLong).item<int64_t>();
}

at::Tensor array_of(const StateDict& state, const std::string& name, at::IntArrayRef shape,
                    const std::string& origin) {
  if (!state.contains(name)) fail(origin + ": running statistics lack '" + name + "'");
  const at::Tensor& t = state.at(name);
  if (t.scalar_type() != at::kDouble || t.sizes() != shape)
    fail(origin + ": '" + name + "' must be float64 " + c10::str(shape) + ", got " +
         std::string(c10::toString(t.scalar_type())) + " " + c10::str(t.sizes()));
  return t.contiguous().clone();
}

}  // namespace

FeatureStats feature_stats(const at::Tensor& features) {
  if (features.dim() != 2) fail("feature_stats: features must be [N, D], got " + c10::str(features.sizes()));
  int64_t n = features.size(0);
  if (n < 2) fail("feature_stats: covariance needs at least 2 samples, got " + std::to_string(n));
  at::Tensor x = features.to(at::kCPU, at::kDouble).contiguous();
  // np.mean is a pairwise sum; the centred matmul below is what np.cov does.
  at::Tensor mu = x.mean(0);
  at::Tensor xc = x - mu;
  at::Tensor sigma = at::mm(xc.t(), xc) / static_cast<double>(n - 1);
  return {mu, sigma, n};
}

RunningStats::RunningStats(int64_t dim, int64_t chunk_rows) : dim_(dim), chunk_rows_(chunk_rows) {
  if (dim <= 0) fail("RunningStats: feature dimension must be positive, got " + std::to_string(dim));
  if (chunk_rows <= 0) fail("RunningStats: chunk_rows must be positive, got " + std::to_string(chunk_rows));
  auto opts = at::TensorOptions().dtype(at::kDouble);
  sum_hi_ = at::zeros({dim}, opts);
  sum_lo_ = at::zeros({dim}, opts);
  outer_hi_ = at::zeros({dim, dim}, opts);
  outer_lo_ = at::zeros({dim, dim}, opts);
  pending_ = at::zeros({0, dim}, opts);
}

void RunningStats::add_chunk(const at::Tensor& rows) {
  if (rows.size(0) == 0) return;
  two_sum_into(sum_hi_, sum_lo_, rows.sum(0));
  two_sum_into(outer_hi_, outer_lo_, at::mm(rows.t(), rows));
}

void RunningStats::add(const at::Tensor& features) {
  at::Tensor x = as_double_rows(features, dim_, "RunningStats::add");
  int64_t n = x.size(0);
  count_ += n;
  int64_t start = 0;
  // Complete the pending chunk first, then whole chunks straight from x, then keep the tail.
  if (pending_.size(0) > 0) {
    int64_t take = std::min(n, chunk_rows_ - pending_.size(0));
    pending_ = at::cat({pending_, x.narrow(0, 0, take)}, 0);
    start = take;
    if (pending_.size(0) == chunk_rows_) {
      add_chunk(pending_);
      pending_ = pending_.narrow(0, 0, 0).clone();
    }
  }
  while (n - start >= chunk_rows_) {
    add_chunk(x.narrow(0, start, chunk_rows_).contiguous());
    start += chunk_rows_;
  }
  if (start < n) pending_ = at::cat({pending_, x.narrow(0, start, n - start)}, 0).contiguous();
}

void RunningStats::merge(const RunningStats& other) {
  if (other.dim_ != dim_ || other.chunk_rows_ != chunk_rows_)
    fail("RunningStats::merge: shards differ (dim " + std::to_string(dim_) + " vs " +
         std::to_string(other.dim_) + ", chunk_rows " + std::to_string(chunk_rows_) + " vs " +
         std::to_string(other.chunk_rows_) + ")");
  // A partial chunk ends its shard: fold it in as one short chunk (see the rule in the header).
  add_chunk(pending_);
  pending_ = pending_.narrow(0, 0, 0).clone();
  two_sum_into(sum_hi_, sum_lo_, other.sum_hi_);
  sum_lo_ = sum_lo_ + other.sum_lo_;
  two_sum_into(outer_hi_, outer_lo_, other.outer_hi_);
  outer_lo_ = outer_lo_ + other.outer_lo_;
  add_chunk(other.pending_);
  count_ += other.count_;
}

at::Tensor RunningStats::sum() const {
  at::Tensor hi = sum_hi_.clone(), lo = sum_lo_.clone();
  if (pending_.size(0) > 0) two_sum_into(hi, lo, pending_.sum(0));
  return hi + lo;
}

at::Tensor RunningStats::sum_outer() const {
  at::Tensor hi = outer_hi_.clone(), lo = outer_lo_.clone();
  if (pending_.size(0) > 0) two_sum_into(hi, lo, at::mm(pending_.t(), pending_));
  at::Tensor s = hi + lo;
  return (s + s.t()) * 0.5;  // exact when the matmul was already symmetric
}

at::Tensor RunningStats::mean() const {
  if (count_ == 0) fail("RunningStats: mean of zero samples");
  return sum() / static_cast<double>(count_);
}

at::Tensor RunningStats::covariance(bool unbiased) const {
  if (count_ < 2) fail("RunningStats: covariance needs at least 2 samples, got " + std::to_string(count_));
  at::Tensor s = sum();
  double n = static_cast<double>(count_);
  at::Tensor centred = sum_outer() - at::outer(s, s) / n;
  return centred / (unbiased ? n - 1.0 : n);
}

FeatureStats RunningStats::stats() const { return {mean(), covariance(true), count_}; }

StateDict RunningStats::to_state() const {
  StateDict state;
  state.insert("n", at::full({1}, count_, at::kLong));
  state.insert("chunk_rows", at::full({1}, chunk_rows_, at::kLong));
  state.insert("sum_hi", sum_hi_);
  state.insert("sum_lo", sum_lo_);
  state.insert("outer_hi", outer_hi_);
  state.insert("outer_lo", outer_lo_);
  state.insert("pending", pending_);
  return state;
}

RunningStats RunningStats::from_state(const StateDict& state, const std::string& origin) {
  if (!state.contains("sum_hi")) fail(origin + ": running statistics lack 'sum_hi'");
  int64_t dim = state.at("sum_hi").numel();
  RunningStats stats(dim, scalar_of(state, "chunk_rows", origin));
  stats.count_ = scalar_of(state, "n", origin);
  stats.sum_hi_ = array_of(state, "sum_hi", {dim}, origin);
  stats.sum_lo_ = array_of(state, "sum_lo", {dim}, origin);
  stats.outer_hi_ = array_of(state, "outer_hi", {dim, dim}, origin);
  stats.outer_lo_ = array_of(state, "outer_lo", {dim, dim}, origin);
  if (!state.contains("pending")) fail(origin + ": running statistics lack 'pending'");
  at::Tensor pending = state.at("pending");
  if (pending.scalar_type() != at::kDouble || pending.dim() != 2 || pending.size(1) != dim ||
      pending.size(0) >= stats.chunk_rows_ || pending.size(0) > stats.count_)
    fail(origin + ": 'pending' must be float64 [p < chunk_rows, " + std::to_string(dim) + "], got " +
         c10::str(pending.sizes()));
  stats.pending_ = pending.contiguous().clone();
  return stats;
}

void RunningStats::save(const std::string& npz_path) const {
  std::vector<std::pair<std::string, at::Tensor>> arrays(to_state().items());
  write_npz(npz_path, arrays);
}

RunningStats RunningStats::load(const std::string& npz_path) {
  StateDict state;
  for (auto& [name, tensor] : read_npz(npz_path)) state.insert(name, tensor);
  return from_state(state, npz_path);
}

}  // namespace diffbench
