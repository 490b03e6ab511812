// Losses as modules (PyTorch's nn.CrossEntropyLoss …) over the functional ops in functional.ts.
// Each holds its options; forward(input, target) returns the loss. Class weights are registered
// as buffers named 'weight' (as PyTorch's _WeightedLoss), so they move with .to().
import type { Tensor, Reduction } from '../torch/tensor.js';
import { TorchValueError } from '../torch/errors.js';
import { Module } from './module.js';
import * as F from './functional.js';

export { crossEntropy, nllLoss, mseLoss, binaryCrossEntropy, binaryCrossEntropyWithLogits, klDiv } from './functional.js';

abstract class Loss extends Module {
  readonly reduction: Reduction;
  constructor(reduction: Reduction | undefined) {
    super();
    this.reduction = reduction ?? 'mean';
    if (!['none', 'mean', 'sum'].includes(this.reduction))
      throw new TorchValueError(`${new.target.name}: reduction must be 'none', 'mean' or 'sum', got '${String(reduction)}'`);
  }
  abstract forward(input: Tensor, target: Tensor): Tensor;
  extraRepr(): string {
    return `reduction='${this.reduction}'`;
  }
}

/**
 * Cross-entropy from logits. target: int64 class indices (N) or class probabilities (N, C) (the
 * soft targets mixup trains with); labelSmoothing mixes the targets with the uniform distribution.
 */
export class CrossEntropyLoss extends Loss {
  declare weight: Tensor | null;
  readonly ignoreIndex: number;
  readonly labelSmoothing: number;
  constructor(opts?: { weight?: Tensor; reduction?: Reduction; ignoreIndex?: number; labelSmoothing?: number }) {
    super(opts?.reduction);
    this.registerBuffer('weight', opts?.weight ?? null);
    this.ignoreIndex = opts?.ignoreIndex ?? -100;
    this.labelSmoothing = opts?.labelSmoothing ?? 0;
    if (!(this.labelSmoothing >= 0 && this.labelSmoothing <= 1))
      throw new TorchValueError(`CrossEntropyLoss: labelSmoothing must be in [0, 1], got ${this.labelSmoothing}`);
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return F.crossEntropy(input, target, {
      weight: this.weight ?? undefined,
      reduction: this.reduction,
      ignoreIndex: this.ignoreIndex,
      labelSmoothing: this.labelSmoothing,
    });
  }
}

/** Negative log-likelihood of log-probabilities (use after logSoftmax). */
export class NLLLoss extends Loss {
  declare weight: Tensor | null;
  readonly ignoreIndex: number;
  constructor(opts?: { weight?: Tensor; reduction?: Reduction; ignoreIndex?: number }) {
    super(opts?.reduction);
    this.registerBuffer('weight', opts?.weight ?? null);
    this.ignoreIndex = opts?.ignoreIndex ?? -100;
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return F.nllLoss(input, target, { weight: this.weight ?? undefined, reduction: this.reduction, ignoreIndex: this.ignoreIndex });
  }
}

export class MSELoss extends Loss {
  constructor(opts?: { reduction?: Reduction }) {
    super(opts?.reduction);
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return F.mseLoss(input, target, { reduction: this.reduction });
  }
}

/** Binary cross-entropy on probabilities in [0, 1]. */
export class BCELoss extends Loss {
  declare weight: Tensor | null;
  constructor(opts?: { weight?: Tensor; reduction?: Reduction }) {
    super(opts?.reduction);
    this.registerBuffer('weight', opts?.weight ?? null);
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return F.binaryCrossEntropy(input, target, { weight: this.weight ?? undefined, reduction: this.reduction });
  }
}

/** Sigmoid + binary cross-entropy in one numerically stable op; posWeight weighs positives per class. */
export class BCEWithLogitsLoss extends Loss {
  declare weight: Tensor | null;
  declare pos_weight: Tensor | null;
  constructor(opts?: { weight?: Tensor; posWeight?: Tensor; reduction?: Reduction }) {
    super(opts?.reduction);
    this.registerBuffer('weight', opts?.weight ?? null);
    this.registerBuffer('pos_weight', opts?.posWeight ?? null);
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return F.binaryCrossEntropyWithLogits(input, target, {
      weight: this.weight ?? undefined,
      posWeight: this.pos_weight ?? undefined,
      reduction: this.reduction,
    });
  }
}

/** KL(target ‖ input), input as log-probabilities; reduction may also be 'batchmean' (the mathematically correct KL). */
export class KLDivLoss extends Module {
  readonly reduction: Reduction | 'batchmean';
  readonly logTarget: boolean;
  constructor(opts?: { reduction?: Reduction | 'batchmean'; logTarget?: boolean }) {
    super();
    this.reduction = opts?.reduction ?? 'mean';
    if (!['none', 'mean', 'sum', 'batchmean'].includes(this.reduction)) throw new TorchValueError(`KLDivLoss: unknown reduction '${String(this.reduction)}'`);
    this.logTarget = opts?.logTarget ?? false;
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return F.klDiv(input, target, { reduction: this.reduction, logTarget: this.logTarget });
  }
  extraRepr(): string {
    return `reduction='${this.reduction}', log_target=${this.logTarget ? 'True' : 'False'}`;
  }
}
