// MNIST / Fashion-MNIST idx files: <train|t10k>-images-idx3-ubyte[.gz] (magic 0x803, big-endian
// N, rows, cols, then N*rows*cols bytes) and the matching labels-idx1-ubyte[.gz] (magic 0x801, N).
// zlib's gz reader handles both plain and gzipped files; gray is replicated to RGB.
#include <zlib.h>

#include <filesystem>

#include "common/error.h"
#include "common/log.h"
#include "data/source_kinds.h"

namespace fs = std::filesystem;

namespace diffbench {
namespace {

// The first existing candidate in `dir`, or "".
std::string find_file(const std::string& dir, const std::vector<std::string>& candidates) {
  std::error_code ec;
  for (const auto& c : candidates) {
    const fs::path p = fs::path(dir) / c;
    if (fs::is_regular_file(p, ec)) return p.string();
  }
  return "";
}

class GzFile {
 public:
  explicit GzFile(const std::string& path) : path_(path), file_(gzopen(path.c_str(), "rb")) {
    if (!file_) fail(path + ": cannot open");
    gzbuffer(file_, 1 << 17);
  }
  ~GzFile() { gzclose(file_); }
  GzFile(const GzFile&) = delete;
  GzFile& operator=(const GzFile&) = delete;

  void read(void* out, size_t size, const std::string& what) {
    char* dst = static_cast<char*>(out);
    while (size > 0) {
      const unsigned chunk = static_cast<unsigned>(std::min<size_t>(size, 1u << 30));
      const int got = gzread(file_, dst, chunk);
      if (got <= 0) fail(path_ + ": truncated or corrupt while reading " + what);
      dst += got;
      size -= static_cast<size_t>(got);
    }
  }
  void seek(int64_t offset) {  // forward seeks inflate, backward ones restart: cheap for batches in order
    if (gzseek(file_, static_cast<z_off_t>(offset), SEEK_SET) != offset)
      fail(path_ + ": cannot seek to byte " + std::to_string(offset));
  }
  std::vector<uint32_t> header(int words) {
    std::vector<uint32_t> out(static_cast<size_t>(words));
    unsigned char b[4];
    for (auto& w : out) {
      read(b, 4, "the idx header");
      w = (uint32_t(b[0]) << 24) | (uint32_t(b[1]) << 16) | (uint32_t(b[2]) << 8) | b[3];
    }
    return out;
  }

 private:
  std::string path_;
  gzFile file_;
};

class IdxSource : public ImageSource {
 public:
  IdxSource(const std::string& dir, const std::string& split) : dir_(dir), split_(split) {
    const std::string prefix = split == "train" ? "train" : "t10k";
    images_path_ = find_file(dir, {prefix + "-images-idx3-ubyte", prefix + "-images-idx3-ubyte.gz",
                                   prefix + "-images.idx3-ubyte", prefix + "-images.idx3-ubyte.gz"});
    if (images_path_.empty())
      fail((fs::path(dir) / (prefix + "-images-idx3-ubyte[.gz]")).string() + ": missing (the " + split +
           " split of an idx folder needs it)");
    images_ = std::make_unique<GzFile>(images_path_);
    const auto h = images_->header(4);
    if (h[0] != 0x803)
      fail(images_path_ + ": bad idx magic " + std::to_string(h[0]) + ", expected 2051 (uint8, 3 dimensions)");
    n_ = h[1], rows_ = h[2], cols_ = h[3];
    if (n_ == 0 || rows_ == 0 || cols_ == 0) fail(images_path_ + ": holds no images");
    labels_path_ = find_file(dir, {prefix + "-labels-idx1-ubyte", prefix + "-labels-idx1-ubyte.gz",
                                   prefix + "-labels.idx1-ubyte", prefix + "-labels.idx1-ubyte.gz"});
    if (!labels_path_.empty()) {  // optional for image statistics, but it must agree when present
      GzFile labels(labels_path_);
      const auto l = labels.header(2);
      if (l[0] != 0x801) fail(labels_path_ + ": bad idx magic " + std::to_string(l[0]) + ", expected 2049 (uint8 labels)");
      if (l[1] != n_)
        fail(labels_path_ + ": " + std::to_string(l[1]) + " labels but " + fs::path(images_path_).filename().string() +
             " holds " + std::to_string(n_) + " images");
    }
    info(dir + ": " + std::to_string(n_) + " images " + std::to_string(cols_) + "x" + std::to_string(rows_) +
         " (idx " + split + ")");
  }

  long size() const override { return static_cast<long>(n_); }
  std::string kind() const override { return "idx"; }
  std::string path() const override { return dir_; }
  std::string name_of(long index) const override { return split_ + "[" + std::to_string(index) + "]"; }

  std::vector<at::Tensor> read(long start, long count) override {
    check_range(dir_, start, count, size());
    const int64_t image_bytes = rows_ * cols_;
    at::Tensor gray = torch::empty({count, rows_, cols_, 1}, torch::kUInt8);
    images_->seek(16 + start * image_bytes);
    images_->read(gray.data_ptr<uint8_t>(), static_cast<size_t>(count * image_bytes),
                  "images [" + std::to_string(start) + ", " + std::to_string(start + count) + ")");
    at::Tensor rgb = gray.expand({count, rows_, cols_, 3});
    std::vector<at::Tensor> images;
    images.reserve(static_cast<size_t>(count));
    for (long i = 0; i < count; ++i) images.push_back(rgb[i].contiguous());
    return images;
  }

  std::string content_hash() override {
    Sha256 hash;
    hash.update(std::string("diffbench-idx-v1:") + split_);
    hash_named_file(hash, fs::path(images_path_).filename().string(), images_path_);
    if (!labels_path_.empty()) hash_named_file(hash, fs::path(labels_path_).filename().string(), labels_path_);
    return hash.hex_digest();
  }

 private:
  std::string dir_, split_, images_path_, labels_path_;
  std::unique_ptr<GzFile> images_;
  int64_t n_ = 0, rows_ = 0, cols_ = 0;
};

}  // namespace

std::unique_ptr<ImageSource> open_idx_source(const std::string& dir, const SourceOptions& options) {
  return std::make_unique<IdxSource>(dir, checked_split(dir, options.split));
}

}  // namespace diffbench
