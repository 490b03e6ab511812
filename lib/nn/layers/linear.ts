// Linear, Identity, Flatten.
import { TorchValueError } from '../../torch/errors.js';
import type { Tensor } from '../../torch/tensor.js';
import { empty } from '../../torch/creation.js';
import type { DType, Device } from '../../torch/types.js';
import { Module, asParameter } from '../module.js'; // asParameter: nn.Parameter for a fresh tensor (no second handle)
import * as F from '../functional.js';
import { defaultLayerInit_ } from '../init.js';

export interface FactoryOptions {
  dtype?: DType;
  device?: Device;
}

export function checkPositiveInt(x: unknown, what: string): number {
  if (!Number.isInteger(x) || (x as number) <= 0) throw new TorchValueError(`${what} must be a positive integer, got ${String(x)}`);
  return x as number;
}

/** y = x Wᵀ + b. weight [out, in], bias [out]; initialised as PyTorch (kaiming_uniform_(a=√5), bias U(±1/√in)). */
export class Linear extends Module {
  declare weight: Tensor;
  declare bias: Tensor | null;
  readonly inFeatures: number;
  readonly outFeatures: number;
  constructor(inFeatures: number, outFeatures: number, opts?: { bias?: boolean } & FactoryOptions) {
    super();
    this.inFeatures = checkPositiveInt(inFeatures, 'Linear(inFeatures)');
    this.outFeatures = checkPositiveInt(outFeatures, 'Linear(outFeatures)');
    const f = { dtype: opts?.dtype, device: opts?.device };
    this.weight = asParameter(empty([outFeatures, inFeatures], f));
    // bias=False keeps a None slot, as PyTorch's register_parameter('bias', None)
    if (opts?.bias === false) this.registerParameter('bias', null);
    else this.bias = asParameter(empty([outFeatures], f));
    this.resetParameters();
  }
  resetParameters(): void {
    defaultLayerInit_(this.weight, this.bias);
  }
  forward(x: Tensor): Tensor {
    return F.linear(x, this.weight, this.bias);
  }
  extraRepr(): string {
    return `in_features=${this.inFeatures}, out_features=${this.outFeatures}, bias=${this.bias !== null ? 'True' : 'False'}`;
  }
}

/** Returns its input. */
export class Identity extends Module {
  forward(x: Tensor): Tensor {
    return x;
  }
}

/** Flattens dims startDim..endDim (default 1..−1: keeps the batch dimension). */
export class Flatten extends Module {
  constructor(
    readonly startDim = 1,
    readonly endDim = -1,
  ) {
    super();
  }
  forward(x: Tensor): Tensor {
    return x.flatten(this.startDim, this.endDim);
  }
  extraRepr(): string {
    return `start_dim=${this.startDim}, end_dim=${this.endDim}`;
  }
}
