// PreAct ResNet-18/34 for 32×32 inputs (CIFAR-style), exactly as the manifold-mixup reference
// (vikasverma1077/manifold_mixup, models/preresnet.py; the same block as kuangliu/pytorch-cifar):
//
//   PreActBlock(in, planes, stride): out = relu(bn1(x)); shortcut = shortcut(out) if present else x;
//     out = conv2(relu(bn2(conv1(out)))) + shortcut.  conv 3×3 without bias; `shortcut` is
//     Sequential(Conv2d(in, planes, 1, stride, bias=False)) when stride ≠ 1 or in ≠ planes.
//   PreActResNet: conv1 (3×3, 64, no bias) → layer1 (64) → layer2 (128, /2) → layer3 (256, /2)
//     → layer4 (512, /2) → relu(bn) → global average pool → linear.
//
// Parameter names (conv1.weight, layer1.0.bn1.weight, layer2.0.shortcut.0.weight, bn.*, linear.*)
// equal that implementation's state_dict keys. Default PyTorch initialisation (the reference has
// no custom init). The reference pools with avg_pool2d(4) (32×32 inputs); this uses a global
// average pool, identical there and also valid for 28×28 (Fashion-MNIST with inChannels 1).
// Mixing points: 0 input, 1 after layer1, 2 after layer2, 3 after layer3 (as the reference).
import type { Tensor } from '../../torch/tensor.js';
import { Module } from '../module.js';
import * as F from '../functional.js';
import { stage } from '../call-scope.js';
import { Linear, type FactoryOptions } from '../layers/linear.js';
import { Conv2d } from '../layers/conv.js';
import { BatchNorm2d } from '../layers/batchnorm.js';
import { Sequential } from '../layers/container.js';
import { mixer, placeOf, TrunkedModel, type MixOptions } from './mixing.js';

export class PreActBlock extends Module {
  static readonly expansion = 1;
  declare bn1: BatchNorm2d;
  declare conv1: Conv2d;
  declare bn2: BatchNorm2d;
  declare conv2: Conv2d;
  /** Only when the shape changes (stride ≠ 1 or in ≠ planes), as the reference's `if`. */
  declare shortcut?: Sequential;
  constructor(inPlanes: number, planes: number, stride = 1, f?: FactoryOptions) {
    super();
    this.bn1 = new BatchNorm2d(inPlanes, f);
    this.conv1 = new Conv2d(inPlanes, planes, 3, { stride, padding: 1, bias: false, ...f });
    this.bn2 = new BatchNorm2d(planes, f);
    this.conv2 = new Conv2d(planes, planes, 3, { stride: 1, padding: 1, bias: false, ...f });
    if (stride !== 1 || inPlanes !== planes) this.shortcut = new Sequential(new Conv2d(inPlanes, planes, 1, { stride, bias: false, ...f }));
  }
  forward(x: Tensor): Tensor {
    // a batch norm's output under its relu is a temporary (relu saves its own output): freed at once, as in PyTorch
    const out = stage(() => F.relu(this.bn1.forward(x)));
    const sc = this.shortcut ? this.shortcut.forward(out) : x;
    const h = this.conv2.forward(stage(() => F.relu(this.bn2.forward(this.conv1.forward(out)))));
    return h.add(sc);
  }
}

export interface PreActResNetOptions extends FactoryOptions {
  /** Input channels (3 for CIFAR, 1 for (Fashion-)MNIST). Default 3. */
  inChannels?: number;
  numClasses?: number;
  /** Width of conv1/layer1 (default 64; layers double it). */
  initialChannels?: number;
  /** Stride of conv1 (default 1). */
  stride?: number;
}

export class PreActResNet extends TrunkedModel {
  declare conv1: Conv2d;
  declare layer1: Sequential;
  declare layer2: Sequential;
  declare layer3: Sequential;
  declare layer4: Sequential;
  declare bn: BatchNorm2d;
  declare linear: Linear;
  readonly stages = ['input', 'layer1', 'layer2', 'layer3'] as const;
  readonly numClasses: number;
  readonly numFeatures: number;
  private readonly args: [readonly [number, number, number, number], PreActResNetOptions];
  constructor(numBlocks: readonly [number, number, number, number], opts?: PreActResNetOptions) {
    super();
    this.args = [[...numBlocks] as [number, number, number, number], { ...opts }];
    const c = opts?.initialChannels ?? 64;
    const f: FactoryOptions = { dtype: opts?.dtype, device: opts?.device };
    this.numClasses = opts?.numClasses ?? 10;
    let inPlanes = c;
    const makeLayer = (planes: number, n: number, stride: number) => {
      const blocks: Module[] = [];
      for (let i = 0; i < n; i++) {
        blocks.push(new PreActBlock(inPlanes, planes, i === 0 ? stride : 1, f));
        inPlanes = planes;
      }
      return new Sequential(...blocks);
    };
    this.conv1 = new Conv2d(opts?.inChannels ?? 3, c, 3, { stride: opts?.stride ?? 1, padding: 1, bias: false, ...f });
    this.layer1 = makeLayer(c, numBlocks[0], 1);
    this.layer2 = makeLayer(c * 2, numBlocks[1], 2);
    this.layer3 = makeLayer(c * 4, numBlocks[2], 2);
    this.layer4 = makeLayer(c * 8, numBlocks[3], 2);
    this.bn = new BatchNorm2d(c * 8, f);
    this.linear = new Linear(c * 8, this.numClasses, f);
    this.numFeatures = c * 8;
  }
  forwardHead(features: Tensor): Tensor {
    return this.linear.forward(features);
  }
  freshCopy(): this {
    return new (this.constructor as typeof PreActResNet)(this.args[0], { ...this.args[1], ...placeOf(this) }) as this;
  }
  protected trunk(x: Tensor, opts?: MixOptions): Tensor {
    const at = mixer(this.stages, opts, 'PreActResNet');
    let h = at(0, x);
    h = this.conv1.forward(h);
    h = at(1, this.layer1.forward(h));
    h = at(2, this.layer2.forward(h));
    h = at(3, this.layer3.forward(h));
    h = this.layer4.forward(h);
    return F.adaptiveAvgPool2d(
      stage(() => F.relu(this.bn.forward(h))),
      1,
    ).flatten(1);
  }
}

/** PreAct ResNet-18 (blocks 2-2-2-2). */
export function preactResNet18(opts?: PreActResNetOptions): PreActResNet {
  return new PreActResNet([2, 2, 2, 2], opts);
}
/** PreAct ResNet-34 (blocks 3-4-6-3). */
export function preactResNet34(opts?: PreActResNetOptions): PreActResNet {
  return new PreActResNet([3, 4, 6, 3], opts);
}
