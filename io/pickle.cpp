// The pickle virtual machine: a stack, a mark stack and a memo. Only data is built; nothing runs.
#include "io/pickle.h"

#include "common/error.h"

namespace diffbench {
namespace pickle {
namespace {

struct StorageType {
  const char* name;
  c10::ScalarType dtype;
  size_t size;
};

const StorageType kStorageTypes[] = {
    {"FloatStorage", c10::ScalarType::Float, 4},     {"DoubleStorage", c10::ScalarType::Double, 8},
    {"HalfStorage", c10::ScalarType::Half, 2},       {"BFloat16Storage", c10::ScalarType::BFloat16, 2},
    {"LongStorage", c10::ScalarType::Long, 8},       {"IntStorage", c10::ScalarType::Int, 4},
    {"ShortStorage", c10::ScalarType::Short, 2},     {"CharStorage", c10::ScalarType::Char, 1},
    {"ByteStorage", c10::ScalarType::Byte, 1},       {"BoolStorage", c10::ScalarType::Bool, 1},
    {"UntypedStorage", c10::ScalarType::Byte, 1},
};

ValuePtr make(Kind kind) {
  auto v = std::make_shared<Value>();
  v->kind = kind;
  return v;
}

class Machine {
 public:
  Machine(const char* data, size_t size, const std::string& origin,
          std::vector<std::shared_ptr<StorageRef>>* storages)
      : p_(reinterpret_cast<const unsigned char*>(data)), size_(size), origin_(origin), storages_(storages) {}

  ValuePtr run(size_t* consumed);

 private:
  [[noreturn]] void bad(const std::string& what) const {
    fail(origin_ + ": corrupt or unsupported pickle (" + what + " at byte " + std::to_string(op_pos_) + ")");
  }
  void need(size_t n) const {
    if (n > size_ - pos_) fail(origin_ + ": truncated pickle (needs " + std::to_string(n) + " more bytes at byte " +
                               std::to_string(pos_) + " of " + std::to_string(size_) + ")");
  }
  uint64_t uint(int bytes) {
    need(bytes);
    uint64_t v = 0;
    for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | p_[pos_ + i];
    pos_ += bytes;
    return v;
  }
  std::string bytes(uint64_t n) {
    need(n);
    std::string s(reinterpret_cast<const char*>(p_ + pos_), n);
    pos_ += n;
    return s;
  }
  std::string line() {
    size_t end = pos_;
    while (end < size_ && p_[end] != '\n') ++end;
    if (end >= size_) fail(origin_ + ": truncated pickle (unterminated text line at byte " + std::to_string(pos_) + ")");
    std::string s(reinterpret_cast<const char*>(p_ + pos_), end - pos_);
    pos_ = end + 1;
    return s;
  }
  ValuePtr pop() {
    if (stack_.size() <= floor()) bad("stack underflow");
    ValuePtr v = stack_.back();
    stack_.pop_back();
    return v;
  }
  ValuePtr& top() {
    if (stack_.size() <= floor()) bad("stack underflow");
    return stack_.back();
  }
  size_t floor() const { return marks_.empty() ? 0 : marks_.back(); }
  std::vector<ValuePtr> pop_mark() {
    if (marks_.empty()) bad("no MARK on the stack");
    const size_t m = marks_.back();
    marks_.pop_back();
    std::vector<ValuePtr> items(stack_.begin() + static_cast<std::ptrdiff_t>(m), stack_.end());
    stack_.resize(m);
    return items;
  }
  void push(ValuePtr v) { stack_.push_back(std::move(v)); }
  void push_int(int64_t i) {
    auto v = make(Kind::Int);
    v->i = i;
    push(v);
  }
  void push_string(Kind kind, std::string s) {
    auto v = make(kind);
    v->s = std::move(s);
    push(v);
  }
  void push_long(const std::string& raw) {
    if (raw.size() <= 8) {
      uint64_t u = 0;
      for (size_t i = raw.size(); i-- > 0;) u = (u << 8) | static_cast<unsigned char>(raw[i]);
      // Sign-extend from the top byte (two's complement, little-endian).
      if (!raw.empty() && raw.size() < 8 && (static_cast<unsigned char>(raw.back()) & 0x80)) u |= ~0ull << (8 * raw.size());
      push_int(static_cast<int64_t>(u));
    } else {
      push_string(Kind::BigInt, raw);
    }
  }
  void memo_put(uint64_t index) { memo_[index] = top(); }
  void memo_get(uint64_t index) {
    auto it = memo_.find(index);
    if (it == memo_.end()) bad("memo key " + std::to_string(index) + " is unset");
    push(it->second);
  }
  void set_items(ValuePtr& target, const std::vector<ValuePtr>& kv) {
    if (kv.size() % 2) bad("odd number of SETITEMS values");
    if (target->kind == Kind::Object) {  // a dict subclass we do not know: keep its items as state
      if (!target->state) target->state = make(Kind::Dict);
      for (size_t i = 0; i < kv.size(); i += 2) target->state->dict.emplace_back(kv[i], kv[i + 1]);
      return;
    }
    if (target->kind != Kind::Dict) bad("SETITEM on a " + std::string(kind_name(target->kind)));
    for (size_t i = 0; i < kv.size(); i += 2) target->dict.emplace_back(kv[i], kv[i + 1]);
  }
  void append_items(ValuePtr& target, const std::vector<ValuePtr>& items) {
    if (target->kind == Kind::Object) return;  // list subclasses: contents not needed
    if (target->kind != Kind::List && target->kind != Kind::Set) bad("APPEND on a " + std::string(kind_name(target->kind)));
    target->items.insert(target->items.end(), items.begin(), items.end());
  }
  ValuePtr persistent_load(const ValuePtr& pid);
  ValuePtr reduce(const ValuePtr& callable, const ValuePtr& args);
  std::shared_ptr<TensorRef> rebuild_tensor(const ValuePtr& args);

  const unsigned char* p_;
  size_t size_;
  size_t pos_ = 0, op_pos_ = 0;
  const std::string& origin_;
  std::vector<std::shared_ptr<StorageRef>>* storages_;
  std::vector<ValuePtr> stack_;
  std::vector<size_t> marks_;
  std::map<uint64_t, ValuePtr> memo_;
  std::map<std::string, std::shared_ptr<StorageRef>> by_key_;
};

std::vector<int64_t> int_tuple(const ValuePtr& v, const char* what, const std::string& origin) {
  if (!v || (v->kind != Kind::Tuple && v->kind != Kind::List))
    fail(origin + ": corrupt torch pickle (tensor " + what + " is not a tuple)");
  std::vector<int64_t> out;
  for (const auto& item : v->items) {
    if (item->kind != Kind::Int) fail(origin + ": corrupt torch pickle (tensor " + what + " holds a non-integer)");
    out.push_back(item->i);
  }
  return out;
}

ValuePtr Machine::persistent_load(const ValuePtr& pid) {
  // Legacy torch.save(module) names module classes by ('module', class, file, source).
  if (pid->kind == Kind::Tuple && pid->items.size() >= 2 && pid->items[0]->kind == Kind::String &&
      pid->items[0]->s == "module")
    return pid->items[1];
  if (pid->kind != Kind::Tuple || pid->items.size() < 5 || pid->items[0]->kind != Kind::String ||
      pid->items[0]->s != "storage")
    bad("persistent id is not a ('storage', type, key, location, numel) tuple");
  const auto& it = pid->items;
  if (it[1]->kind != Kind::Global) bad("storage type is not a global");
  const std::string& type = it[1]->s;
  const std::string short_name = type.substr(type.rfind('.') + 1);
  const StorageType* st = nullptr;
  for (const auto& candidate : kStorageTypes)
    if (short_name == candidate.name) st = &candidate;
  if (!st) bad("unsupported storage type " + type);
  if (it[2]->kind != Kind::String && it[2]->kind != Kind::Int) bad("storage key is not a string");
  const std::string key = it[2]->kind == Kind::String ? it[2]->s : std::to_string(it[2]->i);
  if (it[4]->kind != Kind::Int || it[4]->i < 0) bad("storage size is not a non-negative integer");
  auto found = by_key_.find(key);
  std::shared_ptr<StorageRef> ref;
  if (found != by_key_.end()) {
    ref = found->second;
  } else {
    ref = std::make_shared<StorageRef>();
    ref->key = key;
    ref->dtype = st->dtype;
    ref->item_size = st->size;
    ref->location = it[3]->kind == Kind::String ? it[3]->s : "";
    ref->numel = it[4]->i;
    by_key_[key] = ref;
    storages_->push_back(ref);
  }
  auto v = make(Kind::Storage);
  v->storage = ref;
  // Legacy view storages: (view_key, offset, view_numel) into the root storage above.
  if (it.size() >= 6 && it[5]->kind == Kind::Tuple && it[5]->items.size() == 3 && it[5]->items[1]->kind == Kind::Int)
    v->i = it[5]->items[1]->i;
  return v;
}

std::shared_ptr<TensorRef> Machine::rebuild_tensor(const ValuePtr& args) {
  if (args->kind != Kind::Tuple || args->items.size() < 4) bad("_rebuild_tensor arguments are not a tuple of 4 or more");
  const ValuePtr& storage = args->items[0];
  if (storage->kind != Kind::Storage) bad("_rebuild_tensor's first argument is not a storage");
  if (args->items[1]->kind != Kind::Int) bad("tensor storage offset is not an integer");
  auto ref = std::make_shared<TensorRef>();
  ref->storage = storage->storage;
  ref->offset = storage->i + args->items[1]->i;
  ref->size = int_tuple(args->items[2], "size", origin_);
  ref->stride = int_tuple(args->items[3], "stride", origin_);
  if (ref->size.size() != ref->stride.size()) bad("tensor size and stride differ in length");
  return ref;
}

ValuePtr Machine::reduce(const ValuePtr& callable, const ValuePtr& args) {
  const std::string name = callable->kind == Kind::Global ? callable->s : "";
  if (name == "torch._utils._rebuild_tensor_v2" || name == "torch._utils._rebuild_tensor") {
    auto v = make(Kind::Tensor);
    v->tensor = rebuild_tensor(args);
    return v;
  }
  if (name == "torch._utils._rebuild_parameter" || name == "torch._utils._rebuild_parameter_with_state") {
    if (args->kind != Kind::Tuple || args->items.empty() || args->items[0]->kind != Kind::Tensor)
      bad("_rebuild_parameter's first argument is not a tensor");
    return args->items[0];
  }
  if (name == "collections.OrderedDict" || name == "builtins.dict" || name == "__builtin__.dict") {
    auto d = make(Kind::Dict);
    // OrderedDict([(k, v), ...]) appears in some protocol-0/1 files.
    if (args->kind == Kind::Tuple && !args->items.empty() && args->items[0]->kind == Kind::List)
      for (const auto& pair : args->items[0]->items)
        if (pair->kind == Kind::Tuple && pair->items.size() == 2) d->dict.emplace_back(pair->items[0], pair->items[1]);
    return d;
  }
  auto obj = make(Kind::Object);
  obj->callable = callable;
  obj->args = args;
  return obj;
}

ValuePtr Machine::run(size_t* consumed) {
  while (true) {
    op_pos_ = pos_;
    need(1);
    const unsigned char op = p_[pos_++];
    switch (op) {
      case 0x80: {  // PROTO
        const uint64_t proto = uint(1);
        if (proto > 5) bad("pickle protocol " + std::to_string(proto) + " is newer than 5");
        break;
      }
      case 0x95: uint(8); break;  // FRAME: a length hint only
      case '.': {                 // STOP
        if (stack_.size() != 1 || !marks_.empty()) bad("STOP with " + std::to_string(stack_.size()) + " values on the stack");
        *consumed = pos_;
        return stack_.back();
      }
      case '(': marks_.push_back(stack_.size()); break;  // MARK
      case '0': pop(); break;                            // POP
      case '1': pop_mark(); break;                       // POP_MARK
      case '2': push(top()); break;                      // DUP
      case 'c': {                                        // GLOBAL
        std::string module = line();
        std::string name = line();
        push_string(Kind::Global, module + "." + name);
        break;
      }
      case 0x93: {  // STACK_GLOBAL
        ValuePtr name = pop(), module = pop();
        if (name->kind != Kind::String || module->kind != Kind::String) bad("STACK_GLOBAL needs two strings");
        push_string(Kind::Global, module->s + "." + name->s);
        break;
      }
      case 'R': {  // REDUCE
        ValuePtr args = pop(), callable = pop();
        push(reduce(callable, args));
        break;
      }
      case 0x81: {  // NEWOBJ
        ValuePtr args = pop(), cls = pop();
        auto obj = make(Kind::Object);
        obj->callable = cls;
        obj->args = args;
        push(obj);
        break;
      }
      case 0x92: {  // NEWOBJ_EX
        pop();
        ValuePtr args = pop(), cls = pop();
        auto obj = make(Kind::Object);
        obj->callable = cls;
        obj->args = args;
        push(obj);
        break;
      }
      case 'b': {  // BUILD: object state; a state_dict's _metadata attribute is dropped
        ValuePtr state = pop();
        ValuePtr& target = top();
        if (target->kind == Kind::Object) target->state = state;
        break;
      }
      case 'Q': push(persistent_load(pop())); break;  // BINPERSID
      case 'P': bad("text persistent ids are not used by torch.save");
      case 't': {  // TUPLE
        auto v = make(Kind::Tuple);
        v->items = pop_mark();
        push(v);
        break;
      }
      case 0x85: case 0x86: case 0x87: {  // TUPLE1..3
        const size_t n = op - 0x84;
        auto v = make(Kind::Tuple);
        v->items.resize(n);
        for (size_t i = n; i-- > 0;) v->items[i] = pop();
        push(v);
        break;
      }
      case ')': push(make(Kind::Tuple)); break;  // EMPTY_TUPLE
      case '}': push(make(Kind::Dict)); break;   // EMPTY_DICT
      case ']': push(make(Kind::List)); break;   // EMPTY_LIST
      case 0x8f: push(make(Kind::Set)); break;   // EMPTY_SET
      case 'd': {                                // DICT
        auto v = make(Kind::Dict);
        auto kv = pop_mark();
        push(v);
        set_items(stack_.back(), kv);
        break;
      }
      case 'l': case 0x91: {  // LIST, FROZENSET
        auto v = make(op == 'l' ? Kind::List : Kind::Set);
        v->items = pop_mark();
        push(v);
        break;
      }
      case 's': {  // SETITEM
        ValuePtr value = pop(), key = pop();
        set_items(top(), {key, value});
        break;
      }
      case 'u': {  // SETITEMS
        auto kv = pop_mark();
        set_items(top(), kv);
        break;
      }
      case 'a': {  // APPEND
        ValuePtr value = pop();
        append_items(top(), {value});
        break;
      }
      case 'e': case 0x90: {  // APPENDS, ADDITEMS
        auto items = pop_mark();
        append_items(top(), items);
        break;
      }
      case 'q': memo_put(uint(1)); break;  // BINPUT
      case 'r': memo_put(uint(4)); break;  // LONG_BINPUT
      case 0x94: memo_put(memo_.size()); break;  // MEMOIZE
      case 'p': {  // PUT
        const std::string l = line();
        memo_put(std::strtoull(l.c_str(), nullptr, 10));
        break;
      }
      case 'h': memo_get(uint(1)); break;  // BINGET
      case 'j': memo_get(uint(4)); break;  // LONG_BINGET
      case 'g': {                          // GET
        const std::string l = line();
        memo_get(std::strtoull(l.c_str(), nullptr, 10));
        break;
      }
      case 'J': push_int(static_cast<int32_t>(uint(4))); break;  // BININT
      case 'K': push_int(static_cast<int64_t>(uint(1))); break;  // BININT1
      case 'M': push_int(static_cast<int64_t>(uint(2))); break;  // BININT2
      case 0x8a: push_long(bytes(uint(1))); break;               // LONG1
      case 0x8b: {                                               // LONG4
        const uint64_t n = uint(4);
        push_long(bytes(n));
        break;
      }
      case 'I': case 'L': {  // INT, LONG (text)
        std::string l = line();
        if (l == "01" && op == 'I') { auto v = make(Kind::Bool); v->b = true; push(v); break; }
        if (l == "00" && op == 'I') { auto v = make(Kind::Bool); push(v); break; }
        if (!l.empty() && l.back() == 'L') l.pop_back();
        push_int(std::strtoll(l.c_str(), nullptr, 10));
        break;
      }
      case 'G': {  // BINFLOAT (big-endian double)
        need(8);
        uint64_t u = 0;
        for (int i = 0; i < 8; ++i) u = (u << 8) | p_[pos_ + i];
        pos_ += 8;
        auto v = make(Kind::Float);
        std::memcpy(&v->f, &u, 8);
        push(v);
        break;
      }
      case 'F': {  // FLOAT (text)
        auto v = make(Kind::Float);
        v->f = std::strtod(line().c_str(), nullptr);
        push(v);
        break;
      }
      case 'N': push(make(Kind::None)); break;
      case 0x88: case 0x89: {  // NEWTRUE, NEWFALSE
        auto v = make(Kind::Bool);
        v->b = op == 0x88;
        push(v);
        break;
      }
      case 'X': push_string(Kind::String, bytes(uint(4))); break;     // BINUNICODE
      case 0x8c: push_string(Kind::String, bytes(uint(1))); break;    // SHORT_BINUNICODE
      case 0x8d: push_string(Kind::String, bytes(uint(8))); break;    // BINUNICODE8
      case 'V': push_string(Kind::String, line()); break;             // UNICODE (ASCII keys in practice)
      case 'U': push_string(Kind::String, bytes(uint(1))); break;     // SHORT_BINSTRING (Python 2 str)
      case 'T': push_string(Kind::String, bytes(uint(4))); break;     // BINSTRING
      case 'S': {                                                     // STRING (quoted repr)
        std::string l = line();
        if (l.size() >= 2 && (l[0] == '\'' || l[0] == '"') && l.back() == l[0]) l = l.substr(1, l.size() - 2);
        push_string(Kind::String, l);
        break;
      }
      case 'B': push_string(Kind::Bytes, bytes(uint(4))); break;      // BINBYTES
      case 'C': push_string(Kind::Bytes, bytes(uint(1))); break;      // SHORT_BINBYTES
      case 0x8e: case 0x96: push_string(Kind::Bytes, bytes(uint(8))); break;  // BINBYTES8, BYTEARRAY8
      default: {
        char hex[8];
        std::snprintf(hex, sizeof hex, "0x%02x", op);
        bad(std::string("unknown opcode ") + hex);
      }
    }
  }
}

}  // namespace

const char* kind_name(Kind kind) {
  switch (kind) {
    case Kind::None: return "None";
    case Kind::Bool: return "bool";
    case Kind::Int: case Kind::BigInt: return "int";
    case Kind::Float: return "float";
    case Kind::String: return "str";
    case Kind::Bytes: return "bytes";
    case Kind::Tuple: return "tuple";
    case Kind::List: return "list";
    case Kind::Dict: return "dict";
    case Kind::Set: return "set";
    case Kind::Global: return "global";
    case Kind::Object: return "object";
    case Kind::Storage: return "storage";
    case Kind::Tensor: return "tensor";
  }
  return "?";
}

ValuePtr unpickle(const char* data, size_t size, const std::string& origin, size_t* consumed,
                  std::vector<std::shared_ptr<StorageRef>>* storages) {
  Machine machine(data, size, origin, storages);
  return machine.run(consumed);
}

at::Tensor materialize(const TensorRef& ref, const std::string& origin) {
  const StorageRef& st = *ref.storage;
  if (!st.data.defined()) fail(origin + ": storage '" + st.key + "' has no data");
  // Largest element index the view touches must lie inside the storage.
  int64_t last = ref.offset;
  bool empty = false;
  for (size_t d = 0; d < ref.size.size(); ++d) {
    if (ref.size[d] < 0 || ref.stride[d] < 0) fail(origin + ": tensor with negative size or stride in storage '" + st.key + "'");
    if (ref.size[d] == 0) empty = true;
    else last += (ref.size[d] - 1) * ref.stride[d];
  }
  if (ref.offset < 0 || (!empty && last >= st.data.numel()))
    fail(origin + ": tensor view [offset " + std::to_string(ref.offset) + "] exceeds storage '" + st.key + "' of " +
         std::to_string(st.data.numel()) + " elements");
  if (empty) return torch::empty(ref.size, st.data.options());
  return st.data.as_strided(ref.size, ref.stride, ref.offset);
}

}  // namespace pickle
}  // namespace diffbench
