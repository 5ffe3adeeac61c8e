// npz = a zip of .npy members. Reading goes through ZipReader; writing through libzip directly
// with two buffer fragments per member (header, tensor memory) so nothing is copied.
#include "io/npz.h"

#include <fstream>

#include <zip.h>

#include "common/error.h"
#include "common/files.h"
#include "io/state_dict.h"
#include "io/zip_reader.h"

namespace diffbench {
namespace {

const std::string kSuffix = ".npy";

bool is_npy_member(const std::string& name) {
  return name.size() > kSuffix.size() && name.compare(name.size() - kSuffix.size(), kSuffix.size(), kSuffix) == 0;
}

std::string array_name(const std::string& member) { return member.substr(0, member.size() - kSuffix.size()); }

std::string member_of(const ZipReader& zip, const std::string& name) {
  if (zip.contains(name + kSuffix)) return name + kSuffix;
  if (is_npy_member(name) && zip.contains(name)) return name;
  std::string names;
  for (const auto& m : zip.names()) names += (names.empty() ? "" : ", ") + (is_npy_member(m) ? array_name(m) : m);
  fail(zip.path() + ": npz has no array '" + name + "' (it holds: " + names + ")");
}

}  // namespace

std::vector<std::string> list_npz(const std::string& path) {
  ZipReader zip(path);
  std::vector<std::string> out;
  for (const auto& m : zip.names())
    if (is_npy_member(m)) out.push_back(array_name(m));
  return out;
}

bool npz_contains(const std::string& path, const std::string& name) {
  ZipReader zip(path);
  return zip.contains(name + kSuffix);
}

at::Tensor read_npz_member(const std::string& path, const std::string& name) {
  ZipReader zip(path);
  const std::string member = member_of(zip, name);
  return parse_npy(zip.read(member), path + ":" + member);
}

std::vector<std::pair<std::string, at::Tensor>> read_npz(const std::string& path) {
  ZipReader zip(path);
  std::vector<std::pair<std::string, at::Tensor>> out;
  for (const auto& m : zip.names()) {
    if (!is_npy_member(m)) continue;
    out.emplace_back(array_name(m), parse_npy(zip.read(m), path + ":" + m));
  }
  return out;
}

StateDict load_npz_state_dict(const std::string& path) {
  StateDict state;
  for (auto& item : read_npz(path)) state.insert(item.first, item.second);
  if (state.empty()) fail(path + ": npz holds no .npy arrays");
  return state;
}

void write_npz(const std::string& path, const std::vector<std::pair<std::string, at::Tensor>>& arrays) {
  // Headers and contiguous tensors must outlive zip_close, which is when libzip reads them.
  std::vector<std::string> headers;
  std::vector<at::Tensor> tensors;
  headers.reserve(arrays.size());
  for (const auto& item : arrays) {
    at::Tensor t = item.second.detach().to(torch::kCPU).contiguous();
    headers.push_back(encode_npy_header(t.scalar_type(), t.sizes().vec()));
    tensors.push_back(t);
  }
  write_via_temp(path, [&](const std::string& tmp) {
    int error = 0;
    zip_t* za = zip_open(tmp.c_str(), ZIP_CREATE | ZIP_TRUNCATE, &error);
    if (!za) fail(path + ": cannot create npz (libzip error " + std::to_string(error) + ")");
    auto abort = [&](const std::string& what) {
      std::string why = zip_strerror(za);
      zip_discard(za);
      fail(path + ": cannot write npz (" + what + ": " + why + ")");
    };
    for (size_t i = 0; i < arrays.size(); ++i) {
      zip_buffer_fragment_t fragments[2];
      fragments[0].data = reinterpret_cast<zip_uint8_t*>(&headers[i][0]);
      fragments[0].length = headers[i].size();
      fragments[1].data = static_cast<zip_uint8_t*>(tensors[i].data_ptr());
      fragments[1].length = static_cast<zip_uint64_t>(tensors[i].numel()) * tensors[i].element_size();
      const int n_fragments = fragments[1].length > 0 ? 2 : 1;
      zip_source_t* src = zip_source_buffer_fragment(za, fragments, n_fragments, 0);
      if (!src) abort("member " + arrays[i].first);
      const zip_int64_t index = zip_file_add(za, (arrays[i].first + kSuffix).c_str(), src, ZIP_FL_ENC_UTF_8);
      if (index < 0) {
        zip_source_free(src);
        abort("member " + arrays[i].first);
      }
      if (zip_set_file_compression(za, static_cast<zip_uint64_t>(index), ZIP_CM_STORE, 0) != 0)
        abort("member " + arrays[i].first);
    }
    if (zip_close(za) != 0) abort("closing");
  });
}

// ---- streaming ----

// Where the .npy bytes come from: a zip member or a plain file.
class NpyStream::Source {
 public:
  virtual ~Source() = default;
  virtual void read_at(uint64_t offset, void* dest, uint64_t size) = 0;
  virtual uint64_t size() const = 0;
};

namespace {

class FileSource : public NpyStream::Source {
 public:
  explicit FileSource(const std::string& path) : path_(path), in_(path, std::ios::binary) {
    if (!in_) fail(path + ": cannot open .npy file");
    in_.seekg(0, std::ios::end);
    size_ = static_cast<uint64_t>(in_.tellg());
  }
  void read_at(uint64_t offset, void* dest, uint64_t size) override {
    if (offset + size > size_) fail(path_ + ": truncated .npy file");
    in_.clear();
    in_.seekg(static_cast<std::streamoff>(offset));
    if (!in_.read(static_cast<char*>(dest), static_cast<std::streamsize>(size))) fail(path_ + ": read error");
  }
  uint64_t size() const override { return size_; }
 private:
  std::string path_;
  std::ifstream in_;
  uint64_t size_ = 0;
};

class ZipSource : public NpyStream::Source {
 public:
  ZipSource(const std::string& path, const std::string& member) : zip_(path) {
    member_ = member_of(zip_, member);
    size_ = zip_.size_of(member_);
  }
  const std::string& member() const { return member_; }
  // Stored members seek directly; deflated ones read forward, reopening to go back.
  void read_at(uint64_t offset, void* dest, uint64_t size) override {
    if (offset + size > size_) fail(zip_.path() + ":" + member_ + ": truncated .npy member");
    if (!stream_ || stream_->position() != offset) {
      if (!stream_ || !stream_->seek(offset)) {
        if (!stream_ || stream_->position() > offset) stream_ = std::make_unique<ZipReader::Stream>(zip_, member_);
        stream_->skip(offset - stream_->position());
      }
    }
    stream_->read(dest, size);
  }
  uint64_t size() const override { return size_; }
 private:
  ZipReader zip_;
  std::string member_;
  uint64_t size_ = 0;
  std::unique_ptr<ZipReader::Stream> stream_;
};

}  // namespace

NpyStream::NpyStream(const std::string& path, const std::string& member) : path_(path), member_(member) {
  if (member.empty()) {
    source_ = std::make_unique<FileSource>(path);
    origin_ = path;
  } else {
    auto zip = std::make_unique<ZipSource>(path, member);
    origin_ = path + ":" + zip->member();
    source_ = std::move(zip);
  }
  // The preamble: magic + version + length (10 or 12 bytes), then the header itself.
  std::string head(std::min<uint64_t>(12, source_->size()), '\0');
  source_->read_at(0, &head[0], head.size());
  if (head.size() < 10) parse_npy_header(head.data(), head.size(), origin_);  // fails with the right message
  const bool v1 = head[6] == 1;
  uint64_t header_len = 0;
  for (int i = v1 ? 1 : 3; i >= 0; --i) header_len = (header_len << 8) | static_cast<unsigned char>(head[8 + i]);
  const uint64_t total = std::min<uint64_t>((v1 ? 10 : 12) + header_len, source_->size());
  std::string preamble(total, '\0');
  source_->read_at(0, &preamble[0], total);
  header_ = parse_npy_header(preamble.data(), preamble.size(), origin_);
  if (header_.fortran_order && header_.shape.size() > 1)
    fail(origin_ + ": Fortran-order arrays cannot be read by rows (expected C order)");
  if (source_->size() < header_.data_offset + header_.data_bytes())
    fail(origin_ + ": truncated .npy data (" + std::to_string(source_->size() - header_.data_offset) +
         " bytes, expected " + std::to_string(header_.data_bytes()) + ")");
  row_bytes_ = header_.item_size;
  for (size_t d = 1; d < header_.shape.size(); ++d) row_bytes_ *= static_cast<uint64_t>(header_.shape[d]);
}

NpyStream::~NpyStream() = default;

at::Tensor NpyStream::read_rows(int64_t start, int64_t count) {
  if (header_.shape.empty()) fail(origin_ + ": a 0-d array has no rows");
  if (start < 0 || count < 0 || start + count > rows())
    fail(origin_ + ": rows [" + std::to_string(start) + ", " + std::to_string(start + count) + ") out of range (array has " +
         std::to_string(rows()) + " rows)");
  std::vector<int64_t> dims = header_.shape;
  dims[0] = count;
  at::Tensor t = torch::empty(dims, torch::TensorOptions().dtype(header_.dtype));
  const uint64_t nbytes = row_bytes_ * static_cast<uint64_t>(count);
  if (nbytes) source_->read_at(header_.data_offset + row_bytes_ * static_cast<uint64_t>(start), t.data_ptr(), nbytes);
  if (header_.byteswap) byteswap_items(static_cast<char*>(t.data_ptr()), static_cast<size_t>(t.numel()), header_.item_size);
  return t;
}

}  // namespace diffbench
