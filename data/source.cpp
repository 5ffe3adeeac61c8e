// open_source: tells the kind of a source from what the path is, and the helpers the kinds share.
#include "data/source.h"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "common/error.h"
#include "data/source_kinds.h"

namespace fs = std::filesystem;

namespace diffbench {
namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

bool has_any(const fs::path& dir, std::initializer_list<const char*> names) {
  std::error_code ec;
  for (const char* n : names)
    if (fs::is_regular_file(dir / n, ec)) return true;
  return false;
}

bool is_cifar10_dir(const fs::path& dir) { return has_any(dir, {"data_batch_1.bin", "test_batch.bin"}); }

bool is_idx_dir(const fs::path& dir) {
  return has_any(dir, {"train-images-idx3-ubyte", "train-images-idx3-ubyte.gz", "t10k-images-idx3-ubyte",
                       "t10k-images-idx3-ubyte.gz"});
}

const char* kExpected =
    "expected a folder of images, a .zip of images, an .npz with arr_0 (or .npy) uint8 NHWC, a CIFAR-10 binary folder "
    "or an MNIST/Fashion-MNIST idx folder";

}  // namespace

bool is_image_name(const std::string& name) {
  static const char* const kExtensions[] = {".png", ".jpg", ".jpeg", ".bmp", ".webp", ".tif", ".tiff"};
  const std::string l = lower(name);
  for (const char* ext : kExtensions) {
    const size_t n = std::strlen(ext);
    if (l.size() > n && l.compare(l.size() - n, n, ext) == 0) return true;
  }
  return false;
}

std::string checked_split(const std::string& path, const std::string& split) {
  if (split != "train" && split != "test")
    fail(path + ": split '" + split + "' is not known, expected train or test");
  return split;
}

void check_range(const std::string& path, long start, long count, long size) {
  if (start < 0 || count < 0 || start > size || count > size - start)
    fail(path + ": images [" + std::to_string(start) + ", " + std::to_string(start + count) +
         ") requested, the source has " + std::to_string(size));
}

void hash_named_bytes(Sha256& hash, const std::string& name, const std::string& bytes) {
  // Length prefixes keep (name, bytes) pairs unambiguous when concatenated.
  const uint64_t lengths[2] = {name.size(), bytes.size()};
  hash.update(lengths, sizeof lengths);
  hash.update(name);
  hash.update(bytes);
}

void hash_named_file(Sha256& hash, const std::string& name, const std::string& file) {
  std::ifstream in(file, std::ios::binary);
  std::error_code ec;
  const auto size = fs::file_size(file, ec);
  if (!in || ec) fail(file + ": cannot read (" + (ec ? ec.message() : std::string("open failed")) + ")");
  const uint64_t lengths[2] = {name.size(), static_cast<uint64_t>(size)};
  hash.update(lengths, sizeof lengths);
  hash.update(name);
  std::vector<char> buffer(1 << 20);
  uint64_t total = 0;
  while (in) {
    in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    const auto got = in.gcount();
    hash.update(buffer.data(), static_cast<size_t>(got));
    total += static_cast<uint64_t>(got);
  }
  if (total != size) fail(file + ": read " + std::to_string(total) + " bytes, expected " + std::to_string(size));
}

EncodedImageSource::EncodedImageSource(std::string path, std::vector<std::string> names,
                                       const SourceOptions& options)
    : path_(std::move(path)), names_(std::move(names)), require_same_size_(options.require_same_size) {}

void EncodedImageSource::init_size_check() {
  if (!require_same_size_ || names_.empty()) return;
  const at::Tensor first = decode_image_rgb(fetch(0), origin(0));
  reference_index_ = 0;
  reference_h_ = first.size(0);
  reference_w_ = first.size(1);
}

std::vector<at::Tensor> EncodedImageSource::read(long start, long count) {
  check_range(path_, start, count, size());
  std::vector<at::Tensor> images;
  images.reserve(static_cast<size_t>(count));
  for (long i = start; i < start + count; ++i) {
    at::Tensor image = decode_image_rgb(fetch(i), origin(i));
    if (reference_index_ >= 0 && (image.size(0) != reference_h_ || image.size(1) != reference_w_))
      fail(origin(i) + ": image is " + std::to_string(image.size(1)) + "x" + std::to_string(image.size(0)) +
           " (WxH), expected " + std::to_string(reference_w_) + "x" + std::to_string(reference_h_) + " like " +
           names_[static_cast<size_t>(reference_index_)] + " (the source must hold one image size)");
    images.push_back(std::move(image));
  }
  return images;
}

std::unique_ptr<ImageSource> open_source(const std::string& path, const SourceOptions& options) {
  std::error_code ec;
  const fs::path p(path);
  const auto status = fs::status(p, ec);
  if (ec || !fs::exists(status)) fail(path + ": no such file or directory (" + kExpected + ")");
  if (fs::is_directory(status)) {
    if (is_cifar10_dir(p)) return open_cifar10_source(path, options);
    if (is_cifar10_dir(p / "cifar-10-batches-bin"))  // the official tarball's folder
      return open_cifar10_source((p / "cifar-10-batches-bin").string(), options);
    if (is_idx_dir(p)) return open_idx_source(path, options);
    return open_folder_source(path, options);
  }
  const std::string ext = lower(p.extension().string());
  if (ext == ".zip") return open_zip_source(path, options);
  if (ext == ".npz" || ext == ".npy") return open_npz_source(path, options);
  fail(path + ": not an image source (" + kExpected + ")");
}

}  // namespace diffbench
