// The Trainer's events and the plug-in interface (Lightning's Callback hooks, Composer's Events,
// Keras' fit callbacks, cut down to what the plug-ins here need).
//
// A plug-in is an object with a name and any of the hooks below; the Trainer calls them in the
// order of its plug-in list (see Trainer.plugins). The in-step hooks (forwardContext,
// beforeBackward, transformLoss, afterBackward, optimizerStep, afterOptimizerStep) run inside the
// step's torch.tidy: tensors they make are freed with the step unless kept. Everything else runs
// between steps.
//
//   fitStart            once, after a resume has been loaded          logging, SIGINT, early stopping
//   epochStart          before the first step of an epoch             progress
//   forwardContext      entered around the method's step (forward     AMP (autocast)
//                       and loss), disposed after it, also on throw
//   beforeBackward      loss computed, gradients not yet              divergence guard
//   transformLoss       the tensor backward() runs on (chained)       AMP (loss scaling)
//   syncGradients       (async) gradients made, not yet used          distributed (DDP all-reduce)
//   afterBackward       gradients ready, optimizer not stepped        AMP (unscale), gradient clipping
//   optimizerStep       replaces optimizer.step() (one plug-in at     AMP (skip on inf/NaN gradients)
//                       most); false = the step was skipped
//   afterOptimizerStep  weights updated (not after a skipped step)    EMA
//   stepEnd             after the step's tidy (s.loss set on logged   log, progress, divergence guard
//                       steps, the only steps that read the loss)
//   evaluate            after each epoch's validation, and in         EMA (also scores its average)
//                       trainer.evaluate(loader)
//   reduceEpoch         (async) the epoch's record, before epochEnd   distributed (mean over ranks)
//   epochEnd            the epoch's record is complete                early stopping, log, progress
//   checkpoint          a checkpoint of this position is due          divergence guard, checkpointer
//                       (every epoch end; an interruption)
//   message             a line for the user (s.message(line))         progress
//   fitEnd              always, also after an error (s.error)        log, results, SIGINT, progress
import type * as torch from '../torch/index.js';
import type { DataLoader } from '../data/loader.js';
import type { EvalResult } from './metrics.js';
import type { EpochRecord } from './checkpoint.js';
import type { Trainer } from './trainer.js';
import type { Position } from './state.js';
import type { History } from './history.js';
import type { StepLog } from './options.js';

type Tensor = torch.Tensor;

/** Why training ended before its last epoch (set by a plug-in at epochEnd, e.g. early stopping). */
export interface StopRequest {
  /** The plug-in's name. */
  by: string;
  reason: string;
  /** Anything the plug-in wants in the results (best epoch, monitored value …). */
  details?: Record<string, unknown>;
}

/** What the loop shares with the plug-ins. Position fields are 1-based and count completed work. */
export interface TrainState {
  readonly trainer: Trainer;
  /** The current epoch (1-based); after its epochEnd, also the number of completed epochs. */
  epoch: number;
  /** Steps done in the current epoch. */
  step: number;
  /** Steps done since the start of training. */
  iteration: number;
  /** Batches per epoch of the train loader. */
  readonly batchesPerEpoch: number;
  /** True on the steps whose loss is read (every logEvery iterations). */
  logNow: boolean;
  /** The loss of the last step, on logged steps (else undefined). */
  loss?: number;
  /** Training samples seen this epoch and their seconds (for throughput). */
  samples: number;
  seconds: number;
  /** The epoch's record, at evaluate/epochEnd and after. */
  record?: EpochRecord;
  history: EpochRecord[];
  /** Set by a plug-in: stop between steps, write a checkpoint, resolve with interrupted: true (resumable). */
  interrupt: boolean;
  /** Set by a plug-in at epochEnd: end training now (not an interruption). */
  stop?: StopRequest;
  /** Set when fit() fails; fitEnd still runs. */
  error?: unknown;
  /** At checkpoint: the position to record (completed epochs, steps into the next, loaders, partial sums). */
  position?: Position;
  /** At fitEnd, unless fit() failed: what fit() resolves with. */
  result?: History;
  /** Per-step values plug-ins hand each other (e.g. clipGrad's gradNorm for the divergence guard); cleared every step. */
  stepInfo: {
    gradNorm?: number;
    /** True when the optimizerStep plug-in skipped the optimizer step (AMP: inf/NaN gradients); the guard then ignores gradNorm. */
    skippedStep?: boolean;
  };
  /** Shows a line to the user (through the progress plug-in) without breaking a progress bar. */
  message(line: string): void;
}

/** A plug-in's checkpointed state: tensors (saved as plugin/<name>/<key>) and JSON values. */
export interface PluginState {
  tensors?: Record<string, Tensor>;
  values?: unknown;
}

export interface Plugin {
  /** Unique within a Trainer; keys the plug-in's checkpoint state. */
  readonly name: string;
  /** Called once by the Trainer's constructor (bad combinations fail here, before anything runs). */
  setup?(trainer: Trainer): void;
  fitStart?(s: TrainState): void;
  epochStart?(s: TrainState): void;
  /** Entered before the method's step computes the loss (its forward), disposed right after it, also when it throws (autocast). Disposed in reverse plug-in order. */
  forwardContext?(s: TrainState): Disposable | undefined;
  beforeBackward?(s: TrainState, loss: Tensor): void;
  /** The tensor backward() is called on instead of the loss (loss scaling); each plug-in gets the previous one's result. The loss logged, summed and checked stays the untransformed one. */
  transformLoss?(s: TrainState, loss: Tensor): Tensor;
  /** Awaited after backward, before afterBackward and the optimizer step (the distributed plug-in's gradient all-reduce); makes each step yield to the event loop. */
  syncGradients?(s: TrainState): Promise<void>;
  afterBackward?(s: TrainState): void;
  /** Does the optimizer step instead of the Trainer (at most one plug-in has this hook): true when the weights were updated, false when it skipped the step (then s.stepInfo.skippedStep is set and no afterOptimizerStep runs, the method's included). */
  optimizerStep?(s: TrainState): boolean;
  afterOptimizerStep?(s: TrainState): void;
  stepEnd?(s: TrainState): void;
  /** Further scores of `loader` (e.g. { ema: … }); their metrics enter the epoch record as `${key}Val…`. */
  evaluate?(loader: DataLoader): Record<string, EvalResult> | undefined;
  /** Awaited once the epoch's record (train loss, validation) is complete, before epochEnd: e.g. averaging it across ranks. */
  reduceEpoch?(s: TrainState, rec: EpochRecord): Promise<void>;
  epochEnd?(s: TrainState): void;
  checkpoint?(s: TrainState): void;
  message?(s: TrainState, line: string): void;
  fitEnd?(s: TrainState): void;
  /** State to checkpoint (tensors may belong to the caller's scope); restored by loadState on resume. */
  state?(): PluginState;
  /** From the checkpoint being resumed (undefined: it holds none for this plug-in). Copy what you keep: the tensors are freed after. */
  loadState?(st: PluginState | undefined): void;
}

export const EVENTS = [
  'fitStart',
  'epochStart',
  'beforeBackward',
  'afterBackward',
  'afterOptimizerStep',
  'stepEnd',
  'epochEnd',
  'checkpoint',
  'message',
  'fitEnd',
] as const;
export type EventName = (typeof EVENTS)[number];

/** The logged-step record of the current step (for the log and onLog). */
export function stepLog(s: TrainState): StepLog {
  return { epoch: s.epoch, step: s.step, iteration: s.iteration, loss: s.loss!, lr: s.trainer.lr };
}
