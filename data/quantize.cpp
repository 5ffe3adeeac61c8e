// quantize_to_uint8: the EDM/DiT and ADM/DiffiT float -> uint8 rules in their own op order.
#include "data/quantize.h"

#include "common/error.h"

namespace diffbench {

QuantizeRule parse_quantize_rule(const std::string& name) {
  if (name == "round") return QuantizeRule::round;
  if (name == "truncate") return QuantizeRule::truncate;
  fail("quantisation rule '" + name + "' is not known, expected round (EDM/DiT) or truncate (ADM/DiffiT)");
}

std::string to_string(QuantizeRule rule) { return rule == QuantizeRule::round ? "round" : "truncate"; }

at::Tensor quantize_to_uint8(const at::Tensor& x, QuantizeRule rule, SampleRange range) {
  if (!x.is_floating_point()) fail("quantize_to_uint8: expected a floating-point tensor, got " + std::string(x.dtype().name()));
  at::Tensor v = x.to(torch::kFloat32);
  if (v.isnan().any().item<bool>()) fail("quantize_to_uint8: the samples contain NaN (diverged sampler?)");
  // .to(uint8) truncates toward zero; after the clamp every value is in [0, 255].
  if (range == SampleRange::zero_one)
    return (rule == QuantizeRule::round ? v.mul(255.0).add(0.5) : v.mul(255.0)).clamp(0.0, 255.0).to(torch::kUInt8);
  if (rule == QuantizeRule::round) return v.mul(127.5).add(128.0).clamp(0.0, 255.0).to(torch::kUInt8);
  return v.add(1.0).mul(127.5).clamp(0.0, 255.0).to(torch::kUInt8);
}

}  // namespace diffbench
