// WideResNet-depth-k as in the MixMatch / FixMatch PyTorch ports (YU1ut/MixMatch-pytorch and
// kekmodel/FixMatch-pytorch `models/wideresnet.py`, themselves from xternalz/WideResNet-pytorch);
// names, forward and initialisation follow those files, so their state dicts load here:
//
//   conv1 (3×3, 16, no bias) → block1 (16k, stride 1, activate_before_residual)
//     → block2 (32k, /2) → block3 (64k, /2) → leaky_relu(bn1, 0.1) → global avg pool → fc.
//   blockN.layer.i = BasicBlock: bn1, relu1, conv1, bn2, relu2, conv2, convShortcut (1×1, only
//     when in ≠ out). BatchNorm momentum 0.001, LeakyReLU slope 0.1, optional dropout between
//     the convs (functional, no module), n = (depth − 4)/6 blocks per group.
//   Init: conv kaiming_normal_(fan_out, leaky_relu) (gain √2), BN weight 1 bias 0,
//     fc xavier_normal_ weight, bias 0.
//
// Port quirk kept on purpose (bit-compatible outputs with those checkpoints): in the first block of
// block2/block3 (in ≠ out, not activate_before_residual) conv1 and the shortcut read the raw input,
// so that block's bn1/relu1 output is unused (its running statistics still update).
// Mixing points: 0 input, 1 after block1, 2 after block2, 3 after block3.
import { TorchValueError } from '../../torch/errors.js';
import type { Tensor } from '../../torch/tensor.js';
import { Module } from '../module.js';
import * as F from '../functional.js';
import { Linear, type FactoryOptions } from '../layers/linear.js';
import { Conv2d } from '../layers/conv.js';
import { BatchNorm2d } from '../layers/batchnorm.js';
import { LeakyReLU } from '../layers/activation.js';
import { Sequential } from '../layers/container.js';
import { kaimingNormal_, xavierNormal_, zeros_, ones_ } from '../init.js';
import { mixer, placeOf, TrunkedModel, type MixOptions } from './mixing.js';

export class WideBasicBlock extends Module {
  declare bn1: BatchNorm2d;
  declare relu1: LeakyReLU;
  declare conv1: Conv2d;
  declare bn2: BatchNorm2d;
  declare relu2: LeakyReLU;
  declare conv2: Conv2d;
  declare convShortcut: Conv2d | null;
  readonly equalInOut: boolean;
  constructor(
    inPlanes: number,
    outPlanes: number,
    stride: number,
    readonly dropRate = 0,
    readonly activateBeforeResidual = false,
    bnMomentum = 0.001,
    f?: FactoryOptions,
  ) {
    super();
    this.bn1 = new BatchNorm2d(inPlanes, { momentum: bnMomentum, ...f });
    this.relu1 = new LeakyReLU(0.1);
    this.conv1 = new Conv2d(inPlanes, outPlanes, 3, { stride, padding: 1, bias: false, ...f });
    this.bn2 = new BatchNorm2d(outPlanes, { momentum: bnMomentum, ...f });
    this.relu2 = new LeakyReLU(0.1);
    this.conv2 = new Conv2d(outPlanes, outPlanes, 3, { stride: 1, padding: 1, bias: false, ...f });
    this.equalInOut = inPlanes === outPlanes;
    // null (a plain attribute, not a slot) when in = out, as the ports' `... and nn.Conv2d(...) or None`
    this.convShortcut = this.equalInOut ? null : new Conv2d(inPlanes, outPlanes, 1, { stride, padding: 0, bias: false, ...f });
  }
  forward(x: Tensor): Tensor {
    let out: Tensor | null = null;
    if (!this.equalInOut && this.activateBeforeResidual) x = this.relu1.forward(this.bn1.forward(x));
    else out = this.relu1.forward(this.bn1.forward(x));
    let h = this.relu2.forward(this.bn2.forward(this.conv1.forward(this.equalInOut ? (out as Tensor) : x)));
    if (this.dropRate > 0) h = F.dropout(h, { p: this.dropRate, training: this.training });
    h = this.conv2.forward(h);
    return (this.equalInOut ? x : (this.convShortcut as Conv2d).forward(x)).add(h);
  }
}

/** A group of blocks; its only child is `layer` (names blockN.layer.i.…, as the ports). */
export class WideNetworkBlock extends Module {
  declare layer: Sequential;
  constructor(
    n: number,
    inPlanes: number,
    outPlanes: number,
    stride: number,
    dropRate: number,
    activateBeforeResidual: boolean,
    bnMomentum: number,
    f?: FactoryOptions,
  ) {
    super();
    const blocks: Module[] = [];
    for (let i = 0; i < n; i++)
      blocks.push(new WideBasicBlock(i === 0 ? inPlanes : outPlanes, outPlanes, i === 0 ? stride : 1, dropRate, activateBeforeResidual, bnMomentum, f));
    this.layer = new Sequential(...blocks);
  }
  forward(x: Tensor): Tensor {
    return this.layer.forward(x);
  }
}

export interface WideResNetOptions extends FactoryOptions {
  /** 6n + 4 (default 28). */
  depth?: number;
  /** Widening factor k (default 2). */
  width?: number;
  numClasses?: number;
  /** Dropout between the two convolutions of each block (default 0). */
  dropRate?: number;
  inChannels?: number;
  /** BatchNorm momentum (default 0.001, as the ports). */
  bnMomentum?: number;
}

export class WideResNet extends TrunkedModel {
  declare conv1: Conv2d;
  declare block1: WideNetworkBlock;
  declare block2: WideNetworkBlock;
  declare block3: WideNetworkBlock;
  declare bn1: BatchNorm2d;
  declare relu: LeakyReLU;
  declare fc: Linear;
  readonly stages = ['input', 'block1', 'block2', 'block3'] as const;
  readonly channels: number;
  private readonly opts: WideResNetOptions;
  constructor(opts?: WideResNetOptions) {
    super();
    this.opts = { ...opts };
    const depth = opts?.depth ?? 28;
    const k = opts?.width ?? 2;
    if (!Number.isInteger(depth) || depth < 10 || (depth - 4) % 6 !== 0) throw new TorchValueError(`wideResNet: depth must be 6n + 4 (e.g. 28), got ${depth}`);
    if (!Number.isInteger(k) || k < 1) throw new TorchValueError(`wideResNet: width must be a positive integer, got ${k}`);
    const n = (depth - 4) / 6;
    const ch = [16, 16 * k, 32 * k, 64 * k];
    const drop = opts?.dropRate ?? 0;
    const mom = opts?.bnMomentum ?? 0.001;
    const f: FactoryOptions = { dtype: opts?.dtype, device: opts?.device };
    this.conv1 = new Conv2d(opts?.inChannels ?? 3, ch[0], 3, { stride: 1, padding: 1, bias: false, ...f });
    this.block1 = new WideNetworkBlock(n, ch[0], ch[1], 1, drop, true, mom, f);
    this.block2 = new WideNetworkBlock(n, ch[1], ch[2], 2, drop, false, mom, f);
    this.block3 = new WideNetworkBlock(n, ch[2], ch[3], 2, drop, false, mom, f);
    this.bn1 = new BatchNorm2d(ch[3], { momentum: mom, ...f });
    this.relu = new LeakyReLU(0.1);
    this.fc = new Linear(ch[3], opts?.numClasses ?? 10, f);
    this.channels = ch[3];
    for (const m of this.modules()) {
      if (m instanceof Conv2d) kaimingNormal_(m.weight, { mode: 'fan_out', nonlinearity: 'leaky_relu' });
      else if (m instanceof BatchNorm2d) {
        ones_(m.weight as Tensor);
        zeros_(m.bias as Tensor);
      } else if (m instanceof Linear) {
        xavierNormal_(m.weight);
        zeros_(m.bias as Tensor);
      }
    }
  }
  get numFeatures(): number {
    return this.channels;
  }
  forwardHead(features: Tensor): Tensor {
    return this.fc.forward(features);
  }
  freshCopy(): this {
    return new (this.constructor as typeof WideResNet)({ ...this.opts, ...placeOf(this) }) as this;
  }
  protected trunk(x: Tensor, opts?: MixOptions): Tensor {
    const at = mixer(this.stages, opts, 'WideResNet');
    let h = at(0, x);
    h = this.conv1.forward(h);
    h = at(1, this.block1.forward(h));
    h = at(2, this.block2.forward(h));
    h = at(3, this.block3.forward(h));
    h = this.relu.forward(this.bn1.forward(h));
    return F.adaptiveAvgPool2d(h, 1).flatten(1);
  }
}

/** WRN-depth-width; wideResNet({ depth: 28, width: 2 }) is the semi-supervised standard (1.47 M parameters). */
export function wideResNet(opts?: WideResNetOptions): WideResNet {
  return new WideResNet(opts);
}
