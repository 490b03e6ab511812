// MLP: Linear → act → … → Linear. Children are named like nn.Sequential(Linear, ReLU, Linear, …)
// ('0', '1', '2', …; weights at '0.weight', '2.weight', …), so its state dict interchanges with
// that Sequential in PyTorch. Mixing points: 0 the input, k = after the k-th hidden layer's activation.
import { TorchValueError } from '../../torch/errors.js';
import type { Tensor } from '../../torch/tensor.js';
import { Module } from '../module.js';
import { Linear, type FactoryOptions } from '../layers/linear.js';
import { ReLU, Tanh, GELU, LeakyReLU, Sigmoid, Dropout } from '../layers/activation.js';
import { mixer, placeOf, TrunkedModel, type MixOptions } from './mixing.js';

export type Activation = 'relu' | 'tanh' | 'gelu' | 'leaky_relu' | 'sigmoid';
export interface MLPOptions extends FactoryOptions {
  activation?: Activation;
  /** Dropout after each hidden activation (0: none, no module added). */
  dropout?: number;
}

function act(a: Activation): Module {
  switch (a) {
    case 'relu':
      return new ReLU();
    case 'tanh':
      return new Tanh();
    case 'gelu':
      return new GELU();
    case 'leaky_relu':
      return new LeakyReLU();
    case 'sigmoid':
      return new Sigmoid();
    default:
      throw new TorchValueError(`mlp: unknown activation '${String(a)}'`);
  }
}

export class MLP extends TrunkedModel {
  readonly sizes: readonly number[];
  readonly stages: readonly string[];
  /** Index of the last child of each hidden block (where a mixing point sits). */
  private readonly blockEnds: number[] = [];
  private readonly opts: MLPOptions;
  constructor(sizes: readonly number[], opts?: MLPOptions) {
    super();
    this.opts = { ...opts };
    if (!Array.isArray(sizes) || sizes.length < 2 || !sizes.every((s) => Number.isInteger(s) && s > 0))
      throw new TorchValueError(`mlp(sizes): expected at least two positive integers [in, …hidden, out], got ${JSON.stringify(sizes)}`);
    this.sizes = [...sizes];
    const f = { dtype: opts?.dtype, device: opts?.device };
    // names chosen at run time ('0', '1', …): registerModule, as nn.Sequential's add_module
    let i = 0;
    for (let l = 0; l < sizes.length - 1; l++) {
      this.registerModule(String(i++), new Linear(sizes[l], sizes[l + 1], f));
      if (l < sizes.length - 2) {
        this.registerModule(String(i++), act(opts?.activation ?? 'relu'));
        if (opts?.dropout) this.registerModule(String(i++), new Dropout(opts.dropout));
        this.blockEnds.push(i - 1);
      }
    }
    this.stages = ['input', ...this.blockEnds.map((_, k) => `hidden${k + 1}`)];
  }
  /** Width of the last hidden layer (the input width for an MLP without hidden layers). */
  get numFeatures(): number {
    return this.sizes[this.sizes.length - 2];
  }
  forwardHead(features: Tensor): Tensor {
    return this.head().forward(features);
  }
  freshCopy(): this {
    return new (this.constructor as typeof MLP)(this.sizes, { ...this.opts, ...placeOf(this) }) as this;
  }
  private head(): Module {
    return [...this._modules.values()].pop() as Module;
  }
  /** Every child but the last Linear. */
  protected trunk(x: Tensor, opts?: MixOptions): Tensor {
    const at = mixer(this.stages, opts, 'MLP');
    let h = at(0, x);
    let stage = 1;
    const mods = [...this._modules.values()];
    for (let i = 0; i < mods.length - 1; i++) {
      h = (mods[i] as Module).forward(h);
      if (i === this.blockEnds[stage - 1]) h = at(stage++, h);
    }
    return h;
  }
}

/** mlp([in, hidden…, out], { activation: 'relu' }). */
export function mlp(sizes: readonly number[], opts?: MLPOptions): MLP {
  return new MLP(sizes, opts);
}
