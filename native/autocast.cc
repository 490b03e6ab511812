// Autocast (torch.autocast): LibTorch's thread-local autocast state per device type, as Python's
// torch.autocast __enter__/__exit__ set it (enabled, dtype, cache, the nesting counter). Node runs
// every op on its JS thread, so the state set here is the state those ops see.
// The API changed in 2.x: 1.13 has one function per device (set_enabled for CUDA, set_cpu_enabled,
// set_autocast_{gpu,cpu}_dtype); 2.4+ takes the device type (set_autocast_enabled(DeviceType, b)).
#include "ops.h"
#include <ATen/autocast_mode.h>

#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
#define TORCHMIX_AUTOCAST_BY_DEVICE 1
#endif

namespace tmx {

namespace {

c10::DeviceType autocastDevice(Ctx& c, size_t i) {
  std::string s = c.str(i);
  if (s == "cpu") return c10::DeviceType::CPU;
  if (s == "cuda") return c10::DeviceType::CUDA;
  throw ArgError(ErrorKind::Value, "autocast: deviceType must be 'cpu' or 'cuda', got '" + s + "'");
}

bool isEnabled(c10::DeviceType d) {
#ifdef TORCHMIX_AUTOCAST_BY_DEVICE
  return at::autocast::is_autocast_enabled(d);
#else
  return d == c10::DeviceType::CPU ? at::autocast::is_cpu_enabled() : at::autocast::is_enabled();
#endif
}

void setEnabled(c10::DeviceType d, bool on) {
#ifdef TORCHMIX_AUTOCAST_BY_DEVICE
  at::autocast::set_autocast_enabled(d, on);
#else
  if (d == c10::DeviceType::CPU)
    at::autocast::set_cpu_enabled(on);
  else
    at::autocast::set_enabled(on);
#endif
}

at::ScalarType getDtype(c10::DeviceType d) {
#ifdef TORCHMIX_AUTOCAST_BY_DEVICE
  return at::autocast::get_autocast_dtype(d);
#else
  return d == c10::DeviceType::CPU ? at::autocast::get_autocast_cpu_dtype() : at::autocast::get_autocast_gpu_dtype();
#endif
}

// The lower-precision dtypes this LibTorch's autocast kernels handle on the device (Python's
// torch.autocast checks the same: 1.13's CPU autocast is bfloat16 only).
bool supported(c10::DeviceType d, at::ScalarType t) {
  if (t == at::kBFloat16) return true;
  if (t != at::kHalf) return false;
#ifdef TORCHMIX_AUTOCAST_BY_DEVICE
  return true;
#else
  return d == c10::DeviceType::CUDA;
#endif
}

void setDtype(c10::DeviceType d, at::ScalarType t) {
  if (!supported(d, t))
    throw ArgError(ErrorKind::Value, std::string("autocast: dtype ") + (t == at::kHalf ? "float16" : dtypeName(t)) + " is not supported on " +
                                         (d == c10::DeviceType::CPU ? "cpu" : "cuda") + " by this LibTorch " + TORCH_VERSION +
                                         (d == c10::DeviceType::CPU ? " (its CPU autocast supports bfloat16 only)" : " (use float16 or bfloat16)"));
#ifdef TORCHMIX_AUTOCAST_BY_DEVICE
  at::autocast::set_autocast_dtype(d, t);
#else
  if (d == c10::DeviceType::CPU)
    at::autocast::set_autocast_cpu_dtype(t);
  else
    at::autocast::set_autocast_gpu_dtype(t);
#endif
}

}  // namespace

void registerAutocast(Instance& inst, Napi::Env env) {
  DEF("autocastIsEnabled", return Napi::Boolean::New(c.env, isEnabled(autocastDevice(c, 0)));)
  // (deviceType, enabled) -> the previous enabled state
  DEF("autocastSetEnabled", {
    auto d = autocastDevice(c, 0);
    bool prev = isEnabled(d);
    setEnabled(d, c.b(1));
    return Napi::Boolean::New(c.env, prev);
  })
  DEF("autocastGetDtype", return Napi::Number::New(c.env, double(int(getDtype(autocastDevice(c, 0)))));)
  DEF("autocastSetDtype", {
    setDtype(autocastDevice(c, 0), c.dtype(1));
    return c.undef();
  })
  DEF("autocastSupports", return Napi::Boolean::New(c.env, supported(autocastDevice(c, 0), c.dtype(1)));)
  DEF("autocastIsCacheEnabled", return Napi::Boolean::New(c.env, at::autocast::is_autocast_cache_enabled());)
  DEF("autocastSetCacheEnabled", {
    at::autocast::set_autocast_cache_enabled(c.b(0));
    return c.undef();
  })
  DEF("autocastIncrementNesting", return Napi::Number::New(c.env, at::autocast::increment_nesting());)
  DEF("autocastDecrementNesting", return Napi::Number::New(c.env, at::autocast::decrement_nesting());)
  DEF("autocastClearCache", {
    at::autocast::clear_cache();
    return c.undef();
  })
}

}  // namespace tmx
