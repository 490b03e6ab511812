// Tensor handles: JS holds a number (slot + generation), the addon instance owns the at::Tensor.
// A plain number is the cheapest handle N-API offers (DESIGN.md, "Tensors and memory").
#pragma once
#include "errors.h"

namespace tmx {

// A tensor owned by the GC fallback carries one token, the data of a Node-API finalizer on its JS
// wrapper. The addon is built as an experimental-version Node-API module (CMakeLists.txt), so that
// finalizer runs inside the garbage collection itself (not on a later event-loop turn, which a
// synchronous training loop never gives): it may only queue the token; the next put() frees the slot.
struct TensorTable;
struct GcToken {
  TensorTable* table;  // nullptr once the handle was disposed explicitly (or the table is gone)
  double id;
  int64_t bytes;  // reported to V8 as external memory while the wrapper lives
};

struct TensorTable {
  // slot:22 | generation:9 keeps every id below 2^31, a V8 small integer (no heap number per
  // result). The generation guards the native side against a stale id; the JS wrappers already
  // forget their id on dispose, so 512 generations are plenty.
  static constexpr uint64_t kSlotBits = 22;
  static constexpr uint64_t kSlotMask = (uint64_t(1) << kSlotBits) - 1;
  static constexpr uint64_t kGenMask = (uint64_t(1) << 9) - 1;
  std::vector<at::Tensor> slots;
  std::vector<uint32_t> gens;
  std::vector<GcToken*> tokens;  // the GC fallback's token of each slot (nullptr = a scope owns it)
  std::vector<uint32_t> freeSlots;
  std::vector<GcToken*> collected;  // queued by finalizers during GC, freed by the next put()
  size_t live = 0;
  size_t gcOwned = 0;  // live handles owned by the GC fallback
  double gcFreed = 0;  // how many of those the collector has freed so far (a GC-progress signal)
  // External memory is reported to V8 in batches of kExtBatch bytes: one V8 call per op would cost
  // more than the op (a 4-float add). V8's view is never off by more than kExtBatch.
  static constexpr int64_t kExtBatch = int64_t(1) << 20;
  int64_t extUnreported = 0;
  // During GC only a net decrease may be flushed: an increase can make V8 start a collection.
  void reportExternal(node_api_basic_env env, int64_t delta, bool inGC = false);

  TensorTable() = default;
  TensorTable(const TensorTable&) = delete;
  ~TensorTable();
  double put(at::Tensor t) {
    if (!collected.empty()) freeCollected();
    return putSlot(std::move(t));
  }
  double putSlot(at::Tensor t);
  void freeCollected();
  // nullptr when the id is stale (disposed) or malformed.
  at::Tensor* find(double id);
  // Returns the bytes that were reported to V8 for this slot (to be subtracted), or -1 if stale.
  int64_t release(double id);
  // Hands the tensor to the GC fallback: a finalizer on `wrapper` frees it, and its bytes count as
  // V8 external memory until then.
  void track(napi_env env, napi_value wrapper, double id);
};

struct Instance;
struct Ctx;
using OpFn = Napi::Value (*)(Ctx&);

struct OpEntry {
  OpFn fn;
  Instance* inst;
};

// Optimizers (optim.cc): ids are generation·2^22 + slot, like tensor handles.
struct OptimTable {
  std::vector<std::unique_ptr<torch::optim::Optimizer>> slots;
  std::vector<int> kinds;
  std::vector<uint32_t> gens;
  std::vector<uint32_t> freeSlots;
};

struct Instance {
  TensorTable table;
  OptimTable optims;
  Napi::FunctionReference errors[size_t(ErrorKind::Count)];
  std::vector<std::unique_ptr<OpEntry>> entries;
  Napi::Object exports;
  void def(Napi::Env env, const char* name, OpFn fn);
};

// Argument access for one call. Indices are positional arguments from lib/torch.
struct Ctx {
  const Napi::CallbackInfo& info;
  Instance& inst;
  Napi::Env env;
  Ctx(const Napi::CallbackInfo& i, Instance& in) : info(i), inst(in), env(i.Env()) {}

  size_t size() const { return info.Length(); }
  bool has(size_t i) const;  // present and not null/undefined
  at::Tensor& t(size_t i);
  at::Tensor optT(size_t i);  // undefined tensor when absent
  std::vector<at::Tensor> tensors(size_t i);
  double num(size_t i);
  int64_t i64(size_t i);
  bool b(size_t i);
  bool bOr(size_t i, bool dflt) { return has(i) ? b(i) : dflt; }
  double numOr(size_t i, double dflt) { return has(i) ? num(i) : dflt; }
  int64_t i64Or(size_t i, int64_t dflt) { return has(i) ? i64(i) : dflt; }
  at::Scalar scalar(size_t i);
  std::vector<int64_t> ints(size_t i);  // array of integers, or a single integer
  std::optional<std::vector<int64_t>> optInts(size_t i);
  std::string str(size_t i);
  at::ScalarType dtype(size_t i);
  std::optional<at::ScalarType> optDtype(size_t i);
  c10::Device device(size_t i);
  // (dtype, device, requiresGrad) at i, i+1, i+2 — the layout every creation op uses.
  at::TensorOptions options(size_t i);

  Napi::Value ret(at::Tensor t);
  Napi::Value ret(std::vector<at::Tensor> ts);
  Napi::Value ret(const std::tuple<at::Tensor, at::Tensor>& ts);
  Napi::Value undef() { return env.Undefined(); }
};

void registerTensor(Instance& inst, Napi::Env env);
void registerCreation(Instance& inst, Napi::Env env);
void registerMath(Instance& inst, Napi::Env env);
void registerReduce(Instance& inst, Napi::Env env);
void registerShape(Instance& inst, Napi::Env env);
void registerNN(Instance& inst, Napi::Env env);
void registerRandom(Instance& inst, Napi::Env env);
void registerAutograd(Instance& inst, Napi::Env env);
void registerCuda(Instance& inst, Napi::Env env);
void registerOptim(Instance& inst, Napi::Env env);

std::string dtypeName(at::ScalarType s);

}  // namespace tmx
