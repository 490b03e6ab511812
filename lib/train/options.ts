// The Trainer's options: their types, their checks (every message names the option), and the
// plug-in list they make (the built-in plug-ins the options stand for, around the user's).
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as torch from '../torch/index.js';
import { Module } from '../nn/module.js';
import { Optimizer } from '../optim/optimizers.js';
import { DataLoader } from '../data/loader.js';
import { none } from '../mixup/none.js';
import { CheckpointError, checkpointJsonPath, type EpochRecord } from './checkpoint.js';
import type { ProgressMode } from './progress.js';
import { EVENTS, type Plugin } from './events.js';
import type { AnyMethod } from './step.js';
import { divergenceGuard } from './divergence.js';
import { jsonLog } from './log.js';
import { resultsFile } from './results.js';
import { checkpointer } from './checkpointer.js';
import { callbacks } from './callbacks.js';
import { progressBar } from './progress.js';
import { interruptOn } from './interrupt.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyOptimizer = Optimizer<any>;

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
  /** A mixup method (apply()) or a method that owns its step (trainStep()). Default mixup.none() (ERM). */
  method?: AnyMethod;
  train: DataLoader;
  /** Extra data streams by name (e.g. { unlabeled }), one batch of each per step, cycled, resumable. */
  loaders?: Record<string, DataLoader>;
  /**
   * Steps per epoch. Default: one pass over the train loader. When set, the train loader is cycled like
   * the extra streams (a new shuffle when it runs out, its position checkpointed) and an epoch is this many
   * steps — for semi-supervised runs whose labeled set is a few batches (e.g. the unlabeled loader's length).
   */
  stepsPerEpoch?: number;
  /** Evaluated after each epoch (model.eval(), noGrad). */
  val?: DataLoader;
  numClasses: number;
  epochs: number;
  /** Plug-ins (train.plugins.ema(…), earlyStopping(…), clipGrad(…), your own), called in this order. */
  plugins?: Plugin[];
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

/** The checked options, defaults filled in, and the plug-in list. */
export interface Resolved {
  model: Module;
  optimizer: AnyOptimizer;
  scheduler?: SchedulerLike;
  schedulerStep: 'epoch' | 'iteration';
  method: AnyMethod;
  train: DataLoader;
  loaders: Record<string, DataLoader>;
  stepsPerEpoch?: number;
  val?: DataLoader;
  numClasses: number;
  epochs: number;
  outDir?: string;
  config: Record<string, unknown>;
  logEvery: number;
  /** The checkpoint to resume from (its JSON path), or undefined. */
  resumeFrom?: string;
  plugins: Plugin[];
}

const OPTION_KEYS = new Set([
  'model',
  'optimizer',
  'scheduler',
  'schedulerStep',
  'method',
  'train',
  'loaders',
  'stepsPerEpoch',
  'val',
  'numClasses',
  'epochs',
  'plugins',
  'outDir',
  'config',
  'logEvery',
  'progress',
  'resume',
  'signal',
  'handleSigint',
  'onEpoch',
  'onLog',
]);
const HOOKS: readonly string[] = [
  'setup',
  ...EVENTS,
  'evaluate',
  'state',
  'loadState',
  'syncGradients',
  'reduceEpoch',
  'forwardContext',
  'transformLoss',
  'optimizerStep',
];

const terr = (m: string) => new torch.TorchTypeError(`Trainer: ${m}`);
const verr = (m: string) => new torch.TorchValueError(`Trainer: ${m}`);
const str = (v: unknown) => (typeof v === 'string' ? `'${v}'` : typeof v === 'function' ? 'a function' : (JSON.stringify(v) ?? String(v)));
const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && (Object.getPrototypeOf(v) === Object.prototype || Object.getPrototypeOf(v) === null);

function checkMethod(method: AnyMethod | undefined, optimizer: AnyOptimizer): void {
  if (method === undefined) return;
  const m = method as unknown as Record<string, unknown>;
  if (m === null || typeof m !== 'object' || (typeof m.apply !== 'function' && typeof m.trainStep !== 'function'))
    throw terr('method must be a mixup method (mixup.none(), mixup.input({ … }), mixup.create(name, opts) …) or have trainStep(ctx)');
  if (typeof method.attach !== 'function') return;
  const mm = method.module;
  if (!(mm instanceof Module))
    throw verr(
      typeof (method as { trainStep?: unknown }).trainStep === 'function'
        ? `method '${method.name}' keeps a copy of the model (its EMA or teacher, for evaluation): call method.attach(model) before building the Trainer`
        : `method '${method.name}' trains parameters of its own: call method.attach(model) before building the optimizer, and give the optimizer method.module.parameters() too`,
    );
  const inOpt = new Set(optimizer.paramGroups.flatMap((g) => g.params));
  const missing = mm
    .namedParameters()
    .filter(([, t]) => t.requiresGrad && !inOpt.has(t))
    .map(([n]) => n);
  const own = mm.parameters().filter((t) => t.requiresGrad).length;
  if (missing.length)
    throw verr(
      `the optimizer does not train ${missing.length} of the ${own} parameters of method '${method.name}' (${missing.slice(0, 3).join(', ')}…): build it from [...model.parameters(), ...method.module.parameters()]`,
    );
}

function checkPlugins(list: unknown): Plugin[] {
  if (list === undefined) return [];
  if (!Array.isArray(list)) throw terr('plugins must be an array of plug-ins (train.plugins.ema({ decay: 0.999 }), …)');
  const names = new Set<string>();
  list.forEach((p, i) => {
    if (p === null || typeof p !== 'object' || typeof p.name !== 'string' || p.name === '')
      throw terr(`plugins[${i}] must be an object with a name and hooks (see train.Plugin)`);
    const bad = Object.keys(p).find((k) => k !== 'name' && typeof p[k] === 'function' && !HOOKS.includes(k));
    if (bad) throw verr(`plugins[${i}] ('${p.name}'): unknown hook '${bad}' (hooks: ${HOOKS.join(', ')})`);
    if (names.has(p.name)) throw verr(`plugins: two plug-ins named '${p.name}'`);
    names.add(p.name);
  });
  return list as Plugin[];
}

export function resolveOptions(opts: TrainerOptions): Resolved {
  if (!isPlainObject(opts)) throw terr('expected an options object { model, optimizer, train, numClasses, epochs, … }');
  for (const k of Object.keys(opts)) if (!OPTION_KEYS.has(k)) throw verr(`unknown option '${k}' (known: ${[...OPTION_KEYS].join(', ')})`);
  const o = opts;
  if (!(o.model instanceof Module)) throw terr(`model must be an nn.Module, got ${o.model === undefined ? 'nothing' : str(o.model)}`);
  if (!(o.optimizer instanceof Optimizer)) throw terr('optimizer must be an optim.Optimizer (optim.SGD, optim.Adam …)');
  if (o.train === undefined) throw terr('missing the train loader (options.train: a data.DataLoader)');
  if (!(o.train instanceof DataLoader)) throw terr('train must be a data.DataLoader');
  if (o.val !== undefined && !(o.val instanceof DataLoader)) throw terr('val must be a data.DataLoader');
  const loaders = o.loaders ?? {};
  if (!isPlainObject(loaders)) throw terr('loaders must be an object of named data.DataLoaders, e.g. { unlabeled }');
  for (const [k, l] of Object.entries(loaders)) {
    if (!(l instanceof DataLoader)) throw terr(`loaders.${k} must be a data.DataLoader`);
    if (k === 'train') throw verr("loaders: 'train' is the train option; name the extra stream otherwise (e.g. 'unlabeled')");
    if (l === o.train) throw verr(`loaders.${k} is the train loader itself; give each stream its own DataLoader`);
  }
  if (o.stepsPerEpoch !== undefined && (!Number.isSafeInteger(o.stepsPerEpoch) || o.stepsPerEpoch < 1))
    throw verr(`stepsPerEpoch must be a positive integer, got ${str(o.stepsPerEpoch)}`);
  if (!Number.isSafeInteger(o.numClasses) || o.numClasses < 2) throw verr(`numClasses must be an integer ≥ 2, got ${str(o.numClasses)}`);
  if (!Number.isSafeInteger(o.epochs) || o.epochs < 1) throw verr(`epochs must be a positive integer, got ${str(o.epochs)}`);
  if (o.scheduler !== undefined) {
    const s = o.scheduler as unknown as Record<string, unknown>;
    if (s === null || typeof s !== 'object' || !['step', 'getLastLr', 'stateDict', 'loadStateDict'].every((m) => typeof s[m] === 'function'))
      throw terr('scheduler must have step(), getLastLr(), stateDict() and loadStateDict() (an optim.lrScheduler)');
  }
  const schedulerStep = o.schedulerStep ?? 'epoch';
  if (schedulerStep !== 'epoch' && schedulerStep !== 'iteration') throw verr(`schedulerStep must be 'epoch' or 'iteration', got ${str(o.schedulerStep)}`);
  checkMethod(o.method, o.optimizer);
  if (o.outDir !== undefined && (typeof o.outDir !== 'string' || o.outDir === '')) throw terr(`outDir must be a non-empty string, got ${str(o.outDir)}`);
  if (o.config !== undefined) {
    if (!isPlainObject(o.config)) throw terr('config must be a plain object');
    try {
      JSON.stringify(o.config);
    } catch (e) {
      throw verr(`config must be JSON-serialisable (${e instanceof Error ? e.message : String(e)})`);
    }
  }
  const logEvery = o.logEvery ?? 50;
  if (!Number.isSafeInteger(logEvery) || logEvery < 1) throw verr(`logEvery must be a positive integer, got ${str(o.logEvery)}`);
  const progress = o.progress ?? 'auto';
  if (!['auto', 'bar', 'lines', 'none'].includes(progress)) throw verr(`progress must be 'auto', 'bar', 'lines' or 'none', got ${str(o.progress)}`);
  const resume = o.resume ?? false;
  if (typeof resume !== 'boolean' && (typeof resume !== 'string' || resume === ''))
    throw terr(`resume must be a boolean or a checkpoint path, got ${str(o.resume)}`);
  if (resume === true && o.outDir === undefined) throw verr('resume: true needs outDir (or pass the checkpoint path as resume)');
  let resumeFrom: string | undefined;
  if (resume !== false) {
    resumeFrom = resume === true ? path.join(o.outDir!, 'checkpoint.json') : checkpointJsonPath(resume);
    if (!fs.existsSync(resumeFrom)) throw new CheckpointError(`Trainer: resume: checkpoint '${resume === true ? resumeFrom : resume}' does not exist`);
  }
  if (o.signal !== undefined && (o.signal === null || typeof o.signal !== 'object' || typeof o.signal.aborted !== 'boolean'))
    throw terr('signal must be an AbortSignal');
  if (o.handleSigint !== undefined && typeof o.handleSigint !== 'boolean') throw terr('handleSigint must be a boolean');
  if (o.onEpoch !== undefined && typeof o.onEpoch !== 'function') throw terr('onEpoch must be a function');
  if (o.onLog !== undefined && typeof o.onLog !== 'function') throw terr('onLog must be a function');
  const user = checkPlugins(o.plugins);

  // The plug-in list, in calling order. The divergence guard comes first (a bad step is reported
  // before anything logs or saves it) unless the user brings their own; the writers come last.
  const dir = o.outDir;
  const builtIn = (p: Plugin | false | undefined): Plugin[] => (p && !user.some((u) => u.name === p.name) ? [p] : []);
  const plugins: Plugin[] = [
    ...builtIn(divergenceGuard()),
    ...user,
    ...builtIn(dir !== undefined && jsonLog({ dir })),
    ...builtIn(dir !== undefined && resultsFile({ dir })),
    ...builtIn(dir !== undefined && checkpointer({ dir })),
    ...builtIn((o.onEpoch || o.onLog) && callbacks({ onEpoch: o.onEpoch, onLog: o.onLog })),
    ...builtIn(progressBar(progress)),
    ...builtIn((o.signal || (o.handleSigint ?? dir !== undefined)) && interruptOn({ signal: o.signal, sigint: o.handleSigint ?? dir !== undefined })),
  ];
  return {
    model: o.model,
    optimizer: o.optimizer,
    scheduler: o.scheduler,
    schedulerStep,
    method: o.method ?? none(),
    train: o.train,
    loaders: { ...loaders },
    stepsPerEpoch: o.stepsPerEpoch,
    val: o.val,
    numClasses: o.numClasses,
    epochs: o.epochs,
    outDir: dir,
    config: o.config ?? {},
    logEvery,
    resumeFrom,
    plugins,
  };
}
