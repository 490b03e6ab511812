// Addon entry: per-instance state only (worker_threads each get their own table), no statics.
#include "tensor.h"

namespace tmx {

void registerDist(Instance& inst, Napi::Env env);  // dist.cc (torch.distributed)
void registerMalloc(Instance& inst, Napi::Env env);  // malloc.cc (glibc malloc tuned at load)
void registerAutocast(Instance& inst, Napi::Env env);  // autocast.cc (torch.autocast)

static Napi::Value trampoline(const Napi::CallbackInfo& info) {
  auto* entry = static_cast<OpEntry*>(info.Data());
  try {
    Ctx c(info, *entry->inst);
    return entry->fn(c);
  } catch (...) {
    rethrowAsJs(info.Env());
  }
  return Napi::Value();
}

void Instance::def(Napi::Env env, const char* name, OpFn fn) {
  entries.push_back(std::make_unique<OpEntry>(OpEntry{fn, this}));
  exports.Set(name, Napi::Function::New(env, trampoline, name, entries.back().get()));
}

Napi::Object init(Napi::Env env, Napi::Object exports) {
  auto* inst = new Instance();
  env.SetInstanceData<Instance>(inst);  // deleted with the environment
  inst->exports = exports;
  registerMalloc(*inst, env);  // first: before the ops below allocate
  registerTensor(*inst, env);
  registerCreation(*inst, env);
  registerMath(*inst, env);
  registerReduce(*inst, env);
  registerShape(*inst, env);
  registerNN(*inst, env);
  registerRandom(*inst, env);
  registerAutograd(*inst, env);
  registerCuda(*inst, env);
  registerOptim(*inst, env);
  registerDist(*inst, env);
  registerAutocast(*inst, env);
  return exports;
}

}  // namespace tmx

static Napi::Object InitAddon(Napi::Env env, Napi::Object exports) { return tmx::init(env, exports); }
NODE_API_MODULE(torchmix, InitAddon)
