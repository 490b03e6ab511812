// Conv2d over at::conv2d.
import { TorchValueError } from '../../torch/errors.js';
import type { Tensor } from '../../torch/tensor.js';
import { empty } from '../../torch/creation.js';
import { Module, asParameter } from '../module.js'; // asParameter: nn.Parameter for a fresh tensor (no second handle)
import * as F from '../functional.js';
import { defaultLayerInit_ } from '../init.js';
import { checkPositiveInt, type FactoryOptions } from './linear.js';

type Pair = number | [number, number];
const pair = (x: Pair): [number, number] => (typeof x === 'number' ? [x, x] : [x[0], x[1]]);

export interface Conv2dOptions extends FactoryOptions {
  stride?: Pair;
  /** Zero padding per side, or 'valid' (0) or 'same' (stride 1; output size = input size). */
  padding?: Pair | 'valid' | 'same';
  dilation?: Pair;
  groups?: number;
  bias?: boolean;
}

/**
 * 2-D convolution. weight [out, in/groups, kh, kw], bias [out]; initialised as PyTorch:
 * kaiming_uniform_(a=√5) (i.e. U(±1/√fanIn)), bias U(±1/√fanIn), fanIn = in/groups·kh·kw.
 */
export class Conv2d extends Module {
  declare weight: Tensor;
  declare bias: Tensor | null;
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernelSize: [number, number];
  readonly stride: [number, number];
  readonly padding: [number, number];
  readonly dilation: [number, number];
  readonly groups: number;
  constructor(inChannels: number, outChannels: number, kernelSize: Pair, opts?: Conv2dOptions) {
    super();
    this.inChannels = checkPositiveInt(inChannels, 'Conv2d(inChannels)');
    this.outChannels = checkPositiveInt(outChannels, 'Conv2d(outChannels)');
    this.kernelSize = pair(kernelSize);
    this.stride = pair(opts?.stride ?? 1);
    this.dilation = pair(opts?.dilation ?? 1);
    this.groups = checkPositiveInt(opts?.groups ?? 1, 'Conv2d(groups)');
    for (const [v, n] of [
      [this.kernelSize, 'kernelSize'],
      [this.stride, 'stride'],
      [this.dilation, 'dilation'],
    ] as const)
      if (!v.every((d) => Number.isInteger(d) && d > 0)) throw new TorchValueError(`Conv2d(${n}) must be positive integers, got ${JSON.stringify(v)}`);
    if (inChannels % this.groups !== 0) throw new TorchValueError(`Conv2d: inChannels (${inChannels}) must be divisible by groups (${this.groups})`);
    if (outChannels % this.groups !== 0) throw new TorchValueError(`Conv2d: outChannels (${outChannels}) must be divisible by groups (${this.groups})`);
    const p = opts?.padding ?? 0;
    if (p === 'valid') this.padding = [0, 0];
    else if (p === 'same') {
      if (this.stride[0] !== 1 || this.stride[1] !== 1) throw new TorchValueError("Conv2d: padding='same' is not supported for strided convolutions");
      const total = this.kernelSize.map((k, i) => this.dilation[i] * (k - 1));
      if (total.some((t) => t % 2 !== 0))
        throw new TorchValueError("Conv2d: padding='same' with an even effective kernel needs asymmetric padding (not supported); pad explicitly");
      this.padding = [total[0] / 2, total[1] / 2];
    } else {
      this.padding = pair(p);
      if (!this.padding.every((d) => Number.isInteger(d) && d >= 0))
        throw new TorchValueError(`Conv2d(padding) must be non-negative integers, got ${JSON.stringify(p)}`);
    }
    const f = { dtype: opts?.dtype, device: opts?.device };
    this.weight = asParameter(empty([outChannels, inChannels / this.groups, ...this.kernelSize], f));
    if (opts?.bias === false) this.registerParameter('bias', null);
    else this.bias = asParameter(empty([outChannels], f));
    this.resetParameters();
  }
  resetParameters(): void {
    defaultLayerInit_(this.weight, this.bias);
  }
  forward(x: Tensor): Tensor {
    return F.conv2d(x, this.weight, this.bias, { stride: this.stride, padding: this.padding, dilation: this.dilation, groups: this.groups });
  }
  extraRepr(): string {
    let s = `${this.inChannels}, ${this.outChannels}, kernel_size=(${this.kernelSize.join(', ')}), stride=(${this.stride.join(', ')})`;
    if (this.padding.some((v) => v !== 0)) s += `, padding=(${this.padding.join(', ')})`;
    if (this.dilation.some((v) => v !== 1)) s += `, dilation=(${this.dilation.join(', ')})`;
    if (this.groups !== 1) s += `, groups=${this.groups}`;
    if (this.bias === null) s += ', bias=False';
    return s;
  }
}
