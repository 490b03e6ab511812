// The training loop: new Trainer({ model, optimizer, scheduler, method, train, val, … }).fit().
//
// Each step is one torch.tidy (batch → method.apply → loss → backward → optimizer.step); the only
// host read in a step is the loss every `logEvery` iterations. The epoch's loss sum accumulates on
// the device in a kept tensor, read once at the end of the epoch. Validation runs after every epoch
// (model.eval(), noGrad): loss, accuracy and ECE accumulate on the device, one read per evaluation.
//
// fit() is async: it yields to the event loop at least every YIELD_MS of work, so an AbortSignal or
// SIGINT is noticed between steps; it then writes a checkpoint (mid-epoch checkpoints record the
// step, the partial loss sum and the RNG state) and resolves with interrupted: true.
//
// Checkpoints (every epoch, atomically; see checkpoint.ts) hold the model, the optimizer, the
// scheduler, the method's state if it has one, the train loader's epoch, the CPU RNG state and the
// history. Resuming restores all of it, so on the CPU a resumed run ends with bit-identical weights
// to an uninterrupted one with the same seed (the loader's shuffles are keyed by (seed, epoch) and do
// not touch the torch generator; the mixup draws and dropout come from the restored generator).
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as torch from '../torch/index.js';
import { Module } from '../nn/module.js';
import { evaluateModel, type EvalResult } from './metrics.js';
import { Optimizer, type OptimizerStateDict, type ParamState } from '../optim/optimizers.js';
import { DataLoader } from '../data/loader.js';
import { none } from '../mixup/none.js';
import type { MixMethod, MixBatch } from '../mixup/types.js';
import {
  CheckpointError, readCheckpoint, writeCheckpoint, writeFileAtomic, checkModelFits, checkpointJsonPath,
  type CheckpointMeta, type EpochRecord,
} from './checkpoint.js';
import { makeProgress, type Progress, type ProgressMode } from './progress.js';

type Tensor = torch.Tensor;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyOptimizer = Optimizer<any>;

export type { EpochRecord } from './checkpoint.js';

/** What the Trainer needs of a learning-rate scheduler (every optim.lrScheduler class fits). */
export interface SchedulerLike {
  step(): void;
  getLastLr(): number[];
  stateDict(): unknown;
  loadStateDict(s: unknown): void;
}

/** A logged training step (every `logEvery` iterations). */
export interface StepLog {
  /** 1-based epoch. */
  epoch: number;
  /** 1-based step within the epoch. */
  step: number;
  /** Global 1-based iteration. */
  iteration: number;
  loss: number;
  lr: number;
}

export interface TrainerOptions {
  model: Module;
  optimizer: AnyOptimizer;
  scheduler?: SchedulerLike;
  /** When scheduler.step() is called: after every epoch (default) or after every optimizer step. */
  schedulerStep?: 'epoch' | 'iteration';
  /** Default mixup.none() (ERM). */
  method?: MixMethod<object>;
  train: DataLoader;
  /** Evaluated after each epoch (model.eval(), noGrad). */
  val?: DataLoader;
  numClasses: number;
  epochs: number;
  /** If set: log.jsonl, checkpoint.safetensors + checkpoint.json, results.json. */
  outDir?: string;
  /** Copied into results.json (and the checkpoint). */
  config?: Record<string, unknown>;
  /** Iterations between loss logs (the only sync point in a step). Default 50. */
  logEvery?: number;
  /** auto: a bar on a TTY, one line per epoch otherwise. Default 'auto'. */
  progress?: ProgressMode;
  /** true: outDir's checkpoint; a string: a checkpoint (its .json, its .safetensors, or its directory). */
  resume?: boolean | string;
  /** Abort = checkpoint and stop cleanly. */
  signal?: AbortSignal;
  /** Default true when outDir is set: SIGINT → checkpoint, resolve with interrupted: true (a second SIGINT exits). */
  handleSigint?: boolean;
  onEpoch?: (e: EpochRecord) => void;
  /** Called at every logged step (every logEvery iterations). */
  onLog?: (s: StepLog) => void;
}

export interface History {
  epochs: EpochRecord[];
  /** The epoch with the highest valAcc (the earliest on ties); undefined without validation. */
  best?: EpochRecord;
  last?: EpochRecord;
  interrupted: boolean;
  /** Mean of the epochs' `seconds`. */
  secondsPerEpoch: number;
}

/** results.json. */
export interface Results {
  config: Record<string, unknown>;
  libtorch: torch.TorchConfig;
  history: History;
  /** The last epoch's record (its val metrics: valLoss, valAcc, valEce). */
  final?: EpochRecord;
  best?: EpochRecord;
  secondsPerEpoch: number;
}

const OPTION_KEYS = new Set([
  'model', 'optimizer', 'scheduler', 'schedulerStep', 'method', 'train', 'val', 'numClasses', 'epochs', 'outDir', 'config',
  'logEvery', 'progress', 'resume', 'signal', 'handleSigint', 'onEpoch', 'onLog',
]);
const YIELD_MS = 15;

const terr = (m: string) => new torch.TorchTypeError(`Trainer: ${m}`);
const verr = (m: string) => new torch.TorchValueError(`Trainer: ${m}`);
const str = (v: unknown) => (typeof v === 'string' ? `'${v}'` : typeof v === 'function' ? 'a function' : (JSON.stringify(v) ?? String(v)));
const yieldNow = () => new Promise<void>((resolve) => setImmediate(resolve));
const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && (Object.getPrototypeOf(v) === Object.prototype || Object.getPrototypeOf(v) === null);

/** The best epoch by valAcc (earliest on ties), or undefined. */
export function bestEpoch(epochs: readonly EpochRecord[]): EpochRecord | undefined {
  let best: EpochRecord | undefined;
  for (const e of epochs) if (e.valAcc !== undefined && Number.isFinite(e.valAcc) && (best === undefined || e.valAcc > best.valAcc!)) best = e;
  return best;
}

/** History from a list of epoch records. */
export function makeHistory(epochs: readonly EpochRecord[], interrupted: boolean): History {
  const list = [...epochs];
  const secs = list.map((e) => e.seconds).filter((s) => Number.isFinite(s));
  return {
    epochs: list,
    best: bestEpoch(list),
    last: list.length ? list[list.length - 1] : undefined,
    interrupted,
    secondsPerEpoch: secs.length ? secs.reduce((a, b) => a + b, 0) / secs.length : NaN,
  };
}

/** JSON with non-finite numbers as null (JSON has no NaN). */
function toJson(v: unknown, indent?: number): string {
  return JSON.stringify(v, (_k, x) => (typeof x === 'number' && !Number.isFinite(x) ? null : x), indent);
}

/** Where fit() starts: a fresh run or a checkpoint's position. */
interface Start {
  epoch: number;
  step: number;
  iteration: number;
  history: EpochRecord[];
  partial?: { seconds: number; samples: number; lr: number };
  lossSum?: Tensor;
}

export class Trainer {
  readonly model: Module;
  readonly optimizer: AnyOptimizer;
  readonly scheduler?: SchedulerLike;
  readonly schedulerStep: 'epoch' | 'iteration';
  readonly method: MixMethod<object>;
  readonly train: DataLoader;
  readonly val?: DataLoader;
  readonly numClasses: number;
  readonly epochs: number;
  readonly outDir?: string;
  readonly config: Record<string, unknown>;
  readonly logEvery: number;
  readonly progressMode: ProgressMode;
  readonly resume: boolean | string;
  readonly signal?: AbortSignal;
  readonly handleSigint: boolean;
  private readonly onEpoch?: (e: EpochRecord) => void;
  private readonly onLog?: (s: StepLog) => void;
  private running = false;

  constructor(opts: TrainerOptions) {
    if (!isPlainObject(opts)) throw terr('expected an options object { model, optimizer, train, numClasses, epochs, … }');
    for (const k of Object.keys(opts)) if (!OPTION_KEYS.has(k)) throw verr(`unknown option '${k}' (known: ${[...OPTION_KEYS].join(', ')})`);
    const o = opts;
    if (!(o.model instanceof Module)) throw terr(`model must be an nn.Module, got ${o.model === undefined ? 'nothing' : str(o.model)}`);
    if (!(o.optimizer instanceof Optimizer)) throw terr('optimizer must be an optim.Optimizer (optim.SGD, optim.Adam …)');
    if (o.train === undefined) throw terr('missing the train loader (options.train: a data.DataLoader)');
    if (!(o.train instanceof DataLoader)) throw terr('train must be a data.DataLoader');
    if (o.val !== undefined && !(o.val instanceof DataLoader)) throw terr('val must be a data.DataLoader');
    if (!Number.isSafeInteger(o.numClasses) || o.numClasses < 2) throw verr(`numClasses must be an integer ≥ 2, got ${str(o.numClasses)}`);
    if (!Number.isSafeInteger(o.epochs) || o.epochs < 1) throw verr(`epochs must be a positive integer, got ${str(o.epochs)}`);
    if (o.scheduler !== undefined) {
      const s = o.scheduler as unknown as Record<string, unknown>;
      if (s === null || typeof s !== 'object' || !['step', 'getLastLr', 'stateDict', 'loadStateDict'].every((m) => typeof s[m] === 'function'))
        throw terr('scheduler must have step(), getLastLr(), stateDict() and loadStateDict() (an optim.lrScheduler)');
    }
    const ss = o.schedulerStep ?? 'epoch';
    if (ss !== 'epoch' && ss !== 'iteration') throw verr(`schedulerStep must be 'epoch' or 'iteration', got ${str(o.schedulerStep)}`);
    if (o.method !== undefined && (o.method === null || typeof o.method !== 'object' || typeof o.method.apply !== 'function'))
      throw terr('method must be a mixup method (mixup.none(), mixup.input({ … }), mixup.create(name, opts) …)');
    if (o.outDir !== undefined && (typeof o.outDir !== 'string' || o.outDir === '')) throw terr(`outDir must be a non-empty string, got ${str(o.outDir)}`);
    if (o.config !== undefined) {
      if (!isPlainObject(o.config)) throw terr('config must be a plain object');
      try {
        JSON.stringify(o.config);
      } catch (e) {
        throw verr(`config must be JSON-serialisable (${e instanceof Error ? e.message : String(e)})`);
      }
    }
    const le = o.logEvery ?? 50;
    if (!Number.isSafeInteger(le) || le < 1) throw verr(`logEvery must be a positive integer, got ${str(o.logEvery)}`);
    const pm = o.progress ?? 'auto';
    if (!['auto', 'bar', 'lines', 'none'].includes(pm)) throw verr(`progress must be 'auto', 'bar', 'lines' or 'none', got ${str(o.progress)}`);
    const resume = o.resume ?? false;
    if (typeof resume !== 'boolean' && (typeof resume !== 'string' || resume === '')) throw terr(`resume must be a boolean or a checkpoint path, got ${str(o.resume)}`);
    if (resume === true && o.outDir === undefined) throw verr('resume: true needs outDir (or pass the checkpoint path as resume)');
    if (resume !== false) {
      const p = resume === true ? path.join(o.outDir!, 'checkpoint.json') : checkpointJsonPath(resume);
      if (!fs.existsSync(p)) throw new CheckpointError(`Trainer: resume: checkpoint '${resume === true ? p : resume}' does not exist`);
    }
    if (o.signal !== undefined && (o.signal === null || typeof o.signal !== 'object' || typeof o.signal.aborted !== 'boolean'))
      throw terr('signal must be an AbortSignal');
    if (o.handleSigint !== undefined && typeof o.handleSigint !== 'boolean') throw terr('handleSigint must be a boolean');
    if (o.onEpoch !== undefined && typeof o.onEpoch !== 'function') throw terr('onEpoch must be a function');
    if (o.onLog !== undefined && typeof o.onLog !== 'function') throw terr('onLog must be a function');

    const method = o.method;
    if (method && typeof method.attach === 'function') {
      const mm = method.module;
      if (!(mm instanceof Module))
        throw verr(`method '${method.name}' trains parameters of its own: call method.attach(model) before building the optimizer, and give the optimizer method.module.parameters() too`);
      const inOpt = new Set(o.optimizer.paramGroups.flatMap((g) => g.params));
      const missing = mm.namedParameters().filter(([, t]) => t.requiresGrad && !inOpt.has(t)).map(([n]) => n);
      const own = mm.parameters().filter((t) => t.requiresGrad).length;
      if (missing.length)
        throw verr(`the optimizer does not train ${missing.length} of the ${own} parameters of method '${method.name}' (${missing.slice(0, 3).join(', ')}…): build it from [...model.parameters(), ...method.module.parameters()]`);
    }
    this.model = o.model;
    this.optimizer = o.optimizer;
    this.scheduler = o.scheduler;
    this.schedulerStep = ss;
    this.method = o.method ?? none();
    this.train = o.train;
    this.val = o.val;
    this.numClasses = o.numClasses;
    this.epochs = o.epochs;
    this.outDir = o.outDir;
    this.config = o.config ?? {};
    this.logEvery = le;
    this.progressMode = pm;
    this.resume = resume;
    this.signal = o.signal;
    this.handleSigint = o.handleSigint ?? o.outDir !== undefined;
    this.onEpoch = o.onEpoch;
    this.onLog = o.onLog;
  }

  /** Paths of the files written under outDir (undefined without outDir). */
  get files(): { log: string; checkpoint: string; checkpointJson: string; results: string } | undefined {
    if (this.outDir === undefined) return undefined;
    const d = this.outDir;
    return {
      log: path.join(d, 'log.jsonl'),
      checkpoint: path.join(d, 'checkpoint.safetensors'),
      checkpointJson: path.join(d, 'checkpoint.json'),
      results: path.join(d, 'results.json'),
    };
  }

  /** Loss (mean cross-entropy on the hard labels), top-1 accuracy and ECE (15 bins) over a loader, in eval mode without gradients. */
  evaluate(loader: DataLoader): EvalResult {
    if (!(loader instanceof DataLoader)) throw terr('evaluate(loader): expected a data.DataLoader');
    return evaluateModel(this.model, loader);
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

  // ---- internals ------------------------------------------------------------------------------------

  private currentLr(): number {
    return this.optimizer.paramGroups[0].lr as number;
  }

  /** Loads a checkpoint into the model, optimizer, scheduler, method, loader and RNG. Nothing is written. */
  private loadResume(): Start {
    const p = this.resume === true ? path.join(this.outDir!, 'checkpoint.json') : (this.resume as string);
    const { meta, tensors, jsonPath } = readCheckpoint(p);
    const where = `resume from '${jsonPath}'`;
    let lossSum: Tensor | undefined;
    let methodState: Record<string, Tensor> | undefined;
    try {
      checkModelFits(this.model, tensors, where);
      if (meta.numClasses !== this.numClasses) throw new CheckpointError(`${where}: the checkpoint has numClasses ${meta.numClasses}, the trainer ${this.numClasses}`);
      if (meta.epoch > this.epochs || (meta.epoch === this.epochs && meta.step > 0))
        throw new CheckpointError(`${where}: the checkpoint is at epoch ${meta.epoch}, past epochs = ${this.epochs}`);
      if (meta.step > 0 && meta.batchesPerEpoch !== this.train.length)
        throw new CheckpointError(`${where}: the checkpoint stopped mid-epoch with ${meta.batchesPerEpoch} batches per epoch; the train loader now has ${this.train.length}`);
      if (meta.step > meta.batchesPerEpoch) throw new CheckpointError(`${where}: step ${meta.step} > ${meta.batchesPerEpoch} batches per epoch; corrupt checkpoint`);
      if ((meta.scheduler !== undefined) !== (this.scheduler !== undefined))
        throw new CheckpointError(`${where}: the checkpoint ${meta.scheduler !== undefined ? 'has' : 'has no'} scheduler state, the trainer ${this.scheduler ? 'has' : 'has no'} scheduler`);
      if (!(tensors.rng instanceof torch.Tensor)) throw new CheckpointError(`${where}: no RNG state; corrupt checkpoint`);
      if (meta.step > 0 && !(tensors.lossSum instanceof torch.Tensor)) throw new CheckpointError(`${where}: a mid-epoch checkpoint without its loss sum; corrupt checkpoint`);
      const mm = this.method.module;
      if (mm) {
        const keys = meta.method?.keys;
        if (meta.method?.name !== this.method.name || !Array.isArray(keys))
          throw new CheckpointError(`${where}: the checkpoint was trained with method '${meta.method?.name ?? '?'}' and holds no '${this.method.name}' state`);
        const sd: Record<string, Tensor> = {};
        for (const k of keys) {
          const t = tensors[`method/${k}`];
          if (!(t instanceof torch.Tensor)) throw new CheckpointError(`${where}: method tensor '${k}' is missing; corrupt checkpoint`);
          sd[k] = t;
        }
        const want = torch.tidy(() => Object.keys(mm.stateDict()));
        const miss = want.filter((k) => !(k in sd));
        if (miss.length || keys.length !== want.length)
          throw new CheckpointError(`${where}: the checkpoint's '${this.method.name}' state does not match (missing ${miss.slice(0, 3).join(', ') || 'none'}; ${keys.length} keys, expected ${want.length})`);
        methodState = sd;
      }
      // Optimizer state dict from the JSON and the tensors.
      const state: Record<number, ParamState> = {};
      for (const [idx, s] of Object.entries(meta.optimizer.state ?? {})) {
        const e: ParamState = { ...(s.values ?? {}) };
        for (const name of s.tensors ?? []) {
          const t = tensors[`optimizer/${idx}/${name}`];
          if (!(t instanceof torch.Tensor)) throw new CheckpointError(`${where}: optimizer tensor ${idx}/${name} is missing; corrupt checkpoint`);
          e[name] = t;
        }
        state[Number(idx)] = e;
      }
      const osd: OptimizerStateDict = { state, paramGroups: meta.optimizer.paramGroups } as OptimizerStateDict;
      const msd: Record<string, Tensor> = {};
      for (const k of meta.model.keys) msd[k] = tensors[`model/${k}`];
      this.model.loadStateDict(msd);
      this.optimizer.loadStateDict(osd);
      if (methodState) this.method.module!.loadStateDict(methodState);
      if (this.scheduler) this.scheduler.loadStateDict(meta.scheduler);
      const m = this.method as unknown as { loadStateDict?: (s: unknown) => void };
      if (meta.method?.state !== undefined && typeof m.loadStateDict === 'function') m.loadStateDict(meta.method.state);
      if (meta.loaderSeed !== this.train.seed)
        process.emitWarning(`Trainer: resuming with a train loader seeded ${this.train.seed}; the checkpoint's was ${meta.loaderSeed}: batches will differ from the original run`);
      this.train.setEpoch(meta.loaderEpoch);
      torch.setRngState(tensors.rng);
      if (meta.step > 0) lossSum = torch.tidy(() => torch.keep(tensors.lossSum.to({ dtype: 'float64', device: this.train.device, copy: true })));
    } finally {
      torch.dispose(tensors);
    }
    return { epoch: meta.epoch, step: meta.step, iteration: meta.iteration, history: meta.history, partial: meta.step > 0 ? meta.partial : undefined, lossSum };
  }

  private writeCkpt(pos: { epoch: number; step: number; iteration: number; loaderEpoch: number; partial?: Start['partial']; lossSum?: Tensor | null }, history: EpochRecord[]): void {
    const files = this.files;
    if (!files) return;
    torch.tidy(() => {
      const tensors: Record<string, Tensor> = {};
      const sd = this.model.stateDict();
      const keys = Object.keys(sd);
      for (const k of keys) tensors[`model/${k}`] = sd[k];
      const osd = this.optimizer.stateDict();
      const ostate: CheckpointMeta['optimizer']['state'] = {};
      for (const [idx, s] of Object.entries(osd.state)) {
        const values: Record<string, number> = {};
        const names: string[] = [];
        for (const [name, v] of Object.entries(s)) {
          if (v instanceof torch.Tensor) {
            tensors[`optimizer/${idx}/${name}`] = v;
            names.push(name);
          } else if (typeof v === 'number') values[name] = v;
        }
        ostate[idx] = { values, tensors: names };
      }
      const msd = this.method.module?.stateDict();
      for (const k of Object.keys(msd ?? {})) tensors[`method/${k}`] = msd![k];
      tensors.rng = torch.getRngState();
      if (pos.lossSum) tensors.lossSum = pos.lossSum;
      const m = this.method as unknown as { stateDict?: () => unknown };
      writeCheckpoint(files.checkpointJson, tensors, {
        epoch: pos.epoch,
        step: pos.step,
        partial: pos.partial,
        loaderEpoch: pos.loaderEpoch,
        loaderSeed: this.train.seed,
        batchesPerEpoch: this.train.length,
        totalEpochs: this.epochs,
        numClasses: this.numClasses,
        iteration: pos.iteration,
        model: { keys },
        optimizer: { paramGroups: osd.paramGroups, state: ostate },
        scheduler: this.scheduler ? this.scheduler.stateDict() : undefined,
        method: {
          name: this.method.name, options: this.method.options, state: typeof m.stateDict === 'function' ? m.stateDict() : undefined,
          ...(msd ? { keys: Object.keys(msd) } : {}),
        },
        history,
        config: this.config,
        libtorch: torch.config().version,
      });
    });
  }

  private log(entry: Record<string, unknown>): void {
    const f = this.files;
    if (f) fs.appendFileSync(f.log, toJson(entry) + '\n');
  }

  private writeResults(history: History): void {
    const f = this.files;
    if (!f) return;
    const r: Results = {
      config: this.config,
      libtorch: torch.config(),
      history,
      final: history.last,
      best: history.best,
      secondsPerEpoch: history.secondsPerEpoch,
    };
    writeFileAtomic(f.results, toJson(r, 2) + '\n');
  }

  private async run(): Promise<History> {
    // 1. Everything that can fail on bad input happens before anything is written.
    const start: Start = this.resume !== false ? this.loadResume() : { epoch: 0, step: 0, iteration: 0, history: [] };
    const files = this.files;
    let lossSum: Tensor | null = start.lossSum ?? null;
    const progress: Progress = makeProgress(this.progressMode);
    let interruptRequested = false;
    let sigints = 0;
    const onSigint = () => {
      if (++sigints > 1) process.exit(130);
      interruptRequested = true;
      progress.message('interrupted: writing a checkpoint (Ctrl-C again to quit now)');
    };
    const stopRequested = () => interruptRequested || this.signal?.aborted === true;
    try {
      if (files) {
        fs.mkdirSync(this.outDir!, { recursive: true });
        if (this.resume === false) fs.writeFileSync(files.log, '');
      }
      if (this.handleSigint) process.on('SIGINT', onSigint);
      this.log({ type: this.resume !== false ? 'resume' : 'start', epoch: start.epoch, step: start.step, iteration: start.iteration, epochs: this.epochs, time: new Date().toISOString() });

      const history = [...start.history];
      const train = this.train;
      const model = this.model;
      const method = this.method;
      const batches = train.length;
      let iteration = start.iteration;
      let interrupted = false;
      let lastYield = performance.now();
      // Position of the last checkpoint written (to not write the same one twice).
      let saved = start.step === 0 && this.resume !== false ? `${start.epoch}:0` : '';

      for (let e = start.epoch + 1; e <= this.epochs && !interrupted; e++) {
        const resumed = e === start.epoch + 1 && start.step > 0;
        const skip = resumed ? start.step : 0;
        const loaderEpoch = train.epoch;
        const lr0 = resumed && start.partial ? start.partial.lr : this.currentLr();
        let samples = resumed && start.partial ? start.partial.samples : 0;
        const seconds0 = resumed && start.partial ? start.partial.seconds : 0;
        if (!lossSum) lossSum = torch.tidy(() => torch.keep(torch.zeros([], { dtype: 'float64', device: train.device })));
        const acc = lossSum;
        if (stopRequested() && skip === 0) {
          interrupted = true;
          break;
        }
        model.train();
        method.module?.train();
        progress.startEpoch(e, this.epochs, batches, skip);
        const it = train[Symbol.iterator]();
        let step = 0;
        let finished = false;
        let t0 = performance.now();
        try {
          for (; step < skip; step++) torch.tidy(() => void it.next());
          t0 = performance.now();
          for (;;) {
            if (step < batches && stopRequested()) {
              interrupted = true;
              break;
            }
            const logNow = (iteration + 1) % this.logEvery === 0;
            const res = torch.tidy(() => {
              const n = it.next();
              if (n.done) return null;
              const b = n.value;
              const bs = b.y.shape[0];
              const mb: MixBatch = { x: b.x, y: b.y, numClasses: this.numClasses, epoch: e - 1, totalEpochs: this.epochs };
              if (method.needsModel) mb.model = model as unknown as MixBatch['model'];
              const r = method.apply(mb);
              const loss = r.loss(r.output ?? (model.forward(r.input!) as Tensor));
              this.optimizer.zeroGrad();
              loss.backward();
              this.optimizer.step();
              const l = loss.detach();
              acc.add_(l.double(), { alpha: bs });
              return { bs, loss: logNow ? (l.item() as number) : undefined };
            });
            if (res === null) {
              finished = true;
              break;
            }
            step++;
            iteration++;
            samples += res.bs;
            if (this.scheduler && this.schedulerStep === 'iteration') this.scheduler.step();
            const now = performance.now();
            const secs = seconds0 + (now - t0) / 1000;
            if (res.loss !== undefined) {
              const entry: StepLog = { epoch: e, step, iteration, loss: res.loss, lr: this.currentLr() };
              this.log({ type: 'step', ...entry });
              this.onLog?.(entry);
            }
            progress.step(step, samples / secs, res.loss);
            if (now - lastYield >= YIELD_MS) {
              await yieldNow();
              lastYield = performance.now();
            }
          }
        } finally {
          if (!finished) it.return?.();
        }
        const seconds = seconds0 + (performance.now() - t0) / 1000;
        if (interrupted) {
          // Mid-epoch: record the position, the partial sums and the RNG state.
          if (files) this.writeCkpt({ epoch: e - 1, step, iteration, loaderEpoch, partial: { seconds, samples, lr: lr0 }, lossSum: acc }, history);
          saved = `${e - 1}:${step}`;
          progress.stop();
          break;
        }
        const trainLoss = (acc.item() as number) / samples;
        acc.dispose();
        lossSum = null;
        const trainSeconds = (performance.now() - t0) / 1000 + seconds0;
        const rec: EpochRecord = { epoch: e, trainLoss, lr: lr0, seconds: trainSeconds, imagesPerSecond: samples / trainSeconds };
        const stats = method.epochStats?.();
        if (stats !== undefined) rec.method = stats as Record<string, unknown>;
        if (this.val) {
          const v = this.evaluate(this.val);
          rec.valLoss = v.loss;
          rec.valAcc = v.acc;
          rec.valEce = v.ece;
        }
        if (this.scheduler && this.schedulerStep === 'epoch') this.scheduler.step();
        history.push(rec);
        this.log({ type: 'epoch', ...rec });
        progress.endEpoch(rec, this.epochs);
        this.writeCkpt({ epoch: e, step: 0, iteration, loaderEpoch: train.epoch }, history);
        saved = `${e}:0`;
        this.onEpoch?.(rec);
        await yieldNow();
        lastYield = performance.now();
        if (stopRequested() && e < this.epochs) interrupted = true;
      }
      if (interrupted && files && saved === '') {
        // Stopped before the first step: still leave a checkpoint of the starting position.
        this.writeCkpt({ epoch: start.epoch, step: 0, iteration, loaderEpoch: train.epoch }, history);
      }
      progress.stop();
      const h = makeHistory(history, interrupted);
      this.log({ type: interrupted ? 'interrupted' : 'end', epochs: history.length, time: new Date().toISOString() });
      this.writeResults(h);
      if (interrupted) progress.message(files ? `stopped; checkpoint written to ${files.checkpointJson}` : 'stopped');
      return h;
    } finally {
      if (this.handleSigint) process.off('SIGINT', onSigint);
      progress.stop();
      if (lossSum) lossSum.dispose();
    }
  }
}
