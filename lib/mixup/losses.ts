// Soft targets and the losses mixup trains with. The soft-target form
//   CE(logits, λ·onehot(y_a) + (1−λ)·onehot(y_b))
// and the paired form
//   λ·CE(logits, y_a) + (1−λ)·CE(logits, y_b)
// are equal in value and gradient (cross-entropy is linear in the target); both are kept and
// tested. λ is 0-d (per batch) or [N] (per sample). Label smoothing ε is folded into the one-hot
// rows as timm does: off = ε/C, on = 1 − ε + ε/C (PyTorch's labelSmoothing gives the same rows).
import { Tensor } from '../torch/tensor.js';
import { TorchTypeError, TorchValueError } from '../torch/errors.js';
import { crossEntropy, binaryCrossEntropy, oneHot, softmax } from '../nn/functional.js';
import type { DType } from '../torch/types.js';
import type { LossKind } from './types.js';

/** λ shaped to broadcast against a tensor of rank `ndim` with the batch first: 0-d stays, [N] → [N, 1, …]. */
export function lamFor(lam: Tensor, ndim: number): Tensor {
  if (lam.ndim === 0) return lam;
  return lam.reshape([lam.shape[0], ...new Array<number>(Math.max(0, ndim - 1)).fill(1)]);
}

/** λ·a + (1−λ)·b, exact at λ = 1 (a) and λ = 0 (b); λ 0-d or per sample, cast to a's dtype. */
export function blend(a: Tensor, b: Tensor, lam: Tensor): Tensor {
  const l = lamFor(lam, a.ndim);
  return b.lerp(a, l.dtype === a.dtype ? l : l.to(a.dtype));
}

/** One-hot rows N×C (dtype float) with label smoothing folded in: off = ε/C, on = 1 − ε + ε/C. */
export function smoothOneHot(y: Tensor, numClasses: number, smoothing = 0, dtype: DType = 'float32'): Tensor {
  const h = oneHot(y, numClasses).to(dtype);
  if (smoothing === 0) return h;
  const off = smoothing / numClasses;
  return h.mul(1 - smoothing).add(off);
}

/** Soft targets λ·onehot(y) + (1−λ)·onehot(y[partner]) (label smoothing folded in). */
export function mixTargets(y: Tensor, partner: Tensor, lam: Tensor, numClasses: number, smoothing = 0, dtype: DType = 'float32'): Tensor {
  const a = smoothOneHot(y, numClasses, smoothing, dtype);
  return blend(a, a.indexSelect(0, partner), lam);
}

/** Cross-entropy of logits against probability targets N×C, mean over the batch. */
export function softTargetCrossEntropy(logits: Tensor, target: Tensor): Tensor {
  // bf16/fp16 logits (autocast) meet float32 targets in float32, as autocast's float32 cross-entropy
  // does in PyTorch: rounding the targets (λ) to the logits' precision would lose them.
  if (isHalf(logits.dtype) && !isHalf(target.dtype)) return crossEntropy(logits.to(target.dtype), target);
  return crossEntropy(logits, target.dtype === logits.dtype ? target : target.to(logits.dtype));
}
const isHalf = (d: DType) => d === 'bfloat16' || d === 'float16';

/** λ·CE(logits, y) + (1−λ)·CE(logits, y[partner]) (per-sample λ: the batch mean of the per-sample sums). */
export function pairedCrossEntropy(logits: Tensor, y: Tensor, partner: Tensor, lam: Tensor, opts?: { labelSmoothing?: number }): Tensor {
  const ls = opts?.labelSmoothing ?? 0;
  const yb = y.indexSelect(0, partner);
  // λ in the losses' dtype (the logits' one, or float32 under autocast, whose cross-entropy is float32)
  const lerp = (a: Tensor, b: Tensor) => b.lerp(a, lam.dtype === a.dtype ? lam : lam.to(a.dtype));
  if (lam.ndim === 0) return lerp(crossEntropy(logits, y, { labelSmoothing: ls }), crossEntropy(logits, yb, { labelSmoothing: ls }));
  return lerp(crossEntropy(logits, y, { labelSmoothing: ls, reduction: 'none' }), crossEntropy(logits, yb, { labelSmoothing: ls, reduction: 'none' })).mean();
}

/** BCE of softmax(logits) against the soft targets, mean over all N×C entries (manifold mixup's reference loss). */
export function softTargetBCE(logits: Tensor, target: Tensor): Tensor {
  return binaryCrossEntropy(softmax(logits, 1), target.dtype === logits.dtype ? target : target.to(logits.dtype));
}

/** The loss closure for a result: soft-target CE or BCE against `target`. */
export function lossFor(kind: LossKind, target: Tensor): (logits: Tensor) => Tensor {
  const f = kind === 'ce' ? softTargetCrossEntropy : kind === 'bce' ? softTargetBCE : null;
  if (f !== null)
    return (logits) => {
      if (!(logits instanceof Tensor)) throw new TorchTypeError('loss(logits): expected a Tensor');
      const [n, c] = target.shape;
      if (logits.ndim !== 2 || logits.shape[0] !== n || logits.shape[1] !== c)
        throw new TorchValueError(`loss(logits): expected logits of shape [${n}, ${c}] (batch × numClasses), got [${logits.shape.join(', ')}]`);
      return f(logits, target);
    };
  throw new TorchValueError(`loss: expected 'ce' or 'bce', got '${String(kind)}'`);
}
