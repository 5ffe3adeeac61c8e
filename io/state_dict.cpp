// StateDict, format detection and the strict copy into modules.
#include "io/state_dict.h"

#include <fstream>
#include <sstream>

#include <sys/stat.h>

#include <torch/nn/module.h>

#include "common/error.h"
#include "io/zip_reader.h"

namespace diffbench {

// ---- StateDict ----

void StateDict::insert(const std::string& name, const at::Tensor& tensor) {
  auto it = index_.find(name);
  if (it != index_.end()) {
    items_[it->second].second = tensor;
    return;
  }
  index_[name] = items_.size();
  items_.emplace_back(name, tensor);
}

const at::Tensor& StateDict::at(const std::string& name) const {
  auto it = index_.find(name);
  if (it == index_.end()) fail("state_dict has no tensor named '" + name + "'");
  return items_[it->second].second;
}

StateDict StateDict::with_prefix_removed(const std::string& prefix) const {
  StateDict out;
  for (const auto& item : items_)
    if (item.first.compare(0, prefix.size(), prefix) == 0) out.insert(item.first.substr(prefix.size()), item.second);
  return out;
}

// ---- format detection ----

namespace {

const unsigned char kLegacyMagic[] = {0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19};

std::string hex_bytes(const std::string& bytes) {
  static const char digits[] = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < bytes.size(); ++i) {
    if (i) out += ' ';
    out += digits[static_cast<unsigned char>(bytes[i]) >> 4];
    out += digits[static_cast<unsigned char>(bytes[i]) & 15];
  }
  return out;
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string shape_text(at::IntArrayRef sizes) {
  std::string out = "[";
  for (size_t i = 0; i < sizes.size(); ++i) out += (i ? "," : "") + std::to_string(sizes[i]);
  return out + "]";
}

std::string first_bytes(const std::string& path, size_t n, uint64_t* file_size) {
  // Opening a FIFO would block until a writer comes, and a device has no end: only plain files.
  struct stat st;
  if (::stat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode))
    fail(path + ": not a regular file; expected a weights file");
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(path + ": cannot open weights file");
  in.seekg(0, std::ios::end);
  *file_size = static_cast<uint64_t>(in.tellg());
  in.seekg(0);
  std::string head(std::min<uint64_t>(n, *file_size), '\0');
  in.read(&head[0], static_cast<std::streamsize>(head.size()));
  return head;
}

}  // namespace

WeightsFormat detect_weights_format(const std::string& path) {
  uint64_t file_size = 0;
  const std::string head = first_bytes(path, 16, &file_size);
  if (head.size() >= sizeof(kLegacyMagic) && std::memcmp(head.data(), kLegacyMagic, sizeof(kLegacyMagic)) == 0)
    return WeightsFormat::TorchLegacy;
  if (has_zip_magic(head)) {
    // torch.save archives hold <prefix>/data.pkl; npz archives hold *.npy members.
    try {
      ZipReader zip(path);
      bool any_npy = false;
      for (const auto& name : zip.names()) {
        if (name == "data.pkl" || ends_with(name, "/data.pkl")) return WeightsFormat::TorchZip;
        any_npy = any_npy || ends_with(name, ".npy");
      }
      return any_npy ? WeightsFormat::Npz : WeightsFormat::Unknown;
    } catch (const Error&) {
      return WeightsFormat::Unknown;
    }
  }
  if (head.size() >= 9 && head[8] == '{') {
    uint64_t n = 0;
    for (int i = 7; i >= 0; --i) n = (n << 8) | static_cast<unsigned char>(head[i]);
    if (n >= 2 && n <= file_size - 8) return WeightsFormat::Safetensors;
  }
  return WeightsFormat::Unknown;
}

const char* format_name(WeightsFormat format) {
  switch (format) {
    case WeightsFormat::Safetensors: return "safetensors";
    case WeightsFormat::TorchZip: return "torch.save zip";
    case WeightsFormat::TorchLegacy: return "torch.save legacy";
    case WeightsFormat::Npz: return "npz";
    default: return "unknown";
  }
}

StateDict load_state_dict(const std::string& path) {
  switch (detect_weights_format(path)) {
    case WeightsFormat::Safetensors: return load_safetensors(path);
    case WeightsFormat::TorchZip: return load_torch_zip(path);
    case WeightsFormat::TorchLegacy: return load_torch_legacy(path);
    case WeightsFormat::Npz: return load_npz_state_dict(path);
    default: break;
  }
  uint64_t file_size = 0;
  const std::string head = first_bytes(path, 8, &file_size);
  if (has_zip_magic(head)) {
    ZipReader zip(path);  // a damaged archive fails here with libzip's reason
    fail(path + ": zip archive holds neither data.pkl (torch.save) nor .npy members (npz)");
  }
  fail(path + ": not a weights file (expected safetensors, torch.save zip or legacy, or npz; " +
       std::to_string(file_size) + " bytes starting " + (head.empty() ? "<empty>" : hex_bytes(head)) + ")");
}

// ---- modules ----

namespace {

bool ignored(const std::string& name, const std::vector<std::string>& suffixes) {
  for (const auto& s : suffixes)
    if (ends_with(name, s)) return true;
  return false;
}

// Python's state_dict order: each module's own parameters, then its buffers, then its children.
void collect(const torch::nn::Module& module, const std::string& prefix,
             std::vector<std::pair<std::string, at::Tensor>>* out) {
  for (const auto& p : module.named_parameters(false)) out->emplace_back(prefix + p.key(), p.value());
  for (const auto& b : module.named_buffers(false)) out->emplace_back(prefix + b.key(), b.value());
  for (const auto& c : module.named_children()) collect(*c.value(), prefix + c.key() + ".", out);
}

// At most 12 names, then a count: a foreign checkpoint can differ in thousands of keys, and the
// error must stay one readable line.
std::string join_list(const std::vector<std::string>& items) {
  const size_t shown = 12;
  std::string out;
  for (size_t i = 0; i < items.size() && i < shown; ++i) out += (i ? ", " : "") + items[i];
  if (items.size() > shown) out += ", and " + std::to_string(items.size() - shown) + " more";
  return out;
}

}  // namespace

void load_into_module(torch::nn::Module& module, const StateDict& state, const std::string& origin,
                      const std::vector<std::string>& ignore_suffixes) {
  std::vector<std::pair<std::string, at::Tensor>> targets;
  collect(module, "", &targets);
  std::vector<std::string> missing, unexpected, misshaped;
  std::map<std::string, bool> known;
  for (const auto& t : targets) {
    known[t.first] = true;
    if (!state.contains(t.first)) {
      if (!ignored(t.first, ignore_suffixes)) missing.push_back(t.first);
      continue;
    }
    const at::Tensor& src = state.at(t.first);
    if (!src.sizes().equals(t.second.sizes()))
      misshaped.push_back(t.first + " (file " + shape_text(src.sizes()) + ", module " + shape_text(t.second.sizes()) + ")");
  }
  for (const auto& item : state)
    if (!known.count(item.first) && !ignored(item.first, ignore_suffixes)) unexpected.push_back(item.first);
  if (!missing.empty() || !unexpected.empty() || !misshaped.empty()) {
    std::vector<std::string> parts;
    if (!missing.empty()) parts.push_back(std::to_string(missing.size()) + " missing: " + join_list(missing));
    if (!unexpected.empty()) parts.push_back(std::to_string(unexpected.size()) + " unexpected: " + join_list(unexpected));
    if (!misshaped.empty()) parts.push_back(std::to_string(misshaped.size()) + " mis-shaped: " + join_list(misshaped));
    std::string msg = origin + ": weights do not match the module (";
    for (size_t i = 0; i < parts.size(); ++i) msg += (i ? "; " : "") + parts[i];
    fail(msg + ")");
  }
  torch::NoGradGuard no_grad;
  for (auto& t : targets)
    if (state.contains(t.first)) t.second.copy_(state.at(t.first));  // converts dtype and device
}

StateDict module_state_dict(const torch::nn::Module& module) {
  std::vector<std::pair<std::string, at::Tensor>> items;
  collect(module, "", &items);
  StateDict out;
  for (const auto& item : items) out.insert(item.first, item.second.detach());
  return out;
}

}  // namespace diffbench
