#include "metrics/inception_score.h"

#include <cmath>

#include "common/error.h"

namespace diffbench {

InceptionScore inception_score(const at::Tensor& logits, int splits) {
  if (logits.dim() != 2) fail("inception_score: logits must be [N, classes], got " + c10::str(logits.sizes()));
  int64_t n = logits.size(0);
  if (splits < 1 || n < splits)
    fail("inception_score: " + std::to_string(n) + " samples cannot form " + std::to_string(splits) + " splits");
  // log-softmax in double: float32 probabilities underflow to 0 and give 0·log 0 = NaN.
  at::Tensor log_p = at::log_softmax(logits.to(at::kCPU, at::kDouble), 1);
  at::Tensor p = at::exp(log_p);
  InceptionScore is;
  for (int i = 0; i < splits; ++i) {
    int64_t begin = i * n / splits, end = (i + 1) * n / splits;
    at::Tensor lp = log_p.narrow(0, begin, end - begin), pp = p.narrow(0, begin, end - begin);
    at::Tensor log_marginal = at::log(pp.mean(0));
    double kl = (pp * (lp - log_marginal)).sum(1).mean().item<double>();
    is.split_scores.push_back(std::exp(kl));
  }
  double sum = 0;
  for (double s : is.split_scores) sum += s;
  is.mean = sum / splits;
  double var = 0;
  for (double s : is.split_scores) var += (s - is.mean) * (s - is.mean);
  is.std = std::sqrt(var / splits);
  return is;
}

}  // namespace diffbench
