// The candidates for releasing native memory when JavaScript drops a wrapper, without LibTorch
// (the native side is a 64-byte malloc): what each costs per object, and whether it frees anything
// while a synchronous loop runs. Built and run by scripts/bench/gc-release/run.sh.
//   registry   FinalizationRegistry (torchmix before issue 16): callbacks wait for the event loop
//   napi       napi_add_finalizer in a module built as NAPI_VERSION_EXPERIMENTAL: runs inside GC
//   v8         a v8::Global made weak with a first-pass (kParameter) callback: runs inside GC
#include <node_api.h>
#include <v8.h>
#include <cstdlib>
#include <cstring>
#include <vector>

static size_t live = 0;
static std::vector<void*> collected;  // queued during GC, freed by the next alloc()

static v8::Local<v8::Value> toV8(napi_value v) {  // Node's own representation of a napi_value
  v8::Local<v8::Value> l;
  std::memcpy(static_cast<void*>(&l), &v, sizeof v);
  return l;
}
static void drain() {
  for (void* p : collected) { free(p); live--; }
  collected.clear();
}
static double arg(napi_env env, napi_callback_info info, size_t i, napi_value* obj = nullptr) {
  size_t argc = 2;
  napi_value a[2];
  napi_get_cb_info(env, info, &argc, a, nullptr, nullptr);
  if (obj) *obj = a[0];
  double d = 0;
  napi_get_value_double(env, a[i], &d);
  return d;
}
static napi_value num(napi_env env, double v) { napi_value r; napi_create_double(env, v, &r); return r; }

static napi_value alloc(napi_env env, napi_callback_info) {
  drain();
  live++;
  return num(env, double(reinterpret_cast<uintptr_t>(malloc(64))));
}
static napi_value release(napi_env env, napi_callback_info info) {
  free(reinterpret_cast<void*>(uintptr_t(arg(env, info, 0))));
  live--;
  return nullptr;
}
struct Weak { v8::Global<v8::Object> h; void* block; };
static void onWeak(const v8::WeakCallbackInfo<Weak>& info) {
  Weak* w = info.GetParameter();
  w->h.Reset();  // first pass: only reset the handle and queue
  collected.push_back(w->block);
  delete w;
}
static napi_value trackV8(napi_env env, napi_callback_info info) {
  napi_value obj;
  auto* w = new Weak{{}, reinterpret_cast<void*>(uintptr_t(arg(env, info, 1, &obj)))};
  w->h.Reset(v8::Isolate::GetCurrent(), toV8(obj).As<v8::Object>());
  w->h.SetWeak(w, onWeak, v8::WeakCallbackType::kParameter);
  return nullptr;
}
static void onFinalize(node_api_basic_env, void* data, void*) { collected.push_back(data); }
static napi_value trackNapi(napi_env env, napi_callback_info info) {
  napi_value obj;
  void* block = reinterpret_cast<void*>(uintptr_t(arg(env, info, 1, &obj)));
  napi_add_finalizer(env, obj, block, onFinalize, nullptr, nullptr);
  return nullptr;
}
static napi_value getLive(napi_env env, napi_callback_info) { drain(); return num(env, double(live)); }

NAPI_MODULE_INIT() {
  napi_property_descriptor d[] = {
      {"alloc", nullptr, alloc, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"free", nullptr, release, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"trackV8", nullptr, trackV8, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"trackNapi", nullptr, trackNapi, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"live", nullptr, getLive, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  napi_define_properties(env, exports, sizeof d / sizeof d[0], d);
  return exports;
}
