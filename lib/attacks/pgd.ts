// PGD with an L∞ ball (Madry et al. 2018), torchattacks 3.5.1's PGD: start at clamp(x₀ + δ0, 0, 1),
// δ0 ~ U(−ε, ε) (or the given start); each step x ← x + α·sign(g), δ = clamp(x − x₀, −ε, ε),
// x = clamp(x₀ + δ, 0, 1).
import * as torch from '../torch/index.js';
import type { Module } from '../nn/module.js';
import { advance, inputGrad, resolve, runAttack, startLinf, type AttackOptions } from './common.js';

/** Defaults eps 8/255, alpha 2/255, steps 10, random start on. */
export function pgd(model: Module, images: torch.Tensor, labels: torch.Tensor, opts?: AttackOptions): torch.Tensor {
  const r = resolve('pgd', model, images, labels, opts, { eps: 8 / 255, alpha: 2 / 255, steps: 10, randomStart: true });
  return runAttack('pgd', r, model, (c) => {
    let x = r.randomStart ? startLinf(c) : images;
    for (let i = 0; i < r.steps; i++) {
      const cur = x;
      const next = torch.tidy(() => {
        const stepped = cur.add(inputGrad(c, cur).sign().mul(r.alpha));
        const delta = stepped.sub(images).clamp({ min: -r.eps, max: r.eps });
        return images.add(delta).clamp({ min: 0, max: 1 });
      });
      x = advance(cur, next, [images]);
    }
    return x === images ? images.clone() : x;
  });
}
