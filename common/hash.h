// SHA-256, used to identify weights files, reference statistics, suites and cached sources.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

namespace diffbench {

class Sha256 {
 public:
  Sha256();
  void update(const void* data, size_t size);
  void update(const std::string& s) { update(s.data(), s.size()); }
  std::string hex_digest();  // finalises; 64 lowercase hex characters
 private:
  void transform(const uint8_t* block);
  uint32_t state_[8];
  uint64_t bit_count_ = 0;
  uint8_t buffer_[64];
  size_t buffer_size_ = 0;
};

std::string sha256_hex(const std::string& bytes);
std::string sha256_file(const std::string& path);  // fails with an Error naming the file

}  // namespace diffbench
