// EMA of the weights (nn.ModelEMA) updated after every optimizer step. The validation set (and
// trainer.evaluate(loader)) is also scored with the averaged model: emaValLoss, emaValAcc,
// emaValEce in each epoch record, `.ema` in evaluate's result. The average and its update count
// are checkpointed, so resume stays bit-identical.
import { TorchValueError } from '../torch/errors.js';
import { ModelEMA, type ModelEMAOptions } from '../nn/ema.js';
import type { Module } from '../nn/module.js';
import { CheckpointError } from './checkpoint.js';
import { evaluateModel } from './metrics.js';
import type { Plugin } from './events.js';

export interface EmaPlugin extends Plugin {
  /** The ModelEMA (built for the Trainer's model by the Trainer's constructor). */
  readonly average: ModelEMA | undefined;
}

export function ema(opts: ModelEMAOptions = {}): EmaPlugin {
  let avg: ModelEMA | undefined;
  let owner: Module | undefined;
  const need = () => {
    if (!avg) throw new TorchValueError('train.plugins.ema: not attached to a Trainer yet');
    return avg;
  };
  return {
    name: 'ema',
    get average() {
      return avg;
    },
    setup(t) {
      if (owner && owner !== t.model) throw new TorchValueError('train.plugins.ema: this plug-in already averages another model; make one per Trainer');
      if (!avg) avg = new ModelEMA(t.model, opts);
      owner = t.model;
    },
    afterOptimizerStep(s) {
      need().update(s.trainer.model);
    },
    evaluate(loader) {
      return { ema: evaluateModel(need().module, loader) };
    },
    state() {
      return { tensors: need().stateDict(), values: { updates: need().updates } };
    },
    loadState(st) {
      const updates = (st?.values as { updates?: unknown } | undefined)?.updates;
      if (!st?.tensors || !Number.isSafeInteger(updates))
        throw new CheckpointError('resume: the checkpoint holds no EMA state (was the run trained without EMA?); resume without it, or start a new run');
      need().loadStateDict(st.tensors);
      need().updates = updates as number;
    },
  };
}
