import { N } from './native.js';
import { TorchTypeError } from './errors.js';
import { tids, wrapOrNull, type Tensor } from './tensor.js';

/** Gradients of outputs w.r.t. inputs (torch.autograd.grad); null for unused inputs if allowed. */
export function grad(
  outputs: Tensor | readonly Tensor[],
  inputs: Tensor | readonly Tensor[],
  opts?: { gradOutputs?: readonly Tensor[]; retainGraph?: boolean; createGraph?: boolean; allowUnused?: boolean },
): (Tensor | null)[] {
  const outs = tids(Array.isArray(outputs) ? outputs : [outputs], 'grad(outputs)');
  const ins = tids(Array.isArray(inputs) ? inputs : [inputs], 'grad(inputs)');
  const gouts = opts?.gradOutputs === undefined ? undefined : tids(opts.gradOutputs, 'grad(gradOutputs)');
  const ids: (number | null)[] = N.autogradGrad(outs, ins, gouts, opts?.retainGraph, opts?.createGraph ?? false, opts?.allowUnused ?? false);
  return ids.map(wrapOrNull);
}

export interface GradModeGuard extends Disposable {
  /** Restores the grad mode that was in force before the guard. */
  [Symbol.dispose](): void;
}

function gradMode(enabled: boolean): GradModeGuard {
  const prev: boolean = N.setGradEnabled(enabled);
  let done = false;
  return {
    [Symbol.dispose]() {
      if (!done) N.setGradEnabled(prev);
      done = true;
    },
  };
}

/**
 * noGrad(fn) runs fn with gradient recording off and returns its result;
 * noGrad() returns a guard for `using _ = torch.noGrad()`.
 */
export function noGrad(): GradModeGuard;
export function noGrad<T>(fn: () => T): T;
export function noGrad<T>(fn?: () => T): T | GradModeGuard {
  if (fn === undefined) return gradMode(false);
  if (typeof fn !== 'function') throw new TorchTypeError('noGrad(fn): fn must be a function');
  // No guard object here: the fn form runs in every optimizer step (docs/BENCHMARKS.md, per-op overhead).
  const prev: boolean = N.setGradEnabled(false);
  try {
    return fn();
  } finally {
    N.setGradEnabled(prev);
  }
}

/** The opposite of noGrad, for re-enabling recording inside it. */
export function enableGrad(): GradModeGuard;
export function enableGrad<T>(fn: () => T): T;
export function enableGrad<T>(fn?: () => T): T | GradModeGuard {
  if (fn === undefined) return gradMode(true);
  const prev: boolean = N.setGradEnabled(true);
  try {
    return fn();
  } finally {
    N.setGradEnabled(prev);
  }
}

export function isGradEnabled(): boolean {
  return N.isGradEnabled();
}
