// MixMatch (Berthelot et al., NeurIPS 2019; google-research/mixmatch is the reference, YU1ut/MixMatch-pytorch
// the popular port). A StepMethod (lib/train/step.ts): it owns the training step on the labeled batch
// (ctx.batches.train: x, y) and the unlabeled one (ctx.batches.unlabeled, from a loader made with
// `views: K`, whose `views` holds the K augmented views).
//
//   const method = mixup.mixmatch({ lambdaU: 75 });
//   method.attach(model);                                  // builds the evaluation EMA (method.module)
//   new train.Trainer({ model, optimizer, method, train: labeled, loaders: { unlabeled }, stepsPerEpoch: 1024,
//                       plugins: [train.plugins.decoupledWeightDecay({ weightDecay: 0.02 })], … })
//
// One step:
// 1. Guess: q = sharpen(mean_k softmax(model(u_k)), T) from the live model, no gradient, train mode.
// 2. Pool [x; u_1; …; u_K] with targets [onehot(y); q; …; q]; λ ~ Beta(α, α), λ = max(λ, 1 − λ), one
//    per pool row (mode 'elem', official) or one per batch ('batch', the port); perm = randperm(pool);
//    x̃ = λ·x + (1 − λ)·x[perm], the same for the targets. Draw order: λ, then perm (LibTorch's generators).
// 3. Forward: interleave (official, default): the K + 1 batches are interleaved (ssl.ts interleave) so
//    every pass holds labeled and unlabeled rows, one pass each, logits un-interleaved; interleave: false:
//    one pass over the whole pool.
// 4. loss = CE(logits_x, x̃ targets) + w · mean((q̃ − softmax(logits_u))²) (mean over rows and classes),
//    w = λ_U · clip(iteration / rampupSteps, 0, 1) (iteration = steps done before this one); rampupSteps
//    'run': w = λ_U · clip(fractional epoch / epochs, 0, 1) (the port's ramp over the whole run).
// 5. After optimizer.step(): EMA of the weights (decay `ema`, parameters and floating buffers, no warm-up:
//    tf.train.ExponentialMovingAverage as the official code); the Trainer validates with it (evalModel()).
//
// Options and where the official code and the port disagree (official first, the default):
// - mode 'elem' | 'batch': λ per pool row or per batch.
// - bnUpdate 'first' | 'all': which passes update BatchNorm running statistics. 'first': only the first
//   interleaved pass (the guess passes and the other passes normalise with batch statistics but leave the
//   running ones alone); 'all': every pass, the guess passes included (the port: model.train() throughout).
// - rampupSteps: 16384 (official: 1024 kimg = 1,048,576 samples, 16,384 steps at batch 64) | 'run' (port).
// - weight decay is not part of the step: use the decoupledWeightDecay plug-in (lib/train/decoupled-weight-decay.ts),
//   scope 'kernels' (official: conv/linear weights) or 'all' (port: every floating state-dict entry).
// Defaults: α 0.75, λ_U 75, T 0.5, K 2, EMA 0.999 (the paper's CIFAR-10 settings; the code's flags default α 0.5,
// λ_U 100). Randomness: λ and perm from LibTorch's generators (torch.manualSeed reproduces them);
// scripts/baselines/semisup.py makes the same draws in the same order.
import { Tensor } from '../torch/tensor.js';
import { TorchValueError } from '../torch/errors.js';
import { cat, stack } from '../torch/creation.js';
import { randperm } from '../torch/random.js';
import { noGrad } from '../torch/autograd.js';
import { softmax, mseLoss } from '../nn/functional.js';
import { ModelEMA } from '../nn/ema.js';
import type { Module } from '../nn/module.js';
import type { StepContext, StepMethod, StepResult } from '../train/step.js';
import { sampleBeta } from './beta.js';
import { floatDtype, lamDtype } from './common.js';
import { blend, smoothOneHot, softTargetCrossEntropy } from './losses.js';
import { sharpen, interleave, linearRampup, withFrozenBatchNorm, unlabeledBatch, resolveSsl, LossSums, nonNeg, positive, unit, oneOf } from './ssl.js';

export interface MixMatchOptions {
  /** Beta(α, α) of the mixup; 0: no mixing (λ = 1). Default 0.75. */
  alpha?: number;
  /** Weight λ_U of the unlabeled (L2) loss after the ramp-up. Default 75. */
  lambdaU?: number;
  /** Sharpening temperature T. Default 0.5. */
  temperature?: number;
  /** K: augmented views per unlabeled image (the unlabeled loader's `views`). Default 2. */
  views?: number;
  /** λ per pool row ('elem', official) or one per batch ('batch', the port). */
  mode?: 'elem' | 'batch';
  /** Interleave labeled and unlabeled rows across the K + 1 passes (official, default) or one pass over the pool. */
  interleave?: boolean;
  /** Which passes update BatchNorm statistics: 'first' interleaved pass only (official) or 'all' (port). */
  bnUpdate?: 'first' | 'all';
  /** Ramp-up length of λ_U in steps (official 16384), or 'run': over the whole training run (port). */
  rampupSteps?: number | 'run';
  /** Decay of the evaluation EMA (0: the EMA is the live model). Default 0.999. */
  ema?: number;
}

export const mixmatchDefaults: Readonly<Required<MixMatchOptions>> = Object.freeze({
  alpha: 0.75,
  lambdaU: 75,
  temperature: 0.5,
  views: 2,
  mode: 'elem',
  interleave: true,
  bnUpdate: 'first',
  rampupSteps: 16384,
  ema: 0.999,
});

export interface MixMatchStats {
  /** Mean supervised (cross-entropy) loss over the epoch's steps. */
  supLoss: number;
  /** Mean unsupervised (L2) loss, before the weight. */
  unsupLoss: number;
  /** Mean ramp weight w = λ_U·ramp. */
  weight: number;
}

export interface MixMatchMethod extends StepMethod {
  readonly name: 'mixmatch';
  readonly options: Readonly<Required<MixMatchOptions>>;
  /** The EMA (built by attach). */
  readonly average: ModelEMA | undefined;
  attach(model: Module): Module;
  /** The weight w of the unlabeled loss at a step. */
  weight(ctx: Pick<StepContext, 'iteration' | 'batchesPerEpoch' | 'totalEpochs'>): number;
  epochStats(): MixMatchStats | undefined;
}

export function mixmatch(opts?: MixMatchOptions): MixMatchMethod {
  const who = 'mixup.mixmatch';
  const o = resolveSsl<MixMatchOptions>(
    who,
    opts,
    { ...mixmatchDefaults },
    {
      alpha: nonNeg,
      lambdaU: nonNeg,
      temperature: positive,
      ema: unit,
      views: (v) => (Number.isInteger(v) && (v as number) >= 1 ? null : 'a positive integer'),
      mode: oneOf('elem', 'batch'),
      interleave: oneOf(true, false),
      bnUpdate: oneOf('first', 'all'),
      rampupSteps: (v) => (v === 'run' || (Number.isInteger(v) && (v as number) >= 0) ? null : "a non-negative integer (steps) or 'run'"),
    },
  );
  let avg: ModelEMA | undefined;
  let owner: Module | undefined;
  const sums = new LossSums();
  const weight = (ctx: Pick<StepContext, 'iteration' | 'batchesPerEpoch' | 'totalEpochs'>) =>
    o.lambdaU * (o.rampupSteps === 'run' ? linearRampup(ctx.iteration / ctx.batchesPerEpoch, ctx.totalEpochs) : linearRampup(ctx.iteration, o.rampupSteps));
  const method: MixMatchMethod = {
    name: 'mixmatch',
    options: Object.freeze(o),
    get average() {
      return avg;
    },
    get module() {
      return avg?.module;
    },
    attach(model: Module): Module {
      if (owner && owner !== model) throw new TorchValueError(`${who}: already attached to another model; make one method per model`);
      if (!avg) avg = new ModelEMA(model, { decay: o.ema });
      owner = model;
      return avg.module;
    },
    weight,
    trainStep(ctx: StepContext): StepResult {
      if (!avg || owner !== ctx.model) throw new TorchValueError(`${who}: call method.attach(model) with the trained model before training`);
      const model = ctx.model;
      const ub = unlabeledBatch(who, ctx);
      const { x, y } = ctx.batches.train;
      const us = ub.views ?? [ub.x];
      if (us.length !== o.views)
        throw new TorchValueError(
          `${who}: option views is ${o.views} but the unlabeled batch has ${us.length} view(s) (make its loader with views: ${o.views})`,
        );
      const B = x.shape[0];
      const K = o.views;
      const fwd = (t: Tensor) => model.forward(t) as Tensor;
      // 1. Label guess from the live model.
      const q = noGrad(() => {
        const guess = () => us.map((u) => softmax(fwd(u), 1));
        const ps = o.bnUpdate === 'first' ? withFrozenBatchNorm(model, guess) : guess();
        return sharpen(stack(ps).mean({ dim: 0 }), o.temperature);
      });
      // 2. One pool, mixed with a shuffled copy of itself.
      const pool = cat([x, ...us]);
      const targets = cat([smoothOneHot(y, ctx.numClasses, 0, floatDtype(x)), ...new Array<Tensor>(K).fill(q.to(floatDtype(x)))]);
      const n = pool.shape[0];
      const l = sampleBeta(o.alpha, o.mode === 'elem' ? [n] : [], { device: x.device, dtype: lamDtype(x) });
      const lam = l.maximum(l.rsub(1));
      const perm = randperm(n, { device: x.device });
      const mixed = blend(pool, pool.indexSelect(0, perm), lam);
      const mixedT = blend(targets, targets.indexSelect(0, perm), lam);
      // 3. Forward passes.
      let lx: Tensor, lu: Tensor;
      if (o.interleave) {
        const parts = interleave(mixed.split([B, ...us.map((u) => u.shape[0])]), B);
        const logits = parts.map((p, i) => (i === 0 || o.bnUpdate === 'all' ? fwd(p) : withFrozenBatchNorm(model, () => fwd(p))));
        const back = interleave(logits, B);
        lx = back[0];
        lu = cat(back.slice(1));
      } else {
        const logits = fwd(mixed);
        lx = logits.narrow(0, 0, B);
        lu = logits.narrow(0, B, n - B);
      }
      // 4. Losses.
      const supLoss = softTargetCrossEntropy(lx, mixedT.narrow(0, 0, B));
      const unsupLoss = mseLoss(softmax(lu, 1), mixedT.narrow(0, B, n - B).to(lu.dtype));
      const w = weight(ctx);
      sums.add(supLoss, unsupLoss, w);
      return { loss: supLoss.add(unsupLoss, { alpha: w }), batchSize: B };
    },
    afterOptimizerStep(ctx: StepContext) {
      avg!.update(ctx.model);
    },
    evalModel() {
      if (!avg) throw new TorchValueError(`${who}: not attached (call method.attach(model))`);
      return avg.module;
    },
    epochStats: () => sums.epochStats(),
    stateDict: () => sums.stateDict(),
    loadStateDict: (s: unknown) => sums.loadStateDict(who, s),
  };
  return method;
}
