// A read-only zip archive (libzip, ZIP64 included) for the zip and npz image sources: member
// listing, whole-member reads, and ranged reads that seek in stored members and stream otherwise.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

struct zip;
struct zip_file;

namespace diffbench {

struct ZipEntry {
  std::string name;
  uint64_t index = 0;
  uint64_t size = 0;  // uncompressed bytes
  bool stored = false;  // method 0: seekable without inflating
};

class ZipArchive {
 public:
  explicit ZipArchive(const std::string& path);  // Error naming the file when it is not a zip
  ~ZipArchive();
  ZipArchive(const ZipArchive&) = delete;
  ZipArchive& operator=(const ZipArchive&) = delete;

  const std::string& path() const { return path_; }
  const std::vector<ZipEntry>& entries() const { return entries_; }
  const ZipEntry* find(const std::string& name) const;  // nullptr when absent
  std::string read(const ZipEntry& entry);              // the whole member

  // Reads `size` bytes at `offset` of a member. Stored members seek; compressed ones inflate
  // forward from the last read (sequential batches cost one pass) and restart when going back.
  void read_range(const ZipEntry& entry, uint64_t offset, uint64_t size, void* out);

 private:
  std::string member_name(const ZipEntry& entry) const;
  void close_stream();
  std::string path_;
  zip* archive_ = nullptr;
  std::vector<ZipEntry> entries_;
  zip_file* stream_ = nullptr;  // the member open for read_range
  uint64_t stream_index_ = 0;
  uint64_t stream_pos_ = 0;
};

}  // namespace diffbench
