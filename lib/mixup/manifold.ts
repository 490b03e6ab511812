// Manifold mixup (Verma et al., ICML 2019; vikasverma1077/manifold_mixup). Per batch: a stage k
// drawn uniformly from `layers` (0 = the input), λ ~ Beta(α, α), a partner permutation; the model
// runs to stage k, the hidden state becomes h̃ = λ·h + (1−λ)·h[partner], the rest runs on h̃, and
// the targets are mixed with the same λ and partner. The method runs the model itself
// (model.forward(x, { mixAt: k, mix }), see nn/models/mixing.ts) and returns `output` (logits).
// Options: CommonOptions with alpha = 2, plus layers = [0, 1, 2]. k is drawn on the host from
// LibTorch's CPU generator (see beta.ts, hostUniform).
import { TorchTypeError, TorchValueError } from '../torch/errors.js';
import type { Tensor } from '../torch/tensor.js';
import type { Mixable } from '../nn/models/mixing.js';
import { resolveOptions, commonDefaults, checkBatch, drawMix, plainResult, floatDtype, type CommonOptions, type Resolved } from './common.js';
import { hostUniform } from './beta.js';
import { blend, mixTargets, lossFor } from './losses.js';
import type { MixBatch, MixMethod, MixResult } from './types.js';

export interface ManifoldMixupOptions extends CommonOptions {
  /** Eligible mixing stages (indices into model.stages; 0 = input). Default [0, 1, 2]. */
  layers?: readonly number[];
}

export const manifoldDefaults = Object.freeze({ alpha: 2, layers: Object.freeze<number[]>([0, 1, 2]), ...commonDefaults });

function checkModel(who: string, model: unknown, layers: readonly number[], stage: number | undefined): Mixable {
  const m = model as Mixable | undefined;
  if (!m || typeof m.forward !== 'function' || !Array.isArray(m.stages))
    throw new TorchTypeError(
      `${who}.apply: manifold mixup runs the model itself: pass batch.model, a model with mixing points (stages, forward(x, { mixAt, mix }))`,
    );
  const ns = m.stages.length;
  const list = m.stages.map((s, i) => `${i} ${s}`).join(', ');
  const bad = layers.find((k) => k >= ns);
  if (bad !== undefined)
    throw new TorchValueError(`${who}: option 'layers' [${layers.join(', ')}] includes stage ${bad}, but the model has ${ns} mixing points (${list})`);
  if (stage !== undefined && !(Number.isInteger(stage) && stage >= 0 && stage < ns))
    throw new TorchValueError(`${who}: sample.stage must be an integer in [0, ${ns - 1}] (${list}), got ${JSON.stringify(stage)}`);
  return m;
}

export function manifold(opts?: ManifoldMixupOptions): MixMethod<Resolved<ManifoldMixupOptions>> {
  const who = 'mixup.manifold';
  const o = resolveOptions<ManifoldMixupOptions>(who, opts, { ...manifoldDefaults }, (r) => {
    const l = r.layers;
    if (!Array.isArray(l) || l.length === 0 || !l.every((k) => Number.isInteger(k) && k >= 0) || new Set(l).size !== l.length)
      throw new TorchValueError(`${who}: option 'layers' must be a non-empty list of distinct stage indices ≥ 0, got ${JSON.stringify(l)}`);
    r.layers = Object.freeze([...l]);
  });
  return {
    name: 'manifold',
    options: Object.freeze(o),
    needsModel: true,
    apply(batch: MixBatch): MixResult {
      const n = checkBatch(who, batch);
      const model = checkModel(who, batch.model, o.layers, o.sample?.stage);
      const { x, y, numClasses } = batch;
      const d = drawMix(who, o, batch, n);
      if (d === null) return plainResult(batch, n, o, model.forward(x));
      const L = o.layers.length;
      const k = o.sample?.stage ?? (L === 1 ? o.layers[0] : o.layers[Math.min(L - 1, Math.floor(hostUniform() * L))]);
      const mix = (h: Tensor): Tensor => {
        if (h.ndim < 1 || h.shape[0] !== n)
          throw new TorchValueError(`${who}: the hidden state at stage ${k} has shape [${h.shape.join(', ')}], expected the batch (${n}) first`);
        return blend(h, h.indexSelect(0, d.partner), d.lam);
      };
      const output = model.forward(x, { mixAt: k, mix });
      const target = mixTargets(y, d.partner, d.lam, numClasses, o.labelSmoothing, floatDtype(x));
      return { output, target, lam: d.lam, partner: d.partner, stage: k, loss: lossFor(o.loss, target) };
    },
  };
}
