// An .npz sample batch (ADM layout): arr_0.npy, uint8 [N, H, W, C], read in row ranges from the
// zip member without ever loading the whole array (a 50k 256² batch is 9.8 GB, ZIP64).
#include <cstring>
#include <regex>

#include "common/error.h"
#include "common/log.h"
#include "data/source_kinds.h"
#include "data/zip_archive.h"

namespace diffbench {
namespace {

struct NpyLayout {
  std::vector<int64_t> shape;
  uint64_t data_offset = 0;
};

// Reads the .npy header at the start of the member; only C-order uint8 is an image batch.
NpyLayout read_npy_header(ZipArchive& archive, const ZipEntry& entry, const std::string& origin) {
  char prefix[12] = {};
  if (entry.size < 10) fail(origin + ": too short for a .npy header");
  archive.read_range(entry, 0, std::min<uint64_t>(12, entry.size), prefix);
  if (std::memcmp(prefix, "\x93NUMPY", 6) != 0) fail(origin + ": not a .npy member (bad magic)");
  const int major = static_cast<unsigned char>(prefix[6]);
  uint64_t header_len = 0, header_start = 0;
  if (major == 1) {
    header_len = static_cast<unsigned char>(prefix[8]) | (static_cast<unsigned char>(prefix[9]) << 8);
    header_start = 10;
  } else if (major == 2 || major == 3) {
    for (int i = 0; i < 4; ++i) header_len |= static_cast<uint64_t>(static_cast<unsigned char>(prefix[8 + i])) << (8 * i);
    header_start = 12;
  } else {
    fail(origin + ": .npy format version " + std::to_string(major) + " is not supported, expected 1, 2 or 3");
  }
  if (header_start + header_len > entry.size || header_len > (1u << 20)) fail(origin + ": corrupt .npy header");
  std::string header(header_len, '\0');
  archive.read_range(entry, header_start, header_len, header.data());

  std::smatch m;
  if (!std::regex_search(header, m, std::regex("'descr'\\s*:\\s*'([^']*)'")) ||
      (m[1] != "|u1" && m[1] != "<u1" && m[1] != ">u1" && m[1] != "u1"))
    fail(origin + ": dtype " + (m.empty() ? std::string("?") : m[1].str()) +
         " is not an image batch, expected uint8 (|u1)");
  if (std::regex_search(header, m, std::regex("'fortran_order'\\s*:\\s*True")))
    fail(origin + ": Fortran-ordered array, expected C order");
  if (!std::regex_search(header, m, std::regex("'shape'\\s*:\\s*\\(([^)]*)\\)"))) fail(origin + ": no shape in header");
  NpyLayout layout;
  const std::string dims = m[1];
  const std::regex number("[0-9]+");
  for (auto it = std::sregex_iterator(dims.begin(), dims.end(), number); it != std::sregex_iterator(); ++it)
    layout.shape.push_back(std::stoll(it->str()));
  layout.data_offset = header_start + header_len;
  return layout;
}

class NpzSource : public ImageSource {
 public:
  NpzSource(const std::string& path) : path_(path), archive_(path) {
    const ZipEntry* entry = archive_.find("arr_0.npy");
    if (!entry) fail(path + ": no arr_0 array, expected an ADM-style batch with arr_0 uint8 [N, H, W, 3]");
    entry_ = *entry;
    const std::string origin = path + ":arr_0.npy";
    const NpyLayout layout = read_npy_header(archive_, entry_, origin);
    const auto& s = layout.shape;
    std::string shape;
    for (size_t i = 0; i < s.size(); ++i) shape += (i ? ", " : "") + std::to_string(s[i]);
    if (s.size() == 3) {  // [N, H, W]: gray
      n_ = s[0], h_ = s[1], w_ = s[2], c_ = 1;
    } else if (s.size() == 4 && (s[3] == 1 || s[3] == 3 || s[3] == 4)) {
      n_ = s[0], h_ = s[1], w_ = s[2], c_ = s[3];
    } else {
      fail(origin + ": shape (" + shape + ") is not an image batch, expected [N, H, W, 3] (NHWC; 1 or 4 channels also read)");
    }
    if (n_ == 0) fail(origin + ": the batch holds no images (shape (" + shape + "))");
    offset_ = layout.data_offset;
    if (offset_ + static_cast<uint64_t>(n_ * h_ * w_ * c_) != entry_.size)
      fail(origin + ": member is " + std::to_string(entry_.size) + " bytes, shape (" + shape + ") needs " +
           std::to_string(offset_ + n_ * h_ * w_ * c_));
    info(path + ": " + std::to_string(n_) + " images " + std::to_string(w_) + "x" + std::to_string(h_) + " (npz arr_0)");
  }

  long size() const override { return static_cast<long>(n_); }
  std::string kind() const override { return "npz"; }
  std::string path() const override { return path_; }
  std::string name_of(long index) const override { return "arr_0[" + std::to_string(index) + "]"; }

  std::vector<at::Tensor> read(long start, long count) override {
    check_range(path_, start, count, size());
    const int64_t image_bytes = h_ * w_ * c_;
    at::Tensor raw = torch::empty({count, h_, w_, c_}, torch::kUInt8);
    archive_.read_range(entry_, offset_ + static_cast<uint64_t>(start * image_bytes),
                        static_cast<uint64_t>(count * image_bytes), raw.data_ptr<uint8_t>());
    at::Tensor rgb = c_ == 3 ? raw : c_ == 1 ? raw.expand({count, h_, w_, 3}) : raw.narrow(3, 0, 3);
    std::vector<at::Tensor> images;
    images.reserve(static_cast<size_t>(count));
    for (long i = 0; i < count; ++i) images.push_back(rgb[i].contiguous());
    return images;
  }

  std::string content_hash() override {
    Sha256 hash;
    hash.update(std::string("diffbench-npz-v1"));
    hash_named_file(hash, "npz", path_);
    return hash.hex_digest();
  }

 private:
  std::string path_;
  ZipArchive archive_;
  ZipEntry entry_;
  uint64_t offset_ = 0;
  int64_t n_ = 0, h_ = 0, w_ = 0, c_ = 0;
};

}  // namespace

std::unique_ptr<ImageSource> open_npz_source(const std::string& path, const SourceOptions& options) {
  return std::make_unique<NpzSource>(path);
}

}  // namespace diffbench
