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
  float w0, w1;  // half-pixel: weights of i0 and i1; TF1: w1 is the lerp fraction, w0 unused
};

// PyTorch's area_pixel_compute_source_index / compute_source_index_and_lambda, in float32.
std::vector<Tap> half_pixel_taps(int64_t in, int64_t out) {
  std::vector<Tap> taps(out);
  const float scale = static_cast<float>(in) / static_cast<float>(out);
  for (int64_t d = 0; d < out; ++d) {
    Tap& t = taps[d];
    if (in == out) {
      t = {d, d, 1.0f, 0.0f};
      continue;
    }
    float src = scale * (static_cast<float>(d) + 0.5f) - 0.5f;
    if (src < 0.0f) src = 0.0f;
    t.i0 = static_cast<int64_t>(src);
    t.i1 = t.i0 + (t.i0 < in - 1 ? 1 : 0);
    t.w1 = src - static_cast<float>(t.i0);
    t.w0 = 1.0f - t.w1;
  }
  return taps;
}

// TF1 legacy scaler: src = float(dst) * float(in/out), no half-pixel offset.
std::vector<Tap> tf1_taps(int64_t in, int64_t out) {
  std::vector<Tap> taps(out);
  const float scale = static_cast<float>(in) / static_cast<float>(out);
  for (int64_t d = 0; d < out; ++d) {
    Tap& t = taps[d];
    float src = static_cast<float>(d) * scale;
    float lo = std::floor(src);
    t.i0 = static_cast<int64_t>(lo);
    t.i1 = std::min(t.i0 + 1, in - 1);
    t.w1 = src - lo;
    t.w0 = 0.0f;
  }
  return taps;
}

// Separable resize of a float HWC image into `dst` (HWC or CHW), keeping each reference's operation order:
// the horizontal pass gives exactly the inner (per-row) terms, the vertical pass combines two of them.
template <bool kTf, bool kChw>
void resize_into(const float* src, int64_t in_h, int64_t in_w, int64_t c, int64_t out_h, int64_t out_w,
                 float* dst) {
  const auto ty = kTf ? tf1_taps(in_h, out_h) : half_pixel_taps(in_h, out_h);
  const auto tx = kTf ? tf1_taps(in_w, out_w) : half_pixel_taps(in_w, out_w);
  std::vector<float> rows(static_cast<size_t>(in_h * out_w * c));
  for (int64_t r = 0; r < in_h; ++r) {
    const float* p = src + r * in_w * c;
    float* h = rows.data() + r * out_w * c;
    for (int64_t x = 0; x < out_w; ++x) {
      const Tap& t = tx[x];
      for (int64_t k = 0; k < c; ++k) {
        float a = p[t.i0 * c + k], b = p[t.i1 * c + k];
        h[x * c + k] = kTf ? a + (b - a) * t.w1 : t.w0 * a + t.w1 * b;
      }
    }
  }
  for (int64_t y = 0; y < out_h; ++y) {
    const Tap& t = ty[y];
    const float* top = rows.data() + t.i0 * out_w * c;
    const float* bottom = rows.data() + t.i1 * out_w * c;
    for (int64_t x = 0; x < out_w; ++x)
      for (int64_t k = 0; k < c; ++k) {
        float a = top[x * c + k], b = bottom[x * c + k];
        float v = kTf ? a + (b - a) * t.w1 : t.w0 * a + t.w1 * b;
        if (kChw) dst[(k * out_h + y) * out_w + x] = v;
        else dst[(y * out_w + x) * c + k] = v;
      }
  }
}

at::Tensor checked_float_hwc(const at::Tensor& hwc, const char* what) {
  if (hwc.dim() != 3) fail(std::string(what) + ": expected an [H, W, C] image, got " + std::to_string(hwc.dim()) + " dims");
  return hwc.to(at::kCPU).to(at::kFloat).contiguous();
}

}  // namespace

at::Tensor resize_bilinear_half_pixel(const at::Tensor& hwc, int64_t out_h, int64_t out_w) {
  at::Tensor x = checked_float_hwc(hwc, "resize_bilinear_half_pixel");
  at::Tensor out = at::empty({out_h, out_w, x.size(2)}, at::kFloat);
  resize_into<false, false>(x.data_ptr<float>(), x.size(0), x.size(1), x.size(2), out_h, out_w, out.data_ptr<float>());
  return out;
}

at::Tensor resize_bilinear_tf1(const at::Tensor& hwc, int64_t out_h, int64_t out_w) {
  at::Tensor x = checked_float_hwc(hwc, "resize_bilinear_tf1");
  at::Tensor out = at::empty({out_h, out_w, x.size(2)}, at::kFloat);
  resize_into<true, false>(x.data_ptr<float>(), x.size(0), x.size(1), x.size(2), out_h, out_w, out.data_ptr<float>());
  return out;
}

// ---- the front ends ----------------------------------------------------------------------------------------

void prepare_image_into(const at::Tensor& image, InputProtocol protocol, float* out) {
  if (image.dim() != 3 || image.size(2) != 3 || image.scalar_type() != at::kByte)
    fail("Inception input: expected a uint8 RGB image [H, W, 3], got " + std::string(image.toString()) + " " +
         c10::str(image.sizes()));
  at::Tensor u = image.device().is_cpu() ? image.contiguous() : image.to(at::kCPU).contiguous();
  const int64_t h = u.size(0), w = u.size(1), n = h * w * 3;
  const uint8_t* p = u.data_ptr<uint8_t>();
  std::vector<float> x(static_cast<size_t>(n));
  const int64_t plane = int64_t{kInceptionSize} * kInceptionSize;
  if (protocol == InputProtocol::PytorchFid) {
    for (int64_t i = 0; i < n; ++i) x[i] = static_cast<float>(p[i]) / 255.0f;  // ToTensor divides
    resize_into<false, true>(x.data(), h, w, 3, kInceptionSize, kInceptionSize, out);
    for (int64_t i = 0; i < 3 * plane; ++i) out[i] = 2.0f * out[i] - 1.0f;
  } else {
    for (int64_t i = 0; i < n; ++i) x[i] = static_cast<float>(p[i]);
    resize_into<true, true>(x.data(), h, w, 3, kInceptionSize, kInceptionSize, out);
    for (int64_t i = 0; i < 3 * plane; ++i) out[i] = (out[i] - 128.0f) * 0.0078125f;  // exact: power of two
  }
}

at::Tensor prepare_batch(const std::vector<at::Tensor>& images, InputProtocol protocol) {
  at::Tensor batch = at::empty({static_cast<int64_t>(images.size()), 3, kInceptionSize, kInceptionSize}, at::kFloat);
  const int64_t stride = 3 * int64_t{kInceptionSize} * kInceptionSize;
  for (size_t i = 0; i < images.size(); ++i)
    prepare_image_into(images[i], protocol, batch.data_ptr<float>() + static_cast<int64_t>(i) * stride);
  return batch;
}

}  // namespace diffbench
