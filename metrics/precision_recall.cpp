#include "metrics/precision_recall.h"

#include "common/error.h"

namespace diffbench {

namespace {

// torch.cdist's matmul form (‖x‖² + ‖y‖² − 2xᵀy), which it picks for more than 25 rows: forcing it
// keeps every tile's distances identical to the reference's whatever the tile size.
at::Tensor distances(const at::Tensor& a, const at::Tensor& b) { return at::cdist(a, b, 2.0, 1); }

at::Tensor as_features(const at::Tensor& t, const char* which) {
  if (t.dim() != 2) fail(std::string("precision/recall: ") + which + " features must be [N, D], got " + c10::str(t.sizes()));
  return t.to(at::kCPU, at::kFloat).contiguous();
}

}  // namespace

at::Tensor knn_radii(const at::Tensor& x, int k, int64_t tile_rows) {
  int64_t n = x.size(0);
  if (n <= k) fail("precision/recall: " + std::to_string(n) + " samples cannot have a " + std::to_string(k) + "-th neighbour");
  std::vector<at::Tensor> radii;
  for (int64_t r0 = 0; r0 < n; r0 += tile_rows) {
    at::Tensor rows = x.narrow(0, r0, std::min(tile_rows, n - r0));
    at::Tensor best;  // the k+1 smallest distances so far (the self-distance among them)
    for (int64_t c0 = 0; c0 < n; c0 += tile_rows) {
      at::Tensor d = distances(rows, x.narrow(0, c0, std::min(tile_rows, n - c0)));
      at::Tensor cand = best.defined() ? at::cat({best, d}, 1) : d;
      int64_t keep = std::min<int64_t>(k + 1, cand.size(1));
      best = std::get<0>(at::topk(cand, keep, 1, /*largest=*/false, /*sorted=*/true));
    }
    radii.push_back(best.select(1, k).contiguous());
  }
  return at::cat(radii);
}

at::Tensor inside_any_ball(const at::Tensor& queries, const at::Tensor& references, const at::Tensor& radii,
                           int64_t tile_rows) {
  int64_t n = queries.size(0), m = references.size(0);
  at::Tensor inside = at::zeros({n}, at::kBool);
  for (int64_t r0 = 0; r0 < n; r0 += tile_rows) {
    int64_t rows = std::min(tile_rows, n - r0);
    at::Tensor hit = at::zeros({rows}, at::kBool);
    for (int64_t c0 = 0; c0 < m; c0 += tile_rows) {
      int64_t cols = std::min(tile_rows, m - c0);
      at::Tensor d = distances(queries.narrow(0, r0, rows), references.narrow(0, c0, cols));
      hit = hit.logical_or((d <= radii.narrow(0, c0, cols).unsqueeze(0)).any(1));
    }
    inside.narrow(0, r0, rows).copy_(hit);
  }
  return inside;
}

PrecisionRecall precision_recall(const at::Tensor& real, const at::Tensor& gen, const PrecisionRecallOptions& options) {
  at::Tensor r = as_features(real, "real"), g = as_features(gen, "generated");
  if (r.size(1) != g.size(1))
    fail("precision/recall: feature dimensions differ (real " + std::to_string(r.size(1)) + ", generated " +
         std::to_string(g.size(1)) + ")");
  if (options.k < 1) fail("precision/recall: k must be >= 1, got " + std::to_string(options.k));
  if (options.tile_rows < 1) fail("precision/recall: tile_rows must be >= 1");
  PrecisionRecall pr;
  pr.k = options.k;
  pr.n_real = r.size(0);
  pr.n_gen = g.size(0);
  at::Tensor real_radii = knn_radii(r, options.k, options.tile_rows);
  at::Tensor gen_radii = knn_radii(g, options.k, options.tile_rows);
  pr.precise_count = inside_any_ball(g, r, real_radii, options.tile_rows).sum().item<int64_t>();
  pr.recall_count = inside_any_ball(r, g, gen_radii, options.tile_rows).sum().item<int64_t>();
  pr.precision = static_cast<double>(pr.precise_count) / pr.n_gen;
  pr.recall = static_cast<double>(pr.recall_count) / pr.n_real;
  return pr;
}

}  // namespace diffbench
