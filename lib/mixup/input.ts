// Input mixup (Zhang et al., ICLR 2018; knobs as timm's Mixup):
//   λ ~ Beta(α, α), x̃ = λ·x + (1−λ)·x[partner], ỹ = λ·onehot(y) + (1−λ)·onehot(y[partner]),
//   loss = CE(f(x̃), ỹ)  (= λ·CE(f(x̃), y) + (1−λ)·CE(f(x̃), y[partner])).
// Options (CommonOptions in common.ts): alpha = 1, mode 'batch' | 'pair' | 'elem', partner
// 'permutation' | 'flip', prob = 1, labelSmoothing = 0, offEpoch / offLastEpochs, loss 'ce' | 'bce'.
import { resolveOptions, commonDefaults, checkBatch, drawMix, plainResult, floatDtype, type CommonOptions, type Resolved } from './common.js';
import { blend, mixTargets, lossFor } from './losses.js';
import { TorchTypeError } from '../torch/errors.js';
import { isFloating } from '../torch/types.js';
import type { MixBatch, MixMethod, MixResult } from './types.js';

export type InputMixupOptions = CommonOptions;

export const inputDefaults = Object.freeze({ alpha: 1, ...commonDefaults });

export function input(opts?: InputMixupOptions): MixMethod<Resolved<InputMixupOptions>> {
  const who = 'mixup.input';
  const o = resolveOptions<InputMixupOptions>(who, opts, { ...inputDefaults });
  return {
    name: 'mixup',
    options: Object.freeze(o),
    needsModel: false,
    apply(batch: MixBatch): MixResult {
      const n = checkBatch(who, batch);
      const d = drawMix(who, o, batch, n);
      if (d === null) return plainResult(batch, n, o);
      const { x, y, numClasses } = batch;
      if (!isFloating(x.dtype)) throw new TorchTypeError(`${who}.apply: batch.x must be floating to be mixed, got ${x.dtype}`);
      const target = mixTargets(y, d.partner, d.lam, numClasses, o.labelSmoothing, floatDtype(x));
      return { input: blend(x, x.indexSelect(0, d.partner), d.lam), target, lam: d.lam, partner: d.partner, loss: lossFor(o.loss, target) };
    },
  };
}
