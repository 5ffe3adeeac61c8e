// .npy reading and writing: the header is a tiny Python dict literal, parsed here by hand.
#include "io/npy.h"

#include <cctype>

#include "common/error.h"
#include "common/files.h"

namespace diffbench {
namespace {

const char kMagic[] = "\x93NUMPY";
constexpr size_t kMagicSize = 6;

struct DescrInfo {
  c10::ScalarType dtype;
  size_t item_size;
};

// numpy descr ('<f4', '|u1', ...) -> dtype; byte order handled by the caller.
bool descr_to_dtype(const std::string& code, DescrInfo* out) {
  static const std::map<std::string, DescrInfo> table = {
      {"f2", {c10::ScalarType::Half, 2}},   {"f4", {c10::ScalarType::Float, 4}},
      {"f8", {c10::ScalarType::Double, 8}}, {"i1", {c10::ScalarType::Char, 1}},
      {"i2", {c10::ScalarType::Short, 2}},  {"i4", {c10::ScalarType::Int, 4}},
      {"i8", {c10::ScalarType::Long, 8}},   {"u1", {c10::ScalarType::Byte, 1}},
      {"b1", {c10::ScalarType::Bool, 1}},
  };
  auto it = table.find(code);
  if (it == table.end()) return false;
  *out = it->second;
  return true;
}

const char* dtype_to_descr(c10::ScalarType dtype) {
  switch (dtype) {
    case c10::ScalarType::Half: return "<f2";
    case c10::ScalarType::Float: return "<f4";
    case c10::ScalarType::Double: return "<f8";
    case c10::ScalarType::Char: return "|i1";
    case c10::ScalarType::Short: return "<i2";
    case c10::ScalarType::Int: return "<i4";
    case c10::ScalarType::Long: return "<i8";
    case c10::ScalarType::Byte: return "|u1";
    case c10::ScalarType::Bool: return "|b1";
    default: return nullptr;
  }
}

// Cursor over the header dict literal: {'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }
class DictParser {
 public:
  DictParser(const std::string& text, const std::string& origin) : s_(text), origin_(origin) {}

  void parse(std::string* descr, bool* fortran, std::vector<int64_t>* shape) {
    bool seen_descr = false, seen_fortran = false, seen_shape = false;
    expect('{');
    while (true) {
      skip_space();
      if (peek() == '}') break;
      std::string key = parse_string();
      expect(':');
      skip_space();
      if (key == "descr") {
        if (peek() != '\'' && peek() != '"') bad("structured dtypes are not supported (descr is not a string)");
        *descr = parse_string();
        seen_descr = true;
      } else if (key == "fortran_order") {
        *fortran = parse_bool();
        seen_fortran = true;
      } else if (key == "shape") {
        *shape = parse_tuple();
        seen_shape = true;
      } else {
        bad("unexpected header key '" + key + "'");
      }
      skip_space();
      if (peek() == ',') { ++pos_; continue; }
      skip_space();
      if (peek() != '}') bad("expected ',' or '}'");
    }
    if (!seen_descr || !seen_fortran || !seen_shape)
      bad("header lacks one of 'descr', 'fortran_order', 'shape'");
  }

 private:
  [[noreturn]] void bad(const std::string& what) const {
    fail(origin_ + ": invalid .npy header (" + what + ") in \"" + s_ + "\"");
  }
  char peek() const { return pos_ < s_.size() ? s_[pos_] : '\0'; }
  void skip_space() { while (pos_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[pos_]))) ++pos_; }
  void expect(char c) {
    skip_space();
    if (peek() != c) bad(std::string("expected '") + c + "'");
    ++pos_;
  }
  std::string parse_string() {
    skip_space();
    char quote = peek();
    if (quote != '\'' && quote != '"') bad("expected a quoted string");
    size_t end = s_.find(quote, pos_ + 1);
    if (end == std::string::npos) bad("unterminated string");
    std::string out = s_.substr(pos_ + 1, end - pos_ - 1);
    pos_ = end + 1;
    return out;
  }
  bool parse_bool() {
    if (s_.compare(pos_, 4, "True") == 0) { pos_ += 4; return true; }
    if (s_.compare(pos_, 5, "False") == 0) { pos_ += 5; return false; }
    bad("fortran_order is not True or False");
  }
  std::vector<int64_t> parse_tuple() {
    std::vector<int64_t> dims;
    expect('(');
    while (true) {
      skip_space();
      if (peek() == ')') { ++pos_; break; }
      if (!std::isdigit(static_cast<unsigned char>(peek()))) bad("shape holds a non-integer");
      int64_t value = 0;
      while (std::isdigit(static_cast<unsigned char>(peek()))) {
        if (value > (INT64_MAX - 9) / 10) bad("shape dimension too large");
        value = value * 10 + (s_[pos_++] - '0');
      }
      if (peek() == 'L') ++pos_;  // Python 2 longs
      dims.push_back(value);
      skip_space();
      if (peek() == ',') ++pos_;
      else if (peek() != ')') bad("expected ',' or ')' in shape");
    }
    return dims;
  }

  const std::string& s_;
  const std::string& origin_;
  size_t pos_ = 0;
};

uint32_t read_le(const char* p, int bytes) {
  uint32_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

}  // namespace

int64_t NpyHeader::numel() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

void byteswap_items(char* data, size_t count, size_t item_size) {
  if (item_size <= 1) return;
  for (size_t i = 0; i < count; ++i) std::reverse(data + i * item_size, data + (i + 1) * item_size);
}

NpyHeader parse_npy_header(const char* data, size_t size, const std::string& origin) {
  if (size < kMagicSize + 4 || std::memcmp(data, kMagic, kMagicSize) != 0)
    fail(origin + ": not a .npy array (the file does not start with \\x93NUMPY)");
  const int major = static_cast<unsigned char>(data[6]);
  size_t header_len = 0, preamble = 0;
  if (major == 1) {
    header_len = read_le(data + 8, 2);
    preamble = 10;
  } else if (major == 2 || major == 3) {
    if (size < 12) fail(origin + ": truncated .npy header");
    header_len = read_le(data + 8, 4);
    preamble = 12;
  } else {
    fail(origin + ": unsupported .npy format version " + std::to_string(major) + " (expected 1, 2 or 3)");
  }
  if (preamble + header_len > size)
    fail(origin + ": truncated .npy header (" + std::to_string(header_len) + " header bytes declared, " +
         std::to_string(size - preamble) + " present)");
  std::string text(data + preamble, header_len);

  std::string descr;
  NpyHeader header;
  DictParser(text, origin).parse(&descr, &header.fortran_order, &header.shape);
  if (descr.size() < 2) fail(origin + ": invalid .npy dtype '" + descr + "'");
  const char order = descr[0];
  std::string code = descr.substr(1);
  if (order != '<' && order != '>' && order != '|' && order != '=')
    fail(origin + ": invalid .npy dtype '" + descr + "'");
  DescrInfo info{};
  if (!descr_to_dtype(code, &info))
    fail(origin + ": unsupported .npy dtype '" + descr + "' (expected one of f2 f4 f8 i1 i2 i4 i8 u1 b1)");
  header.dtype = info.dtype;
  header.item_size = info.item_size;
  header.byteswap = order == '>' && info.item_size > 1;
  header.data_offset = preamble + header_len;
  return header;
}

std::string encode_npy_header(c10::ScalarType dtype, const std::vector<int64_t>& shape) {
  const char* descr = dtype_to_descr(dtype);
  if (!descr) fail(std::string("cannot write dtype ") + c10::toString(dtype) + " to .npy (numpy has no such type)");
  std::string dict = std::string("{'descr': '") + descr + "', 'fortran_order': False, 'shape': (";
  for (size_t i = 0; i < shape.size(); ++i) {
    dict += std::to_string(shape[i]);
    if (shape.size() == 1 || i + 1 < shape.size()) dict += ",";
    if (i + 1 < shape.size()) dict += " ";
  }
  dict += "), }";
  // Version 1 has a 16-bit length; larger headers (huge ndim) need version 2.
  size_t preamble = 10;
  int version = 1;
  size_t total = preamble + dict.size() + 1;
  if (((total + 63) / 64) * 64 - preamble > 65535) {
    preamble = 12;
    version = 2;
    total = preamble + dict.size() + 1;
  }
  const size_t padded = ((total + 63) / 64) * 64;
  const size_t header_len = padded - preamble;
  dict.append(header_len - dict.size() - 1, ' ');
  dict += '\n';
  std::string out(kMagic, kMagicSize);
  out += static_cast<char>(version);
  out += '\0';
  for (size_t i = 0; i < preamble - 8; ++i) out += static_cast<char>((header_len >> (8 * i)) & 0xff);
  return out + dict;
}

at::Tensor parse_npy(const std::string& bytes, const std::string& origin) {
  NpyHeader header = parse_npy_header(bytes.data(), bytes.size(), origin);
  const uint64_t want = header.data_bytes();
  const uint64_t have = bytes.size() - header.data_offset;
  if (have < want)
    fail(origin + ": truncated .npy data (" + std::to_string(have) + " bytes, expected " +
         std::to_string(want) + ")");
  if (have > want)
    fail(origin + ": .npy data has " + std::to_string(have - want) + " trailing bytes (expected " +
         std::to_string(want) + ")");
  // Fortran order is C order of the reversed shape, transposed back.
  std::vector<int64_t> dims = header.shape;
  if (header.fortran_order) std::reverse(dims.begin(), dims.end());
  at::Tensor t = torch::empty(dims, torch::TensorOptions().dtype(header.dtype));
  if (want > 0) std::memcpy(t.data_ptr(), bytes.data() + header.data_offset, want);
  if (header.byteswap) byteswap_items(static_cast<char*>(t.data_ptr()), t.numel(), header.item_size);
  if (header.fortran_order && dims.size() > 1) {
    std::vector<int64_t> perm(dims.size());
    for (size_t i = 0; i < perm.size(); ++i) perm[i] = static_cast<int64_t>(perm.size() - 1 - i);
    t = t.permute(perm).contiguous();
  }
  return t;
}

at::Tensor read_npy(const std::string& path) { return parse_npy(read_file(path), path); }

std::string encode_npy(const at::Tensor& tensor) {
  at::Tensor t = tensor.detach().to(torch::kCPU).contiguous();
  std::string out = encode_npy_header(t.scalar_type(), t.sizes().vec());
  const size_t nbytes = static_cast<size_t>(t.numel()) * t.element_size();
  out.append(static_cast<const char*>(t.data_ptr()), nbytes);
  return out;
}

void write_npy(const std::string& path, const at::Tensor& tensor) {
  write_file_atomic(path, encode_npy(tensor));
}

}  // namespace diffbench
