// NumPy .npz archives (np.savez / np.savez_compressed): read members, stream the rows of a large
// member (ADM sample batches: arr_0 uint8 [N,H,W,3], ZIP64 beyond 4 GiB), write stored archives.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <ATen/Tensor.h>

#include "io/npy.h"

namespace diffbench {

class ZipReader;

// Array names (member names without ".npy"), in archive order.
std::vector<std::string> list_npz(const std::string& path);
bool npz_contains(const std::string& path, const std::string& name);
at::Tensor read_npz_member(const std::string& path, const std::string& name);  // Error naming file+member
std::vector<std::pair<std::string, at::Tensor>> read_npz(const std::string& path);
// Stored (uncompressed) members, ZIP64 when needed, written atomically. Names get ".npy" added.
void write_npz(const std::string& path, const std::vector<std::pair<std::string, at::Tensor>>& arrays);

// Row-wise reader of one C-order array, from an npz member or a plain .npy file (member ""),
// without loading the array: a row is one index of the first dimension.
class NpyStream {
 public:
  NpyStream(const std::string& path, const std::string& member = "");
  ~NpyStream();
  NpyStream(const NpyStream&) = delete;
  NpyStream& operator=(const NpyStream&) = delete;

  const std::vector<int64_t>& shape() const { return header_.shape; }
  c10::ScalarType dtype() const { return header_.dtype; }
  int64_t rows() const { return header_.shape.empty() ? 1 : header_.shape[0]; }
  const std::string& origin() const { return origin_; }
  // Rows [start, start + count) as a tensor [count, shape[1:]...]; Error when out of range.
  at::Tensor read_rows(int64_t start, int64_t count);

  class Source;  // byte source: a plain file or a zip member

 private:
  std::string path_, member_, origin_;
  NpyHeader header_;
  uint64_t row_bytes_ = 0;
  std::unique_ptr<Source> source_;
};

}  // namespace diffbench
