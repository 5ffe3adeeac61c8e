// Input protocols of the FID Inception (metrics.md §2): how a uint8 RGB image becomes the network's
// [3, 299, 299] float input. The resize kernel and grid are part of the protocol; there is no other resize.
//
//   "pytorch-fid"  u/255 -> PyTorch bilinear (half-pixel, align_corners=False, no antialias) -> 2x - 1
//   "tf"           u as 0..255 floats -> TF1 legacy ResizeBilinear (src = dst * in/out) -> (x - 128) / 128
#pragma once
#include <string>
#include <vector>

#include <ATen/Tensor.h>

namespace diffbench {

enum class InputProtocol { PytorchFid, Tf };

constexpr int kInceptionSize = 299;

// "pytorch-fid" or "tf"; anything else is an Error naming `what` (e.g. "--protocol") and the choices.
InputProtocol parse_protocol(const std::string& name, const std::string& what = "protocol");
std::string protocol_name(InputProtocol protocol);
// One line for provenance: front end, kernel, grid, normalisation.
std::string protocol_description(InputProtocol protocol);

// Resizes a float HWC image (contiguous, any channel count) to out_h x out_w, bit-for-bit as
// F.interpolate(mode='bilinear', align_corners=False) computes it in float32 on the CPU.
at::Tensor resize_bilinear_half_pixel(const at::Tensor& hwc, int64_t out_h, int64_t out_w);
// TF1 legacy ResizeBilinear (align_corners=False, half_pixel_centers=False): src = float(dst) * float(in/out),
// edge clamp, lerp order top/bottom then vertical, as torch-fidelity reproduces it.
at::Tensor resize_bilinear_tf1(const at::Tensor& hwc, int64_t out_h, int64_t out_w);

// uint8 RGB [H, W, 3] -> network input written into `out` ([3, 299, 299] float32, contiguous CPU).
// Plain loops only (no ATen parallelism), so it may run on a producer thread beside inference.
void prepare_image_into(const at::Tensor& image, InputProtocol protocol, float* out);
// Convenience: a batch [N, 3, 299, 299] float32 on the CPU. Images may differ in size.
at::Tensor prepare_batch(const std::vector<at::Tensor>& images, InputProtocol protocol);

}  // namespace diffbench
