// libzip wrapper: every libzip failure becomes one Error line naming the archive and member.
#include "io/zip_reader.h"

#include <zip.h>

#include "common/error.h"

namespace diffbench {

bool has_zip_magic(const std::string& b) {
  return b.size() >= 4 && b[0] == 'P' && b[1] == 'K' &&
         ((b[2] == 3 && b[3] == 4) || (b[2] == 5 && b[3] == 6));
}

ZipReader::ZipReader(const std::string& path) : path_(path) {
  int error = 0;
  archive_ = zip_open(path.c_str(), ZIP_RDONLY, &error);
  if (!archive_) {
    zip_error_t ze;
    zip_error_init_with_code(&ze, error);
    std::string why = zip_error_strerror(&ze);
    zip_error_fini(&ze);
    fail(path + ": not a readable zip archive (" + why + ")");
  }
  const zip_int64_t n = zip_get_num_entries(archive_, 0);
  for (zip_int64_t i = 0; i < n; ++i) {
    const char* name = zip_get_name(archive_, static_cast<zip_uint64_t>(i), ZIP_FL_ENC_RAW);
    names_.push_back(name ? name : "");
  }
}

ZipReader::~ZipReader() {
  if (archive_) zip_discard(archive_);
}

bool ZipReader::contains(const std::string& name) const {
  return zip_name_locate(archive_, name.c_str(), ZIP_FL_ENC_RAW) >= 0;
}

int64_t ZipReader::index_of(const std::string& name) const {
  const zip_int64_t index = zip_name_locate(archive_, name.c_str(), ZIP_FL_ENC_RAW);
  if (index < 0) fail(path_ + ": zip archive has no member '" + name + "'");
  return index;
}

uint64_t ZipReader::size_of(const std::string& name) const {
  zip_stat_t st;
  zip_stat_init(&st);
  if (zip_stat_index(archive_, static_cast<zip_uint64_t>(index_of(name)), 0, &st) != 0 || !(st.valid & ZIP_STAT_SIZE))
    fail(path_ + ": cannot stat zip member '" + name + "'");
  return st.size;
}

bool ZipReader::is_stored(const std::string& name) const {
  zip_stat_t st;
  zip_stat_init(&st);
  if (zip_stat_index(archive_, static_cast<zip_uint64_t>(index_of(name)), 0, &st) != 0) return false;
  return (st.valid & ZIP_STAT_COMP_METHOD) && st.comp_method == ZIP_CM_STORE;
}

std::string ZipReader::read(const std::string& name) const {
  std::string out(size_of(name), '\0');
  Stream stream(*this, name);
  stream.read(&out[0], out.size());
  return out;
}

void ZipReader::read_at(const std::string& name, uint64_t offset, void* dest, uint64_t size) const {
  Stream stream(*this, name);
  if (!stream.seek(offset)) stream.skip(offset);
  stream.read(dest, size);
}

ZipReader::Stream::Stream(const ZipReader& archive, const std::string& name)
    : archive_(archive), name_(name) {
  file_ = zip_fopen_index(archive.archive_, static_cast<zip_uint64_t>(archive.index_of(name)), 0);
  if (!file_)
    fail(archive.path_ + ": cannot open zip member '" + name + "' (" + zip_strerror(archive.archive_) + ")");
}

ZipReader::Stream::~Stream() {
  if (file_) zip_fclose(file_);
}

void ZipReader::Stream::read(void* dest, uint64_t n) {
  char* out = static_cast<char*>(dest);
  uint64_t done = 0;
  while (done < n) {
    const zip_int64_t got = zip_fread(file_, out + done, n - done);
    if (got < 0)
      fail(archive_.path_ + ": cannot read zip member '" + name_ + "' (" + zip_file_strerror(file_) + ")");
    if (got == 0)
      fail(archive_.path_ + ": zip member '" + name_ + "' ends at byte " + std::to_string(position_ + done) +
           ", expected " + std::to_string(position_ + n) + " (truncated?)");
    done += static_cast<uint64_t>(got);
  }
  position_ += n;
}

void ZipReader::Stream::skip(uint64_t n) {
  std::vector<char> scratch(std::min<uint64_t>(n, 1 << 20));
  while (n > 0) {
    const uint64_t step = std::min<uint64_t>(n, scratch.size());
    read(scratch.data(), step);
    n -= step;
  }
}

bool ZipReader::Stream::seek(uint64_t offset) {
  if (!archive_.is_stored(name_)) return false;
  if (zip_fseek(file_, static_cast<zip_int64_t>(offset), SEEK_SET) != 0) return false;
  position_ = offset;
  return true;
}

}  // namespace diffbench
