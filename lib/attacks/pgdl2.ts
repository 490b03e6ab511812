// PGD with an L2 ball, torchattacks 3.5.1's PGDL2: start at clamp(x₀ + δ0, 0, 1) (δ0 = u·ε·z/‖z‖ or
// the given start); each step g ← g / (‖g‖ + 1e-10), x ← x + α·g, δ = x − x₀ scaled by
// min(ε/‖δ‖, 1), x = clamp(x₀ + δ, 0, 1). Norms per sample over all its values. The operations
// mirror torchattacks' (ε/‖δ‖ is Python's `eps / tensor`, i.e. reciprocal(‖δ‖)·ε) so float32 results match.
import * as torch from '../torch/index.js';
import type { Module } from '../nn/module.js';
import { advance, inputGrad, resolve, runAttack, sampleNorms, startL2, type AttackOptions } from './common.js';

/** torchattacks' eps_for_division. */
const EPS_FOR_DIVISION = 1e-10;

/** Defaults eps 1.0, alpha 0.2, steps 10, random start on. */
export function pgdL2(model: Module, images: torch.Tensor, labels: torch.Tensor, opts?: AttackOptions): torch.Tensor {
  const r = resolve('pgdl2', model, images, labels, opts, { eps: 1.0, alpha: 0.2, steps: 10, randomStart: true });
  return runAttack('pgdl2', r, model, (c) => {
    // ε = 0: the ball is the point x₀ (torchattacks would compute 0·(1/0) = NaN for a zero δ).
    if (r.eps === 0) return images.clamp({ min: 0, max: 1 });
    let x = r.randomStart ? startL2(c) : images;
    for (let i = 0; i < r.steps; i++) {
      const cur = x;
      const next = torch.tidy(() => {
        const g = inputGrad(c, cur);
        const unit = g.div(sampleNorms(g).add(EPS_FOR_DIVISION));
        const delta = cur.add(unit.mul(r.alpha)).sub(images);
        const dn = sampleNorms(delta);
        const factor = dn.reciprocal().mul(r.eps).minimum(torch.onesLike(dn));
        return images.add(delta.mul(factor)).clamp({ min: 0, max: 1 });
      });
      x = advance(cur, next, [images]);
    }
    return x === images ? images.clone() : x;
  });
}
