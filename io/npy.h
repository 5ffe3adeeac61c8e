// NumPy .npy arrays (v1/v2/v3 headers, C or Fortran order, little-endian) to and from tensors.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <ATen/Tensor.h>
#include <c10/core/ScalarType.h>

namespace diffbench {

// Parses .npy bytes; `origin` names the file (or archive member) in error messages.
at::Tensor parse_npy(const std::string& bytes, const std::string& origin);
at::Tensor read_npy(const std::string& path);
std::string encode_npy(const at::Tensor& tensor);  // contiguous CPU copy, native dtype
void write_npy(const std::string& path, const at::Tensor& tensor);  // atomic

// The parsed preamble of a .npy stream, for readers that fetch the data in pieces (NpyStream).
struct NpyHeader {
  c10::ScalarType dtype = c10::ScalarType::Float;
  std::vector<int64_t> shape;
  bool fortran_order = false;
  bool byteswap = false;    // '>' descr: data are big-endian and swapped on read
  size_t data_offset = 0;   // bytes from the start of the .npy to the first data byte
  size_t item_size = 0;
  int64_t numel() const;
  uint64_t data_bytes() const { return static_cast<uint64_t>(numel()) * item_size; }
};

// Needs only the first bytes of the stream (the magic, the length field and the header);
// `size` is how many are available. Error naming `origin` when they are not a valid header.
NpyHeader parse_npy_header(const char* data, size_t size, const std::string& origin);
// Header bytes (magic .. '\n') for a C-order array, padded so the data start at a multiple of 64.
std::string encode_npy_header(c10::ScalarType dtype, const std::vector<int64_t>& shape);
// Swaps each item_size-byte item in place (big-endian data).
void byteswap_items(char* data, size_t count, size_t item_size);

}  // namespace diffbench
