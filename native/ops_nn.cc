#include "ops.h"

namespace tmx {

static c10::optional<at::Tensor> optTensor(Ctx& c, size_t i) {
  if (!c.has(i)) return c10::nullopt;
  return c.t(i);
}

static c10::optional<double> optNum(Ctx& c, size_t i) {
  if (!c.has(i)) return c10::nullopt;
  return c.num(i);
}

void registerNN(Instance& inst, Napi::Env env) {
  DEF("linear", return c.ret(at::linear(T(0), T(1), optTensor(c, 2)));)
  // (x, w, b?, stride, padding, dilation, groups)
  DEF("conv2d", return c.ret(at::conv2d(T(0), T(1), optTensor(c, 2), c.ints(3), c.ints(4), c.ints(5), c.i64(6)));)
  // (x, kernel, stride, padding, dilation, ceilMode)
  DEF("maxPool2d", return c.ret(at::max_pool2d(T(0), c.ints(1), c.ints(2), c.ints(3), c.ints(4), c.b(5)));)
  // (x, kernel, stride, padding, ceilMode, countIncludePad)
  DEF("avgPool2d", return c.ret(at::avg_pool2d(T(0), c.ints(1), c.ints(2), c.ints(3), c.b(4), c.b(5)));)
  DEF("adaptiveAvgPool2d", return c.ret(at::adaptive_avg_pool2d(T(0), c.ints(1)));)
  // (x, weight?, bias?, runningMean?, runningVar?, training, momentum, eps)
  DEF("batchNorm", return c.ret(at::batch_norm(T(0), optTensor(c, 1), optTensor(c, 2), optTensor(c, 3), optTensor(c, 4), c.b(5), c.num(6), c.num(7), false));)
  DEF("dropout", return c.ret(at::dropout(T(0), c.num(1), c.b(2)));)
  DEF("leakyRelu", return c.ret(at::leaky_relu(T(0), c.scalar(1)));)
  DEF("gelu", return c.ret(at::gelu(T(0), c.has(1) ? c.str(1) : std::string("none")));)
  DEF("softmax", return c.ret(at::softmax(T(0), c.i64(1), c.has(2) ? c10::optional<at::ScalarType>(c.dtype(2)) : c10::nullopt));)
  DEF("logSoftmax", return c.ret(at::log_softmax(T(0), c.i64(1), c.has(2) ? c10::optional<at::ScalarType>(c.dtype(2)) : c10::nullopt));)
  DEF("oneHot", return c.ret(at::one_hot(T(0), c.i64(1)));)
  // (x, outputSize[2], scaleH?, scaleW?) and (x, outputSize[2], alignCorners, scaleH?, scaleW?):
  // like PyTorch, a given scale factor (not the size ratio) drives the source-index computation.
  DEF("upsampleNearest2d", return c.ret(at::upsample_nearest2d(T(0), c.ints(1), optNum(c, 2), optNum(c, 3)));)
  DEF("upsampleBilinear2d", return c.ret(at::upsample_bilinear2d(T(0), c.ints(1), c.b(2), optNum(c, 3), optNum(c, 4)));)

  // Losses. reduction: 0 none, 1 mean, 2 sum (at::Reduction).
  // (input, target (indices or probabilities), weight?, reduction, ignoreIndex, labelSmoothing)
  DEF("crossEntropy", return c.ret(at::cross_entropy_loss(T(0), T(1), optTensor(c, 2), c.i64(3), c.i64(4), c.num(5)));)
  DEF("nllLoss", return c.ret(at::nll_loss_nd(T(0), T(1), optTensor(c, 2), c.i64(3), c.i64(4)));)
  DEF("mseLoss", return c.ret(at::mse_loss(T(0), T(1), c.i64(2)));)
  DEF("binaryCrossEntropy", return c.ret(at::binary_cross_entropy(T(0), T(1), optTensor(c, 2), c.i64(3)));)
  // (input, target, weight?, posWeight?, reduction)
  DEF("binaryCrossEntropyWithLogits", return c.ret(at::binary_cross_entropy_with_logits(T(0), T(1), optTensor(c, 2), optTensor(c, 3), c.i64(4)));)
  // (input, target, reduction, logTarget)
  DEF("klDiv", return c.ret(at::kl_div(T(0), T(1), c.i64(2), c.b(3)));)
}

}  // namespace tmx
