// A method defines its training step. Two forms:
//
// - a batch transform (today's methods: none, input mixup, manifold mixup, CutMix, AdaMixup) with
//   apply(): the Trainer's default step is r = method.apply(batch); loss = r.loss(r.output ?? model(r.input));
// - a method that owns the step (MixMatch, ICT, …): trainStep(ctx) gets every stream's batch
//   (ctx.batches.train, ctx.batches.unlabeled, …), runs its forward passes and returns the loss.
//
// Either way the Trainer does zeroGrad → backward → optimizer.step around it, so gradient
// clipping, EMA and the divergence guard apply to both. A step method may also have
// afterOptimizerStep(ctx) (called right after optimizer.step(), before the plug-ins' afterOptimizerStep:
// MixMatch's EMA, ICT's teacher) and evalModel() (the model the Trainer validates and evaluates
// instead of the trained one: MixMatch's EMA, ICT's teacher; the plug-ins' scores, e.g. the EMA
// plug-in's emaValAcc, are added as always).
import type * as torch from '../torch/index.js';
import type { Module } from '../nn/module.js';
import type { Batch } from '../data/loader.js';
import type { MixBatch, MixMethod } from '../mixup/types.js';

type Tensor = torch.Tensor;

/** What a method-owned step is given. */
export interface StepContext {
  model: Module;
  /** One batch of every stream: `train` and the Trainer's extra `loaders` by name. */
  batches: Record<string, Batch>;
  numClasses: number;
  /** 0-based epoch and the total, for ramp-ups and schedules. */
  epoch: number;
  totalEpochs: number;
  /** Steps done before this one, since the start of training. */
  iteration: number;
  /** Steps per epoch (the Trainer's stepsPerEpoch, or the train loader's length). */
  batchesPerEpoch: number;
}

export interface StepResult {
  /** 0-d loss to backpropagate (mean over the batch). */
  loss: Tensor;
  /** Samples it averages over, for the epoch's mean train loss. Default: the train batch's size. */
  batchSize?: number;
}

/** A method that owns its training step. */
export interface StepMethod {
  readonly name: string;
  readonly options?: unknown;
  trainStep(ctx: StepContext): StepResult;
  /** Trainable parts of its own (the optimizer must include module.parameters(); checkpointed). */
  readonly module?: Module;
  attach?(model: Module): Module;
  /** After optimizer.step(), inside the step's tidy, before the plug-ins' afterOptimizerStep (EMA/teacher updates). */
  afterOptimizerStep?(ctx: StepContext): void;
  /** The model to validate/evaluate instead of ctx.model (an EMA or teacher held by the method). */
  evalModel?(): Module;
  epochStats?(): object | undefined;
  /** JSON-serialisable state (checkpointed in the checkpoint's JSON; tensors go in `module`). */
  stateDict?(): unknown;
  loadStateDict?(s: unknown): void;
}

export type AnyMethod = MixMethod<object> | StepMethod;

export const ownsStep = (m: AnyMethod): m is StepMethod => typeof (m as StepMethod).trainStep === 'function';

/** The step of a batch-transform method. */
export function applyStep(method: MixMethod<object>, ctx: StepContext): StepResult {
  const { x, y } = ctx.batches.train;
  const mb: MixBatch = { x, y, numClasses: ctx.numClasses, epoch: ctx.epoch, totalEpochs: ctx.totalEpochs };
  if (method.needsModel) mb.model = ctx.model as unknown as MixBatch['model'];
  const r = method.apply(mb);
  return { loss: r.loss(r.output ?? (ctx.model.forward(r.input!) as Tensor)), batchSize: y.shape[0] };
}
