#include "ops.h"

namespace tmx {

void registerAutograd(Instance& inst, Napi::Env env) {
  DEF("requiresGrad", return Napi::Boolean::New(c.env, T(0).requires_grad());)
  DEF("requiresGrad_", T(0).requires_grad_(c.b(1)); return c.undef();)
  DEF("isLeaf", return Napi::Boolean::New(c.env, T(0).is_leaf());)
  DEF("grad", return c.ret(T(0).grad());)  // null when there is none
  DEF("setGrad", {
    // The checks Python's .grad setter makes; a mismatched grad would break the next backward.
    at::Tensor g = c.optT(1);
    at::Tensor& t = T(0);
    if (g.defined() && (g.sizes() != t.sizes() || g.scalar_type() != t.scalar_type() || g.device() != t.device()))
      throw ArgError(ErrorKind::Value, "grad: assigned grad must match the tensor's shape, dtype and device");
    t.mutable_grad() = g;
    return c.undef();
  })
  DEF("retainGrad", T(0).retain_grad(); return c.undef();)
  DEF("detach", return c.ret(T(0).detach());)
  DEF("detach_", T(0).detach_(); return c.undef();)
  // (t, gradient?, retainGraph?, createGraph)
  DEF("backward", {
    c10::optional<bool> retain;
    if (c.has(2)) retain = c.b(2);
    T(0).backward(c.optT(1), retain, c.bOr(3, false));
    return c.undef();
  })
  // (outputs[], inputs[], gradOutputs[]?, retainGraph?, createGraph, allowUnused) -> (id|null)[]
  DEF("autogradGrad", {
    std::vector<at::Tensor> gouts;
    if (c.has(2)) gouts = c.tensors(2);
    c10::optional<bool> retain;
    if (c.has(3)) retain = c.b(3);
    return c.ret(torch::autograd::grad(c.tensors(0), c.tensors(1), gouts, retain, c.bOr(4, false), c.bOr(5, false)));
  })
  DEF("setGradEnabled", {
    bool prev = at::GradMode::is_enabled();
    at::GradMode::set_enabled(c.b(0));
    return Napi::Boolean::New(c.env, prev);
  })
  DEF("isGradEnabled", return Napi::Boolean::New(c.env, at::GradMode::is_enabled());)
}

}  // namespace tmx
