// safetensors: [u64 LE header length][JSON header][data buffer]. Every field is validated before
// any tensor is read, and tensors are read straight into their own memory (no whole-file copy).
#include <fstream>

#include "common/error.h"
#include "common/files.h"
#include "common/json_file.h"
#include "io/state_dict.h"

namespace diffbench {
namespace {

struct StDtype {
  const char* name;
  c10::ScalarType dtype;
  size_t size;
};

const StDtype kDtypes[] = {
    {"F32", c10::ScalarType::Float, 4},   {"F16", c10::ScalarType::Half, 2},
    {"BF16", c10::ScalarType::BFloat16, 2}, {"F64", c10::ScalarType::Double, 8},
    {"I64", c10::ScalarType::Long, 8},    {"I32", c10::ScalarType::Int, 4},
    {"I16", c10::ScalarType::Short, 2},   {"I8", c10::ScalarType::Char, 1},
    {"U8", c10::ScalarType::Byte, 1},     {"BOOL", c10::ScalarType::Bool, 1},
};

const StDtype* find_dtype(const std::string& name) {
  for (const auto& d : kDtypes)
    if (name == d.name) return &d;
  return nullptr;
}

const StDtype* find_dtype(c10::ScalarType dtype) {
  for (const auto& d : kDtypes)
    if (dtype == d.dtype) return &d;
  return nullptr;
}

// A header's largest sane size (the reference implementation caps it at 100 MB).
constexpr uint64_t kMaxHeader = 100ull << 20;

struct Entry {
  std::string name;
  const StDtype* dtype;
  std::vector<int64_t> shape;
  uint64_t begin, end;
};

}  // namespace

StateDict load_safetensors(const std::string& path) {
  const std::string where = path + ": invalid safetensors file: ";
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(path + ": cannot open weights file");
  in.seekg(0, std::ios::end);
  const uint64_t file_size = static_cast<uint64_t>(in.tellg());
  in.seekg(0);
  if (file_size < 8) fail(where + "file is " + std::to_string(file_size) + " bytes, shorter than the 8-byte header length");
  unsigned char len_bytes[8];
  in.read(reinterpret_cast<char*>(len_bytes), 8);
  uint64_t header_len = 0;
  for (int i = 7; i >= 0; --i) header_len = (header_len << 8) | len_bytes[i];
  if (header_len > kMaxHeader || header_len > file_size - 8)
    fail(where + "header length " + std::to_string(header_len) + " exceeds the file size " + std::to_string(file_size));
  std::string header(header_len, '\0');
  in.read(&header[0], static_cast<std::streamsize>(header_len));
  if (!in) fail(where + "cannot read the header");
  const uint64_t buffer_size = file_size - 8 - header_len;

  nlohmann::json json = parse_json(header, where + "header");
  if (!json.is_object()) fail(where + "header is not a JSON object");

  std::vector<Entry> entries;
  for (auto it = json.begin(); it != json.end(); ++it) {
    const std::string& name = it.key();
    if (name == "__metadata__") {
      if (!it->is_object()) fail(where + "\"__metadata__\" is not an object");
      for (auto m = it->begin(); m != it->end(); ++m)
        if (!m->is_string()) fail(where + "\"__metadata__\" value '" + m.key() + "' is not a string");
      continue;
    }
    const std::string at = where + "tensor '" + name + "': ";
    const auto& v = *it;
    if (!v.is_object() || !v.contains("dtype") || !v.contains("shape") || !v.contains("data_offsets"))
      fail(at + "expected an object with dtype, shape and data_offsets");
    if (!v["dtype"].is_string()) fail(at + "dtype is not a string");
    Entry e;
    e.name = name;
    e.dtype = find_dtype(v["dtype"].get<std::string>());
    if (!e.dtype)
      fail(at + "unsupported dtype " + v["dtype"].get<std::string>() + " (expected F32 F16 BF16 F64 I64 I32 I16 I8 U8 BOOL)");
    if (!v["shape"].is_array()) fail(at + "shape is not an array");
    uint64_t numel = 1;
    for (const auto& d : v["shape"]) {
      if (!d.is_number_unsigned()) fail(at + "shape holds a value that is not a non-negative integer");
      const uint64_t dim = d.get<uint64_t>();
      if (dim != 0 && numel > (1ull << 62) / dim) fail(at + "shape is too large");
      numel *= dim;
      e.shape.push_back(static_cast<int64_t>(dim));
    }
    const auto& off = v["data_offsets"];
    if (!off.is_array() || off.size() != 2 || !off[0].is_number_unsigned() || !off[1].is_number_unsigned())
      fail(at + "data_offsets is not a pair of non-negative integers");
    e.begin = off[0].get<uint64_t>();
    e.end = off[1].get<uint64_t>();
    if (e.end < e.begin) fail(at + "data_offsets end before they begin");
    if (e.end - e.begin != numel * e.dtype->size)
      fail(at + "data_offsets span " + std::to_string(e.end - e.begin) + " bytes, the shape and dtype need " +
           std::to_string(numel * e.dtype->size));
    if (e.end > buffer_size)
      fail(at + "data_offsets end at " + std::to_string(e.end) + " beyond the data buffer of " +
           std::to_string(buffer_size) + " bytes (truncated file?)");
    entries.push_back(std::move(e));
  }
  // File order = data order (torch writes state_dict order); the buffer must be covered exactly.
  std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
  });
  uint64_t cursor = 0;
  for (const auto& e : entries) {
    if (e.begin != cursor)
      fail(where + "tensor '" + e.name + "' " + (e.begin < cursor ? "overlaps the previous tensor" : "leaves a hole before it") +
           " (data_offsets begin at " + std::to_string(e.begin) + ", expected " + std::to_string(cursor) + ")");
    cursor = e.end;
  }
  if (cursor != buffer_size)
    fail(where + "tensors cover " + std::to_string(cursor) + " bytes of a " + std::to_string(buffer_size) +
         "-byte data buffer");

  StateDict state;
  for (const auto& e : entries) {
    at::Tensor t = torch::empty(e.shape, torch::TensorOptions().dtype(e.dtype->dtype));
    if (e.end > e.begin) {
      in.seekg(static_cast<std::streamoff>(8 + header_len + e.begin));
      in.read(static_cast<char*>(t.data_ptr()), static_cast<std::streamsize>(e.end - e.begin));
      if (!in) fail(path + ": read error in tensor '" + e.name + "'");
    }
    state.insert(e.name, t);
  }
  return state;
}

std::map<std::string, std::string> read_safetensors_metadata(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  unsigned char len_bytes[8];
  if (!in.read(reinterpret_cast<char*>(len_bytes), 8)) fail(path + ": invalid safetensors file: too short");
  uint64_t header_len = 0;
  for (int i = 7; i >= 0; --i) header_len = (header_len << 8) | len_bytes[i];
  if (header_len > kMaxHeader) fail(path + ": invalid safetensors file: header too large");
  std::string header(header_len, '\0');
  if (!in.read(&header[0], static_cast<std::streamsize>(header_len)))
    fail(path + ": invalid safetensors file: truncated header");
  std::map<std::string, std::string> out;
  try {
    auto json = parse_json(header, path + ": invalid safetensors file: header");
    if (json.contains("__metadata__"))
      for (auto m = json["__metadata__"].begin(); m != json["__metadata__"].end(); ++m)
        out[m.key()] = m->get<std::string>();
  } catch (const nlohmann::json::exception& e) {
    fail(path + ": invalid safetensors file: bad header (" + std::string(e.what()) + ")");
  }
  return out;
}

void save_safetensors(const std::string& path, const StateDict& state,
                      const std::map<std::string, std::string>& metadata) {
  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  if (!metadata.empty()) {
    nlohmann::ordered_json meta = nlohmann::ordered_json::object();
    for (const auto& kv : metadata) meta[kv.first] = kv.second;
    header["__metadata__"] = meta;
  }
  std::vector<at::Tensor> data;
  uint64_t offset = 0;
  for (const auto& item : state) {
    if (item.first == "__metadata__") fail(path + ": a tensor cannot be named __metadata__ in safetensors");
    at::Tensor t = item.second.detach().to(torch::kCPU).contiguous();
    const StDtype* d = find_dtype(t.scalar_type());
    if (!d) fail(path + ": tensor '" + item.first + "' has dtype " + c10::toString(t.scalar_type()) + ", not storable in safetensors");
    const uint64_t nbytes = static_cast<uint64_t>(t.numel()) * d->size;
    header[item.first] = {{"dtype", d->name}, {"shape", t.sizes().vec()}, {"data_offsets", {offset, offset + nbytes}}};
    offset += nbytes;
    data.push_back(t);
  }
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');  // data then start 8-byte aligned
  std::string bytes;
  bytes.reserve(8 + text.size() + offset);
  for (int i = 0; i < 8; ++i) bytes += static_cast<char>((static_cast<uint64_t>(text.size()) >> (8 * i)) & 0xff);
  bytes += text;
  for (const auto& t : data)
    bytes.append(static_cast<const char*>(t.data_ptr()), static_cast<size_t>(t.numel()) * t.element_size());
  write_file_atomic(path, bytes);
}

}  // namespace diffbench
