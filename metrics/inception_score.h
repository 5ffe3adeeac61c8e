// Inception Score from the 1008 bias-free logits: exp(E_x KL(p(y|x) ‖ p(y))) per split, in float64.
#pragma once
#include <cstdint>
#include <vector>

#include <ATen/Tensor.h>

namespace diffbench {

struct InceptionScore {
  double mean = 0;
  double std = 0;  // population std over splits (np.std)
  std::vector<double> split_scores;
};

// logits: [N, C] (all classes, computed without fc.bias). Splits are contiguous, unshuffled:
// [i·N/splits, (i+1)·N/splits), as TF improved-gan, StyleGAN3 and ADM do. Error when N < splits.
InceptionScore inception_score(const at::Tensor& logits, int splits = 10);

}  // namespace diffbench
