// AdaMixup (Guo, Mao, Zhang, AAAI 2019; SITE5039/AdaMixUp): the mixing policy is learned.
//
// Per batch of B samples (h = ⌊B/2⌋; x1 = the first h, x2 = their partners from a permutation of the
// whole batch, x3 = the other B − h samples, held out as extra "original" examples):
//   policy-region generator  g = (m1⊙x1 + m2⊙x2)/2, m1, m2 ~ N(0, 1) truncated to [−2, 2] per pixel;
//                            (α, Δ, ·) = softmax(generatorHead(generator.forwardFeatures(g)));
//                            the generator is a fresh model of the classifier's architecture;
//                            generatorHead = Linear(F, 100) → Linear(100, 3) (no activation, as the reference)
//   λ = α + U(0, 1)·Δ per pair  (reparameterised: gradients reach the generator through λ)
//   x̃ = λ·x1 + (1−λ)·x2, ỹ = λ·y1 + (1−λ)·y2
//   classifier               soft-target CE of model([x̃; x1]) against [ỹ; y1]
//   intrusion discriminator  discriminatorHead(model.forwardFeatures([x3; x1; x̃])) on the
//                            classifier's own trunk (the same parameter tensors), head
//                            Linear(F, 10) → Linear(10, 2); "original" (1) = x3, x1; "mixed" (0) = x̃
//   loss = CE_mix + intrusionWeight·CE_intrusion; weight decay is the optimizer's (over every
//   parameter: for SGD that is the reference's 1e-4·Σ‖w‖²/2 term).
// The reference shuffles the classifier's and the discriminator's batches; that changes no loss
// (only which row gets which dropout mask), so the rows stay in the order above.
//
// The generator and both heads live in `method.module` (an AdaMixupPolicy), built by
// method.attach(model) before the optimizer is: the optimizer must train model and policy together
// (the Trainer checks this, moves the policy with train()/eval(), and checkpoints it).
// Evaluation uses the classifier alone.
import { Tensor } from '../torch/tensor.js';
import { TorchTypeError, TorchValueError } from '../torch/errors.js';
import { cat, empty, full, ones, stack, tensor, zeros } from '../torch/creation.js';
import { rand, randperm } from '../torch/random.js';
import { noGrad } from '../torch/autograd.js';
import { keep, tidy } from '../torch/memory.js';
import { isFloating } from '../torch/types.js';
import { Module } from '../nn/module.js';
import { Linear, checkPositiveInt } from '../nn/layers/linear.js';
import { Sequential } from '../nn/layers/container.js';
import { crossEntropy, softmax } from '../nn/functional.js';
import { normal_, zeros_, truncNormal_ } from '../nn/init.js';
import { isTrunked, placeOf, type Trunked } from '../nn/models/mixing.js';
import { resolveOptions, checkBatch, checkRange, scheduledOff, plainResult, floatDtype } from './common.js';
import { asIndex } from './beta.js';
import { blend, smoothOneHot, softTargetCrossEntropy } from './losses.js';
import type { MixBatch, MixMethod, MixResult } from './types.js';

/** Fixed draws for tests: the partner permutation (over the whole batch), the noise masks, the uniforms. */
export interface AdaMixupSample {
  /** int64 [B] (only the first ⌊B/2⌋ entries are used). */
  partner?: readonly number[] | Tensor;
  /** m1, m2, each of x1's shape [⌊B/2⌋, …]. */
  noise?: readonly [Tensor, Tensor];
  /** U(0, 1) draws, [⌊B/2⌋]. */
  uniform?: Tensor;
}

export interface AdaMixupOptions {
  /** Weight of the intrusion discriminator's loss. Default 1. */
  intrusionWeight?: number;
  /** Hidden width of the generator's head (FC-100 → FC-3). Default 100. */
  generatorHidden?: number;
  /** Hidden width of the discriminator's head (FC-10 → FC-2). Default 10. */
  discriminatorHidden?: number;
  /** Std of the heads' initial weights (biases start at 0), as the reference's N(0, 1e-3). Default 1e-3. */
  headInitStd?: number;
  /** Label smoothing ε folded into the one-hot rows. Default 0. */
  labelSmoothing?: number;
  /** No mixing from this (0-based) epoch on (plain ERM steps); null: never. */
  offEpoch?: number | null;
  /** No mixing in the last N epochs. Default 0. */
  offLastEpochs?: number;
  /** Bins of the per-epoch λ histogram over [0, 1]. Default 20. */
  histogramBins?: number;
  sample?: AdaMixupSample;
}

export const adamixupDefaults = Object.freeze({
  intrusionWeight: 1,
  generatorHidden: 100,
  discriminatorHidden: 10,
  headInitStd: 1e-3,
  labelSmoothing: 0,
  offEpoch: null as number | null,
  offLastEpochs: 0,
  histogramBins: 20,
});

type ResolvedAda = typeof adamixupDefaults & { sample?: AdaMixupSample };

/** The generator (a fresh copy of the classifier) and the two heads: what AdaMixup trains besides the classifier. */
export class AdaMixupPolicy extends Module {
  declare generator: Module & Trunked;
  declare generatorHead: Sequential;
  declare discriminatorHead: Sequential;
  constructor(model: Trunked, opts: { generatorHidden: number; discriminatorHidden: number; headInitStd: number }) {
    super();
    const f = placeOf(model);
    const F = model.numFeatures;
    this.generator = model.freshCopy();
    this.generatorHead = new Sequential(new Linear(F, opts.generatorHidden, f), new Linear(opts.generatorHidden, 3, f));
    this.discriminatorHead = new Sequential(new Linear(F, opts.discriminatorHidden, f), new Linear(opts.discriminatorHidden, 2, f));
    for (const head of [this.generatorHead, this.discriminatorHead])
      for (const m of head.children()) {
        normal_((m as Linear).weight, 0, opts.headInitStd);
        zeros_((m as Linear).bias as Tensor);
      }
  }
  /** The policy region for generator inputs g: (α, Δ), each [N], with α, Δ ≥ 0 and α + Δ ≤ 1. */
  forward(g: Tensor): { alpha: Tensor; delta: Tensor } {
    const p = softmax(this.generatorHead.forward(this.generator.forwardFeatures(g)), 1);
    return { alpha: p.select(1, 0), delta: p.select(1, 1) };
  }
  /** Intrusion logits [N, 2] (class 1 = original, 0 = mixed) from trunk features. */
  discriminate(features: Tensor): Tensor {
    return this.discriminatorHead.forward(features);
  }
}

/** What an AdaMixup step adds to MixResult. */
export interface AdaMixupResult extends MixResult {
  alpha: Tensor;
  delta: Tensor;
  /** The intrusion discriminator's loss (0-d) and its accuracy on this batch (0-d). */
  intrusionLoss: Tensor;
  discAcc: Tensor;
}

export interface AdaMixupMethod extends MixMethod<Readonly<ResolvedAda>> {
  /** Builds the policy (generator + heads) for this classifier, once; returns it. */
  attach(model: Module): AdaMixupPolicy;
  readonly module: AdaMixupPolicy | undefined;
  /** Means of α, Δ, λ, the λ histogram and the discriminator's accuracy since the last call (then reset). */
  epochStats(): AdaMixupStats | undefined;
  /** The running sums behind epochStats (so a mid-epoch checkpoint resumes them); the Trainer stores it. */
  stateDict(): { sums: number[]; hist: number[] } | undefined;
  loadStateDict(s: unknown): void;
  apply(batch: MixBatch): AdaMixupResult | MixResult;
}

export interface AdaMixupStats {
  alphaMean: number;
  deltaMean: number;
  lamMean: number;
  /** Counts of λ per bin over [0, 1] (histogramBins bins). */
  lamHist: number[];
  discAcc: number;
  intrusionLoss: number;
}

const checkPosInt = (who: string, name: string, v: unknown) => checkPositiveInt(v, `${who}: option '${name}'`);

export function adamixup(opts?: AdaMixupOptions): AdaMixupMethod {
  const who = 'mixup.adamixup';
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const o = resolveOptions<any>(who, opts, { ...adamixupDefaults }, (r) => {
    if (!(typeof r.intrusionWeight === 'number' && Number.isFinite(r.intrusionWeight) && r.intrusionWeight >= 0))
      throw new TorchValueError(`${who}: option 'intrusionWeight' must be a number ≥ 0, got ${JSON.stringify(r.intrusionWeight)}`);
    checkPosInt(who, 'generatorHidden', r.generatorHidden);
    checkPosInt(who, 'discriminatorHidden', r.discriminatorHidden);
    checkPosInt(who, 'histogramBins', r.histogramBins);
    checkRange(who, 'headInitStd', r.headInitStd, 0, Infinity);
  }) as ResolvedAda;
  let policy: AdaMixupPolicy | undefined;
  let owner: Module | undefined;
  let policyDevice = '';
  // On-device sums since the last epochStats(): [α, Δ, λ, discriminator correct, intrusion loss · rows, discriminator rows, pairs].
  let sums: Tensor | undefined;
  let hist: Tensor | undefined;

  const method: AdaMixupMethod = {
    name: 'adamixup',
    options: Object.freeze({ ...o }),
    needsModel: true,
    get module() {
      return policy;
    },
    attach(model: Module): AdaMixupPolicy {
      if (!isTrunked(model))
        throw new TorchTypeError(
          `${who}.attach: the model must expose a trunk (forwardFeatures, forwardHead, numFeatures, freshCopy): nn.models.smallCNN, preactResNet18/34, wideResNet and mlp do; got ${model?.constructor?.name ?? typeof model}`,
        );
      if (policy !== undefined) {
        if (owner === model) return policy;
        throw new TorchValueError(`${who}.attach: this method is already attached to another model; create one method per model`);
      }
      policy = new AdaMixupPolicy(model, o);
      policy.train(model.training);
      policyDevice = placeOf(policy).device;
      owner = model;
      return policy;
    },
    epochStats(): AdaMixupStats | undefined {
      if (!sums || !hist) return undefined;
      const { sums: s, hist: h } = method.stateDict()!;
      noGrad(() => {
        sums!.zero_();
        hist!.zero_();
      });
      const [alphaSum, deltaSum, lamSum, correct, intrusionSum, rows, pairs] = s;
      if (pairs === 0) return undefined;
      return {
        alphaMean: alphaSum / pairs,
        deltaMean: deltaSum / pairs,
        lamMean: lamSum / pairs,
        lamHist: h,
        discAcc: correct / rows,
        intrusionLoss: intrusionSum / rows,
      };
    },
    stateDict() {
      if (!sums || !hist) return undefined;
      const read = (t: Tensor) => tidy(() => Array.from(t.to('cpu').toArray() as Float64Array));
      return { sums: read(sums), hist: read(hist) };
    },
    loadStateDict(st: unknown) {
      const v = st as { sums?: unknown; hist?: unknown } | undefined;
      const ok = (a: unknown, n: number) => Array.isArray(a) && a.length === n && a.every((x) => typeof x === 'number' && Number.isFinite(x));
      if (!v || !ok(v.sums, 7) || !ok(v.hist, o.histogramBins))
        throw new TorchValueError(
          `${who}.loadStateDict: expected { sums: 7 numbers, hist: ${o.histogramBins} numbers }, got ${JSON.stringify(st)?.slice(0, 80)}`,
        );
      const device = policy ? placeOf(policy).device : 'cpu';
      sums?.dispose();
      hist?.dispose();
      sums = keep(tensor(Float64Array.from(v.sums as number[]), { device }));
      hist = keep(tensor(Float64Array.from(v.hist as number[]), { device }));
    },
    apply(batch: MixBatch): AdaMixupResult | MixResult {
      const B = checkBatch(who, batch);
      const model = batch.model as unknown as Module & Trunked;
      if (!isTrunked(model))
        throw new TorchTypeError(`${who}.apply: AdaMixup runs the model itself: pass batch.model, a model with a trunk (forwardFeatures, forwardHead)`);
      if (policy === undefined)
        throw new TorchValueError(`${who}.apply: call method.attach(model) first and give the optimizer model.parameters() and method.module.parameters()`);
      if (model !== owner) throw new TorchValueError(`${who}.apply: batch.model is not the model this method was attached to`);
      const { x, y, numClasses } = batch;
      if (!isFloating(x.dtype)) throw new TorchTypeError(`${who}.apply: batch.x must be floating (normalised inputs), got ${x.dtype}`);
      if (B < 2) throw new TorchValueError(`${who}.apply: AdaMixup needs a batch of at least 2 samples, got ${B}`);
      if (o.sample === undefined && scheduledOff(who, o, batch))
        return plainResult(batch, B, { mode: 'batch', labelSmoothing: o.labelSmoothing, loss: 'ce' }, model.forward(x));
      const h = Math.floor(B / 2);
      const device = x.device;
      if (device !== policyDevice) {
        policyDevice = placeOf(policy).device; // moved since attach()?
        if (device !== policyDevice)
          throw new TorchValueError(
            `${who}.apply: the policy (method.module) is on ${policyDevice}, the batch on ${device}: move the model first, then attach(model), or move method.module too`,
          );
      }
      const dtype = floatDtype(x);
      const s = o.sample;
      const perm = s?.partner !== undefined ? asIndex(s.partner, B, device, `${who}: sample.partner`) : randperm(B, { device });
      const partner = perm.narrow(0, 0, h);
      const x1 = x.narrow(0, 0, h),
        x3 = x.narrow(0, h, B - h);
      const x2 = x.indexSelect(0, partner);
      const noise = (i: 0 | 1): Tensor => {
        const given = s?.noise?.[i];
        if (given === undefined) return truncNormal_(empty(x1.shape, { dtype, device }));
        if (!(given instanceof Tensor) || given.shape.join() !== x1.shape.join())
          throw new TorchValueError(`${who}: sample.noise[${i}] must be a Tensor of shape [${x1.shape.join(', ')}]`);
        return given.to({ dtype, device });
      };
      const m1 = noise(0),
        m2 = noise(1);
      let u: Tensor;
      if (s?.uniform !== undefined) {
        if (!(s.uniform instanceof Tensor) || s.uniform.numel() !== h) throw new TorchValueError(`${who}: sample.uniform must be a Tensor of ${h} values`);
        u = s.uniform.to({ dtype, device }).reshape([h]);
      } else u = rand([h], { dtype, device });

      const { alpha, delta } = policy.forward(m1.mul(x1).add(m2.mul(x2)).div(2));
      const lam = alpha.add(u.mul(delta));
      const xMix = blend(x1, x2, lam);
      const y1 = smoothOneHot(y.narrow(0, 0, h), numClasses, o.labelSmoothing, dtype);
      const yMix = blend(y1, smoothOneHot(y.indexSelect(0, partner), numClasses, o.labelSmoothing, dtype), lam);
      const output = model.forward(cat([xMix, x1], 0));
      const target = cat([yMix, y1], 0);

      const d = policy.discriminate(model.forwardFeatures(cat([x3, x1, xMix], 0)));
      const isOriginal = cat([ones([B], { dtype: 'int64', device }), zeros([h], { dtype: 'int64', device })], 0);
      const intrusionLoss = crossEntropy(d, isOriginal);
      const discAcc = noGrad(() => d.argmax({ dim: 1 }).eq(isOriginal).to('float64').mean());

      noGrad(() => {
        if (!sums || sums.device !== device) {
          sums?.dispose();
          hist?.dispose();
          sums = keep(zeros([7], { dtype: 'float64', device }));
          hist = keep(zeros([o.histogramBins], { dtype: 'float64', device }));
        }
        const l = lam.detach().to('float64');
        const rows = B + h;
        sums.add_(
          cat(
            [
              stack([alpha, delta, lam]).detach().to('float64').sum({ dim: 1 }),
              stack([discAcc, intrusionLoss.detach().to('float64')]).mul(rows),
              full([1], rows, { dtype: 'float64', device }),
              full([1], h, { dtype: 'float64', device }), // device fills: no host→device copy
            ],
            0,
          ),
        );
        const bin = l
          .mul(o.histogramBins)
          .floor()
          .clamp({ min: 0, max: o.histogramBins - 1 })
          .long();
        hist!.add_(zeros([o.histogramBins], { dtype: 'float64', device }).scatterAdd(0, bin, ones([h], { dtype: 'float64', device })));
      });

      const w = o.intrusionWeight;
      return {
        output,
        target,
        lam,
        partner,
        alpha,
        delta,
        intrusionLoss,
        discAcc,
        loss(logits: Tensor): Tensor {
          if (!(logits instanceof Tensor)) throw new TorchTypeError('loss(logits): expected a Tensor');
          if (logits.ndim !== 2 || logits.shape[0] !== 2 * h || logits.shape[1] !== numClasses)
            throw new TorchValueError(
              `loss(logits): expected logits of shape [${2 * h}, ${numClasses}] (mixed + original rows × numClasses), got [${logits.shape.join(', ')}]`,
            );
          const ce = softTargetCrossEntropy(logits, target);
          return w === 1 ? ce.add(intrusionLoss) : ce.add(intrusionLoss.mul(w));
        },
      };
    },
  };
  return method;
}
