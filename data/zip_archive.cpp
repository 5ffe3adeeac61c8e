// libzip behind the small interface the zip and npz sources need; every failure names the archive
// and the member.
#include "data/zip_archive.h"

#include <zip.h>

#include "common/error.h"

namespace diffbench {

ZipArchive::ZipArchive(const std::string& path) : path_(path) {
  int code = 0;
  archive_ = zip_open(path.c_str(), ZIP_RDONLY, &code);
  if (!archive_) {
    zip_error_t error;
    zip_error_init_with_code(&error, code);
    const std::string reason = zip_error_strerror(&error);
    zip_error_fini(&error);
    fail(path + ": cannot open as a zip archive (" + reason + ")");
  }
  const zip_int64_t count = zip_get_num_entries(archive_, 0);
  for (zip_int64_t i = 0; i < count; ++i) {
    zip_stat_t st;
    zip_stat_init(&st);
    if (zip_stat_index(archive_, static_cast<zip_uint64_t>(i), 0, &st) != 0 || !(st.valid & ZIP_STAT_NAME))
      continue;
    ZipEntry entry;
    entry.name = st.name;
    entry.index = static_cast<uint64_t>(i);
    entry.size = (st.valid & ZIP_STAT_SIZE) ? st.size : 0;
    entry.stored = (st.valid & ZIP_STAT_COMP_METHOD) && st.comp_method == ZIP_CM_STORE;
    entries_.push_back(entry);
  }
}

ZipArchive::~ZipArchive() {
  close_stream();
  if (archive_) zip_discard(archive_);
}

const ZipEntry* ZipArchive::find(const std::string& name) const {
  for (const auto& e : entries_)
    if (e.name == name) return &e;
  return nullptr;
}

std::string ZipArchive::member_name(const ZipEntry& entry) const { return path_ + ":" + entry.name; }

std::string ZipArchive::read(const ZipEntry& entry) {
  std::string bytes(entry.size, '\0');
  read_range(entry, 0, entry.size, bytes.data());
  return bytes;
}

void ZipArchive::close_stream() {
  if (stream_) zip_fclose(stream_);
  stream_ = nullptr;
  stream_pos_ = 0;
}

void ZipArchive::read_range(const ZipEntry& entry, uint64_t offset, uint64_t size, void* out) {
  if (offset + size > entry.size)
    fail(member_name(entry) + ": read past the end of the member (" + std::to_string(offset + size) +
         " > " + std::to_string(entry.size) + " bytes)");
  const bool reopen = !stream_ || stream_index_ != entry.index || (!entry.stored && offset < stream_pos_);
  if (reopen) {
    close_stream();
    stream_ = zip_fopen_index(archive_, entry.index, 0);
    if (!stream_) fail(member_name(entry) + ": cannot open member (" + zip_strerror(archive_) + ")");
    stream_index_ = entry.index;
  }
  if (entry.stored && stream_pos_ != offset) {
    if (zip_fseek(stream_, static_cast<zip_int64_t>(offset), SEEK_SET) != 0)
      fail(member_name(entry) + ": cannot seek to byte " + std::to_string(offset) + " (" +
           zip_file_strerror(stream_) + ")");
    stream_pos_ = offset;
  }
  std::vector<char> skip;
  while (stream_pos_ < offset) {  // compressed: inflate forward to the offset
    skip.resize(1 << 20);
    const uint64_t n = std::min<uint64_t>(skip.size(), offset - stream_pos_);
    const zip_int64_t got = zip_fread(stream_, skip.data(), n);
    if (got <= 0) {
      const std::string reason = got < 0 ? zip_file_strerror(stream_) : "unexpected end";
      close_stream();
      fail(member_name(entry) + ": truncated or corrupt member (" + reason + ")");
    }
    stream_pos_ += static_cast<uint64_t>(got);
  }
  char* dst = static_cast<char*>(out);
  uint64_t done = 0;
  while (done < size) {
    const zip_int64_t got = zip_fread(stream_, dst + done, size - done);
    if (got <= 0) {
      const std::string reason = got < 0 ? zip_file_strerror(stream_) : "unexpected end";
      close_stream();
      fail(member_name(entry) + ": truncated or corrupt member (" + reason + ")");
    }
    done += static_cast<uint64_t>(got);
  }
  stream_pos_ += size;
}

}  // namespace diffbench
