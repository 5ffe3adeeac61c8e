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

// PyTorch's bilinear resize (half-pixel grid, align_corners=False, no antialias) of a float HWC image: the very
// ATen op pytorch-fid calls (a hand-written loop differs from ATen's kernel by ~1e-6, which moves pool3 by 3e-4).
at::Tensor resize_bilinear_half_pixel(const at::Tensor& hwc, int64_t out_h, int64_t out_w);
// TF1 legacy ResizeBilinear (align_corners=False, half_pixel_centers=False) in float64: src = dst * in/out,
// i0 = floor(src), i1 = min(i0 + 1, in - 1), lerp horizontally (top, bottom) then vertically. Returns kDouble.
// float64 is what reproduces the golden tf features bit-for-bit (a float32 grid is up to 4e-4 off on pool3).
at::Tensor resize_bilinear_tf1(const at::Tensor& hwc, int64_t out_h, int64_t out_w);

// uint8 RGB images [H, W, 3] to the network's input: a batch [N, 3, 299, 299] float32 on the CPU. Images may
// differ in size.
at::Tensor prepare_batch(const std::vector<at::Tensor>& images, InputProtocol protocol);

}  // namespace diffbench
