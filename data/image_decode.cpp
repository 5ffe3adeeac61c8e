// decode_image_rgb: OpenCV decodes (IMREAD_UNCHANGED, so no EXIF rotation and no implicit colour
// conversion, as PIL), then the channel and depth rules of PIL's convert('RGB') are applied here.
//
// Rules, checked against Pillow 9.4 (tests/data/sources/make_fixtures.py makes the evidence):
//   1 channel, 8-bit      gray replicated to R = G = B
//   1 channel, 16-bit     PIL opens it as 'I' / 'I;16' and converts I -> L by clipping: min(v, 255)
//   3/4 channel, 16-bit   PIL keeps the high byte: v >> 8 (RGB;16B / RGBA;16B unpackers)
//   gray + alpha          OpenCV gives BGRA with gray replicated; alpha dropped like PIL (no compositing)
//   RGBA                  alpha dropped, the stored RGB of transparent pixels kept (as PIL)
//   palette               expanded by the decoder (as PIL's P -> RGB)
#include "data/source.h"

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include "common/error.h"

namespace diffbench {
namespace {

template <typename T>
void to_rgb(const cv::Mat& m, uint8_t* out) {
  const int channels = m.channels();
  for (int y = 0; y < m.rows; ++y) {
    const T* row = m.ptr<T>(y);
    for (int x = 0; x < m.cols; ++x, out += 3) {
      const T* p = row + static_cast<size_t>(x) * channels;
      if (channels <= 2) {  // gray (+ alpha, from TIFF): replicate
        uint8_t v = sizeof(T) == 1 ? static_cast<uint8_t>(p[0])
                                   : static_cast<uint8_t>(p[0] > 255 ? 255 : p[0]);  // PIL I -> L clips
        out[0] = out[1] = out[2] = v;
      } else {  // BGR(A): swap to RGB, drop alpha, 16-bit keeps the high byte
        const int shift = sizeof(T) == 1 ? 0 : 8;
        out[0] = static_cast<uint8_t>(p[2] >> shift);
        out[1] = static_cast<uint8_t>(p[1] >> shift);
        out[2] = static_cast<uint8_t>(p[0] >> shift);
      }
    }
  }
}

}  // namespace

at::Tensor decode_image_rgb(const std::string& bytes, const std::string& origin) {
  if (bytes.empty()) fail(origin + ": empty file, expected an encoded image (png/jpg/bmp/webp/tif)");
  const cv::Mat buffer(1, static_cast<int>(bytes.size()), CV_8U, const_cast<char*>(bytes.data()));
  cv::Mat m;
  try {
    m = cv::imdecode(buffer, cv::IMREAD_UNCHANGED);
  } catch (const cv::Exception& e) {
    m.release();
  }
  if (m.empty())
    fail(origin + ": cannot decode image (corrupt, or not a png/jpg/bmp/webp/tif file OpenCV can read)");
  const int depth = m.depth();
  if (depth != CV_8U && depth != CV_16U)
    fail(origin + ": unsupported sample type (OpenCV depth " + std::to_string(depth) +
         "), expected 8- or 16-bit unsigned samples");
  if (m.channels() < 1 || m.channels() > 4)
    fail(origin + ": " + std::to_string(m.channels()) + " channels, expected 1 to 4");
  if (!m.isContinuous()) m = m.clone();
  at::Tensor out = torch::empty({m.rows, m.cols, 3}, torch::kUInt8);
  if (depth == CV_8U)
    to_rgb<uint8_t>(m, out.data_ptr<uint8_t>());
  else
    to_rgb<uint16_t>(m, out.data_ptr<uint8_t>());
  return out;
}

}  // namespace diffbench
