#include "ops.h"

namespace tmx {

// (t, dims?, keepdim, dtype?) — dims absent means "all".
static at::OptionalIntArrayRef dimsArg(const std::optional<std::vector<int64_t>>& d) {
  if (!d) return c10::nullopt;
  return at::IntArrayRef(*d);
}

void registerReduce(Instance& inst, Napi::Env env) {
  DEF("sum", {
    auto d = c.optInts(1);
    c10::optional<at::ScalarType> dt;
    if (c.has(3)) dt = c.dtype(3);
    if (!d) return c.ret(at::sum(T(0), dt));
    return c.ret(at::sum(T(0), at::IntArrayRef(*d), c.bOr(2, false), dt));
  })
  DEF("mean", {
    auto d = c.optInts(1);
    c10::optional<at::ScalarType> dt;
    if (c.has(3)) dt = c.dtype(3);
    if (!d) return c.ret(at::mean(T(0), dt));
    return c.ret(at::mean(T(0), at::IntArrayRef(*d), c.bOr(2, false), dt));
  })
  DEF("prod", {
    if (!c.has(1)) return c.ret(at::prod(T(0)));
    return c.ret(at::prod(T(0), c.i64(1), c.bOr(2, false)));
  })
  DEF("maxAll", return c.ret(at::max(T(0)));)
  DEF("minAll", return c.ret(at::min(T(0)));)
  DEF("maxDim", return c.ret(at::max(T(0), c.i64(1), c.bOr(2, false)));)
  DEF("minDim", return c.ret(at::min(T(0), c.i64(1), c.bOr(2, false)));)
  DEF("argmax", {
    c10::optional<int64_t> d;
    if (c.has(1)) d = c.i64(1);
    return c.ret(at::argmax(T(0), d, c.bOr(2, false)));
  })
  DEF("argmin", {
    c10::optional<int64_t> d;
    if (c.has(1)) d = c.i64(1);
    return c.ret(at::argmin(T(0), d, c.bOr(2, false)));
  })
  // (t, dims?, correction, keepdim)
  DEF("std", {
    auto d = c.optInts(1);
#if TORCH_VERSION_MAJOR >= 2
    return c.ret(at::std(T(0), dimsArg(d), c10::optional<at::Scalar>(c.scalar(2)), c.bOr(3, false)));
#else
    return c.ret(at::std(T(0), dimsArg(d), c10::optional<int64_t>(c.i64(2)), c.bOr(3, false)));
#endif
  })
  DEF("var", {
    auto d = c.optInts(1);
#if TORCH_VERSION_MAJOR >= 2
    return c.ret(at::var(T(0), dimsArg(d), c10::optional<at::Scalar>(c.scalar(2)), c.bOr(3, false)));
#else
    return c.ret(at::var(T(0), dimsArg(d), c10::optional<int64_t>(c.i64(2)), c.bOr(3, false)));
#endif
  })
  DEF("logsumexp", return c.ret(at::logsumexp(T(0), c.ints(1), c.bOr(2, false)));)
  // (t, p, dims?, keepdim)
  DEF("norm", {
    auto d = c.optInts(2);
    if (!d) return c.ret(at::norm(T(0), c.scalar(1)));
    return c.ret(at::norm(T(0), c10::optional<at::Scalar>(c.scalar(1)), at::IntArrayRef(*d), c.bOr(3, false)));
  })
  DEF("cumsum", return c.ret(at::cumsum(T(0), c.i64(1)));)
  DEF("all", return c.ret(c.has(1) ? at::all(T(0), c.i64(1), c.bOr(2, false)) : at::all(T(0)));)
  DEF("any", return c.ret(c.has(1) ? at::any(T(0), c.i64(1), c.bOr(2, false)) : at::any(T(0)));)
}

}  // namespace tmx
