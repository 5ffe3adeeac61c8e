// Weights I/O: one loader for every container a user may hand us, and a strict loader into modules.
//
//   .safetensors               F32/F16/BF16/F64/I64/I32/I16/I8/U8/BOOL
//   torch.save zip (>= 1.6)    dict or OrderedDict state_dict, nested "state_dict"/"model"/"ema" keys
//   torch.save legacy          the pytorch-fid Inception weights file is one
//   .npz                       one entry per array (member name without ".npy")
//
// The format is detected from the file's first bytes, not its extension.
#pragma once
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <ATen/Tensor.h>

namespace torch::nn { class Module; }

namespace diffbench {

// Ordered name -> tensor map (file order is kept; lookups by name are O(log n)).
class StateDict {
 public:
  void insert(const std::string& name, const at::Tensor& tensor);  // replaces an existing name
  bool contains(const std::string& name) const { return index_.count(name) > 0; }
  const at::Tensor& at(const std::string& name) const;  // Error when absent
  size_t size() const { return items_.size(); }
  bool empty() const { return items_.empty(); }
  const std::vector<std::pair<std::string, at::Tensor>>& items() const { return items_; }
  auto begin() const { return items_.begin(); }
  auto end() const { return items_.end(); }
  // Keys starting with prefix, with the prefix removed ("model." -> inner module's names).
  StateDict with_prefix_removed(const std::string& prefix) const;
 private:
  std::vector<std::pair<std::string, at::Tensor>> items_;
  std::map<std::string, size_t> index_;
};

enum class WeightsFormat { Safetensors, TorchZip, TorchLegacy, Npz, Unknown };
WeightsFormat detect_weights_format(const std::string& path);  // Error if unreadable
const char* format_name(WeightsFormat format);

// Reads any supported container. Truncated, corrupt or foreign files fail with one Error line
// naming the file and the problem.
StateDict load_state_dict(const std::string& path);

// Per-format readers (load_state_dict dispatches to these).
StateDict load_safetensors(const std::string& path);
StateDict load_torch_zip(const std::string& path);
StateDict load_torch_legacy(const std::string& path);
StateDict load_npz_state_dict(const std::string& path);

// Writes safetensors atomically; tensors are stored contiguous in their own dtype.
void save_safetensors(const std::string& path, const StateDict& state,
                      const std::map<std::string, std::string>& metadata = {});
// The "__metadata__" strings of a safetensors file (empty when it has none).
std::map<std::string, std::string> read_safetensors_metadata(const std::string& path);

// Copies `state` into the module's parameters and buffers by name. Checks every name and shape
// and reports all missing, unexpected and mis-shaped keys at once in one Error (naming `origin`).
// Dtypes are converted to the module's. `ignore` lists names that may be absent or extra
// (e.g. "num_batches_tracked" entries).
void load_into_module(torch::nn::Module& module, const StateDict& state, const std::string& origin,
                      const std::vector<std::string>& ignore_suffixes = {"num_batches_tracked"});

// The module's parameters and buffers as a StateDict (for writing safetensors).
StateDict module_state_dict(const torch::nn::Module& module);

}  // namespace diffbench
