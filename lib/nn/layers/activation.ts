// Activation and dropout modules over nn.functional.
import { TorchValueError } from '../../torch/errors.js';
import type { Tensor } from '../../torch/tensor.js';
import { Module } from '../module.js';
import * as F from '../functional.js';

export class ReLU extends Module {
  forward(x: Tensor): Tensor {
    return F.relu(x);
  }
}
export class LeakyReLU extends Module {
  constructor(readonly negativeSlope = 0.01) {
    super();
  }
  forward(x: Tensor): Tensor {
    return F.leakyRelu(x, this.negativeSlope);
  }
  extraRepr(): string {
    return `negative_slope=${this.negativeSlope}`;
  }
}
export class GELU extends Module {
  constructor(readonly approximate: 'none' | 'tanh' = 'none') {
    super();
  }
  forward(x: Tensor): Tensor {
    return F.gelu(x, { approximate: this.approximate });
  }
  extraRepr(): string {
    return `approximate='${this.approximate}'`;
  }
}
export class Tanh extends Module {
  forward(x: Tensor): Tensor {
    return F.tanh(x);
  }
}
export class Sigmoid extends Module {
  forward(x: Tensor): Tensor {
    return F.sigmoid(x);
  }
}
/** Zeroes each element with probability p in training mode (scaling the rest by 1/(1−p)); identity in eval mode. */
export class Dropout extends Module {
  readonly p: number;
  constructor(p = 0.5) {
    super();
    if (!(p >= 0 && p <= 1)) throw new TorchValueError(`Dropout(p): p must be in [0, 1], got ${p}`);
    this.p = p;
  }
  forward(x: Tensor): Tensor {
    if (!this.training || this.p === 0) return x;
    return F.dropout(x, { p: this.p, training: true });
  }
  extraRepr(): string {
    return `p=${this.p}`;
  }
}
