#include "ops.h"

namespace tmx {

void registerShape(Instance& inst, Napi::Env env) {
  DEF("reshape", return c.ret(at::reshape(T(0), c.ints(1)));)
  DEF("view", return c.ret(T(0).view(c.ints(1)));)
  DEF("flatten", return c.ret(at::flatten(T(0), c.i64Or(1, 0), c.i64Or(2, -1)));)
  DEF("squeeze", return c.ret(c.has(1) ? at::squeeze(T(0), c.i64(1)) : at::squeeze(T(0)));)
  DEF("unsqueeze", return c.ret(at::unsqueeze(T(0), c.i64(1)));)
  DEF("permute", return c.ret(T(0).permute(c.ints(1)));)
  DEF("transpose", return c.ret(at::transpose(T(0), c.i64(1), c.i64(2)));)
  DEF("expand", return c.ret(T(0).expand(c.ints(1)));)
  DEF("repeat", return c.ret(T(0).repeat(c.ints(1)));)
  DEF("cat", return c.ret(at::cat(c.tensors(0), c.i64(1)));)
  DEF("stack", return c.ret(at::stack(c.tensors(0), c.i64(1)));)
  DEF("split", return c.ret(at::split(T(0), c.i64(1), c.i64(2)));)
  DEF("splitWithSizes", return c.ret(at::split_with_sizes(T(0), c.ints(1), c.i64(2)));)
  DEF("chunk", return c.ret(at::chunk(T(0), c.i64(1), c.i64(2)));)
  DEF("narrow", return c.ret(at::narrow(T(0), c.i64(1), c.i64(2), c.i64(3)));)
  DEF("select", return c.ret(at::select(T(0), c.i64(1), c.i64(2)));)
  DEF("indexSelect", return c.ret(at::index_select(T(0), c.i64(1), T(2)));)
  DEF("gather", return c.ret(at::gather(T(0), c.i64(1), T(2)));)
  DEF("scatter", return c.ret(at::scatter(T(0), c.i64(1), T(2), T(3)));)
  DEF("scatterS", return c.ret(at::scatter(T(0), c.i64(1), T(2), c.scalar(3)));)
  DEF("scatterAdd", return c.ret(at::scatter_add(T(0), c.i64(1), T(2), T(3)));)
  DEF("maskedFill", return c.ret(at::masked_fill(T(0), T(1), c.scalar(2)));)
  DEF("flip", return c.ret(at::flip(T(0), c.ints(1)));)
  DEF("roll", return c.ret(at::roll(T(0), c.ints(1), c.ints(2)));)
  // (t, pad, mode, value?) — mode: constant | reflect | replicate | circular
  DEF("pad", {
    c10::optional<double> v;
    if (c.has(3)) v = c.num(3);
    return c.ret(at::pad(T(0), c.ints(1), c.str(2), v));
  })
}

}  // namespace tmx
