// Autocast (torch.autocast): LibTorch's thread-local autocast state per device type, as Python's
// torch.autocast __enter__/__exit__ set it (enabled, dtype, cache, the nesting counter). Node runs
// every op on its JS thread, so the state set here is the state those ops see.
// The API changed in 2.x: 1.13 has one function per device (set_enabled for CUDA, set_cpu_enabled,
// set_autocast_{gpu,cpu}_dtype); 2.4+ takes the device type (set_autocast_enabled(DeviceType, b)).
#include "ops.h"
#include <ATen/autocast_mode.h>
#include <algorithm>
#include <cmath>

#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
#define TORCHMIX_AUTOCAST_BY_DEVICE 1
#endif
// GradScaler's two kernels have CPU implementations from 2.3 (torch.amp.GradScaler('cpu')); 1.13 has CUDA ones only.
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 3)
#define TORCHMIX_AMP_CPU_KERNELS 1
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

// torch._amp_foreach_non_finite_check_and_unscale_ on one list of same-device, same-dtype grads:
// found_inf = 1 if any element is inf/NaN, then every grad *= inv_scale.
void unscaleGroup(std::vector<at::Tensor>& grads, at::Tensor& foundInf, const at::Tensor& invScale) {
#ifndef TORCHMIX_AMP_CPU_KERNELS
  if (!grads[0].is_cuda()) {
    std::vector<at::Tensor> bad;
    bad.reserve(grads.size());
    for (auto& g : grads) bad.push_back(at::isfinite(g).logical_not().any());
    foundInf.copy_(at::maximum(foundInf, at::stack(bad).any().to(foundInf.scalar_type())));
    at::Tensor inv = invScale.to(grads[0].scalar_type());
    for (auto& g : grads) g.mul_(inv);
    return;
  }
#endif
  at::_amp_foreach_non_finite_check_and_unscale_(grads, foundInf, invScale);
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
  // GradScaler (lib/amp/grad-scaler.ts). (params[], foundInf, invScale, allowFp16): unscales the
  // gradients of the params that have one, grouped by device and dtype as PyTorch's _unscale_grads_.
  DEF("ampUnscaleGrads", {
    std::vector<at::Tensor> ps = c.tensors(0);
    at::Tensor& foundInf = c.t(1);
    const at::Tensor& invScale = c.t(2);
    bool allowFp16 = c.bOr(3, false);
    at::NoGradGuard noGrad;
    std::vector<std::pair<std::pair<c10::Device, at::ScalarType>, std::vector<at::Tensor>>> groups;
    for (auto& p : ps) {
      const at::Tensor& g = p.grad();
      if (!g.defined()) continue;
      if (!allowFp16 && g.scalar_type() == at::kHalf) throw ArgError(ErrorKind::Value, "GradScaler: attempting to unscale float16 gradients (keep the parameters in float32; autocast casts them)");
      if (g.is_sparse()) throw ArgError(ErrorKind::NotImplemented, "GradScaler: sparse gradients are not supported");
      auto key = std::make_pair(g.device(), g.scalar_type());
      auto it = std::find_if(groups.begin(), groups.end(), [&](auto& e) { return e.first == key; });
      if (it == groups.end()) {
        groups.push_back({key, {}});
        it = groups.end() - 1;
      }
      it->second.push_back(g);
    }
    for (auto& [key, grads] : groups) {
      // found_inf and inv_scale live with the scale; a group on another device gets its own copies (PyTorch's _MultiDeviceReplicator)
      if (key.first == foundInf.device()) {
        unscaleGroup(grads, foundInf, invScale);
      } else {
        at::Tensor fi = at::zeros_like(foundInf, at::TensorOptions().device(key.first));
        at::Tensor inv = invScale.to(key.first);
        unscaleGroup(grads, fi, inv);
        foundInf.copy_(at::maximum(foundInf, fi.to(foundInf.device())));
      }
    }
    return Napi::Number::New(c.env, double(groups.size()));
  })
  // (scale, growthTracker, foundInf, growthFactor, backoffFactor, growthInterval): torch._amp_update_scale_.
  DEF("ampUpdateScale", {
    at::Tensor& scale = c.t(0);
    at::Tensor& tracker = c.t(1);
    const at::Tensor& foundInf = c.t(2);
    double growth = c.num(3), backoff = c.num(4);
    int64_t interval = c.i64(5);
    at::NoGradGuard noGrad;
#ifndef TORCHMIX_AMP_CPU_KERNELS
    if (!scale.is_cuda()) {
      // The CPU kernel of 2.x (aten/src/ATen/native/cpu/AmpGradScalerKernels.cpp), on 0-d tensors.
      float s = scale.item<float>();
      if (foundInf.item<float>() != 0.0f) {
        scale.fill_(float(double(s) * backoff));
        tracker.fill_(0);
      } else {
        int32_t ok = tracker.item<int32_t>() + 1;
        if (ok == interval) {
          float ns = float(double(s) * growth);
          if (std::isfinite(ns)) scale.fill_(ns);
          tracker.fill_(0);
        } else {
          tracker.fill_(ok);
        }
      }
      return c.undef();
    }
#endif
    at::_amp_update_scale_(scale, tracker, foundInf, growth, backoff, interval);
    return c.undef();
  })
  DEF("autocastClearCache", {
    at::autocast::clear_cache();
    return c.undef();
  })
}

}  // namespace tmx
