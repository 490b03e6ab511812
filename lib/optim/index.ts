// The `optim` namespace: import { optim } from 'torchmix'.
export {
  Optimizer,
  SGD,
  Adam,
  AdamW,
  RMSprop,
  type SGDOptions,
  type AdamOptions,
  type AdamWOptions,
  type RMSpropOptions,
  type Params,
  type ParamGroup,
  type ParamGroupInit,
  type ParamState,
  type OptimizerStateDict,
} from './optimizers.js';
export * as lrScheduler from './schedulers.js';
