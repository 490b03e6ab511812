// The training loop: new Trainer({ model, optimizer, scheduler, method, train, val, plugins, … }).fit().
//
// One short loop that fires the events of events.ts; everything else is a plug-in (divergence
// guard, gradient clipping, EMA, early stopping, JSON-lines log, results.json, checkpoints,
// progress, SIGINT/AbortSignal). Each step is one torch.tidy: the method's step (step.ts) →
// zeroGrad → backward → optimizer.step. The epoch's loss sum stays on the device and is read once
// per epoch, and the loss every `logEvery` steps: the only host reads of the loop itself.
// fit() yields to the event loop every YIELD_MS, so an abort or SIGINT is seen between steps.
// Resume (state.ts) restores everything a checkpoint holds before fitStart; on the CPU a resumed
// run ends bit-identical to an uninterrupted one, also from mid-epoch.
import * as path from 'node:path';
import * as torch from '../torch/index.js';
import type { Module } from '../nn/module.js';
import { DataLoader, type Batch } from '../data/loader.js';
import { evaluateModel, type EvalResult } from './metrics.js';
import { resolveOptions, type TrainerOptions, type SchedulerLike, type AnyOptimizer } from './options.js';
import { applyStep, ownsStep, type AnyMethod, type StepContext, type StepResult } from './step.js';
import { loadCheckpoint, type Position } from './state.js';
import { makeHistory, type History } from './history.js';
import { EVENTS, type EventName, type Plugin, type TrainState } from './events.js';
import { Stream } from './streams.js';
import type { EpochRecord } from './checkpoint.js';

export type { EpochRecord } from './checkpoint.js';
export type { TrainerOptions, SchedulerLike, StepLog } from './options.js';
export { bestEpoch, makeHistory, type History, type Results } from './history.js';

const YIELD_MS = 15;

/** n batches of a cycled stream (stepsPerEpoch), each made when the loop asks for it (inside the step's tidy). */
function* take(stream: Stream, n: number): Generator<Batch> {
  for (let i = 0; i < n; i++) yield stream.next();
}
const yieldNow = () => new Promise<void>((resolve) => setImmediate(resolve));

export class Trainer {
  readonly model: Module;
  readonly optimizer: AnyOptimizer;
  readonly scheduler?: SchedulerLike;
  readonly schedulerStep: 'epoch' | 'iteration';
  readonly method: AnyMethod;
  readonly train: DataLoader;
  readonly loaders: Readonly<Record<string, DataLoader>>;
  /** The stepsPerEpoch option (undefined: one pass over the train loader per epoch). */
  readonly stepsPerEpoch?: number;
  /** Steps per epoch: stepsPerEpoch, or the train loader's length. */
  readonly batchesPerEpoch: number;
  readonly val?: DataLoader;
  readonly numClasses: number;
  readonly epochs: number;
  readonly outDir?: string;
  readonly config: Record<string, unknown>;
  readonly logEvery: number;
  readonly resumeFrom?: string;
  /** Every plug-in, in calling order (the built-in ones the options stand for included). */
  readonly plugins: readonly Plugin[];
  private readonly hooks: Record<EventName, Plugin[]>;
  /** The plug-ins awaited between backward and the optimizer step (syncGradients). */
  private readonly syncs: Plugin[];
  /** The plug-ins entered around the method's step (forwardContext) and transforming the loss before backward (transformLoss). */
  private readonly forwardContexts: Plugin[];
  private readonly lossTransforms: Plugin[];
  /** The plug-in doing the optimizer step instead of the Trainer (optimizerStep), if any. */
  private readonly stepper?: Plugin;
  private running = false;

  constructor(opts: TrainerOptions) {
    const o = resolveOptions(opts);
    ({
      model: this.model,
      optimizer: this.optimizer,
      scheduler: this.scheduler,
      schedulerStep: this.schedulerStep,
      method: this.method,
      train: this.train,
    } = o);
    ({ loaders: this.loaders, val: this.val, numClasses: this.numClasses, epochs: this.epochs, outDir: this.outDir, config: this.config } = o);
    ({ logEvery: this.logEvery, resumeFrom: this.resumeFrom, plugins: this.plugins, stepsPerEpoch: this.stepsPerEpoch } = o);
    this.batchesPerEpoch = this.stepsPerEpoch ?? this.train.length;
    for (const p of this.plugins) p.setup?.(this);
    this.hooks = Object.fromEntries(EVENTS.map((e) => [e, this.plugins.filter((p) => typeof p[e] === 'function')])) as Record<EventName, Plugin[]>;
    this.syncs = this.plugins.filter((p) => typeof p.syncGradients === 'function');
    this.forwardContexts = this.plugins.filter((p) => typeof p.forwardContext === 'function');
    this.lossTransforms = this.plugins.filter((p) => typeof p.transformLoss === 'function');
    const steppers = this.plugins.filter((p) => typeof p.optimizerStep === 'function');
    if (steppers.length > 1)
      throw new torch.TorchValueError(
        `Trainer: plug-ins ${steppers.map((p) => `'${p.name}'`).join(' and ')} both do the optimizer step (optimizerStep): use one`,
      );
    this.stepper = steppers[0];
  }

  /** Paths of the files written under outDir (undefined without outDir). */
  get files(): { log: string; checkpoint: string; checkpointJson: string; results: string } | undefined {
    const d = this.outDir;
    if (d === undefined) return undefined;
    return {
      log: path.join(d, 'log.jsonl'),
      checkpoint: path.join(d, 'checkpoint.safetensors'),
      checkpointJson: path.join(d, 'checkpoint.json'),
      results: path.join(d, 'results.json'),
    };
  }

  /** The model validated and evaluated: the method's evalModel() (MixMatch's EMA, ICT's teacher) when it has one, else the trained model. */
  get evalModel(): Module {
    const m = this.method;
    return (ownsStep(m) && m.evalModel?.()) || this.model;
  }

  /** Loss (mean CE on the hard labels), accuracy and ECE of evalModel over a loader in eval mode without gradients, plus the plug-ins' scores (EMA: .ema). */
  evaluate(loader: DataLoader): EvalResult & Record<string, EvalResult | number> {
    if (!(loader instanceof DataLoader)) throw new torch.TorchTypeError('Trainer: evaluate(loader): expected a data.DataLoader');
    const r = evaluateModel(this.evalModel, loader) as EvalResult & Record<string, EvalResult | number>;
    for (const p of this.plugins) Object.assign(r, p.evaluate?.(loader));
    return r;
  }

  /** Trains (or resumes and continues) to `epochs`; resolves with the history. */
  async fit(): Promise<History> {
    if (this.running) throw new torch.TorchError('Trainer: fit() is already running');
    this.running = true;
    try {
      return await this.run();
    } finally {
      this.running = false;
    }
  }

  private emit(e: EventName, s: TrainState, arg?: unknown): void {
    for (const p of this.hooks[e]) (p[e] as (s: TrainState, a?: unknown) => void).call(p, s, arg);
  }

  private async run(): Promise<History> {
    const start: Position = this.resumeFrom
      ? loadCheckpoint(this, this.resumeFrom)
      : { epoch: 0, step: 0, iteration: 0, loaderEpoch: 0, streams: {}, history: [] };
    const streams = Object.entries(this.loaders).map(([k, l]) => new Stream(k, l, start.streams[k] ?? { epoch: l.epoch, step: 0 }));
    // With stepsPerEpoch the train loader is cycled too; its position is checkpointed as the stream 'train'.
    const cycled = this.stepsPerEpoch !== undefined ? new Stream('train', this.train, start.streams.train ?? { epoch: this.train.epoch, step: 0 }) : undefined;
    const all = cycled ? [cycled, ...streams] : streams;
    const s: TrainState = {
      trainer: this,
      epoch: start.epoch,
      step: start.step,
      iteration: start.iteration,
      batchesPerEpoch: this.batchesPerEpoch,
      logNow: false,
      samples: 0,
      seconds: 0,
      history: [...start.history],
      interrupt: false,
      stepInfo: {},
      message: (line) => this.emit('message', s, line),
    };
    let lossSum = start.lossSum;
    let lastSaved = this.resumeFrom ? `${start.epoch}:${start.step}` : '';
    // A checkpoint of the current position, once per position (the divergence guard may refuse it).
    const checkpoint = (completed: number, loaderEpoch: number, partial?: Position['partial']) => {
      const key = `${completed}:${partial ? s.step : 0}`;
      if (key === lastSaved) return;
      s.position = {
        epoch: completed,
        step: partial ? s.step : 0,
        iteration: s.iteration,
        loaderEpoch,
        partial,
        lossSum: partial && lossSum,
        streams: Object.fromEntries(all.map((x) => [x.name, { ...x.pos }])),
        history: s.history,
      };
      this.emit('checkpoint', s);
      lastSaved = key;
    };
    let interrupted = false;
    let started = false;
    try {
      for (const x of all) if (start.streams[x.name]) x.restore();
      started = true;
      this.emit('fitStart', s);
      for (let e = start.epoch + 1; e <= this.epochs && !interrupted && !s.stop; e++) {
        const partial = e === start.epoch + 1 && start.step > 0 ? start.partial : undefined;
        if (s.interrupt && !partial) {
          interrupted = true;
          checkpoint(e - 1, this.train.epoch); // nothing new unless stopped before the first step
          break;
        }
        const loaderEpoch = this.train.epoch;
        const lr0 = partial?.lr ?? this.lr;
        Object.assign(s, { epoch: e, step: 0, samples: partial?.samples ?? 0, seconds: partial?.seconds ?? 0, record: undefined });
        const acc = (lossSum ??= torch.tidy(() => torch.keep(torch.zeros([], { dtype: 'float64', device: this.train.device }))));
        this.model.train();
        this.method.module?.train();
        const skip = partial ? start.step : 0;
        const it = cycled ? take(cycled, s.batchesPerEpoch - skip) : this.train[Symbol.iterator]();
        let finished = false;
        try {
          if (cycled)
            s.step = skip; // the stream resumes at its checkpointed position
          else for (; s.step < skip; s.step++) torch.tidy(() => void it.next());
          this.emit('epochStart', s);
          const t0 = performance.now() - s.seconds * 1000;
          let lastYield = performance.now();
          for (;;) {
            if (s.step < s.batchesPerEpoch && s.interrupt) break;
            s.logNow = (s.iteration + 1) % this.logEvery === 0;
            s.stepInfo = {};
            const r = this.syncs.length ? await this.stepAsync(s, it, streams, acc) : torch.tidy(() => this.step(s, it, streams, acc));
            if (r === null) {
              finished = true;
              break;
            }
            s.step++;
            s.iteration++;
            s.samples += r.bs;
            s.loss = r.loss;
            if (this.scheduler && this.schedulerStep === 'iteration') this.scheduler.step();
            const now = performance.now();
            s.seconds = (now - t0) / 1000;
            this.emit('stepEnd', s);
            if (now - lastYield >= YIELD_MS) {
              await yieldNow();
              lastYield = performance.now();
            }
          }
        } finally {
          if (!finished) it.return?.();
        }
        if (!finished) {
          interrupted = true;
          checkpoint(e - 1, loaderEpoch, { seconds: s.seconds, samples: s.samples, lr: lr0 });
          break;
        }
        const trainLoss = (acc.item() as number) / s.samples;
        acc.dispose();
        lossSum = undefined;
        const rec: EpochRecord = { epoch: e, trainLoss, lr: lr0, seconds: s.seconds, imagesPerSecond: s.samples / s.seconds };
        const stats = this.method.epochStats?.();
        if (stats !== undefined) rec.method = stats as Record<string, unknown>;
        if (this.val) {
          const { loss, acc: a, ece, n: _n, ...extra } = this.evaluate(this.val);
          Object.assign(rec, { valLoss: loss, valAcc: a, valEce: ece });
          for (const [k, v] of Object.entries(extra) as [string, EvalResult][])
            Object.assign(rec, { [`${k}ValLoss`]: v.loss, [`${k}ValAcc`]: v.acc, [`${k}ValEce`]: v.ece });
        }
        for (const p of this.plugins) if (p.reduceEpoch) await p.reduceEpoch(s, rec);
        if (this.scheduler && this.schedulerStep === 'epoch') this.scheduler.step();
        s.history.push(rec);
        s.record = rec;
        this.emit('epochEnd', s);
        checkpoint(e, this.train.epoch);
        await yieldNow();
        if (s.interrupt && e < this.epochs && !s.stop) interrupted = true;
      }
      s.result = makeHistory(s.history, interrupted, s.stop && { ...s.stop, epoch: s.epoch });
      return s.result;
    } catch (err) {
      s.error = err;
      throw err;
    } finally {
      for (const x of all) x.close();
      lossSum?.dispose();
      if (started) this.finish(s);
    }
  }

  /** One training step (inside its tidy); null when the epoch's batches are done. */
  private step(s: TrainState, it: Iterator<Batch>, streams: Stream[], acc: torch.Tensor): { bs: number; loss?: number } | null {
    const a = this.forwardBackward(s, it, streams);
    return a && this.finishStep(s, a, acc);
  }

  /** The step with the plug-ins' syncGradients awaited between backward and the rest (each half its own tidy). */
  private async stepAsync(s: TrainState, it: Iterator<Batch>, streams: Stream[], acc: torch.Tensor): Promise<{ bs: number; loss?: number } | null> {
    const a = torch.tidy(() => this.forwardBackward(s, it, streams));
    if (a === null) return null;
    try {
      for (const p of this.syncs) await p.syncGradients!(s);
      return torch.tidy(() => this.finishStep(s, a, acc));
    } finally {
      torch.dispose(a);
    }
  }

  /** The method's step and backward: the step's context (its batches), the detached loss and batch size. */
  private forwardBackward(s: TrainState, it: Iterator<Batch>, streams: Stream[]): { ctx: StepContext; l: torch.Tensor; bs: number } | null {
    const n = it.next();
    if (n.done) return null;
    const batches: Record<string, Batch> = { train: n.value };
    for (const x of streams) batches[x.name] = x.next();
    const ctx: StepContext = {
      model: this.model,
      batches,
      numClasses: this.numClasses,
      epoch: s.epoch - 1,
      totalEpochs: this.epochs,
      iteration: s.iteration,
      batchesPerEpoch: s.batchesPerEpoch,
    };
    const m = this.method;
    const r: StepResult = this.forwardContexts.length ? this.inForwardContexts(s, () => this.methodStep(ctx)) : this.methodStep(ctx);
    if (!(r?.loss instanceof torch.Tensor) || r.loss.ndim !== 0)
      throw new torch.TorchTypeError(`Trainer: method '${m.name}': trainStep(ctx) must return { loss: a 0-d Tensor }`);
    this.emit('beforeBackward', s, r.loss);
    let toBackward = r.loss;
    for (const p of this.lossTransforms) toBackward = p.transformLoss!(s, toBackward);
    this.optimizer.zeroGrad();
    toBackward.backward();
    return { ctx, l: r.loss.detach(), bs: r.batchSize ?? n.value.y.shape[0] };
  }

  private methodStep(ctx: StepContext): StepResult {
    const m = this.method;
    return ownsStep(m) ? m.trainStep(ctx) : applyStep(m, ctx);
  }

  /** fn inside every plug-in's forwardContext (entered in plug-in order, left in reverse, also on throw). */
  private inForwardContexts<T>(s: TrainState, fn: () => T): T {
    const entered: Disposable[] = [];
    try {
      for (const p of this.forwardContexts) {
        const d = p.forwardContext!(s);
        if (d) entered.push(d);
      }
      return fn();
    } finally {
      for (let i = entered.length - 1; i >= 0; i--) entered[i][Symbol.dispose]();
    }
  }

  /** afterBackward, the optimizer step, afterOptimizerStep and the loss sum. */
  private finishStep(s: TrainState, a: { ctx: StepContext; l: torch.Tensor; bs: number }, acc: torch.Tensor): { bs: number; loss?: number } {
    const m = this.method;
    this.emit('afterBackward', s);
    const stepped = this.stepper ? this.stepper.optimizerStep!(s) : (this.optimizer.step(), true);
    if (stepped) {
      if (ownsStep(m)) m.afterOptimizerStep?.(a.ctx);
      this.emit('afterOptimizerStep', s);
    } else s.stepInfo.skippedStep = true;
    acc.add_(a.l.double(), { alpha: a.bs });
    return { bs: a.bs, loss: s.logNow ? (a.l.item() as number) : undefined };
  }

  /** The current learning rate (of the first param group). */
  get lr(): number {
    return this.optimizer.paramGroups[0].lr as number;
  }

  /** fitEnd for every plug-in, also when one fails; the first failure is thrown after all ran (unless fit() already failed). */
  private finish(s: TrainState): void {
    let first: unknown;
    for (const p of this.hooks.fitEnd)
      try {
        p.fitEnd!(s);
      } catch (e) {
        first ??= e;
      }
    // eslint-disable-next-line @typescript-eslint/only-throw-error -- a plug-in's own error, rethrown unchanged
    if (first !== undefined && s.error === undefined) throw first;
  }
}
