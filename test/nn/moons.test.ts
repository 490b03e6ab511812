// A small MLP learns two moons to > 97 % train accuracy in a few seconds. Uses optim.SGD when the
// addon has the native optimizers; otherwise the same momentum SGD written by hand.
import { describe, it, expect } from 'vitest';
import { torch, nn } from '../../lib/index.js';
import * as optimMod from '../../lib/optim/index.js';
import { N } from '../../lib/torch/native.js';

/** Two interleaved half circles with Gaussian noise (sklearn's make_moons), from a seeded LCG. */
function moons(n: number, noise: number, seed: number): { x: Float32Array; y: BigInt64Array } {
  let s = seed >>> 0;
  const u = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) + 0.5) / 2 ** 32;
  const g = () => Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
  const x = new Float32Array(2 * n);
  const y = new BigInt64Array(n);
  for (let i = 0; i < n; i++) {
    const c = i % 2;
    const t = Math.PI * u();
    x[2 * i] = (c === 0 ? Math.cos(t) : 1 - Math.cos(t)) + noise * g();
    x[2 * i + 1] = (c === 0 ? Math.sin(t) : 0.5 - Math.sin(t)) + noise * g();
    y[i] = BigInt(c);
  }
  return { x, y };
}

describe('two moons', () => {
  it('MLP 2-64-64-2 reaches > 97 % train accuracy', () => {
    torch.manualSeed(0);
    const { x: xs, y: ys } = moons(512, 0.1, 7);
    const x = torch.tensor(xs, { shape: [512, 2] });
    const y = torch.tensor(ys);
    const model = nn.models.mlp([2, 64, 64, 2]);
    const lossFn = new nn.CrossEntropyLoss();
    const useOptim = typeof N.optimCreate === 'function' && typeof optimMod.SGD === 'function';
    const opt = useOptim ? new optimMod.SGD(model.parameters(), { lr: 0.1, momentum: 0.9 }) : null;
    const params = model.parameters();
    const bufs = params.map((p) => torch.keep(torch.zerosLike(p)));
    for (let step = 0; step < 400; step++) {
      torch.tidy(() => {
        const loss = lossFn.forward(model.forward(x), y);
        if (opt) opt.zeroGrad();
        else model.zeroGrad();
        loss.backward();
        if (opt) opt.step();
        else
          torch.noGrad(() =>
            params.forEach((p, i) => {
              bufs[i].mul_(0.9).add_(p.grad!); // PyTorch SGD momentum (dampening 0)
              p.sub_(bufs[i], { alpha: 0.1 });
            }),
          );
      });
    }
    const acc = torch.tidy(() => model.forward(x).argmax({ dim: 1 }).eq(y).float().mean().item() as number);
    expect(acc).toBeGreaterThan(0.97);
  });
});
