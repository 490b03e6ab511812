// The mixup family by name: import { mixup } from 'torchmix'.
//
//   const method = mixup.create('mixup', { alpha: 0.4 });      // or mixup.input({ alpha: 0.4 })
//   const r = method.apply({ x, y, numClasses: 10, model, epoch, totalEpochs });
//   const loss = r.loss(r.output ?? model.forward(r.input!));
//
// Canonical names: 'none' (ERM), 'mixup' (input mixup), 'manifold', 'cutmix', 'adamixup'. Accepted aliases:
// 'erm' → 'none', 'input' → 'mixup' (the factory's name). methods() lists name → defaults.
import { TorchValueError, TorchTypeError } from '../torch/errors.js';
import { none, noneDefaults, type NoneOptions } from './none.js';
import { input, inputDefaults, type InputMixupOptions } from './input.js';
import { manifold, manifoldDefaults, type ManifoldMixupOptions } from './manifold.js';
import { cutmix, cutmixDefaults, type CutMixOptions } from './cutmix.js';
import { adamixup, adamixupDefaults, type AdaMixupOptions } from './adamixup.js';
import type { MethodName, MixMethod } from './types.js';

export type { MethodName, MixBatch, MixResult, MixMethod, LamMode, PartnerMode, LossKind, FixedSample } from './types.js';
export type { CommonOptions } from './common.js';
export { none, type NoneOptions } from './none.js';
export { input, type InputMixupOptions } from './input.js';
export { manifold, type ManifoldMixupOptions } from './manifold.js';
export { adamixup, AdaMixupPolicy, type AdaMixupOptions, type AdaMixupMethod, type AdaMixupResult, type AdaMixupStats, type AdaMixupSample } from './adamixup.js';
export { cutmix, cutmixBox, boxMask, boxLam, pasteBox, type CutMixOptions } from './cutmix.js';
export { sampleBeta, samplePartner, sampleLamAndPartner } from './beta.js';
export { softTargetCrossEntropy, pairedCrossEntropy, softTargetBCE, smoothOneHot, mixTargets, blend } from './losses.js';

export interface MethodOptions {
  none: NoneOptions;
  mixup: InputMixupOptions;
  manifold: ManifoldMixupOptions;
  cutmix: CutMixOptions;
  adamixup: AdaMixupOptions;
}

const factories: { [K in MethodName]: (o?: MethodOptions[K]) => MixMethod<object> } = { none, mixup: input, manifold, cutmix, adamixup };
const aliases: Record<string, MethodName> = { erm: 'none', input: 'mixup' };

/** One-line descriptions, for `torchmix methods`. */
export const descriptions: Readonly<Record<MethodName, string>> = Object.freeze({
  none: 'ERM: no mixing (label smoothing optional)',
  mixup: 'input mixup: λ·x + (1−λ)·x[perm], λ ~ Beta(α, α) (Zhang et al. 2018)',
  manifold: 'manifold mixup: mix hidden states at a random eligible stage (Verma et al. 2019)',
  cutmix: "CutMix: paste a box of the partner's image, λ = kept area (Yun et al. 2019)",
  adamixup: 'AdaMixup: λ from a learned policy region, with an intrusion discriminator (Guo et al. 2019)',
});

/** The canonical name for a name or alias; a clear error for anything else. */
export function canonicalName(name: string): MethodName {
  if (typeof name !== 'string') throw new TorchTypeError(`mixup.create: name must be a string, got ${typeof name}`);
  const n = name.toLowerCase();
  if (n in factories) return n as MethodName;
  if (n in aliases) return aliases[n];
  throw new TorchValueError(`mixup.create: unknown method '${name}' (known: ${Object.keys(factories).join(', ')}; aliases: ${Object.entries(aliases).map(([a, c]) => `${a} → ${c}`).join(', ')})`);
}

/** A method by name with options (validated; unknown options are errors). */
export function create<K extends MethodName>(name: K, opts?: MethodOptions[K]): MixMethod<object>;
export function create(name: string, opts?: Record<string, unknown>): MixMethod<object>;
export function create(name: string, opts?: Record<string, unknown>): MixMethod<object> {
  const c = canonicalName(name);
  return (factories[c] as (o?: unknown) => MixMethod<object>)(opts);
}

/** name → default options, for every method (a fresh copy each call). */
export function methods(): Record<MethodName, Record<string, unknown>> {
  const copy = (d: object) => JSON.parse(JSON.stringify(d)) as Record<string, unknown>;
  return { none: copy(noneDefaults), mixup: copy(inputDefaults), manifold: copy(manifoldDefaults), cutmix: copy(cutmixDefaults), adamixup: copy(adamixupDefaults) };
}
