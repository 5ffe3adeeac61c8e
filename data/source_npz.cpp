// An .npz sample batch (ADM layout: arr_0 uint8 [N, H, W, C]) or a plain .npy of that layout,
// read in row ranges through io/npz.h's NpyStream, never loading the whole array (a 50k 256²
// batch is 9.8 GB, ZIP64).
#include <filesystem>

#include "common/error.h"
#include "common/log.h"
#include "data/source_kinds.h"
#include "io/npz.h"

namespace diffbench {
namespace {

class NpzSource : public ImageSource {
 public:
  NpzSource(const std::string& path, bool npz) : path_(path), npz_(npz) {
    if (npz && !npz_contains(path, "arr_0"))
      fail(path + ": no arr_0 array, expected an ADM-style batch with arr_0 uint8 [N, H, W, 3]");
    stream_ = std::make_unique<NpyStream>(path, npz ? "arr_0" : "");
    const std::string& origin = stream_->origin();
    const auto& s = stream_->shape();
    std::string shape;
    for (size_t i = 0; i < s.size(); ++i) shape += (i ? ", " : "") + std::to_string(s[i]);
    if (stream_->dtype() != torch::kUInt8)
      fail(origin + ": dtype " + std::string(c10::toString(stream_->dtype())) +
           " is not an image batch, expected uint8 [N, H, W, 3]");
    if (s.size() == 4 && (s[3] == 1 || s[3] == 3 || s[3] == 4))
      n_ = s[0], h_ = s[1], w_ = s[2], c_ = s[3];
    else if (s.size() == 3)  // [N, H, W]: gray
      n_ = s[0], h_ = s[1], w_ = s[2], c_ = 1;
    else
      fail(origin + ": shape (" + shape + ") is not an image batch, expected [N, H, W, 3] (NHWC; 1 or 4 channels also read)");
    if (n_ == 0 || h_ == 0 || w_ == 0) fail(origin + ": the batch holds no images (shape (" + shape + "))");
    info(path + ": " + std::to_string(n_) + " images " + std::to_string(w_) + "x" + std::to_string(h_) +
         (npz ? " (npz arr_0)" : " (npy)"));
  }

  long size() const override { return static_cast<long>(n_); }
  std::string kind() const override { return npz_ ? "npz" : "npy"; }
  std::string path() const override { return path_; }
  std::string name_of(long index) const override {
    return (npz_ ? "arr_0[" : "[") + std::to_string(index) + "]";
  }

  std::vector<at::Tensor> read(long start, long count) override {
    check_range(path_, start, count, size());
    const at::Tensor raw = stream_->read_rows(start, count).view({count, h_, w_, c_});
    // convert('RGB') rules: gray replicated, alpha dropped.
    const at::Tensor rgb = c_ == 3 ? raw : c_ == 1 ? raw.expand({count, h_, w_, 3}) : raw.narrow(3, 0, 3);
    std::vector<at::Tensor> images;
    images.reserve(static_cast<size_t>(count));
    for (long i = 0; i < count; ++i) images.push_back(rgb[i].contiguous());
    return images;
  }

  std::string content_hash() override {
    Sha256 hash;
    hash.update(std::string("diffbench-npz-v1"));
    hash_named_file(hash, npz_ ? "npz" : "npy", path_);
    return hash.hex_digest();
  }

 private:
  std::string path_;
  bool npz_;
  std::unique_ptr<NpyStream> stream_;
  int64_t n_ = 0, h_ = 0, w_ = 0, c_ = 0;
};

}  // namespace

std::unique_ptr<ImageSource> open_npz_source(const std::string& path, const SourceOptions& options) {
  const bool npz = std::filesystem::path(path).extension() != ".npy" && std::filesystem::path(path).extension() != ".NPY";
  return std::make_unique<NpzSource>(path, npz);
}

}  // namespace diffbench
