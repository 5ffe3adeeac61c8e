// Improved precision/recall (Kynkäänniemi et al. 2019) as torch-fidelity computes it: radius of a
// point = Euclidean distance to its k-th nearest neighbour in its own set (self excluded), a point
// counts when it lies within (<=) some ball of the other set. Distances are float32 torch.cdist
// values (matmul form), computed in tiles so no N×N matrix is ever held.
#pragma once
#include <cstdint>

#include <ATen/Tensor.h>

namespace diffbench {

struct PrecisionRecallOptions {
  int k = 3;
  int64_t tile_rows = 10000;  // rows and columns per distance tile
};

struct PrecisionRecall {
  double precision = 0;  // fraction of generated samples inside some real ball
  double recall = 0;     // fraction of real samples inside some generated ball
  int64_t precise_count = 0, recall_count = 0;
  int64_t n_real = 0, n_gen = 0;
  int k = 3;
};

// real, gen: [N, D] features; cast to float32 like torch-fidelity's stored features.
PrecisionRecall precision_recall(const at::Tensor& real, const at::Tensor& gen,
                                 const PrecisionRecallOptions& options = {});

// Distance from each row of x to its k-th nearest neighbour in x, self excluded ([N] float32).
at::Tensor knn_radii(const at::Tensor& x, int k, int64_t tile_rows);
// For each row of queries: is it within radii[j] of some reference row j? ([N] bool)
at::Tensor inside_any_ball(const at::Tensor& queries, const at::Tensor& references, const at::Tensor& radii,
                           int64_t tile_rows);

}  // namespace diffbench
