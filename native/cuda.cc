// Everything CUDA-specific. Builds against CPU-only LibTorch too (functions then report "none").
#include "ops.h"
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 9)
#include <c10/core/CachingDeviceAllocator.h>
#define TORCHMIX_DEVICE_ALLOCATOR_STATS 1
#endif

namespace tmx {

void registerCuda(Instance& inst, Napi::Env env) {
  DEF("cudaIsAvailable", return Napi::Boolean::New(c.env, torch::cuda::is_available());)
  DEF("cudaDeviceCount", return Napi::Number::New(c.env, double(torch::cuda::device_count()));)
  DEF("cudaSynchronize", {
    if (!torch::cuda::is_available()) throw ArgError(ErrorKind::Base, "cuda.synchronize(): CUDA is not available");
    torch::cuda::synchronize(c.i64Or(0, -1));
    return c.undef();
  })
  // -> [allocated, reserved, peak allocated, peak reserved] bytes on one device (the aggregate pool,
  // as torch.cuda.memory_allocated & co.), zeros without CUDA, -1s if this LibTorch gives no statistics.
  DEF("cudaMemory", {
    Napi::Array a = Napi::Array::New(c.env, 4);
    double v[4] = {0, 0, 0, 0};
    if (torch::cuda::is_available()) {
#ifdef TORCHMIX_DEVICE_ALLOCATOR_STATS
      auto* da = c10::getDeviceAllocator(c10::DeviceType::CUDA);
      auto stats = da->getDeviceStats(c10::DeviceIndex(c.i64Or(0, 0)));
      v[0] = double(stats.allocated_bytes[0].current);
      v[1] = double(stats.reserved_bytes[0].current);
      v[2] = double(stats.allocated_bytes[0].peak);
      v[3] = double(stats.reserved_bytes[0].peak);
#else
      v[0] = v[1] = v[2] = v[3] = -1;
#endif
    }
    for (uint32_t i = 0; i < 4; i++) a.Set(i, v[i]);
    return a;
  })
  // Peaks restart from the current values (torch.cuda.reset_peak_memory_stats); false if unsupported.
  DEF("cudaResetPeak", {
    if (!torch::cuda::is_available()) return Napi::Boolean::New(c.env, true);
#ifdef TORCHMIX_DEVICE_ALLOCATOR_STATS
    c10::getDeviceAllocator(c10::DeviceType::CUDA)->resetPeakStats(c10::DeviceIndex(c.i64Or(0, 0)));
    return Napi::Boolean::New(c.env, true);
#else
    return Napi::Boolean::New(c.env, false);
#endif
  })
}

}  // namespace tmx
