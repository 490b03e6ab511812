// The one interface every mixup-family method implements (and the Trainer uses).
//
//   const r = method.apply({ x, y, numClasses, model, epoch, totalEpochs });
//   const logits = r.output ?? model.forward(r.input!);   // exactly one of output / input is set
//   const loss = r.loss(logits);
//
// apply() draws its randomness (λ, partners, boxes, the manifold stage) from LibTorch's generators,
// so torch.manualSeed makes it reproducible. λ and partners are drawn on the batch's device and never
// read back; the only host reads are the few per-batch discrete choices (mix this batch or not,
// CutMix or mixup, which manifold stage), drawn from the CPU generator as a CPU tensor (beta.ts,
// hostUniform): reading a CPU tensor never waits for a GPU. Every tensor apply() and loss() create
// belongs to the caller's tidy scope (a training step is one tidy).
import type { Tensor } from '../torch/tensor.js';
import type { Mixable } from '../nn/models/mixing.js';
import type { Module } from '../nn/module.js';

/** Canonical method names (index.ts also accepts the aliases 'erm' → 'none', 'input' → 'mixup'). */
export type MethodName = 'none' | 'mixup' | 'manifold' | 'cutmix' | 'adamixup';
/** The semi-supervised methods: StepMethods (lib/train/step.ts) that own their training step (ssl.ts). */
export type SslMethodName = 'mixmatch' | 'ict';
/** Every name mixup.create accepts (canonical). */
export type AnyMethodName = MethodName | SslMethodName;

/**
 * How λ is drawn:
 * - 'batch': one λ for the whole batch (a 0-d tensor);
 * - 'pair':  one λ per pair of samples that are each other's partner (the partner relation is made
 *            symmetric: flip pairs i ↔ N−1−i; with 'permutation' the batch is split into random
 *            pairs, a random perfect matching, so i ↔ partner[i] ↔ i); both members share λ and
 *            each keeps weight λ on itself: x̃_i = λx_i + (1−λ)x_j, x̃_j = λx_j + (1−λ)x_i
 *            (as timm's 'pair' mode). With N odd one sample is its own partner (unmixed);
 * - 'elem':  one λ per sample (shape [N]).
 */
export type LamMode = 'batch' | 'pair' | 'elem';
/** 'permutation': a random permutation of the batch (default); 'flip': sample i mixes with N−1−i. */
export type PartnerMode = 'permutation' | 'flip';
/** 'ce': soft-target cross-entropy on logits; 'bce': BCE of softmax(logits) vs the soft targets (manifold mixup's code). */
export type LossKind = 'ce' | 'bce';

/** What a method is given each step. */
export interface MixBatch {
  /** Inputs, N×… (images N×C×H×W for CutMix). */
  x: Tensor;
  /** int64 class indices, shape [N]. */
  y: Tensor;
  numClasses: number;
  /** Required by manifold mixup, which runs the model itself; ignored by the others. */
  model?: Mixable;
  /** 0-based index of the current epoch (for turning mixing off in the last epochs). */
  epoch?: number;
  totalEpochs?: number;
}

/** What to train on, and how to score it. */
export interface MixResult {
  /** The (mixed) input, when the caller runs the model: logits = model.forward(input). */
  input?: Tensor;
  /** The logits, when the method ran the model itself (manifold mixup). */
  output?: Tensor;
  /** Soft targets N×C (floating, label smoothing folded in): λ·onehot(y) + (1−λ)·onehot(y[partner]). */
  target: Tensor;
  /** λ on the batch's device: 0-d ('batch' mode) or [N] ('pair', 'elem'); all ones when not mixed. */
  lam: Tensor;
  /** int64 [N]: sample i was mixed with sample partner[i]. */
  partner: Tensor;
  /** Manifold mixup: the stage that was mixed (undefined when this batch was not mixed). */
  stage?: number;
  /** CutMix: the pasted box(es) [yl, yh, xl, xh] (half-open), shape [4] or [N, 4], int64. */
  box?: Tensor;
  /** The loss of the method for the logits of this batch (a 0-d tensor, mean over the batch). */
  loss(logits: Tensor): Tensor;
}

/** A mixup-family method built from options (mixup.input({...}), mixup.create(name, {...})). */
export interface MixMethod<O = Record<string, unknown>> {
  readonly name: MethodName;
  /** The options in force, defaults filled in. */
  readonly options: Readonly<O>;
  /** True when apply() needs batch.model (manifold mixup, AdaMixup). */
  readonly needsModel: boolean;
  apply(batch: MixBatch): MixResult;
  /**
   * Methods with trainable parts of their own (AdaMixup's generator and discriminator head) build
   * them for `model` here, once, before the optimizer is made; `module` then holds them. The
   * optimizer must include module.parameters(); the Trainer checks it and checkpoints the module.
   */
  attach?(model: Module): Module;
  readonly module?: Module;
  /** Statistics accumulated since the last call, then reset (the Trainer logs them per epoch). */
  epochStats?(): object | undefined;
}

/**
 * Fixed draws, for tests and controlled experiments: whatever is given here replaces the random
 * draw (λ as a number or tensor, broadcast to the mode's shape; partner as an index array/tensor;
 * the manifold stage; the CutMix box [yl, yh, xl, xh]). Forces mixing on (prob and the epoch
 * schedule are not consulted).
 */
export interface FixedSample {
  lam?: number | Tensor;
  partner?: readonly number[] | Tensor;
  stage?: number;
  box?: readonly [number, number, number, number];
}
