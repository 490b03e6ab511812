// Handle table, argument decoding, and the ops that read or convert whole tensors.
#include "tensor.h"

#include <cmath>
#include <unordered_set>

namespace tmx {

// ---- handle table --------------------------------------------------------------------------------
double TensorTable::putSlot(at::Tensor t) {
  uint32_t slot;
  if (!freeSlots.empty()) {
    slot = freeSlots.back();
    freeSlots.pop_back();
    slots[slot] = std::move(t);
  } else {
    if (slots.size() > kSlotMask) throw ArgError(ErrorKind::Base, "too many live tensors (2^22); dispose some or use torch.tidy");
    slot = uint32_t(slots.size());
    slots.push_back(std::move(t));
    gens.push_back(0);
    tokens.push_back(nullptr);
  }
  live++;
  return double((uint64_t(gens[slot]) << kSlotBits) | slot);
}

at::Tensor* TensorTable::find(double id) {
  if (!(id >= 0) || id > 9007199254740991.0) return nullptr;
  uint64_t v = uint64_t(id);
  if (double(v) != id) return nullptr;
  uint64_t slot = v & kSlotMask, gen = v >> kSlotBits;
  if (slot >= slots.size() || gens[slot] != gen || !slots[slot].defined()) return nullptr;
  return &slots[slot];
}

int64_t TensorTable::release(double id) {
  if (!find(id)) return -1;
  uint64_t slot = uint64_t(id) & kSlotMask;
  slots[slot] = at::Tensor();
  gens[slot] = (gens[slot] + 1) & uint32_t(kGenMask);
  int64_t bytes = 0;
  if (GcToken* tok = tokens[slot]) {
    tok->table = nullptr;  // disarmed: the wrapper's finalizer will only delete the token
    bytes = tok->bytes;
    tokens[slot] = nullptr;
    gcOwned--;
  }
  freeSlots.push_back(uint32_t(slot));
  live--;
  return bytes;
}

// Runs inside garbage collection: no JS, no allocation on the JS heap, no touching the table's
// slots (an op may be holding a reference into them). Queue the token; put() frees the slot.
static void onWrapperCollected(node_api_basic_env env, void* data, void*) {
  auto* tok = static_cast<GcToken*>(data);
  if (!tok->table) {
    delete tok;
    return;
  }
  tok->table->reportExternal(env, -tok->bytes, true);
  tok->bytes = 0;
  tok->table->gcFreed++;
  tok->table->collected.push_back(tok);
}

void TensorTable::freeCollected() {
  std::vector<GcToken*> batch;
  batch.swap(collected);  // freeing runs tensor destructors only (C++), so nothing is queued meanwhile
  for (GcToken* tok : batch) {
    if (find(tok->id) && tokens[uint64_t(tok->id) & kSlotMask] == tok) release(tok->id);
    delete tok;
  }
}

void TensorTable::reportExternal(node_api_basic_env env, int64_t delta, bool inGC) {
  extUnreported += delta;
  if ((extUnreported >= kExtBatch && !inGC) || extUnreported <= -kExtBatch) {
    int64_t total;
    napi_adjust_external_memory(env, extUnreported, &total);
    extUnreported = 0;
  }
}

void TensorTable::track(napi_env env, napi_value wrapper, double id) {
  uint64_t slot = uint64_t(id) & kSlotMask;
  if (tokens[slot]) return;
  const at::Tensor& t = slots[slot];
  // CPU and CUDA storage alike: V8 then collects when native memory grows, wherever it lives.
  int64_t bytes = t.has_storage() ? int64_t(t.storage().nbytes()) : 0;
  auto* tok = new GcToken{this, id, bytes};
  if (napi_add_finalizer(env, wrapper, tok, onWrapperCollected, nullptr, nullptr) != napi_ok) {
    delete tok;
    throw ArgError(ErrorKind::Base, "track: could not attach a finalizer to the tensor's wrapper");
  }
  tokens[slot] = tok;
  gcOwned++;
  reportExternal(env, bytes);
}

TensorTable::~TensorTable() {
  // Finalizers may still run after the table (environment teardown): leave them nothing to do.
  for (GcToken* tok : tokens)
    if (tok) tok->table = nullptr;
  for (GcToken* tok : collected) delete tok;
}

// ---- argument decoding ---------------------------------------------------------------------------
static std::string argName(size_t i) { return "argument " + std::to_string(i); }

bool Ctx::has(size_t i) const {
  if (i >= info.Length()) return false;
  napi_valuetype t;
  napi_typeof(env, info[i], &t);
  return t != napi_undefined && t != napi_null;
}

at::Tensor& Ctx::t(size_t i) {
  double id;
  if (i >= info.Length() || napi_get_value_double(env, info[i], &id) != napi_ok)
    throw ArgError(ErrorKind::Type, argName(i) + ": expected a tensor");
  at::Tensor* p = inst.table.find(id);
  if (!p) throw ArgError(ErrorKind::Base, "tensor was disposed (used after dispose() or after its tidy scope ended)");
  return *p;
}

at::Tensor Ctx::optT(size_t i) { return has(i) ? t(i) : at::Tensor(); }

std::vector<at::Tensor> Ctx::tensors(size_t i) {
  if (i >= info.Length() || !info[i].IsArray()) throw ArgError(ErrorKind::Type, argName(i) + ": expected an array of tensors");
  Napi::Array a = info[i].As<Napi::Array>();
  std::vector<at::Tensor> out;
  out.reserve(a.Length());
  for (uint32_t k = 0; k < a.Length(); k++) {
    double id;
    if (napi_get_value_double(env, a.Get(k), &id) != napi_ok) throw ArgError(ErrorKind::Type, argName(i) + "[" + std::to_string(k) + "]: expected a tensor");
    at::Tensor* p = inst.table.find(id);
    if (!p) throw ArgError(ErrorKind::Base, "tensor was disposed (element " + std::to_string(k) + " of the list)");
    out.push_back(*p);
  }
  return out;
}

double Ctx::num(size_t i) {
  double v;
  if (i >= info.Length() || napi_get_value_double(env, info[i], &v) != napi_ok)
    throw ArgError(ErrorKind::Type, argName(i) + ": expected a number");
  return v;
}

int64_t Ctx::i64(size_t i) {
  double v = num(i);
  if (!std::isfinite(v) || std::floor(v) != v || std::fabs(v) > 9007199254740991.0)
    throw ArgError(ErrorKind::Type, argName(i) + ": expected an integer, got " + std::to_string(v));
  return int64_t(v);
}

bool Ctx::b(size_t i) {
  bool v;
  if (i >= info.Length() || napi_get_value_bool(env, info[i], &v) != napi_ok)
    throw ArgError(ErrorKind::Type, argName(i) + ": expected a boolean");
  return v;
}

at::Scalar Ctx::scalar(size_t i) {
  if (i >= info.Length()) throw ArgError(ErrorKind::Type, argName(i) + ": expected a number");
  napi_valuetype t;
  napi_typeof(env, info[i], &t);
  if (t == napi_number) {
    double v;
    napi_get_value_double(env, info[i], &v);
    // Integral JS numbers act like Python ints (int tensors stay int), others like Python floats.
    if (std::isfinite(v) && std::floor(v) == v && std::fabs(v) < 9.2e18) return at::Scalar(int64_t(v));
    return at::Scalar(v);
  }
  if (t == napi_boolean) return at::Scalar(info[i].As<Napi::Boolean>().Value());
  if (t == napi_bigint) {
    bool lossless;
    int64_t v = info[i].As<Napi::BigInt>().Int64Value(&lossless);
    if (!lossless) throw ArgError(ErrorKind::Value, argName(i) + ": bigint does not fit in int64");
    return at::Scalar(v);
  }
  throw ArgError(ErrorKind::Type, argName(i) + ": expected a number, boolean or bigint");
}

std::vector<int64_t> Ctx::ints(size_t i) {
  if (i < info.Length() && info[i].IsNumber()) return {i64(i)};
  if (i >= info.Length() || !info[i].IsArray()) throw ArgError(ErrorKind::Type, argName(i) + ": expected an array of integers");
  Napi::Array a = info[i].As<Napi::Array>();
  std::vector<int64_t> out(a.Length());
  for (uint32_t k = 0; k < a.Length(); k++) {
    double v;
    if (napi_get_value_double(env, a.Get(k), &v) != napi_ok || !std::isfinite(v) || std::floor(v) != v || std::fabs(v) > 9007199254740991.0)
      throw ArgError(ErrorKind::Type, argName(i) + "[" + std::to_string(k) + "]: expected an integer (|n| < 2^53)");
    out[k] = int64_t(v);
  }
  return out;
}

std::optional<std::vector<int64_t>> Ctx::optInts(size_t i) {
  if (!has(i)) return std::nullopt;
  return ints(i);
}

std::string Ctx::str(size_t i) {
  if (i >= info.Length() || !info[i].IsString()) throw ArgError(ErrorKind::Type, argName(i) + ": expected a string");
  return info[i].As<Napi::String>().Utf8Value();
}

static bool supportedDtype(int64_t code) {
  switch (code) {
    case int64_t(at::kByte): case int64_t(at::kInt): case int64_t(at::kLong): case int64_t(at::kHalf):
    case int64_t(at::kFloat): case int64_t(at::kDouble): case int64_t(at::kBool): case int64_t(at::kBFloat16):
      return true;
    default:
      return false;
  }
}

at::ScalarType Ctx::dtype(size_t i) {
  int64_t code = i64(i);
  if (!supportedDtype(code)) throw ArgError(ErrorKind::Type, argName(i) + ": unsupported dtype code " + std::to_string(code));
  return at::ScalarType(code);
}

std::optional<at::ScalarType> Ctx::optDtype(size_t i) {
  if (!has(i)) return std::nullopt;
  return dtype(i);
}

c10::Device Ctx::device(size_t i) {
  std::string s = str(i);
  try {
    return c10::Device(s);
  } catch (const c10::Error&) {
    throw ArgError(ErrorKind::Value, "invalid device '" + s + "' (expected 'cpu', 'cuda' or 'cuda:N')");
  }
}

at::TensorOptions Ctx::options(size_t i) {
  at::TensorOptions o;
  if (has(i)) o = o.dtype(dtype(i));
  if (has(i + 1)) o = o.device(device(i + 1));
  if (has(i + 2)) o = o.requires_grad(b(i + 2));
  return o;
}

Napi::Value Ctx::ret(at::Tensor t) {
  if (!t.defined()) return env.Null();
  return Napi::Number::New(env, inst.table.put(std::move(t)));
}

Napi::Value Ctx::ret(std::vector<at::Tensor> ts) {
  Napi::Array a = Napi::Array::New(env, ts.size());
  for (size_t k = 0; k < ts.size(); k++) a.Set(uint32_t(k), ret(std::move(ts[k])));
  return a;
}

Napi::Value Ctx::ret(const std::tuple<at::Tensor, at::Tensor>& ts) {
  return ret(std::vector<at::Tensor>{std::get<0>(ts), std::get<1>(ts)});
}

std::string dtypeName(at::ScalarType s) { return c10::toString(s); }

// ---- whole-tensor ops ----------------------------------------------------------------------------
template <typename T>
static Napi::Value copyOut(Napi::Env env, const at::Tensor& c) {
  size_t n = size_t(c.numel());
  auto ab = Napi::ArrayBuffer::New(env, n * sizeof(T));
  if (n) std::memcpy(ab.Data(), c.data_ptr(), n * sizeof(T));
  return Napi::TypedArrayOf<T>::New(env, n, ab, 0);
}

// c10::MemoryFormat code: 0 contiguous, 1 preserve, 2 channels last, 3 channels last 3d (same in 1.13 and 2.x).
static at::MemoryFormat memoryFormatArg(Ctx& c, size_t i) {
  int64_t k = c.i64(i);
  if (k < 0 || k >= int64_t(at::MemoryFormat::NumOptions)) throw ArgError(ErrorKind::Value, "memoryFormat: unknown code " + std::to_string(k));
  return static_cast<at::MemoryFormat>(k);
}

void registerTensor(Instance& inst, Napi::Env env) {
  inst.def(env, "setErrorClasses", [](Ctx& c) -> Napi::Value {
    Napi::Array a = c.info[0].As<Napi::Array>();
    for (uint32_t k = 0; k < a.Length() && k < uint32_t(ErrorKind::Count); k++)
      c.inst.errors[k] = Napi::Persistent(a.Get(k).As<Napi::Function>());
    return c.undef();
  });
  inst.def(env, "free", [](Ctx& c) -> Napi::Value {
    // Stale ids are ignored: the GC fallback may run after an explicit dispose.
    int64_t bytes = c.inst.table.release(c.num(0));
    if (bytes > 0) c.inst.table.reportExternal(c.env, -bytes);
    return c.undef();
  });
  inst.def(env, "freeMany", [](Ctx& c) -> Napi::Value {
    // (Float64Array ids, count): one call frees a whole tidy scope.
    napi_typedarray_type type;
    size_t length;
    void* data;
    if (napi_get_typedarray_info(c.env, c.info[0], &type, &length, &data, nullptr, nullptr) != napi_ok || type != napi_float64_array)
      throw ArgError(ErrorKind::Type, "freeMany: expected a Float64Array");
    size_t n = std::min(length, size_t(c.i64(1)));
    const double* ids = static_cast<const double*>(data);
    int64_t bytes = 0;
    for (size_t k = 0; k < n; k++) {
      int64_t b = c.inst.table.release(ids[k]);
      if (b > 0) bytes += b;
    }
    if (bytes > 0) c.inst.table.reportExternal(c.env, -bytes);
    return c.undef();
  });
  inst.def(env, "track", [](Ctx& c) -> Napi::Value {
    // (wrapper, id): the tensor is now owned by the GC fallback. Returns how many are.
    c.t(1);  // a clear error for a disposed handle
    c.inst.table.track(c.env, c.info[0], c.num(1));
    return Napi::Number::New(c.env, double(c.inst.table.gcOwned));
  });
  inst.def(env, "isLive", [](Ctx& c) -> Napi::Value {
    return Napi::Boolean::New(c.env, c.inst.table.find(c.num(0)) != nullptr);
  });
  inst.def(env, "shape", [](Ctx& c) -> Napi::Value {
    auto sizes = c.t(0).sizes();
    Napi::Array a = Napi::Array::New(c.env, sizes.size());
    for (size_t k = 0; k < sizes.size(); k++) a.Set(uint32_t(k), Napi::Number::New(c.env, double(sizes[k])));
    return a;
  });
  inst.def(env, "dtype", [](Ctx& c) -> Napi::Value { return Napi::Number::New(c.env, int(c.t(0).scalar_type())); });
  inst.def(env, "device", [](Ctx& c) -> Napi::Value { return Napi::String::New(c.env, c.t(0).device().str()); });
  inst.def(env, "numel", [](Ctx& c) -> Napi::Value { return Napi::Number::New(c.env, double(c.t(0).numel())); });
  // Memory formats travel as c10::MemoryFormat's own codes (lib/torch/memory-format.ts names them):
  // contiguous, isContiguous, suggestMemoryFormat and to() live here together.
  inst.def(env, "isContiguous", [](Ctx& c) -> Napi::Value {
    return Napi::Boolean::New(c.env, c.has(1) ? c.t(0).is_contiguous(memoryFormatArg(c, 1)) : c.t(0).is_contiguous());
  });
  inst.def(env, "contiguous", [](Ctx& c) -> Napi::Value { return c.ret(c.has(1) ? c.t(0).contiguous(memoryFormatArg(c, 1)) : c.t(0).contiguous()); });
  inst.def(env, "suggestMemoryFormat", [](Ctx& c) -> Napi::Value { return Napi::Number::New(c.env, int(c.t(0).suggest_memory_format())); });
  inst.def(env, "stride", [](Ctx& c) -> Napi::Value {
    auto st = c.t(0).strides();
    Napi::Array a = Napi::Array::New(c.env, st.size());
    for (size_t k = 0; k < st.size(); k++) a.Set(uint32_t(k), Napi::Number::New(c.env, double(st[k])));
    return a;
  });
  inst.def(env, "item", [](Ctx& c) -> Napi::Value {
    at::Tensor& t = c.t(0);
    if (t.numel() != 1) throw ArgError(ErrorKind::Value, "item(): tensor has " + std::to_string(t.numel()) + " elements, expected exactly 1");
    at::Scalar s = t.item();
    if (s.isBoolean()) return Napi::Boolean::New(c.env, s.toBool());
    if (s.isIntegral(false)) return Napi::Number::New(c.env, double(s.toLong()));
    return Napi::Number::New(c.env, s.toDouble());
  });
  inst.def(env, "toTypedArray", [](Ctx& c) -> Napi::Value {
    at::Tensor t = c.t(0).detach();
    at::ScalarType st = t.scalar_type();
    if (st == at::kHalf || st == at::kBFloat16) st = at::kFloat;
    if (st == at::kBool) st = at::kByte;
    at::Tensor cpu = t.to(at::kCPU, st).contiguous();
    switch (st) {
      case at::kFloat: return copyOut<float>(c.env, cpu);
      case at::kDouble: return copyOut<double>(c.env, cpu);
      case at::kLong: return copyOut<int64_t>(c.env, cpu);
      case at::kInt: return copyOut<int32_t>(c.env, cpu);
      case at::kByte: return copyOut<uint8_t>(c.env, cpu);
      default: throw ArgError(ErrorKind::Type, "toArray(): unsupported dtype " + dtypeName(st));
    }
  });
  inst.def(env, "fromTypedArray", [](Ctx& c) -> Napi::Value {
    // (typedArray, shape) -> CPU tensor holding a copy, dtype from the array type.
    // napi_get_typedarray_info also works for arrays over a SharedArrayBuffer.
    napi_typedarray_type type;
    size_t length;
    void* src;
    if (!c.info[0].IsTypedArray() || napi_get_typedarray_info(c.env, c.info[0], &type, &length, &src, nullptr, nullptr) != napi_ok)
      throw ArgError(ErrorKind::Type, "expected a typed array");
    at::ScalarType st;
    switch (type) {
      case napi_float32_array: st = at::kFloat; break;
      case napi_float64_array: st = at::kDouble; break;
      case napi_int32_array: st = at::kInt; break;
      case napi_bigint64_array: st = at::kLong; break;
      case napi_uint8_array: st = at::kByte; break;
      default: throw ArgError(ErrorKind::Type, "unsupported typed array type (use Float32Array, Float64Array, Int32Array, BigInt64Array or Uint8Array)");
    }
    std::vector<int64_t> shape = c.ints(1);
    int64_t n = 1;
    for (int64_t d : shape) {
      if (d < 0) throw ArgError(ErrorKind::Value, "shape has a negative dimension");
      n *= d;
    }
    if (size_t(n) != length)
      throw ArgError(ErrorKind::Value, "shape holds " + std::to_string(n) + " elements but the data has " + std::to_string(length));
    at::Tensor out = at::empty(shape, at::TensorOptions().dtype(st));
    if (n) std::memcpy(out.data_ptr(), src, size_t(n) * out.element_size());
    return c.ret(out);
  });
  // Raw little-endian bytes in the tensor's own dtype (float16/bfloat16 too): for file formats.
  inst.def(env, "toBytes", [](Ctx& c) -> Napi::Value {
    at::Tensor cpu = c.t(0).detach().to(at::kCPU).contiguous();
    size_t n = size_t(cpu.numel()) * cpu.element_size();
    auto ab = Napi::ArrayBuffer::New(c.env, n);
    if (n) std::memcpy(ab.Data(), cpu.data_ptr(), n);
    return Napi::Uint8Array::New(c.env, n, ab, 0);
  });
  inst.def(env, "fromBytes", [](Ctx& c) -> Napi::Value {
    // (Uint8Array, shape, dtype) -> CPU tensor holding a copy.
    napi_typedarray_type type;
    size_t length;
    void* src;
    if (!c.info[0].IsTypedArray() || napi_get_typedarray_info(c.env, c.info[0], &type, &length, &src, nullptr, nullptr) != napi_ok || type != napi_uint8_array)
      throw ArgError(ErrorKind::Type, "fromBytes: expected a Uint8Array");
    std::vector<int64_t> shape = c.ints(1);
    at::ScalarType st = c.dtype(2);
    int64_t n = 1;
    for (int64_t d : shape) {
      if (d < 0) throw ArgError(ErrorKind::Value, "fromBytes: shape has a negative dimension");
      n *= d;
    }
    size_t want = size_t(n) * c10::elementSize(st);
    if (want != length)
      throw ArgError(ErrorKind::Value, "fromBytes: shape and dtype need " + std::to_string(want) + " bytes, got " + std::to_string(length));
    at::Tensor out = at::empty(shape, at::TensorOptions().dtype(st));
    if (want) std::memcpy(out.data_ptr(), src, want);
    return c.ret(out);
  });
  inst.def(env, "to", [](Ctx& c) -> Napi::Value {
    // (t, dtype?, device?, copy, memoryFormat?)
    at::Tensor& t = c.t(0);
    at::TensorOptions o = t.options();
    if (c.has(1)) o = o.dtype(c.dtype(1));
    if (c.has(2)) o = o.device(c.device(2));
    c10::optional<at::MemoryFormat> fmt;
    if (c.has(4)) fmt = memoryFormatArg(c, 4);
    return c.ret(t.to(o, false, c.bOr(3, false), fmt));
  });
  inst.def(env, "clone", [](Ctx& c) -> Napi::Value { return c.ret(c.t(0).clone()); });
  inst.def(env, "alias", [](Ctx& c) -> Napi::Value { return c.ret(c.t(0)); });  // a second handle, same tensor
  inst.def(env, "liveTensors", [](Ctx& c) -> Napi::Value {
    c.inst.table.freeCollected();
    return Napi::Number::New(c.env, double(c.inst.table.live));
  });
  inst.def(env, "gcOwnedTensors", [](Ctx& c) -> Napi::Value {
    c.inst.table.freeCollected();
    return Napi::Number::New(c.env, double(c.inst.table.gcOwned));
  });
  inst.def(env, "gcFreedTensors", [](Ctx& c) -> Napi::Value { return Napi::Number::New(c.env, c.inst.table.gcFreed); });
  inst.def(env, "cpuBytes", [](Ctx& c) -> Napi::Value {
    c.inst.table.freeCollected();
    // Storage bytes of live CPU tensors, each storage counted once (views share storage).
    std::unordered_set<const void*> seen;
    double total = 0;
    for (auto& t : c.inst.table.slots) {
      if (!t.defined() || !t.device().is_cpu() || !t.has_storage()) continue;
      const void* key = t.storage().unsafeGetStorageImpl();
      if (seen.insert(key).second) total += double(t.storage().nbytes());
    }
    return Napi::Number::New(c.env, total);
  });
  inst.def(env, "config", [](Ctx& c) -> Napi::Value {
    Napi::Object o = Napi::Object::New(c.env);
    o.Set("version", std::to_string(TORCH_VERSION_MAJOR) + "." + std::to_string(TORCH_VERSION_MINOR) + "." + std::to_string(TORCH_VERSION_PATCH));
    o.Set("cxx11Abi", Napi::Boolean::New(c.env, _GLIBCXX_USE_CXX11_ABI == 1));
#ifdef TORCHMIX_LINKED_CUDA
    o.Set("cudaBuilt", Napi::Boolean::New(c.env, true));
#else
    o.Set("cudaBuilt", Napi::Boolean::New(c.env, false));
#endif
    o.Set("cuda", Napi::Boolean::New(c.env, torch::cuda::is_available()));
    o.Set("cudnn", Napi::Boolean::New(c.env, torch::cuda::cudnn_is_available()));
    o.Set("threads", Napi::Number::New(c.env, at::get_num_threads()));
    o.Set("interopThreads", Napi::Number::New(c.env, at::get_num_interop_threads()));
    return o;
  });
  inst.def(env, "setNumThreads", [](Ctx& c) -> Napi::Value {
    int64_t n = c.i64(0);
    if (n < 1) throw ArgError(ErrorKind::Value, "setNumThreads: n must be >= 1, got " + std::to_string(n));
    at::set_num_threads(int(n));
    return c.undef();
  });
  inst.def(env, "getNumThreads", [](Ctx& c) -> Napi::Value { return Napi::Number::New(c.env, at::get_num_threads()); });
}

}  // namespace tmx
