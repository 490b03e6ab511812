// FGSM (Goodfellow et al. 2015), torchattacks 3.5.1's FGSM: x' = clamp(x + ε·sign(∇ₓCE), 0, 1).
import type * as torch from '../torch/index.js';
import type { Module } from '../nn/module.js';
import { inputGrad, resolve, runAttack, type AttackOptions } from './common.js';

/** One signed-gradient step of size eps (default 8/255). alpha, steps are not used. */
export function fgsm(model: Module, images: torch.Tensor, labels: torch.Tensor, opts?: AttackOptions): torch.Tensor {
  const r = resolve('fgsm', model, images, labels, opts, { eps: 8 / 255, alpha: 8 / 255, steps: 1, randomStart: null });
  return runAttack('fgsm', r, model, (c) => {
    const g = inputGrad(c, images);
    return images.add(g.sign().mul(r.eps)).clamp({ min: 0, max: 1 });
  });
}
