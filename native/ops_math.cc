#include "ops.h"

namespace tmx {

void registerMath(Instance& inst, Napi::Env env) {
  // Binary arithmetic: tensor-tensor and tensor-scalar forms (lib/torch picks by argument type).
  DEF("add", return c.ret(c.size() > 2 ? at::add(T(0), T(1), c.scalar(2)) : at::add(T(0), T(1)));)
  DEF("addS", return c.ret(c.size() > 2 ? at::add(T(0), c.scalar(1), c.scalar(2)) : at::add(T(0), c.scalar(1)));)
  DEF("sub", return c.ret(c.size() > 2 ? at::sub(T(0), T(1), c.scalar(2)) : at::sub(T(0), T(1)));)
  DEF("subS", return c.ret(c.size() > 2 ? at::sub(T(0), c.scalar(1), c.scalar(2)) : at::sub(T(0), c.scalar(1)));)
  DEF("rsubS", return c.ret(at::rsub(T(0), c.scalar(1)));)  // scalar - tensor
  DEF("mul", return c.ret(at::mul(T(0), T(1)));)
  DEF("mulS", return c.ret(at::mul(T(0), c.scalar(1)));)
  DEF("div", return c.ret(c.has(2) ? at::div(T(0), T(1), c.str(2)) : at::div(T(0), T(1)));)
  DEF("divS", return c.ret(c.has(2) ? at::div(T(0), c.scalar(1), c.str(2)) : at::div(T(0), c.scalar(1)));)
  DEF("pow", return c.ret(at::pow(T(0), T(1)));)
  DEF("powS", return c.ret(at::pow(T(0), c.scalar(1)));)
  DEF("remainderS", return c.ret(at::remainder(T(0), c.scalar(1)));)
  DEF("maximum", return c.ret(at::maximum(T(0), T(1)));)
  DEF("minimum", return c.ret(at::minimum(T(0), T(1)));)
  DEF("where", return c.ret(at::where(T(0), T(1), T(2)));)
  DEF("lerp", return c.ret(at::lerp(T(0), T(1), T(2)));)
  DEF("lerpS", return c.ret(at::lerp(T(0), T(1), c.scalar(2)));)
  DEF("clamp", {
    c10::optional<at::Scalar> lo, hi;
    if (c.has(1)) lo = c.scalar(1);
    if (c.has(2)) hi = c.scalar(2);
    return c.ret(at::clamp(T(0), lo, hi));
  })
  DEF("matmul", return c.ret(at::matmul(T(0), T(1)));)
  DEF("mm", return c.ret(at::mm(T(0), T(1)));)
  DEF("bmm", return c.ret(at::bmm(T(0), T(1)));)

  // Unary
  DEF("neg", return c.ret(at::neg(T(0)));)
  DEF("exp", return c.ret(at::exp(T(0)));)
  DEF("log", return c.ret(at::log(T(0)));)
  DEF("log1p", return c.ret(at::log1p(T(0)));)
  DEF("sqrt", return c.ret(at::sqrt(T(0)));)
  DEF("rsqrt", return c.ret(at::rsqrt(T(0)));)
  DEF("erf", return c.ret(at::erf(T(0)));)
  DEF("erfinv", return c.ret(at::erfinv(T(0)));)
  DEF("abs", return c.ret(at::abs(T(0)));)
  DEF("sign", return c.ret(at::sign(T(0)));)
  DEF("floor", return c.ret(at::floor(T(0)));)
  DEF("ceil", return c.ret(at::ceil(T(0)));)
  DEF("round", return c.ret(at::round(T(0)));)
  DEF("sin", return c.ret(at::sin(T(0)));)
  DEF("cos", return c.ret(at::cos(T(0)));)
  DEF("reciprocal", return c.ret(at::reciprocal(T(0)));)
  DEF("square", return c.ret(at::square(T(0)));)
  DEF("sigmoid", return c.ret(at::sigmoid(T(0)));)
  DEF("tanh", return c.ret(at::tanh(T(0)));)
  DEF("relu", return c.ret(at::relu(T(0)));)
  DEF("isnan", return c.ret(at::isnan(T(0)));)
  DEF("isfinite", return c.ret(at::isfinite(T(0)));)
  DEF("logicalNot", return c.ret(at::logical_not(T(0)));)
  DEF("logicalAnd", return c.ret(at::logical_and(T(0), T(1)));)
  DEF("logicalOr", return c.ret(at::logical_or(T(0), T(1)));)

  // Comparisons
  DEF("eq", return c.ret(at::eq(T(0), T(1)));)
  DEF("ne", return c.ret(at::ne(T(0), T(1)));)
  DEF("lt", return c.ret(at::lt(T(0), T(1)));)
  DEF("le", return c.ret(at::le(T(0), T(1)));)
  DEF("gt", return c.ret(at::gt(T(0), T(1)));)
  DEF("ge", return c.ret(at::ge(T(0), T(1)));)
  DEF("eqS", return c.ret(at::eq(T(0), c.scalar(1)));)
  DEF("neS", return c.ret(at::ne(T(0), c.scalar(1)));)
  DEF("ltS", return c.ret(at::lt(T(0), c.scalar(1)));)
  DEF("leS", return c.ret(at::le(T(0), c.scalar(1)));)
  DEF("gtS", return c.ret(at::gt(T(0), c.scalar(1)));)
  DEF("geS", return c.ret(at::ge(T(0), c.scalar(1)));)

  // In place: the JS wrapper returns itself, so nothing new is handed out.
  DEF("add_", if (c.size() > 2) T(0).add_(T(1), c.scalar(2)); else T(0).add_(T(1)); return c.undef();)
  DEF("addS_", T(0).add_(c.scalar(1)); return c.undef();)
  DEF("sub_", if (c.size() > 2) T(0).sub_(T(1), c.scalar(2)); else T(0).sub_(T(1)); return c.undef();)
  DEF("subS_", T(0).sub_(c.scalar(1)); return c.undef();)
  DEF("mul_", T(0).mul_(T(1)); return c.undef();)
  DEF("mulS_", T(0).mul_(c.scalar(1)); return c.undef();)
  DEF("div_", T(0).div_(T(1)); return c.undef();)
  DEF("divS_", T(0).div_(c.scalar(1)); return c.undef();)
  DEF("lerp_", T(0).lerp_(T(1), T(2)); return c.undef();)
  DEF("lerpS_", T(0).lerp_(T(1), c.scalar(2)); return c.undef();)
  DEF("copy_", T(0).copy_(T(1)); return c.undef();)
  DEF("zero_", T(0).zero_(); return c.undef();)
  DEF("fill_", T(0).fill_(c.scalar(1)); return c.undef();)
  DEF("clamp_", {
    c10::optional<at::Scalar> lo, hi;
    if (c.has(1)) lo = c.scalar(1);
    if (c.has(2)) hi = c.scalar(2);
    T(0).clamp_(lo, hi);
    return c.undef();
  })
}

}  // namespace tmx
