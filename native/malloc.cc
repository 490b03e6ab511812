// glibc malloc tuned at addon load (docs/ARCHITECTURE.md, "The allocator at load"). With glibc's
// defaults every tensor above the (dynamic) mmap threshold is a fresh mmap, and every free that
// leaves 128 KiB at the heap top is trimmed back to the kernel: the next step faults those pages in
// again (millions of minor faults per epoch, ~30 % of a small CNN's CPU time). Keeping freed memory
// in the process stops that. Process-wide (mallopt), so it is applied once, whichever addon instance
// (worker_threads) loads first; the user's own MALLOC_* / GLIBC_TUNABLES settings or
// TORCHMIX_MALLOC=system leave glibc's defaults. Not glibc (musl, macOS): nothing to do.
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>

#include "tensor.h"

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace tmx {

namespace {

// Chosen by measurement (docs/ARCHITECTURE.md table): allocations below 32 MiB (glibc's cap for
// M_MMAP_THRESHOLD on 64-bit) come from the heap, and up to 256 MiB of free memory at its top stays
// mapped, plus 64 MiB of padding on each growth.
constexpr size_t kMmapThreshold = size_t(32) << 20;
constexpr size_t kTrimThreshold = size_t(256) << 20;
constexpr size_t kTopPad = size_t(64) << 20;

std::once_flag applied;
std::string setting;  // what torch.config().allocator reports; fixed once per process

std::string mib(size_t b) { return std::to_string(b >> 20) + " MiB"; }

void apply() {
#if defined(__GLIBC__)
  const char* opt = std::getenv("TORCHMIX_MALLOC");
  if (opt && std::strcmp(opt, "system") == 0) {
    setting = "system (TORCHMIX_MALLOC=system)";
    return;
  }
  // A misspelt opt-out must not tune silently; failing the addon's load would hide the cause.
  if (opt && *opt && std::strcmp(opt, "tuned") != 0) {
    setting = std::string("system (TORCHMIX_MALLOC='") + opt + "' is neither 'system' nor 'tuned': glibc's defaults left)";
    return;
  }
  // Any malloc setting of the user's own wins: tune nothing rather than half of it.
  for (const char* v : {"MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "MALLOC_TOP_PAD_", "MALLOC_ARENA_MAX", "MALLOC_MMAP_MAX_"}) {
    if (std::getenv(v)) {
      setting = std::string("system (MALLOC_* set by the user: ") + v + ")";
      return;
    }
  }
  const char* tun = std::getenv("GLIBC_TUNABLES");
  if (tun && std::strstr(tun, "glibc.malloc.")) {
    setting = "system (MALLOC_* set by the user: GLIBC_TUNABLES glibc.malloc.*)";
    return;
  }
  // A preloaded allocator (jemalloc, tcmalloc, mimalloc) ignores glibc's mallopt. (Comparing malloc's
  // addresses cannot tell: a non-PIE node's PLT entry is the canonical address of libc's malloc.)
  const char* pre = std::getenv("LD_PRELOAD");
  if (pre && std::strstr(pre, "malloc")) {
    setting = "system (LD_PRELOAD replaces malloc)";
    return;
  }
  // The first call also turns off glibc's dynamic mmap threshold, which otherwise raises the trim
  // threshold with it: setting the mmap threshold alone faults more than the defaults (the table).
  if (mallopt(M_MMAP_THRESHOLD, int(kMmapThreshold)) != 1 || mallopt(M_TRIM_THRESHOLD, int(kTrimThreshold)) != 1 ||
      mallopt(M_TOP_PAD, int(kTopPad)) != 1) {
    setting = "system (mallopt refused the tuned setting)";
    return;
  }
  setting = "tuned (mmap threshold " + mib(kMmapThreshold) + ", trim " + mib(kTrimThreshold) + ", top pad " + mib(kTopPad) + ")";
#else
  setting = "system (not glibc)";
#endif
}

}  // namespace

void registerMalloc(Instance& inst, Napi::Env env) {
  std::call_once(applied, apply);
  inst.def(env, "allocator", [](Ctx& c) -> Napi::Value { return Napi::String::New(c.env, setting); });
}

}  // namespace tmx
