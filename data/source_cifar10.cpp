// The CIFAR-10 binary layout: data_batch_1..5.bin (train) or test_batch.bin (test), each a run of
// 3073-byte records (1 label byte, then 32x32 R, G and B planes), read as RGB [32, 32, 3].
#include <filesystem>
#include <fstream>

#include "common/error.h"
#include "common/log.h"
#include "data/source_kinds.h"

namespace fs = std::filesystem;

namespace diffbench {
namespace {

constexpr int64_t kSide = 32;
constexpr int64_t kPixels = 3 * kSide * kSide;
constexpr int64_t kRecord = 1 + kPixels;

struct BatchFile {
  std::string path;
  std::string name;
  int64_t first = 0;  // index of its first record in the source
  int64_t count = 0;
};

class Cifar10Source : public ImageSource {
 public:
  Cifar10Source(const std::string& dir, const std::string& split) : dir_(dir), split_(split) {
    std::vector<std::string> names;
    if (split == "train")
      for (int i = 1; i <= 5; ++i) names.push_back("data_batch_" + std::to_string(i) + ".bin");
    else
      names.push_back("test_batch.bin");
    for (const auto& name : names) {
      BatchFile f;
      f.name = name;
      f.path = (fs::path(dir) / name).string();
      std::error_code ec;
      const auto bytes = fs::file_size(f.path, ec);
      if (ec) fail(f.path + ": missing CIFAR-10 batch file (the " + split + " split needs it)");
      if (bytes == 0 || bytes % kRecord != 0)
        fail(f.path + ": " + std::to_string(bytes) + " bytes is not a whole number of " + std::to_string(kRecord) +
             "-byte records (1 label + 3072 pixels): labels and images do not match");
      f.first = size_;
      f.count = static_cast<int64_t>(bytes) / kRecord;
      size_ += f.count;
      files_.push_back(f);
    }
    info(dir + ": " + std::to_string(size_) + " images (CIFAR-10 " + split + ")");
  }

  long size() const override { return static_cast<long>(size_); }
  std::string kind() const override { return "cifar10"; }
  std::string path() const override { return dir_; }
  std::string name_of(long index) const override { return split_ + "[" + std::to_string(index) + "]"; }

  std::vector<at::Tensor> read(long start, long count) override {
    check_range(dir_, start, count, size());
    std::vector<at::Tensor> images;
    images.reserve(static_cast<size_t>(count));
    std::vector<char> record(kRecord);
    for (const auto& f : files_) {
      const int64_t lo = std::max<int64_t>(start, f.first), hi = std::min<int64_t>(start + count, f.first + f.count);
      if (lo >= hi) continue;
      std::ifstream in(f.path, std::ios::binary);
      in.seekg((lo - f.first) * kRecord);
      for (int64_t i = lo; i < hi; ++i) {
        if (!in.read(record.data(), kRecord)) fail(f.path + ": cannot read record " + std::to_string(i - f.first));
        // CHW planes -> HWC
        at::Tensor chw = torch::from_blob(record.data() + 1, {3, kSide, kSide}, torch::kUInt8);
        images.push_back(chw.permute({1, 2, 0}).contiguous());
      }
    }
    return images;
  }

  std::string content_hash() override {
    Sha256 hash;
    hash.update(std::string("diffbench-cifar10-v1:") + split_);
    for (const auto& f : files_) hash_named_file(hash, f.name, f.path);
    return hash.hex_digest();
  }

 private:
  std::string dir_, split_;
  std::vector<BatchFile> files_;
  int64_t size_ = 0;
};

}  // namespace

std::unique_ptr<ImageSource> open_cifar10_source(const std::string& dir, const SourceOptions& options) {
  return std::make_unique<Cifar10Source>(dir, checked_split(dir, options.split));
}

}  // namespace diffbench
