// PNG writing through OpenCV's encoder (RGB -> BGR here) and write_file_atomic.
#include "data/image_write.h"

#include <cmath>
#include <cstdio>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include "common/error.h"
#include "common/files.h"

namespace diffbench {
namespace {

void check_rgb(const at::Tensor& image, const std::string& what) {
  if (image.scalar_type() != torch::kUInt8 || image.dim() != 3 || image.size(2) != 3)
    fail(what + ": expected a uint8 [H, W, 3] RGB image, got " + std::string(image.dtype().name()) + " " +
         c10::str(image.sizes()));
}

}  // namespace

std::string seed_png_name(uint64_t seed) {
  char name[32];
  std::snprintf(name, sizeof name, "%06llu.png", static_cast<unsigned long long>(seed));
  return name;
}

void write_png(const std::string& path, const at::Tensor& image) {
  check_rgb(image, path);
  // BGR copy for OpenCV: flip the channel axis.
  at::Tensor bgr = image.to(torch::kCPU).flip({2}).contiguous();
  const cv::Mat mat(static_cast<int>(bgr.size(0)), static_cast<int>(bgr.size(1)), CV_8UC3, bgr.data_ptr<uint8_t>());
  std::vector<uchar> encoded;
  if (!cv::imencode(".png", mat, encoded)) fail(path + ": PNG encoding failed");
  write_file_atomic(path, std::string(encoded.begin(), encoded.end()));
}

at::Tensor make_grid(const std::vector<at::Tensor>& images, int columns, int padding, int pad_value) {
  if (images.empty()) fail("make_grid: no images");
  if (padding < 0 || pad_value < 0 || pad_value > 255) fail("make_grid: padding must be >= 0 and pad_value in 0..255");
  for (size_t i = 0; i < images.size(); ++i) check_rgb(images[i], "make_grid image " + std::to_string(i));
  const int64_t n = static_cast<int64_t>(images.size()), h = images[0].size(0), w = images[0].size(1);
  for (size_t i = 1; i < images.size(); ++i)
    if (images[i].size(0) != h || images[i].size(1) != w)
      fail("make_grid image " + std::to_string(i) + ": " + c10::str(images[i].sizes()) + ", expected [" +
           std::to_string(h) + ", " + std::to_string(w) + ", 3] like image 0");
  const int64_t cols = columns > 0 ? std::min<int64_t>(columns, n)
                                   : static_cast<int64_t>(std::ceil(std::sqrt(static_cast<double>(n))));
  const int64_t rows = (n + cols - 1) / cols;
  at::Tensor grid = torch::full({rows * (h + padding) + padding, cols * (w + padding) + padding, 3}, pad_value,
                                torch::kUInt8);
  for (int64_t i = 0; i < n; ++i) {
    const int64_t y = padding + (i / cols) * (h + padding), x = padding + (i % cols) * (w + padding);
    grid.narrow(0, y, h).narrow(1, x, w).copy_(images[static_cast<size_t>(i)].to(torch::kCPU));
  }
  return grid;
}

void write_png_grid(const std::string& path, const std::vector<at::Tensor>& images, int columns, int padding) {
  write_png(path, make_grid(images, columns, padding));
}

void write_png_grid(const std::string& path, const at::Tensor& batch, int columns, int padding) {
  if (batch.dim() != 4) fail(path + ": expected a uint8 [N, H, W, 3] batch, got " + c10::str(batch.sizes()));
  std::vector<at::Tensor> images;
  for (int64_t i = 0; i < batch.size(0); ++i) images.push_back(batch[i]);
  write_png_grid(path, images, columns, padding);
}

}  // namespace diffbench
