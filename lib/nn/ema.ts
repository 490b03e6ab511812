// ModelEMA: an exponential moving average of a model's weights and buffers, as MixMatch, FixMatch,
// ICT and mean teachers evaluate with (timm's ModelEmaV2 semantics).
//
//   ema = new nn.ModelEMA(model, { decay: 0.999 });   // deep copy, eval mode, no gradients
//   … optimizer.step(); ema.update(model);            // after every step
//   ema.module.forward(x)                              // evaluate with the averaged weights
//
// update(model), under noGrad, for every parameter and floating buffer (matched by name):
//     e ← d·e + (1 − d)·p
// with d = decay, or with warmup: d = min(decay, (1 + n)/(10 + n)) where n is the number of
// updates done before this one (TensorFlow ExponentialMovingAverage's num_updates rule; the first
// update uses d = 0.1, so the average forgets its random start quickly). Non-floating buffers
// (BatchNorm's num_batches_tracked) are copied. With buffers: 'copy' floating buffers are copied
// too (some SSL codebases average only parameters and copy BatchNorm statistics).
import { TorchValueError, TorchTypeError } from '../torch/errors.js';
import type { Tensor } from '../torch/tensor.js';
import { noGrad } from '../torch/autograd.js';
import { isFloating } from '../torch/types.js';
import { Module, type StateDict, type LoadStateDictResult } from './module.js';

export interface ModelEMAOptions {
  /** Default 0.999. */
  decay?: number;
  /** Ramp the decay up as min(decay, (1 + n)/(10 + n)). Default false. */
  warmup?: boolean;
  /** 'ema' (default): average floating buffers too; 'copy': copy every buffer. */
  buffers?: 'ema' | 'copy';
}

export class ModelEMA {
  /** The averaged copy (eval mode, requiresGrad off). */
  readonly module: Module;
  readonly decay: number;
  readonly warmup: boolean;
  readonly buffers: 'ema' | 'copy';
  /** Number of update() calls so far. */
  updates = 0;
  private readonly pairs: [Tensor, string][];
  private readonly bufs: [Tensor, string][];

  constructor(model: Module, opts?: ModelEMAOptions) {
    if (!(model instanceof Module)) throw new TorchTypeError('ModelEMA(model): expected an nn.Module');
    this.decay = opts?.decay ?? 0.999;
    if (!(this.decay >= 0 && this.decay <= 1)) throw new TorchValueError(`ModelEMA: decay must be in [0, 1], got ${this.decay}`);
    this.warmup = opts?.warmup ?? false;
    this.buffers = opts?.buffers ?? 'ema';
    if (this.buffers !== 'ema' && this.buffers !== 'copy')
      throw new TorchValueError(`ModelEMA: buffers must be 'ema' or 'copy', got '${String(this.buffers)}'`);
    this.module = model.deepCopy().eval();
    this.module.requiresGrad_(false);
    this.pairs = this.module.namedParameters().map(([n, t]) => [t, n]);
    this.bufs = this.module.namedBuffers().map(([n, t]) => [t, n]);
  }
  /** The averaged model (alias of module). */
  get model(): Module {
    return this.module;
  }
  /** The decay the next update() will use. */
  currentDecay(): number {
    const n = this.updates;
    return this.warmup ? Math.min(this.decay, (1 + n) / (10 + n)) : this.decay;
  }
  /** Folds the model's current weights into the average. */
  update(model: Module): void {
    const d = this.currentDecay();
    const params = new Map(model.namedParameters());
    const buffers = new Map(model.namedBuffers());
    // Match everything first, so a wrong model changes nothing.
    const ps = this.pairs.map(([e, name]) => {
      const p = params.get(name);
      if (!p) throw new TorchValueError(`ModelEMA.update: the model has no parameter '${name}' (not the architecture the EMA was built from)`);
      return [e, p] as const;
    });
    const bs = this.bufs.map(([e, name]) => {
      const b = buffers.get(name);
      if (!b) throw new TorchValueError(`ModelEMA.update: the model has no buffer '${name}' (not the architecture the EMA was built from)`);
      return [e, b] as const;
    });
    noGrad(() => {
      for (const [e, p] of ps) e.lerp_(p, 1 - d); // e + (1 − d)(p − e) = d·e + (1 − d)·p
      for (const [e, b] of bs) {
        if (this.buffers === 'ema' && isFloating(e.dtype)) e.lerp_(b, 1 - d);
        else e.copy_(b);
      }
    });
    this.updates++;
  }
  /** Copies the model's weights into the average (a restart). */
  set(model: Module): void {
    this.module.loadStateDict(model.stateDict());
  }
  forward(x: Tensor, ...rest: unknown[]): Tensor {
    return this.module.forward(x, ...rest);
  }
  stateDict(): StateDict {
    return this.module.stateDict();
  }
  loadStateDict(sd: StateDict, opts?: { strict?: boolean }): LoadStateDictResult {
    return this.module.loadStateDict(sd, opts);
  }
}
