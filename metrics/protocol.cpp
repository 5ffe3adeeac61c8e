#include "metrics/protocol.h"

#include <cmath>

#include "common/error.h"

// Parity with the references needs each product and sum rounded on its own: no fused multiply-add.
#if defined(__clang__)
#pragma clang fp contract(off)
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif

namespace diffbench {

InputProtocol parse_protocol(const std::string& name, const std::string& what) {
  if (name == "pytorch-fid") return InputProtocol::PytorchFid;
  if (name == "tf") return InputProtocol::Tf;
  fail(what + ": unknown input protocol \"" + name + "\"; expected pytorch-fid or tf");
}

std::string protocol_name(InputProtocol protocol) {
  return protocol == InputProtocol::PytorchFid ? "pytorch-fid" : "tf";
}

std::string protocol_description(InputProtocol protocol) {
  if (protocol == InputProtocol::PytorchFid)
    return "pytorch-fid: u/255, PyTorch bilinear to 299 (half-pixel, align_corners=False, no antialias), 2x-1";
  return "tf: u as 0..255, TF1 legacy bilinear to 299 (src = dst*in/out, edge clamp), (x-128)/128";
}

// ---- resize grids ------------------------------------------------------------------------------------------

namespace {

struct Tap {
  int64_t i0, i1;
  double lerp;
};

// TF1 legacy scaler in float64: src = dst * in/out, no half-pixel offset, upper neighbour clamped.
std::vector<Tap> tf1_taps(int64_t in, int64_t out) {
  std::vector<Tap> taps(out);
  const double scale = static_cast<double>(in) / static_cast<double>(out);
  for (int64_t d = 0; d < out; ++d) {
    const double src = static_cast<double>(d) * scale;
    const double lo = std::floor(src);
    taps[d].i0 = static_cast<int64_t>(lo);
    taps[d].i1 = std::min(taps[d].i0 + 1, in - 1);
    taps[d].lerp = src - lo;
  }
  return taps;
}

// Separable TF1 resize of a double HWC image into `dst` (HWC or CHW) with `post` applied to each value. The
// horizontal pass gives exactly the top/bottom terms; the vertical pass combines two of them.
template <bool kChw, typename Post>
void tf1_resize_into(const double* src, int64_t in_h, int64_t in_w, int64_t c, int64_t out_h, int64_t out_w,
                     Post post) {
  const auto ty = tf1_taps(in_h, out_h);
  const auto tx = tf1_taps(in_w, out_w);
  std::vector<double> rows(static_cast<size_t>(in_h * out_w * c));
  for (int64_t r = 0; r < in_h; ++r) {
    const double* p = src + r * in_w * c;
    double* h = rows.data() + r * out_w * c;
    for (int64_t x = 0; x < out_w; ++x)
      for (int64_t k = 0; k < c; ++k) {
        const double a = p[tx[x].i0 * c + k], b = p[tx[x].i1 * c + k];
        h[x * c + k] = a + (b - a) * tx[x].lerp;
      }
  }
  for (int64_t y = 0; y < out_h; ++y) {
    const double* top = rows.data() + ty[y].i0 * out_w * c;
    const double* bottom = rows.data() + ty[y].i1 * out_w * c;
    for (int64_t x = 0; x < out_w; ++x)
      for (int64_t k = 0; k < c; ++k) {
        const double a = top[x * c + k], b = bottom[x * c + k];
        post(kChw ? (k * out_h + y) * out_w + x : (y * out_w + x) * c + k, a + (b - a) * ty[y].lerp);
      }
  }
}

at::Tensor checked_hwc(const at::Tensor& hwc, const char* what, at::ScalarType dtype) {
  if (hwc.dim() != 3) fail(std::string(what) + ": expected an [H, W, C] image, got " + std::to_string(hwc.dim()) + " dims");
  return hwc.to(at::kCPU).to(dtype).contiguous();
}

void check_image(const at::Tensor& image) {
  if (image.dim() != 3 || image.size(2) != 3 || image.scalar_type() != at::kByte)
    fail("Inception input: expected a uint8 RGB image [H, W, 3], got " + std::string(image.toString()) + " " +
         c10::str(image.sizes()));
}

}  // namespace

// The ATen op pytorch-fid calls, on [N, C, H, W].
static at::Tensor interpolate_bilinear(const at::Tensor& nchw, int64_t out_h, int64_t out_w) {
  namespace F = torch::nn::functional;
  return F::interpolate(nchw, F::InterpolateFuncOptions()
                                  .size(std::vector<int64_t>{out_h, out_w})
                                  .mode(torch::kBilinear)
                                  .align_corners(false));
}

at::Tensor resize_bilinear_half_pixel(const at::Tensor& hwc, int64_t out_h, int64_t out_w) {
  at::Tensor x = checked_hwc(hwc, "resize_bilinear_half_pixel", at::kFloat).permute({2, 0, 1}).unsqueeze(0).contiguous();
  return interpolate_bilinear(x, out_h, out_w).squeeze(0).permute({1, 2, 0}).contiguous();
}

at::Tensor resize_bilinear_tf1(const at::Tensor& hwc, int64_t out_h, int64_t out_w) {
  at::Tensor x = checked_hwc(hwc, "resize_bilinear_tf1", at::kDouble);
  at::Tensor out = at::empty({out_h, out_w, x.size(2)}, at::kDouble);
  double* o = out.data_ptr<double>();
  tf1_resize_into<false>(x.data_ptr<double>(), x.size(0), x.size(1), x.size(2), out_h, out_w,
                         [o](int64_t i, double v) { o[i] = v; });
  return out;
}

// ---- the front ends ----------------------------------------------------------------------------------------

at::Tensor prepare_batch(const std::vector<at::Tensor>& images, InputProtocol protocol) {
  const int64_t n = static_cast<int64_t>(images.size());
  if (protocol == InputProtocol::Tf) {
    at::Tensor ready = at::empty({n, 3, kInceptionSize, kInceptionSize}, at::kFloat);
    const int64_t stride = 3 * int64_t{kInceptionSize} * kInceptionSize;
    for (int64_t i = 0; i < n; ++i) {
      check_image(images[i]);
      at::Tensor u = images[i].to(at::kCPU).contiguous();
      const uint8_t* p = u.data_ptr<uint8_t>();
      std::vector<double> x(static_cast<size_t>(u.numel()));
      for (size_t j = 0; j < x.size(); ++j) x[j] = p[j];
      float* out = ready.data_ptr<float>() + i * stride;
      // Normalised in float64 too, then rounded once to float32 (as the golden tf features were made).
      tf1_resize_into<true>(x.data(), u.size(0), u.size(1), 3, kInceptionSize, kInceptionSize,
                            [out](int64_t k, double v) { out[k] = static_cast<float>((v - 128.0) / 128.0); });
    }
    return ready;
  }
  if (images.empty()) return at::empty({0, 3, kInceptionSize, kInceptionSize}, at::kFloat);
  std::vector<at::Tensor> resized;
  for (const at::Tensor& image : images) {
    check_image(image);
    at::Tensor u = image.to(at::kCPU).contiguous();
    const int64_t h = u.size(0), w = u.size(1);
    at::Tensor x = at::empty({1, 3, h, w}, at::kFloat);
    const uint8_t* p = u.data_ptr<uint8_t>();
    float* q = x.data_ptr<float>();
    for (int64_t k = 0; k < 3; ++k)  // HWC -> CHW, ToTensor's division by 255
      for (int64_t j = 0; j < h * w; ++j) q[k * h * w + j] = static_cast<float>(p[j * 3 + k]) / 255.0f;
    resized.push_back(interpolate_bilinear(x, kInceptionSize, kInceptionSize));  // pytorch-fid: before 2x - 1
  }
  at::Tensor batch = resized.size() == 1 ? resized[0] : at::cat(resized, 0);
  return at::sub(at::mul(batch, 2), 1);
}

}  // namespace diffbench
