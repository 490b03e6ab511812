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
  // -> [allocated, reserved] bytes on one device, [0, 0] without CUDA, [-1, -1] if unknown.
  DEF("cudaMemory", {
    Napi::Array a = Napi::Array::New(c.env, 2);
    double alloc = 0, reserved = 0;
    if (torch::cuda::is_available()) {
#ifdef TORCHMIX_DEVICE_ALLOCATOR_STATS
      auto* da = c10::getDeviceAllocator(c10::DeviceType::CUDA);
      auto stats = da->getDeviceStats(c10::DeviceIndex(c.i64Or(0, 0)));
      alloc = double(stats.allocated_bytes[0].current);
      reserved = double(stats.reserved_bytes[0].current);
#else
      alloc = reserved = -1;
#endif
    }
    a.Set(uint32_t(0), alloc);
    a.Set(uint32_t(1), reserved);
    return a;
  })
}

}  // namespace tmx
