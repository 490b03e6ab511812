// The manifold-mixup contract shared by the models: an ordered list of mixing points (`stages`;
// stage 0 is the input, before anything runs) and forward(x, { mixAt, mix }), which calls
// mix(h) exactly once, on the hidden state right after stage mixAt, and continues with what mix
// returns. With mixAt undefined the forward is the plain one.
import { TorchTypeError, TorchValueError } from '../../torch/errors.js';
import type { Tensor } from '../../torch/tensor.js';
import { Module } from '../module.js';

export interface MixOptions {
  /** Index into `stages` where the hidden state is mixed; undefined: no mixing. */
  mixAt?: number;
  /** Receives the hidden state after stage mixAt and returns the tensor the rest of the model sees. */
  mix?: (h: Tensor) => Tensor;
}

/** A model with manifold-mixup mixing points. */
export interface Mixable extends Module {
  /** Names of the mixing points in forward order; stages[0] is 'input'. */
  readonly stages: readonly string[];
  forward(x: Tensor, opts?: MixOptions): Tensor;
}

/** Returns at(k, h): h, or mix(h) when k is the chosen stage. Validates the options once. */
export function mixer(stages: readonly string[], opts: MixOptions | undefined, model: string): (k: number, h: Tensor) => Tensor {
  const k0 = opts?.mixAt;
  if (k0 === undefined || k0 === null) return (_k, h) => h;
  if (!Number.isInteger(k0) || k0 < 0 || k0 >= stages.length)
    throw new TorchValueError(
      `${model}.forward: mixAt must be an integer in [0, ${stages.length - 1}] (${stages.map((s, i) => `${i} ${s}`).join(', ')}), got ${String(k0)}`,
    );
  const mix = opts?.mix;
  if (typeof mix !== 'function') throw new TorchTypeError(`${model}.forward: mixAt=${k0} needs a mix callback (h) => Tensor`);
  return (k, h) => {
    if (k !== k0) return h;
    const out = mix(h);
    if (out === undefined || out === null || typeof out.shape !== 'object')
      throw new TorchTypeError(`${model}.forward: mix(h) at stage ${k0} must return a Tensor`);
    return out;
  };
}

/**
 * A classifier split into a trunk and a linear head (timm's forward_features / forward_head):
 * forward(x) = forwardHead(forwardFeatures(x)). AdaMixup uses it: its intrusion discriminator
 * puts its own head on this very trunk, and its policy generator is a freshCopy().
 */
export interface Trunked extends Mixable {
  /** Width of forwardFeatures' output. */
  readonly numFeatures: number;
  /** Everything before the final Linear (dropout before it included): [N, numFeatures]. */
  forwardFeatures(x: Tensor): Tensor;
  /** The final Linear: logits from features. */
  forwardHead(features: Tensor): Tensor;
  /** A new model of the same architecture and options, freshly initialised, on the same device and dtype. */
  freshCopy(): this;
}

/**
 * Base of the built-in classifiers: a subclass writes trunk(x, opts) (everything before the head,
 * with its mixing points), forwardHead and freshCopy; forward and forwardFeatures follow.
 */
export abstract class TrunkedModel extends Module implements Trunked {
  abstract readonly stages: readonly string[];
  abstract readonly numFeatures: number;
  protected abstract trunk(x: Tensor, opts?: MixOptions): Tensor;
  abstract forwardHead(features: Tensor): Tensor;
  abstract freshCopy(): this;
  forward(x: Tensor, opts?: MixOptions): Tensor {
    return this.forwardHead(this.trunk(x, opts));
  }
  forwardFeatures(x: Tensor): Tensor {
    return this.trunk(x);
  }
}

/** True when m implements Trunked. */
export function isTrunked(m: unknown): m is Trunked {
  const t = m as Partial<Trunked> | null;
  return (
    !!t &&
    typeof t.forwardFeatures === 'function' &&
    typeof t.forwardHead === 'function' &&
    typeof t.freshCopy === 'function' &&
    Number.isInteger(t.numFeatures)
  );
}

/** Where a module's first parameter lives (for freshCopy); CPU/float32 for a module without any. */
export function placeOf(m: Module): { device: string; dtype: import('../../torch/types.js').DType } {
  const p = m.parameters()[0];
  return p ? { device: p.device, dtype: p.dtype } : { device: 'cpu', dtype: 'float32' };
}
