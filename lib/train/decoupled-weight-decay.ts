// Decoupled weight decay as MixMatch applies it: after every optimizer step, w ← w·(1 − weightDecay·lr)
// with lr the current learning rate (of the first param group), outside the optimizer and the loss.
//
//   train.plugins.decoupledWeightDecay({ weightDecay: 0.02 })                 // official: conv/linear kernels
//   train.plugins.decoupledWeightDecay({ weightDecay: 0.02, scope: 'all' })   // the PyTorch port
//
// scope 'kernels' (default; google-research/mixmatch decays the variables named 'kernel'): the
// trained model's parameters with ≥ 2 dimensions — conv and linear weights; not biases, not
// BatchNorm's weight and bias. scope 'all' (YU1ut/MixMatch-pytorch WeightEMA): every floating entry
// of the model's state dict, BatchNorm running statistics included. Plug-in order matters with
// EMA: a method's own EMA (MixMatch's, ICT's teacher) runs before every plug-in, so it averages the
// weights before the decay, as the port does; put train.plugins.ema before this plug-in for the same.
import { TorchValueError } from '../torch/errors.js';
import type { Tensor } from '../torch/tensor.js';
import { noGrad } from '../torch/autograd.js';
import { isFloating } from '../torch/types.js';
import type { Module } from '../nn/module.js';
import type { Plugin } from './events.js';

export interface DecoupledWeightDecayOptions {
  /** The decay per unit of learning rate (MixMatch: 0.02). */
  weightDecay: number;
  /** 'kernels' (conv/linear weights, default) or 'all' (every floating state-dict entry). */
  scope?: 'kernels' | 'all';
}

/** The tensors the plug-in decays for a model and scope. */
export function decayedTensors(model: Module, scope: 'kernels' | 'all'): [string, Tensor][] {
  if (scope === 'kernels') return model.namedParameters().filter(([, p]) => p.ndim >= 2);
  return [...model.namedParameters(), ...model.namedBuffers()].filter(([, t]) => isFloating(t.dtype));
}

export function decoupledWeightDecay(opts: DecoupledWeightDecayOptions): Plugin {
  const wd = opts?.weightDecay;
  if (typeof wd !== 'number' || !Number.isFinite(wd) || wd < 0)
    throw new TorchValueError(`decoupledWeightDecay: weightDecay must be a finite number ≥ 0, got ${String(wd)}`);
  const scope = opts.scope ?? 'kernels';
  if (scope !== 'kernels' && scope !== 'all')
    throw new TorchValueError(`decoupledWeightDecay: scope must be 'kernels' or 'all', got ${JSON.stringify(opts.scope)}`);
  let ts: Tensor[] = [];
  return {
    name: 'decoupledWeightDecay',
    setup(t) {
      ts = decayedTensors(t.model, scope).map(([, x]) => x);
    },
    fitStart(s) {
      ts = decayedTensors(s.trainer.model, scope).map(([, x]) => x); // after a resume's loadStateDict
    },
    afterOptimizerStep(s) {
      const f = 1 - wd * s.trainer.lr;
      noGrad(() => {
        for (const x of ts) x.mul_(f);
      });
    },
  };
}
