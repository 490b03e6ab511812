// BIM / I-FGSM (Kurakin et al. 2017), torchattacks 3.5.1's BIM: steps of α·sign(g), each followed by
// the clip to [max(x₀ − ε, 0), min(x₀ + ε, 1)]. The step is α (default 2/255), NOT ε/steps.
import * as torch from '../torch/index.js';
import type { Module } from '../nn/module.js';
import { advance, inputGrad, resolve, runAttack, startLinf, type AttackOptions } from './common.js';

/** Kurakin's step count for steps = 0: int(min(255ε + 4, 1.25·255ε)). */
export function kurakinSteps(eps: number): number {
  return Math.trunc(Math.min(eps * 255 + 4, 1.25 * eps * 255));
}

/** Defaults eps 8/255, alpha 2/255, steps 10 (0: Kurakin's rule), no random start. */
export function bim(model: Module, images: torch.Tensor, labels: torch.Tensor, opts?: AttackOptions): torch.Tensor {
  const r = resolve('bim', model, images, labels, opts, { eps: 8 / 255, alpha: 2 / 255, steps: 10, randomStart: false });
  const steps = r.steps === 0 ? kurakinSteps(r.eps) : r.steps;
  return runAttack('bim', r, model, (c) => {
    const lo = images.sub(r.eps).clamp({ min: 0 });
    const hi = images.add(r.eps);
    let x = r.randomStart ? startLinf(c) : images;
    for (let i = 0; i < steps; i++) {
      const cur = x;
      // torchattacks' where-expressions (keep adv ≥ a, else a; keep b ≤ x₀+ε, else x₀+ε) are max/min.
      x = advance(
        cur,
        torch.tidy(() => cur.add(inputGrad(c, cur).sign().mul(r.alpha)).maximum(lo).minimum(hi).clamp({ max: 1 })),
        [images],
      );
    }
    return x === images ? images.clone() : x;
  });
}
