// The mixup family by name: import { mixup } from 'torchmix'.
//
//   const method = mixup.create('mixup', { alpha: 0.4 });      // or mixup.input({ alpha: 0.4 })
//   const r = method.apply({ x, y, numClasses: 10, model, epoch, totalEpochs });
//   const loss = r.loss(r.output ?? model.forward(r.input!));
//
// Canonical names: 'none' (ERM), 'mixup' (input mixup), 'manifold', 'cutmix', 'adamixup' (MethodName:
// batch transforms, apply()), and the semi-supervised 'mixmatch', 'ict' (SslMethodName: StepMethods that
// own the training step and need the Trainer's `unlabeled` stream; see ssl.ts). Accepted aliases:
// 'erm' → 'none', 'input' → 'mixup' (the factory's name). methods() lists name → defaults.
import { TorchValueError, TorchTypeError } from '../torch/errors.js';
import { none, noneDefaults, type NoneOptions } from './none.js';
import { input, inputDefaults, type InputMixupOptions } from './input.js';
import { manifold, manifoldDefaults, type ManifoldMixupOptions } from './manifold.js';
import { cutmix, cutmixDefaults, type CutMixOptions } from './cutmix.js';
import { adamixup, adamixupDefaults, type AdaMixupOptions } from './adamixup.js';
import { mixmatch, mixmatchDefaults, type MixMatchOptions } from './mixmatch.js';
import { ict, ictDefaults, type IctOptions } from './ict.js';
import type { AnyMethodName, MethodName, MixMethod, SslMethodName } from './types.js';
import type { StepMethod } from '../train/step.js';

export type { MethodName, SslMethodName, AnyMethodName, MixBatch, MixResult, MixMethod, LamMode, PartnerMode, LossKind, FixedSample } from './types.js';
export type { CommonOptions } from './common.js';
export { none, type NoneOptions } from './none.js';
export { input, type InputMixupOptions } from './input.js';
export { manifold, type ManifoldMixupOptions } from './manifold.js';
export {
  adamixup,
  AdaMixupPolicy,
  type AdaMixupOptions,
  type AdaMixupMethod,
  type AdaMixupResult,
  type AdaMixupStats,
  type AdaMixupSample,
} from './adamixup.js';
export { cutmix, cutmixBox, boxMask, boxLam, pasteBox, type CutMixOptions } from './cutmix.js';
export { mixmatch, type MixMatchOptions, type MixMatchMethod, type MixMatchStats } from './mixmatch.js';
export { ict, type IctOptions, type IctMethod } from './ict.js';
export { sharpen, interleave, interleaveOffsets, linearRampup, sigmoidRampup, withFrozenBatchNorm } from './ssl.js';
export { sampleBeta, samplePartner, sampleLamAndPartner } from './beta.js';
export { softTargetCrossEntropy, pairedCrossEntropy, softTargetBCE, smoothOneHot, mixTargets, blend } from './losses.js';

export interface MethodOptions {
  none: NoneOptions;
  mixup: InputMixupOptions;
  manifold: ManifoldMixupOptions;
  cutmix: CutMixOptions;
  adamixup: AdaMixupOptions;
  mixmatch: MixMatchOptions;
  ict: IctOptions;
}

const factories: { [K in MethodName]: (o?: MethodOptions[K]) => MixMethod<object> } & { [K in SslMethodName]: (o?: MethodOptions[K]) => StepMethod } = {
  none,
  mixup: input,
  manifold,
  cutmix,
  adamixup,
  mixmatch,
  ict,
};
const aliases: Record<string, AnyMethodName> = { erm: 'none', input: 'mixup' };

/** One-line descriptions, for `torchmix methods`. */
export const descriptions: Readonly<Record<AnyMethodName, string>> = Object.freeze({
  none: 'ERM: no mixing (label smoothing optional)',
  mixup: 'input mixup: λ·x + (1−λ)·x[perm], λ ~ Beta(α, α) (Zhang et al. 2018)',
  manifold: 'manifold mixup: mix hidden states at a random eligible stage (Verma et al. 2019)',
  cutmix: "CutMix: paste a box of the partner's image, λ = kept area (Yun et al. 2019)",
  adamixup: 'AdaMixup: λ from a learned policy region, with an intrusion discriminator (Guo et al. 2019)',
  mixmatch: 'MixMatch (semi-supervised): sharpened guesses on K views, mixup of one labeled+unlabeled pool (Berthelot et al. 2019)',
  ict: 'ICT (semi-supervised): mixup consistency with a mean teacher, plus supervised mixup (Verma et al. 2019)',
});

/** The canonical name for a name or alias; a clear error for anything else. */
export function canonicalName(name: string): AnyMethodName {
  if (typeof name !== 'string') throw new TorchTypeError(`mixup.create: name must be a string, got ${typeof name}`);
  const n = name.toLowerCase();
  if (n in factories) return n as AnyMethodName;
  if (n in aliases) return aliases[n];
  throw new TorchValueError(
    `mixup.create: unknown method '${name}' (known: ${Object.keys(factories).join(', ')}; aliases: ${Object.entries(aliases)
      .map(([a, c]) => `${a} → ${c}`)
      .join(', ')})`,
  );
}

/** A method by name with options (validated; unknown options are errors). */
export function create<K extends MethodName>(name: K, opts?: MethodOptions[K]): MixMethod<object>;
export function create<K extends SslMethodName>(name: K, opts?: MethodOptions[K]): StepMethod;
export function create(name: string, opts?: Record<string, unknown>): MixMethod<object> | StepMethod;
export function create(name: string, opts?: Record<string, unknown>): MixMethod<object> | StepMethod {
  const c = canonicalName(name);
  return (factories[c] as (o?: unknown) => MixMethod<object> | StepMethod)(opts);
}

/** True for the semi-supervised names (methods that need an unlabeled stream). */
export const isSsl = (name: string): name is SslMethodName => name === 'mixmatch' || name === 'ict';

/** name → default options, for every method (a fresh copy each call). */
export function methods(): Record<AnyMethodName, Record<string, unknown>> {
  const copy = (d: object) => JSON.parse(JSON.stringify(d)) as Record<string, unknown>;
  return {
    none: copy(noneDefaults),
    mixup: copy(inputDefaults),
    manifold: copy(manifoldDefaults),
    cutmix: copy(cutmixDefaults),
    adamixup: copy(adamixupDefaults),
    mixmatch: copy(mixmatchDefaults),
    ict: copy(ictDefaults),
  };
}
