// Read access to ZIP archives (npz files, torch.save zip files) through libzip: member names,
// whole-member reads and sequential streams. ZIP64 and deflate come with libzip.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

struct zip;
struct zip_file;

namespace diffbench {

class ZipReader {
 public:
  explicit ZipReader(const std::string& path);  // Error naming the file when it is not a zip
  ~ZipReader();
  ZipReader(const ZipReader&) = delete;
  ZipReader& operator=(const ZipReader&) = delete;

  const std::string& path() const { return path_; }
  const std::vector<std::string>& names() const { return names_; }  // archive order
  bool contains(const std::string& name) const;
  uint64_t size_of(const std::string& name) const;       // uncompressed bytes
  bool is_stored(const std::string& name) const;         // method 0 (seekable without inflating)
  std::string read(const std::string& name) const;       // the whole member
  // Reads `size` bytes of the member at byte `offset` into dest (stored members only; one read).
  void read_at(const std::string& name, uint64_t offset, void* dest, uint64_t size) const;

  // A forward stream over one member; read() fills exactly n bytes or fails.
  class Stream {
   public:
    Stream(const ZipReader& archive, const std::string& name);
    ~Stream();
    Stream(const Stream&) = delete;
    Stream& operator=(const Stream&) = delete;
    void read(void* dest, uint64_t n);
    void skip(uint64_t n);
    bool seek(uint64_t offset);  // false when the member is compressed (libzip cannot seek then)
    uint64_t position() const { return position_; }
   private:
    const ZipReader& archive_;
    std::string name_;
    zip_file* file_ = nullptr;
    uint64_t position_ = 0;
  };

 private:
  int64_t index_of(const std::string& name) const;  // Error when absent
  std::string path_;
  zip* archive_ = nullptr;
  std::vector<std::string> names_;
};

// True when the file starts with a ZIP local header or end-of-central-directory record.
bool has_zip_magic(const std::string& first_bytes);

}  // namespace diffbench
