// The one guard around every native entry point: C++ exceptions become instances of the JS error
// classes handed over by lib/torch/errors.ts (TorchError and subclasses).
#pragma once
#include "pch.h"

namespace tmx {

enum class ErrorKind { Base = 0, Index, Type, Value, OutOfMemory, NotImplemented, Count };

// Thrown by our own argument checks; mapped like the c10 errors.
struct ArgError : std::runtime_error {
  ErrorKind kind;
  ArgError(ErrorKind k, const std::string& msg) : std::runtime_error(msg), kind(k) {}
};

[[noreturn]] void throwJs(Napi::Env env, ErrorKind kind, const std::string& msg);
// Converts the exception in flight into a pending JS exception (call only inside a catch block).
void rethrowAsJs(Napi::Env env);

}  // namespace tmx
