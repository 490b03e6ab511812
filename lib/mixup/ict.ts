// Interpolation Consistency Training (Verma et al., IJCAI 2019; vikasverma1077/ICT is the reference).
// A StepMethod (lib/train/step.ts) on the labeled batch (ctx.batches.train) and the unlabeled one
// (ctx.batches.unlabeled; its x, i.e. the first view), with a mean teacher held by the method.
//
//   const method = mixup.ict({ lambdaU: 100 });
//   method.attach(model);                         // the teacher: a copy of the model (method.module)
//   new train.Trainer({ model, optimizer, method, train: labeled, loaders: { unlabeled }, … })
//
// One step (the official main.py's order, which is also the order of the random draws):
// 1. Supervised mixup: λ ~ Beta(α, α) (one per batch, no max(λ, 1 − λ)), perm = randperm(B);
//    loss_s = λ·CE(model(x̃), y) + (1 − λ)·CE(model(x̃), y[perm]), x̃ = λx + (1 − λ)x[perm].
// 2. Teacher logits t = teacher(u), no gradient, the teacher in train mode (its BatchNorm statistics
//    come from its own forward passes, as the reference's ema_model.train()).
// 3. λ_u ~ Beta(α_u, α_u), perm_u = randperm(B_u); student on u_mix = λ_u·u + (1 − λ_u)·u[perm_u];
//    target: 'logits' (official PyTorch code, default): softmax(λ_u·t + (1 − λ_u)·t[perm_u]);
//    'probs' (the paper, Google's re-implementation): λ_u·softmax(t) + (1 − λ_u)·softmax(t)[perm_u].
//    loss_u = mean((softmax(model(u_mix)) − target)²) over rows and classes.
// 4. loss = loss_s + w(t)·loss_u, w(t) = λ_U·exp(−5(1 − t/T)²) for t < T, λ_U after; t = fractional
//    epochs done before this step (iteration / steps per epoch), T = rampupEpochs (default: ¼ of the run).
// 5. After optimizer.step(): teacher parameters ← a·teacher + (1 − a)·student with
//    a = min(1 − 1/(s + 1), ema), s = optimizer steps done including this one (the mean teacher's
//    warm-up); buffers are not averaged. The Trainer validates with the teacher (evalModel()).
// The teacher starts as a copy of the student (the reference builds it with its own random init; after
// s steps that init weighs 1/(s + 1) in the teacher, so the two differ only early on).
// Randomness from LibTorch's generators; scripts/baselines/semisup.py makes the same draws in the same order.
import { Tensor } from '../torch/tensor.js';
import { TorchValueError } from '../torch/errors.js';
import { randperm } from '../torch/random.js';
import { noGrad } from '../torch/autograd.js';
import { softmax, mseLoss } from '../nn/functional.js';
import type { Module } from '../nn/module.js';
import type { StepContext, StepMethod, StepResult } from '../train/step.js';
import { sampleBeta } from './beta.js';
import { lamDtype } from './common.js';
import { blend, pairedCrossEntropy } from './losses.js';
import { sigmoidRampup, unlabeledBatch, resolveSsl, LossSums, nonNeg, unit, oneOf, isNum } from './ssl.js';

export interface IctOptions {
  /** Beta(α, α) of the supervised mixup; 0: none. Default 1. */
  alpha?: number;
  /** Beta(α_u, α_u) of the unlabeled mixup. Default 1. */
  alphaU?: number;
  /** Consistency weight w_max after the ramp-up. Default 100 (the reference README's commands). */
  lambdaU?: number;
  /** Ramp-up length T in epochs; null: ¼ of the run. */
  rampupEpochs?: number | null;
  /** Mean-teacher decay cap. Default 0.999. */
  ema?: number;
  /** How the teacher's target is mixed: 'logits' (official code) or 'probs' (the paper). */
  target?: 'logits' | 'probs';
}

export const ictDefaults: Readonly<Required<IctOptions>> = Object.freeze({
  alpha: 1,
  alphaU: 1,
  lambdaU: 100,
  rampupEpochs: null,
  ema: 0.999,
  target: 'logits',
});

export interface IctMethod extends StepMethod {
  readonly name: 'ict';
  readonly options: Readonly<Required<IctOptions>>;
  /** The teacher (built by attach). */
  readonly teacher: Module | undefined;
  attach(model: Module): Module;
  /** The consistency weight w(t) at a step. */
  weight(ctx: Pick<StepContext, 'iteration' | 'batchesPerEpoch' | 'totalEpochs'>): number;
  epochStats(): { supLoss: number; unsupLoss: number; weight: number } | undefined;
}

export function ict(opts?: IctOptions): IctMethod {
  const who = 'mixup.ict';
  const o = resolveSsl<IctOptions>(
    who,
    opts,
    { ...ictDefaults },
    {
      alpha: nonNeg,
      alphaU: nonNeg,
      lambdaU: nonNeg,
      ema: unit,
      target: oneOf('logits', 'probs'),
      rampupEpochs: (v) => (v === null || (isNum(v) && v >= 0) ? null : 'a number ≥ 0 (epochs) or null (¼ of the run)'),
    },
  );
  let teacher: Module | undefined;
  let owner: Module | undefined;
  const sums = new LossSums();
  const weight = (ctx: Pick<StepContext, 'iteration' | 'batchesPerEpoch' | 'totalEpochs'>) =>
    o.lambdaU * sigmoidRampup(ctx.iteration / ctx.batchesPerEpoch, o.rampupEpochs ?? ctx.totalEpochs / 4);
  return {
    name: 'ict',
    options: Object.freeze(o),
    get teacher() {
      return teacher;
    },
    get module() {
      return teacher;
    },
    attach(model: Module): Module {
      if (owner && owner !== model) throw new TorchValueError(`${who}: already attached to another model; make one method per model`);
      if (!teacher) {
        teacher = model.deepCopy().train();
        teacher.requiresGrad_(false);
      }
      owner = model;
      return teacher;
    },
    weight,
    trainStep(ctx: StepContext): StepResult {
      if (!teacher || owner !== ctx.model) throw new TorchValueError(`${who}: call method.attach(model) with the trained model before training`);
      const model = ctx.model;
      const fwd = (m: Module, t: Tensor) => m.forward(t) as Tensor;
      const u = unlabeledBatch(who, ctx).x;
      const { x, y } = ctx.batches.train;
      const B = x.shape[0];
      const dt = { device: x.device, dtype: lamDtype(x) };
      // 1. Supervised mixup.
      const ls = sampleBeta(o.alpha, [], dt);
      const ps = randperm(B, { device: x.device });
      const outL = fwd(model, blend(x, x.indexSelect(0, ps), ls));
      const supLoss = pairedCrossEntropy(outL, y, ps, ls);
      // 2. The teacher's logits (train mode: its own BatchNorm statistics).
      const t = noGrad(() => fwd(teacher!, u));
      // 3. Unlabeled mixup against the teacher's mixed target.
      const lu = sampleBeta(o.alphaU, [], { device: u.device, dtype: lamDtype(u) });
      const pu = randperm(u.shape[0], { device: u.device });
      let target: Tensor;
      if (o.target === 'logits') target = softmax(blend(t, t.indexSelect(0, pu), lu), 1);
      else {
        const p = softmax(t, 1);
        target = blend(p, p.indexSelect(0, pu), lu);
      }
      const outU = fwd(model, blend(u, u.indexSelect(0, pu), lu));
      const unsupLoss = mseLoss(softmax(outU, 1), target);
      const w = weight(ctx);
      sums.add(supLoss, unsupLoss, w);
      return { loss: supLoss.add(unsupLoss, { alpha: w }), batchSize: B };
    },
    afterOptimizerStep(ctx: StepContext) {
      const s = ctx.iteration + 1;
      const a = Math.min(1 - 1 / (s + 1), o.ema);
      const sp = new Map(ctx.model.namedParameters());
      noGrad(() => {
        for (const [k, e] of teacher!.namedParameters()) e.mul_(a).add_(sp.get(k)!, { alpha: 1 - a });
      });
    },
    evalModel() {
      if (!teacher) throw new TorchValueError(`${who}: not attached (call method.attach(model))`);
      return teacher;
    },
    epochStats: () => sums.epochStats(),
    stateDict: () => sums.stateDict(),
    loadStateDict: (s: unknown) => sums.loadStateDict(who, s),
  };
}
