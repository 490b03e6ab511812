// torch.nn.functional: the ops layers and losses are written over (nn.functional.relu, …).
import { N } from '../torch/native.js';
import { TorchValueError, TorchTypeError } from '../torch/errors.js';
import { wrap, tid, reductionCode, Tensor, type Reduction } from '../torch/tensor.js';
import { code, isFloating, type DType } from '../torch/types.js';

type Pair = number | [number, number];
function pair(x: Pair, what: string): [number, number] {
  const p: [number, number] = typeof x === 'number' ? [x, x] : x;
  if (!Array.isArray(p) || p.length !== 2 || !p.every(Number.isInteger))
    throw new TorchTypeError(`${what}: expected an integer or a pair of integers, got ${JSON.stringify(x)}`);
  return p;
}
function optId(x: Tensor | null | undefined, what: string): number | undefined {
  return x === undefined || x === null ? undefined : tid(x, what);
}
function need4d(x: Tensor, what: string): void {
  if (!(x instanceof Tensor)) throw new TorchTypeError(`${what}: expected a Tensor`);
  const n = x.ndim;
  if (n !== 4 && n !== 3) throw new TorchValueError(`${what}: expected a 3-d (C,H,W) or 4-d (N,C,H,W) input, got shape [${x.shape.join(', ')}]`);
}

// ---- layers -------------------------------------------------------------------------------------
/** y = x Wᵀ + b. */
export function linear(input: Tensor, weight: Tensor, bias?: Tensor | null): Tensor {
  return wrap(N.linear(tid(input, 'linear(input)'), tid(weight, 'linear(weight)'), optId(bias, 'linear(bias)')));
}
export function conv2d(
  input: Tensor,
  weight: Tensor,
  bias?: Tensor | null,
  opts?: { stride?: Pair; padding?: Pair; dilation?: Pair; groups?: number },
): Tensor {
  need4d(input, 'conv2d(input)');
  return wrap(
    N.conv2d(
      input._id,
      tid(weight, 'conv2d(weight)'),
      optId(bias, 'conv2d(bias)'),
      pair(opts?.stride ?? 1, 'conv2d(stride)'),
      pair(opts?.padding ?? 0, 'conv2d(padding)'),
      pair(opts?.dilation ?? 1, 'conv2d(dilation)'),
      opts?.groups ?? 1,
    ),
  );
}
export function maxPool2d(input: Tensor, kernelSize: Pair, opts?: { stride?: Pair; padding?: Pair; dilation?: Pair; ceilMode?: boolean }): Tensor {
  need4d(input, 'maxPool2d(input)');
  const k = pair(kernelSize, 'maxPool2d(kernelSize)');
  return wrap(
    N.maxPool2d(
      input._id,
      k,
      pair(opts?.stride ?? k, 'maxPool2d(stride)'),
      pair(opts?.padding ?? 0, 'maxPool2d(padding)'),
      pair(opts?.dilation ?? 1, 'maxPool2d(dilation)'),
      opts?.ceilMode ?? false,
    ),
  );
}
export function avgPool2d(input: Tensor, kernelSize: Pair, opts?: { stride?: Pair; padding?: Pair; ceilMode?: boolean; countIncludePad?: boolean }): Tensor {
  need4d(input, 'avgPool2d(input)');
  const k = pair(kernelSize, 'avgPool2d(kernelSize)');
  return wrap(
    N.avgPool2d(
      input._id,
      k,
      pair(opts?.stride ?? k, 'avgPool2d(stride)'),
      pair(opts?.padding ?? 0, 'avgPool2d(padding)'),
      opts?.ceilMode ?? false,
      opts?.countIncludePad ?? true,
    ),
  );
}
export function adaptiveAvgPool2d(input: Tensor, outputSize: Pair): Tensor {
  need4d(input, 'adaptiveAvgPool2d(input)');
  return wrap(N.adaptiveAvgPool2d(input._id, pair(outputSize, 'adaptiveAvgPool2d(outputSize)')));
}
/** Batch norm; in training mode running statistics (if given) are updated in place. */
export function batchNorm(
  input: Tensor,
  runningMean: Tensor | null,
  runningVar: Tensor | null,
  opts?: { weight?: Tensor | null; bias?: Tensor | null; training?: boolean; momentum?: number; eps?: number },
): Tensor {
  const training = opts?.training ?? false;
  if (!training && (runningMean === null || runningVar === null))
    throw new TorchValueError('batchNorm(): running statistics are required when training is false');
  return wrap(
    N.batchNorm(
      tid(input, 'batchNorm(input)'),
      optId(opts?.weight, 'batchNorm(weight)'),
      optId(opts?.bias, 'batchNorm(bias)'),
      optId(runningMean, 'batchNorm(runningMean)'),
      optId(runningVar, 'batchNorm(runningVar)'),
      training,
      opts?.momentum ?? 0.1,
      opts?.eps ?? 1e-5,
    ),
  );
}
export function dropout(input: Tensor, opts?: { p?: number; training?: boolean }): Tensor {
  const p = opts?.p ?? 0.5;
  if (!(p >= 0 && p <= 1)) throw new TorchValueError(`dropout(): p must be in [0, 1], got ${p}`);
  return wrap(N.dropout(tid(input, 'dropout(input)'), p, opts?.training ?? true));
}
/** Constant, reflect, replicate or circular padding; pad lists (left, right, top, bottom, …). */
export function pad(input: Tensor, padding: readonly number[], opts?: { mode?: 'constant' | 'reflect' | 'replicate' | 'circular'; value?: number }): Tensor {
  const mode = opts?.mode ?? 'constant';
  if (!['constant', 'reflect', 'replicate', 'circular'].includes(mode)) throw new TorchValueError(`pad(): unknown mode '${mode}'`);
  if (!Array.isArray(padding) || padding.length % 2 !== 0 || !padding.every(Number.isInteger))
    throw new TorchValueError('pad(): padding must be an even-length array of integers');
  return wrap(N.pad(tid(input, 'pad(input)'), padding, mode, mode === 'constant' ? (opts?.value ?? 0) : undefined));
}
/** Resize (N,C,H,W) by size or scaleFactor, nearest or bilinear. */
export function interpolate(
  input: Tensor,
  opts: { size?: Pair; scaleFactor?: number | [number, number]; mode?: 'nearest' | 'bilinear'; alignCorners?: boolean },
): Tensor {
  need4d(input, 'interpolate(input)');
  const [h, w] = input.shape.slice(-2);
  let size: [number, number];
  let scales: [number, number] | [] = [];
  if (opts?.size !== undefined) size = pair(opts.size, 'interpolate(size)');
  else if (opts?.scaleFactor !== undefined) {
    const s: [number, number] = typeof opts.scaleFactor === 'number' ? [opts.scaleFactor, opts.scaleFactor] : opts.scaleFactor;
    if (!(s[0] > 0 && s[1] > 0)) throw new TorchValueError(`interpolate(): scaleFactor must be positive, got ${JSON.stringify(opts.scaleFactor)}`);
    size = [Math.floor(h * s[0]), Math.floor(w * s[1])];
    scales = s;
  } else throw new TorchValueError('interpolate(): give size or scaleFactor');
  const mode = opts.mode ?? 'nearest';
  if (mode === 'nearest') return wrap(N.upsampleNearest2d(input._id, size, ...scales));
  if (mode === 'bilinear') return wrap(N.upsampleBilinear2d(input._id, size, opts.alignCorners ?? false, ...scales));
  throw new TorchValueError(`interpolate(): unknown mode '${String(mode)}' (nearest, bilinear)`);
}

// ---- activations --------------------------------------------------------------------------------
export function relu(input: Tensor): Tensor {
  return wrap(N.relu(tid(input, 'relu(input)')));
}
export function leakyRelu(input: Tensor, negativeSlope = 0.01): Tensor {
  return wrap(N.leakyRelu(tid(input, 'leakyRelu(input)'), negativeSlope));
}
export function gelu(input: Tensor, opts?: { approximate?: 'none' | 'tanh' }): Tensor {
  return wrap(N.gelu(tid(input, 'gelu(input)'), opts?.approximate ?? 'none'));
}
export function sigmoid(input: Tensor): Tensor {
  return wrap(N.sigmoid(tid(input, 'sigmoid(input)')));
}
export function tanh(input: Tensor): Tensor {
  return wrap(N.tanh(tid(input, 'tanh(input)')));
}
export function softmax(input: Tensor, dim: number, opts?: { dtype?: DType }): Tensor {
  return wrap(N.softmax(tid(input, 'softmax(input)'), dim, code(opts?.dtype)));
}
export function logSoftmax(input: Tensor, dim: number, opts?: { dtype?: DType }): Tensor {
  return wrap(N.logSoftmax(tid(input, 'logSoftmax(input)'), dim, code(opts?.dtype)));
}
/** int64 class indices → one-hot rows (int64, as PyTorch). */
export function oneHot(input: Tensor, numClasses = -1): Tensor {
  return wrap(N.oneHot(tid(input, 'oneHot(input)'), numClasses));
}

// ---- losses -------------------------------------------------------------------------------------
// LibTorch says "expected scalar type Long but found Float" for float class indices, which reads as
// if the input were wrong: name the target and both accepted forms instead. Run after LibTorch threw
// (it rejects every target this names), so a successful call pays no dtype/shape reads.
function checkClassTarget(input: Tensor, target: Tensor, fn: string, soft: boolean): void {
  if (!(input instanceof Tensor) || !(target instanceof Tensor) || input.isDisposed || target.isDisposed || !isFloating(target.dtype)) return;
  if (soft && target.shape.length === input.shape.length && target.shape.every((d, i) => d === input.shape[i])) return;
  const forms = soft
    ? `int64 class indices of shape [${input.shape.slice(0, 1).concat(input.shape.slice(2)).join(', ')}], or class probabilities of the input's shape [${input.shape.join(', ')}]`
    : `int64 class indices`;
  throw new TorchTypeError(
    `${fn}(target): expected ${forms}; got ${target.dtype} of shape [${target.shape.join(', ')}] (for class indices write target.long())`,
  );
}
/**
 * Cross-entropy from logits. target: int64 class indices (N) or class probabilities (N, C) —
 * the soft-target form mixup trains with. labelSmoothing mixes targets with the uniform
 * distribution, as PyTorch does.
 */
export function crossEntropy(
  input: Tensor,
  target: Tensor,
  opts?: { weight?: Tensor; reduction?: Reduction; ignoreIndex?: number; labelSmoothing?: number },
): Tensor {
  const ls = opts?.labelSmoothing ?? 0;
  if (!(ls >= 0 && ls <= 1)) throw new TorchValueError(`crossEntropy(): labelSmoothing must be in [0, 1], got ${ls}`);
  const i = tid(input, 'crossEntropy(input)'),
    t = tid(target, 'crossEntropy(target)'),
    w = optId(opts?.weight, 'crossEntropy(weight)'),
    r = reductionCode(opts?.reduction, 'crossEntropy(reduction)');
  try {
    return wrap(N.crossEntropy(i, t, w, r, opts?.ignoreIndex ?? -100, ls));
  } catch (e) {
    checkClassTarget(input, target, 'crossEntropy', true); // only on failure: LibTorch rejects every target it names (no dtype read per call)
    throw e;
  }
}
/** Negative log-likelihood of log-probabilities. */
export function nllLoss(input: Tensor, target: Tensor, opts?: { weight?: Tensor; reduction?: Reduction; ignoreIndex?: number }): Tensor {
  const i = tid(input, 'nllLoss(input)'),
    t = tid(target, 'nllLoss(target)'),
    w = optId(opts?.weight, 'nllLoss(weight)'),
    r = reductionCode(opts?.reduction, 'nllLoss(reduction)');
  try {
    return wrap(N.nllLoss(i, t, w, r, opts?.ignoreIndex ?? -100));
  } catch (e) {
    checkClassTarget(input, target, 'nllLoss', false);
    throw e;
  }
}
export function mseLoss(input: Tensor, target: Tensor, opts?: { reduction?: Reduction }): Tensor {
  return wrap(N.mseLoss(tid(input, 'mseLoss(input)'), tid(target, 'mseLoss(target)'), reductionCode(opts?.reduction, 'mseLoss(reduction)')));
}
/** BCE on probabilities in [0, 1]. */
export function binaryCrossEntropy(input: Tensor, target: Tensor, opts?: { weight?: Tensor; reduction?: Reduction }): Tensor {
  return wrap(
    N.binaryCrossEntropy(
      tid(input, 'binaryCrossEntropy(input)'),
      tid(target, 'binaryCrossEntropy(target)'),
      optId(opts?.weight, 'binaryCrossEntropy(weight)'),
      reductionCode(opts?.reduction, 'binaryCrossEntropy(reduction)'),
    ),
  );
}
export function binaryCrossEntropyWithLogits(input: Tensor, target: Tensor, opts?: { weight?: Tensor; posWeight?: Tensor; reduction?: Reduction }): Tensor {
  return wrap(
    N.binaryCrossEntropyWithLogits(
      tid(input, 'binaryCrossEntropyWithLogits(input)'),
      tid(target, 'binaryCrossEntropyWithLogits(target)'),
      optId(opts?.weight, 'binaryCrossEntropyWithLogits(weight)'),
      optId(opts?.posWeight, 'binaryCrossEntropyWithLogits(posWeight)'),
      reductionCode(opts?.reduction, 'binaryCrossEntropyWithLogits(reduction)'),
    ),
  );
}
/** KL(target ‖ input) with input as log-probabilities; 'batchmean' divides the sum by the batch size. */
export function klDiv(input: Tensor, target: Tensor, opts?: { reduction?: Reduction | 'batchmean'; logTarget?: boolean }): Tensor {
  const r = opts?.reduction ?? 'mean';
  const i = tid(input, 'klDiv(input)'),
    t = tid(target, 'klDiv(target)');
  if (r === 'batchmean') {
    const s = wrap(N.klDiv(i, t, 2, opts?.logTarget ?? false));
    return s.div(input.shape[0] ?? 1);
  }
  return wrap(N.klDiv(i, t, reductionCode(r, 'klDiv(reduction)'), opts?.logTarget ?? false));
}
