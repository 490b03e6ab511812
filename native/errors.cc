#include "errors.h"
#include "tensor.h"

namespace tmx {

void throwJs(Napi::Env env, ErrorKind kind, const std::string& msg) {
  Instance* inst = env.GetInstanceData<Instance>();
  Napi::FunctionReference* ctor = inst ? &inst->errors[size_t(kind)] : nullptr;
  if (ctor && ctor->IsEmpty()) ctor = inst ? &inst->errors[size_t(ErrorKind::Base)] : nullptr;
  if (!ctor || ctor->IsEmpty()) throw Napi::Error::New(env, msg);
  throw Napi::Error(env, ctor->New({Napi::String::New(env, msg)}));
}

void rethrowAsJs(Napi::Env env) {
  try {
    throw;
  } catch (const Napi::Error&) {
    throw;  // already a JS exception
  } catch (const ArgError& e) {
    throwJs(env, e.kind, e.what());
  } catch (const c10::IndexError& e) {
    throwJs(env, ErrorKind::Index, e.what_without_backtrace());
  } catch (const c10::TypeError& e) {
    throwJs(env, ErrorKind::Type, e.what_without_backtrace());
  } catch (const c10::ValueError& e) {
    throwJs(env, ErrorKind::Value, e.what_without_backtrace());
  } catch (const c10::OutOfMemoryError& e) {
    throwJs(env, ErrorKind::OutOfMemory, e.what_without_backtrace());
  } catch (const c10::NotImplementedError& e) {
    throwJs(env, ErrorKind::NotImplemented, e.what_without_backtrace());
  } catch (const c10::Error& e) {
    // Some failures arrive as plain c10::Error: CPU allocation failures in every version, and
    // missing dtype kernels before 2.x. Classify them as 2.x does so code can rely on the class.
    const std::string msg = e.what_without_backtrace();
    ErrorKind kind = ErrorKind::Base;
    if (msg.find("can't allocate memory") != std::string::npos) kind = ErrorKind::OutOfMemory;
    else if (msg.find("\" not implemented for '") != std::string::npos) kind = ErrorKind::NotImplemented;
    throwJs(env, kind, msg);
  } catch (const std::bad_alloc&) {
    throwJs(env, ErrorKind::OutOfMemory, "out of memory (allocation failed)");
  } catch (const std::exception& e) {
    throwJs(env, ErrorKind::Base, e.what());
  } catch (...) {
    throwJs(env, ErrorKind::Base, "unknown native error");
  }
}

}  // namespace tmx
