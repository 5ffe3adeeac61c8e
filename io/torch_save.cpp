// torch.save containers: the zip layout (>= 1.6) and the legacy layout (five pickles + raw
// storage records). Both unpickle to tensors over storages, then to a flat StateDict.
#include "common/error.h"
#include "common/files.h"
#include "common/log.h"
#include "io/npy.h"
#include "io/pickle.h"
#include "io/state_dict.h"
#include "io/zip_reader.h"

namespace diffbench {
namespace {

using pickle::Kind;
using pickle::ValuePtr;
using Storages = std::vector<std::shared_ptr<pickle::StorageRef>>;

// Checkpoint keys that hold the weights, in order of preference: EMA weights are what is
// evaluated (DiT's and ADM's samplers pick "ema" when present).
const char* const kNestedKeys[] = {"ema", "state_dict", "model", "net"};

std::string key_text(const ValuePtr& key) {
  if (key->kind == Kind::String) return key->s;
  if (key->kind == Kind::Int) return std::to_string(key->i);
  return std::string("<") + pickle::kind_name(key->kind) + ">";
}

// True when every leaf under v is a tensor (dicts nested any depth, at least one tensor).
bool all_tensors(const ValuePtr& v, int* count) {
  if (v->kind == Kind::Tensor) { ++*count; return true; }
  if (v->kind != Kind::Dict) return false;
  for (const auto& kv : v->dict)
    if (kv.first->kind != Kind::String || !all_tensors(kv.second, count)) return false;
  return true;
}

// Nested dicts of tensors are joined with "." as module names are.
void flatten(const ValuePtr& v, const std::string& prefix, const std::string& origin, StateDict* out) {
  for (const auto& kv : v->dict) {
    const std::string name = prefix + kv.first->s;
    if (kv.second->kind == Kind::Tensor) {
      if (out->contains(name)) fail(origin + ": duplicate tensor name '" + name + "' after flattening nested dicts");
      out->insert(name, pickle::materialize(*kv.second->tensor, origin));
    } else {
      flatten(kv.second, name + ".", origin, out);
    }
  }
}

const ValuePtr* find_key(const ValuePtr& dict, const std::string& key) {
  for (const auto& kv : dict->dict)
    if (kv.first->kind == Kind::String && kv.first->s == key) return &kv.second;
  return nullptr;
}

StateDict to_state_dict(const ValuePtr& root, const std::string& origin) {
  ValuePtr v = root;
  std::string path;
  for (int depth = 0; depth < 4; ++depth) {
    if (v->kind == Kind::Object) {
      fail(origin + ": holds a pickled " + (v->callable && v->callable->kind == Kind::Global ? v->callable->s : "object") +
           (path.empty() ? "" : " under " + path) + ", not a state_dict (save model.state_dict() instead)");
    }
    if (v->kind != Kind::Dict)
      fail(origin + ": holds a " + pickle::kind_name(v->kind) + (path.empty() ? "" : " under " + path) +
           ", expected a state_dict (a dict of tensors)");
    // A flat dict of tensors is a state_dict; a known checkpoint key comes next; a dict of dicts of
    // tensors (e.g. {"encoder": sd1, "decoder": sd2}) is flattened with "." like module names.
    bool flat = !v->dict.empty();
    for (const auto& kv : v->dict) flat = flat && kv.first->kind == Kind::String && kv.second->kind == Kind::Tensor;
    const ValuePtr* next = nullptr;
    if (!flat) {
      for (const char* key : kNestedKeys) {
        const ValuePtr* candidate = find_key(v, key);
        if (candidate && (*candidate)->kind != Kind::Tensor) {
          next = candidate;
          path += std::string(path.empty() ? "" : "/") + "'" + key + "'";
          break;
        }
      }
    }
    int count = 0;
    if (!next && all_tensors(v, &count) && count > 0) {
      if (!path.empty()) info(origin + ": using the state_dict under " + path);
      StateDict out;
      flatten(v, "", origin, &out);
      return out;
    }
    if (!next) {
      std::string keys;
      for (size_t i = 0; i < v->dict.size() && i < 12; ++i) keys += (i ? ", " : "") + key_text(v->dict[i].first);
      if (v->dict.size() > 12) keys += ", ...";
      fail(origin + ": no state_dict found" + (path.empty() ? "" : " under " + path) + " (a dict holding [" + keys +
           "]; expected tensors or a key 'ema', 'state_dict', 'model' or 'net')");
    }
    v = *next;
  }
  fail(origin + ": no state_dict found (nested too deep under " + path + ")");
}

at::Tensor empty_storage(const pickle::StorageRef& st) {
  return torch::empty({st.numel}, torch::TensorOptions().dtype(st.dtype));
}

int64_t read_int64_le(const char* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return static_cast<int64_t>(v);
}

}  // namespace

StateDict load_torch_zip(const std::string& path) {
  ZipReader zip(path);
  std::string prefix;
  bool found = false;
  for (const auto& name : zip.names()) {
    const size_t slash = name.find('/');
    if (slash != std::string::npos && name.compare(slash, std::string::npos, "/data.pkl") == 0) {
      if (found) fail(path + ": torch.save archive has more than one data.pkl");
      prefix = name.substr(0, slash + 1);
      found = true;
    } else if (name == "data.pkl" && !found) {
      found = true;
    }
  }
  if (!found) fail(path + ": zip archive without data.pkl, not a torch.save file");
  bool big_endian = false;
  if (zip.contains(prefix + "byteorder")) big_endian = zip.read(prefix + "byteorder").compare(0, 3, "big") == 0;

  const std::string pkl = zip.read(prefix + "data.pkl");
  const std::string origin = path;
  Storages storages;
  size_t consumed = 0;
  ValuePtr root = pickle::unpickle(pkl.data(), pkl.size(), origin, &consumed, &storages);
  for (auto& st : storages) {
    const std::string member = prefix + "data/" + st->key;
    if (!zip.contains(member)) fail(path + ": torch.save archive lacks storage member '" + member + "'");
    const uint64_t want = static_cast<uint64_t>(st->numel) * st->item_size;
    const uint64_t have = zip.size_of(member);
    if (have < want)
      fail(path + ": storage member '" + member + "' has " + std::to_string(have) + " bytes, expected " + std::to_string(want));
    st->data = empty_storage(*st);
    if (want > 0) {
      ZipReader::Stream stream(zip, member);
      stream.read(st->data.data_ptr(), want);
    }
    if (big_endian) byteswap_items(static_cast<char*>(st->data.data_ptr()), st->numel, st->item_size);
  }
  return to_state_dict(root, origin);
}

StateDict load_torch_legacy(const std::string& path) {
  const std::string bytes = read_file(path);
  const char* p = bytes.data();
  size_t pos = 0, used = 0;
  Storages storages, no_storages;
  auto next_pickle = [&](const char* what, Storages* into) {
    if (pos >= bytes.size()) fail(path + ": truncated legacy torch.save file (ends before the " + std::string(what) + ")");
    ValuePtr v = pickle::unpickle(p + pos, bytes.size() - pos, path, &used, into);
    pos += used;
    return v;
  };
  ValuePtr magic = next_pickle("magic number", &no_storages);
  if (magic->kind != Kind::BigInt || magic->s != std::string("\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19", 10))
    fail(path + ": not a legacy torch.save file (wrong magic number)");
  ValuePtr version = next_pickle("protocol version", &no_storages);
  if (version->kind != Kind::Int || version->i != 1001)
    fail(path + ": unsupported legacy torch.save protocol version (expected 1001)");
  ValuePtr sys_info = next_pickle("system info", &no_storages);
  bool little = true;
  if (sys_info->kind == Kind::Dict) {
    for (const auto& kv : sys_info->dict)
      if (kv.first->kind == Kind::String && kv.first->s == "little_endian" && kv.second->kind == Kind::Bool)
        little = kv.second->b;
  }
  ValuePtr root = next_pickle("state_dict pickle", &storages);
  ValuePtr keys = next_pickle("storage key list", &no_storages);
  if (keys->kind != Kind::List) fail(path + ": corrupt legacy torch.save file (storage key list is not a list)");

  std::map<std::string, std::shared_ptr<pickle::StorageRef>> by_key;
  for (auto& st : storages) by_key[st->key] = st;
  for (const auto& key_value : keys->items) {
    if (key_value->kind != Kind::String) fail(path + ": corrupt legacy torch.save file (storage key is not a string)");
    const std::string& key = key_value->s;
    auto it = by_key.find(key);
    if (it == by_key.end()) fail(path + ": corrupt legacy torch.save file (storage '" + key + "' is used by no tensor)");
    auto& st = *it->second;
    if (bytes.size() - pos < 8) fail(path + ": truncated legacy torch.save file (storage '" + key + "' is missing)");
    const int64_t count = read_int64_le(p + pos);
    pos += 8;
    if (count != st.numel)
      fail(path + ": corrupt legacy torch.save file (storage '" + key + "' holds " + std::to_string(count) +
           " elements, its tensors declare " + std::to_string(st.numel) + ")");
    const uint64_t nbytes = static_cast<uint64_t>(count) * st.item_size;
    if (bytes.size() - pos < nbytes)
      fail(path + ": truncated legacy torch.save file (storage '" + key + "' needs " + std::to_string(nbytes) +
           " bytes, " + std::to_string(bytes.size() - pos) + " left)");
    st.data = empty_storage(st);
    if (nbytes) std::memcpy(st.data.data_ptr(), p + pos, nbytes);
    if (!little) byteswap_items(static_cast<char*>(st.data.data_ptr()), count, st.item_size);
    pos += nbytes;
  }
  for (const auto& st : storages)
    if (!st->data.defined()) fail(path + ": corrupt legacy torch.save file (storage '" + st->key + "' has no data record)");
  if (pos != bytes.size())
    fail(path + ": corrupt legacy torch.save file (" + std::to_string(bytes.size() - pos) + " unexpected trailing bytes)");
  return to_state_dict(root, path);
}

}  // namespace diffbench
