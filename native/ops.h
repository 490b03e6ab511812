// Shorthand for the op tables: DEF("name", body using Ctx& c) registers one native function.
#pragma once
#include "tensor.h"

#define DEF(name, ...) inst.def(env, name, [](::tmx::Ctx& c) -> Napi::Value { __VA_ARGS__ });
#define T(i) c.t(i)
