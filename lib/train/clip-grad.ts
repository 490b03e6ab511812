// Gradient clipping by norm (torch.nn.utils.clip_grad_norm_) after every backward, over every
// parameter the optimizer trains (a method's own parameters included). The total norm before
// clipping goes to s.stepInfo.gradNorm, where the divergence guard checks it.
import { TorchValueError } from '../torch/errors.js';
import type { Tensor } from '../torch/tensor.js';
import { clipGradNorm } from '../optim/clip.js';
import type { Plugin } from './events.js';

export interface ClipGradOptions {
  /** Largest allowed total norm (> 0). */
  maxNorm: number;
  /** Order of the norm (default 2; 'inf' = largest absolute value). */
  normType?: number | 'inf';
}

export function clipGrad(opts: ClipGradOptions): Plugin {
  const maxNorm = opts?.maxNorm;
  if (typeof maxNorm !== 'number' || !(maxNorm > 0) || !Number.isFinite(maxNorm))
    throw new TorchValueError(`clipGrad: maxNorm must be a finite number > 0, got ${String(maxNorm)}`);
  const normType = opts.normType ?? 2;
  let params: Tensor[] = [];
  return {
    name: 'clipGrad',
    setup(t) {
      params = t.optimizer.paramGroups.flatMap((g) => g.params);
    },
    afterBackward(s) {
      s.stepInfo.gradNorm = clipGradNorm(params, maxNorm, { normType });
    },
  };
}
