// Float samples -> uint8, with the rounding rule of the reference being reproduced
// (metrics.md §2.5, pitfalls.md #15). The choice changes FID, so callers record it.
//
//   round     trunc(clamp(127.5·x + 128, 0, 255))   EDM/StyleGAN generate.py, DiT sample_ddp.py
//             (= round-half-up of 127.5·x + 127.5): the diffbench default
//   truncate  trunc(clamp((x + 1)·127.5, 0, 255))   ADM image_sample.py, DiffiT sample.py
//             (floor: ≈0.5 LSB darker on average)
//
// Both are computed in float32 in exactly the references' operation order, so the bytes match.
#pragma once
#include <string>

#include <ATen/Tensor.h>

namespace diffbench {

enum class QuantizeRule { round, truncate };
enum class SampleRange { minus_one_one, zero_one };  // the declared range of the float input

QuantizeRule parse_quantize_rule(const std::string& name);  // "round" | "truncate", else Error
std::string to_string(QuantizeRule rule);

// Any shape, any floating dtype (computed in float32); returns uint8 of the same shape.
// [0,1] input: round = trunc(clamp(255·x + 0.5)), truncate = trunc(clamp(255·x)) (torchmetrics'
// (x·255).byte() but clamped first, so out-of-range values saturate instead of wrapping).
// NaN is an Error (a diverged sampler must not turn into black pixels silently).
at::Tensor quantize_to_uint8(const at::Tensor& x, QuantizeRule rule,
                             SampleRange range = SampleRange::minus_one_one);

}  // namespace diffbench
