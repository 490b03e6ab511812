// Gradient clipping over all parameters at once (torch.nn.utils.clip_grad_norm_ / clip_grad_value_).
// nn.utils re-exports these.
import { N } from '../torch/native.js';
import { Tensor, tids } from '../torch/tensor.js';
import { TorchTypeError, TorchValueError } from '../torch/errors.js';

function paramList(params: Tensor | Iterable<Tensor>, what: string): number[] {
  if (params instanceof Tensor) return tids([params], what);
  if (params === null || typeof params !== 'object' || typeof params[Symbol.iterator] !== 'function')
    throw new TorchTypeError(`${what}: params must be a Tensor or an array of Tensors`);
  return tids(Array.from(params), what);
}

export interface ClipGradNormOptions {
  /** Order of the norm: a number > 0, or Infinity / 'inf' for the largest absolute value. Default 2. */
  normType?: number | 'inf';
  /** Throw when the total norm is NaN or infinite (PyTorch's error_if_nonfinite). Default false. */
  errorIfNonfinite?: boolean;
}

/**
 * Scales the gradients of `params` in place so that their combined norm (the norm of the vector of
 * per-tensor norms) is at most `maxNorm`; returns the total norm before clipping, as a number.
 * Parameters without a gradient are skipped; with none at all the result is 0.
 */
export function clipGradNorm(params: Tensor | Iterable<Tensor>, maxNorm: number, opts: ClipGradNormOptions = {}): number {
  const ids = paramList(params, 'clipGradNorm(params)');
  if (typeof maxNorm !== 'number' || Number.isNaN(maxNorm) || maxNorm < 0)
    throw new TorchValueError(`clipGradNorm(): maxNorm must be a number >= 0, got ${String(maxNorm)}`);
  const nt = opts.normType === undefined ? 2 : opts.normType === 'inf' ? Infinity : opts.normType;
  if (typeof nt !== 'number' || Number.isNaN(nt) || nt <= 0)
    throw new TorchValueError(`clipGradNorm(): normType must be a number > 0 or 'inf', got ${String(opts.normType)}`);
  const errorIfNonfinite = opts.errorIfNonfinite ?? false;
  if (typeof errorIfNonfinite !== 'boolean') throw new TorchTypeError('clipGradNorm(): errorIfNonfinite must be a boolean');
  return N.clipGradNorm(ids, maxNorm, nt, errorIfNonfinite);
}

/** Clamps every gradient of `params` in place to [-clipValue, clipValue]. */
export function clipGradValue(params: Tensor | Iterable<Tensor>, clipValue: number): void {
  const ids = paramList(params, 'clipGradValue(params)');
  if (typeof clipValue !== 'number' || Number.isNaN(clipValue) || clipValue < 0)
    throw new TorchValueError(`clipGradValue(): clipValue must be a number >= 0, got ${String(clipValue)}`);
  N.clipGradValue(ids, clipValue);
}
