// The plug-in registry: import { train } from 'torchmix'; train.plugins.ema({ decay: 0.999 }).
// A new plug-in is one file in lib/train plus one line here (and, for a CLI flag, one entry in
// lib/cli/plugins.ts).
export { ema, type EmaPlugin } from './ema.js';
export { earlyStopping, type EarlyStoppingOptions } from './early-stopping.js';
export { clipGrad, type ClipGradOptions } from './clip-grad.js';
export { decoupledWeightDecay, decayedTensors, type DecoupledWeightDecayOptions } from './decoupled-weight-decay.js';
export { divergenceGuard, DivergenceError } from './divergence.js';
export { amp, type AmpPlugin, type AmpOptions } from './amp.js';
export { checkpointer } from './checkpointer.js';
export { jsonLog } from './log.js';
export { resultsFile } from './results.js';
export { progressBar } from './progress.js';
export { interruptOn } from './interrupt.js';
export { callbacks } from './callbacks.js';
export { distributed, type DistributedPlugin } from './distributed.js';
