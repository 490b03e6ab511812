// The small CNN for 1×28×28 inputs: PyTorch's examples/mnist `Net`, returning logits.
//
//   conv1  Conv2d(1, 32, 3)  → relu                     28×28 → 26×26     stage 1 after this
//   conv2  Conv2d(32, 64, 3) → relu → maxPool2d(2)      26×26 → 24×24 → 12×12   stage 2 after this
//   dropout1 Dropout(0.25) → flatten (9216)
//   fc1    Linear(9216, 128) → relu                                       stage 3 after this
//   dropout2 Dropout(0.5)
//   fc2    Linear(128, 10)
//
// Parameter names (conv1.*, conv2.*, fc1.*, fc2.*) match that PyTorch Net, so state dicts
// interchange. 1.2 M parameters. inChannels, numClasses and the input side are options.
import { TorchValueError } from '../../torch/errors.js';
import type { Tensor } from '../../torch/tensor.js';
import * as F from '../functional.js';
import { Linear, type FactoryOptions } from '../layers/linear.js';
import { Conv2d } from '../layers/conv.js';
import { Dropout } from '../layers/activation.js';
import { mixer, placeOf, TrunkedModel, type MixOptions } from './mixing.js';
import { stage } from '../call-scope.js';

export interface SmallCNNOptions extends FactoryOptions {
  inChannels?: number;
  numClasses?: number;
  /** Input height = width (default 28); must be even after the two 3×3 convs. */
  inputSize?: number;
  /** Dropout probabilities (defaults 0.25 and 0.5, as the PyTorch example). */
  dropout?: [number, number];
}

export class SmallCNN extends TrunkedModel {
  declare conv1: Conv2d;
  declare conv2: Conv2d;
  declare dropout1: Dropout;
  declare dropout2: Dropout;
  declare fc1: Linear;
  declare fc2: Linear;
  readonly stages = ['input', 'conv1', 'conv2', 'fc1'] as const;
  readonly numFeatures = 128;
  private readonly opts: SmallCNNOptions;
  constructor(opts?: SmallCNNOptions) {
    super();
    this.opts = { ...opts };
    const s = opts?.inputSize ?? 28;
    if (!Number.isInteger(s) || s < 6 || (s - 4) % 2 !== 0) throw new TorchValueError(`smallCNN: inputSize must be an even integer ≥ 6, got ${s}`);
    const f = { dtype: opts?.dtype, device: opts?.device };
    const side = (s - 4) / 2;
    this.conv1 = new Conv2d(opts?.inChannels ?? 1, 32, 3, f);
    this.conv2 = new Conv2d(32, 64, 3, f);
    this.dropout1 = new Dropout(opts?.dropout?.[0] ?? 0.25);
    this.dropout2 = new Dropout(opts?.dropout?.[1] ?? 0.5);
    this.fc1 = new Linear(64 * side * side, 128, f);
    this.fc2 = new Linear(128, opts?.numClasses ?? 10, f);
  }
  forwardHead(features: Tensor): Tensor {
    return this.fc2.forward(features);
  }
  freshCopy(): this {
    return new (this.constructor as typeof SmallCNN)({ ...this.opts, ...placeOf(this) }) as this;
  }
  protected trunk(x: Tensor, opts?: MixOptions): Tensor {
    const at = mixer(this.stages, opts, 'SmallCNN');
    let h = at(0, x);
    // each conv's output is a temporary (relu saves its own output): freed at once, as in PyTorch
    h = at(
      1,
      stage(() => F.relu(this.conv1.forward(h))),
    );
    h = at(
      2,
      stage(() => F.maxPool2d(F.relu(this.conv2.forward(h)), 2)),
    );
    h = this.dropout1.forward(h).flatten(1);
    h = at(3, F.relu(this.fc1.forward(h)));
    return this.dropout2.forward(h);
  }
}

export function smallCNN(opts?: SmallCNNOptions): SmallCNN {
  return new SmallCNN(opts);
}
