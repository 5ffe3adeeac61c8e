// A minimal, data-only Python pickle reader for torch.save files. It executes nothing: GLOBALs
// become names, REDUCE of the few torch/collections callables we know builds tensors and dicts,
// any other call is kept as an opaque object. Tensors point at storages that the caller fills in
// afterwards (the legacy format stores the data after the pickles).
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <ATen/Tensor.h>
#include <c10/core/ScalarType.h>

namespace diffbench {
namespace pickle {

// One storage named by a persistent id ('storage', torch.FloatStorage, key, location, numel, ...).
struct StorageRef {
  std::string key;
  c10::ScalarType dtype = c10::ScalarType::Float;
  size_t item_size = 4;
  std::string location;
  int64_t numel = 0;
  at::Tensor data;  // 1-D, numel elements; filled by the container reader
};

// A tensor rebuilt by torch._utils._rebuild_tensor_v2: a strided view of a storage.
struct TensorRef {
  std::shared_ptr<StorageRef> storage;
  int64_t offset = 0;  // in elements (includes a legacy view's offset)
  std::vector<int64_t> size, stride;
};

enum class Kind { None, Bool, Int, BigInt, Float, String, Bytes, Tuple, List, Dict, Set, Global, Object, Storage, Tensor };

struct Value;
using ValuePtr = std::shared_ptr<Value>;

struct Value {
  Kind kind = Kind::None;
  bool b = false;
  int64_t i = 0;
  double f = 0;
  std::string s;                                    // String, Bytes, BigInt (raw LE bytes), Global ("module.name")
  std::vector<ValuePtr> items;                      // Tuple, List, Set
  std::vector<std::pair<ValuePtr, ValuePtr>> dict;  // Dict, in insertion order
  ValuePtr callable, args, state;                   // Object
  std::shared_ptr<StorageRef> storage;              // Storage
  std::shared_ptr<TensorRef> tensor;                // Tensor
};

const char* kind_name(Kind kind);

// Parses one pickle starting at data[0]; *consumed receives its length (through STOP).
// Storages met in persistent ids are appended to *storages (one entry per distinct key).
// Error naming `origin` on any malformed input.
ValuePtr unpickle(const char* data, size_t size, const std::string& origin, size_t* consumed,
                  std::vector<std::shared_ptr<StorageRef>>* storages);

// The tensor a TensorRef describes, once its storage's data is set (a view; bounds checked).
at::Tensor materialize(const TensorRef& ref, const std::string& origin);

}  // namespace pickle
}  // namespace diffbench
