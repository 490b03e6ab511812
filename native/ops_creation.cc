#include "ops.h"

namespace tmx {

void registerCreation(Instance& inst, Napi::Env env) {
  // Layout: (...args, dtype?, device?, requiresGrad?) — see Ctx::options.
  DEF("zeros", return c.ret(torch::zeros(c.ints(0), c.options(1)));)
  DEF("ones", return c.ret(torch::ones(c.ints(0), c.options(1)));)
  DEF("empty", return c.ret(torch::empty(c.ints(0), c.options(1)));)
  DEF("full", return c.ret(torch::full(c.ints(0), c.scalar(1), c.options(2)));)
  DEF("arange", return c.ret(torch::arange(c.scalar(0), c.scalar(1), c.scalar(2), c.options(3)));)
  DEF("linspace", return c.ret(torch::linspace(c.scalar(0), c.scalar(1), c.i64(2), c.options(3)));)
  DEF("eye", return c.ret(torch::eye(c.i64(0), c.i64(1), c.options(2)));)
  DEF("scalarTensor", return c.ret(torch::scalar_tensor(c.scalar(0), c.options(1)));)
  DEF("zerosLike", return c.ret(torch::zeros_like(T(0), c.options(1)));)
  DEF("onesLike", return c.ret(torch::ones_like(T(0), c.options(1)));)
  DEF("emptyLike", return c.ret(torch::empty_like(T(0), c.options(1)));)
  DEF("fullLike", return c.ret(torch::full_like(T(0), c.scalar(1), c.options(2)));)
}

}  // namespace tmx
