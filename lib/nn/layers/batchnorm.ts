// BatchNorm1d / BatchNorm2d as PyTorch's _BatchNorm: weight/bias (affine), running_mean,
// running_var and num_batches_tracked (int64) buffers, momentum (null = cumulative average).
import { TorchValueError } from '../../torch/errors.js';
import type { Tensor } from '../../torch/tensor.js';
import { ones, zeros, scalarTensor } from '../../torch/creation.js';
import { noGrad } from '../../torch/autograd.js';
import { Module, asParameter } from '../module.js'; // asParameter: nn.Parameter for a fresh tensor (no second handle)
import * as F from '../functional.js';
import { checkPositiveInt, type FactoryOptions } from './linear.js';

export interface BatchNormOptions extends FactoryOptions {
  eps?: number;
  /** Weight of the new batch statistic in the running average (default 0.1); null: cumulative average. */
  momentum?: number | null;
  /** Learnable per-channel weight (1) and bias (0). Default true. */
  affine?: boolean;
  /** Keep running statistics for eval mode. Default true; false: batch statistics in eval too. */
  trackRunningStats?: boolean;
}

abstract class BatchNormBase extends Module {
  declare weight: Tensor | null;
  declare bias: Tensor | null;
  declare running_mean: Tensor | null;
  declare running_var: Tensor | null;
  declare num_batches_tracked: Tensor | null;
  readonly numFeatures: number;
  readonly eps: number;
  momentum: number | null;
  readonly affine: boolean;
  readonly trackRunningStats: boolean;
  protected abstract checkInput(x: Tensor): void;
  constructor(numFeatures: number, opts?: BatchNormOptions) {
    super();
    this.numFeatures = checkPositiveInt(numFeatures, `${new.target.name}(numFeatures)`);
    this.eps = opts?.eps ?? 1e-5;
    this.momentum = opts?.momentum === undefined ? 0.1 : opts.momentum;
    this.affine = opts?.affine ?? true;
    this.trackRunningStats = opts?.trackRunningStats ?? true;
    const f = { dtype: opts?.dtype, device: opts?.device };
    if (this.affine) {
      this.weight = asParameter(ones([numFeatures], f));
      this.bias = asParameter(zeros([numFeatures], f));
    } else {
      this.registerParameter('weight', null);
      this.registerParameter('bias', null);
    }
    // buffers are registered by name, as PyTorch's register_buffer
    if (this.trackRunningStats) {
      this.registerBuffer('running_mean', zeros([numFeatures], f));
      this.registerBuffer('running_var', ones([numFeatures], f));
      this.registerBuffer('num_batches_tracked', scalarTensor(0, { dtype: 'int64', device: opts?.device }));
    } else {
      this.registerBuffer('running_mean', null);
      this.registerBuffer('running_var', null);
      this.registerBuffer('num_batches_tracked', null);
    }
  }
  resetRunningStats(): void {
    noGrad(() => {
      this.running_mean?.zero_();
      this.running_var?.fill_(1);
      this.num_batches_tracked?.zero_();
    });
  }
  resetParameters(): void {
    this.resetRunningStats();
    noGrad(() => {
      this.weight?.fill_(1);
      this.bias?.zero_();
    });
  }
  forward(x: Tensor): Tensor {
    this.checkInput(x);
    let factor = this.momentum ?? 0;
    if (this.training && this.trackRunningStats && this.num_batches_tracked) {
      this.num_batches_tracked.add_(1);
      if (this.momentum === null) factor = 1 / Number(this.num_batches_tracked.item());
    }
    const bnTraining = this.training || (this.running_mean === null && this.running_var === null);
    if (bnTraining) {
      const s = x.shape;
      let per = s[0];
      for (let i = 2; i < s.length; i++) per *= s[i];
      if (per <= 1)
        throw new TorchValueError(`${this.constructor.name}: expected more than 1 value per channel when training, got input shape [${s.join(', ')}]`);
    }
    const useStats = !this.training || this.trackRunningStats;
    return F.batchNorm(x, useStats ? this.running_mean : null, useStats ? this.running_var : null, {
      weight: this.weight,
      bias: this.bias,
      training: bnTraining,
      momentum: factor,
      eps: this.eps,
    });
  }
  extraRepr(): string {
    const py = (b: boolean) => (b ? 'True' : 'False');
    return `${this.numFeatures}, eps=${this.eps}, momentum=${this.momentum ?? 'None'}, affine=${py(this.affine)}, track_running_stats=${py(this.trackRunningStats)}`;
  }
}

/** Over (N, C) or (N, C, L). */
export class BatchNorm1d extends BatchNormBase {
  protected checkInput(x: Tensor): void {
    if (x.ndim !== 2 && x.ndim !== 3) throw new TorchValueError(`BatchNorm1d: expected 2D or 3D input, got ${x.ndim}D input of shape [${x.shape.join(', ')}]`);
  }
}
/** Over (N, C, H, W). */
export class BatchNorm2d extends BatchNormBase {
  protected checkInput(x: Tensor): void {
    if (x.ndim !== 4) throw new TorchValueError(`BatchNorm2d: expected 4D input, got ${x.ndim}D input of shape [${x.shape.join(', ')}]`);
  }
}
