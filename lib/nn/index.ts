// The `nn` namespace: import { nn } from 'torchmix'.
export * as functional from './functional.js';
export { Module, Parameter, isParameter, type StateDict, type LoadStateDictResult } from './module.js';
export * from './layers/index.js';
export { CrossEntropyLoss, NLLLoss, MSELoss, BCELoss, BCEWithLogitsLoss, KLDivLoss } from './losses.js';
export * as init from './init.js';
export * as models from './models/index.js';
export type { MixOptions, Mixable, Trunked } from './models/mixing.js';
export { ModelEMA, type ModelEMAOptions } from './ema.js';
export * as utils from './utils.js';
export * as parallel from './parallel/index.js';
