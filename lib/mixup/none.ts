// ERM: no mixing. Implements the same interface so the Trainer treats every method alike: the
// input unchanged, one-hot targets (label smoothing folded in), λ = 1, partner i ↔ i.
import { resolveOptions, checkBatch, plainResult, type Resolved } from './common.js';
import type { LossKind, MixBatch, MixMethod, MixResult } from './types.js';

export interface NoneOptions {
  /** Label smoothing ε folded into the targets. Default 0. */
  labelSmoothing?: number;
  /** 'ce' (default) or 'bce' (BCE on softmax outputs). */
  loss?: LossKind;
}

export const noneDefaults: Readonly<Required<NoneOptions>> = Object.freeze({ labelSmoothing: 0, loss: 'ce' });

export function none(opts?: NoneOptions): MixMethod<Resolved<NoneOptions>> {
  const o = resolveOptions<NoneOptions>('mixup.none', opts, { ...noneDefaults });
  return {
    name: 'none',
    options: Object.freeze(o),
    needsModel: false,
    apply(batch: MixBatch): MixResult {
      const n = checkBatch('mixup.none', batch);
      return plainResult(batch, n, { mode: 'batch', labelSmoothing: o.labelSmoothing, loss: o.loss });
    },
  };
}
