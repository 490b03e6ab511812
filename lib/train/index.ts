// The training loop: import { train } from 'torchmix'; new train.Trainer({ …, plugins: [train.plugins.ema()] }).fit().
export {
  Trainer,
  bestEpoch,
  makeHistory,
  type TrainerOptions,
  type History,
  type Results,
  type SchedulerLike,
  type StepLog,
  type EpochRecord,
} from './trainer.js';
export type { Plugin, PluginState, TrainState, StopRequest, EventName } from './events.js';
export { EVENTS } from './events.js';
export type { StepMethod, StepContext, StepResult } from './step.js';
export { DivergenceError } from './divergence.js';
export * as plugins from './plugins.js';
export { ece, eceFromLogits, calibrationSums, accuracy, evaluateModel, type EvalResult } from './metrics.js';
export {
  CheckpointError,
  readCheckpoint,
  writeCheckpoint,
  loadModelWeights,
  checkModelFits,
  checkpointJsonPath,
  writeFileAtomic,
  CHECKPOINT_FORMAT,
  CHECKPOINT_VERSION,
  type CheckpointMeta,
} from './checkpoint.js';
export { formatEpoch, makeProgress, type ProgressMode, type Progress } from './progress.js';
