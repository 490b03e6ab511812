// The attacks' update rules on a two-class linear model, where the gradient's sign is known by hand:
// for logits z = Wx + b and y the true class, ∇ₓ mean CE = p_{1−y}(W_{1−y} − W_y)/N, so
// sign(∇ₓ) = sign(W_{1−y} − W_y) whatever x is (and 0 where both rows are 0), and its direction is
// (W_{1−y} − W_y)/‖W_{1−y} − W_y‖. Then: ε = 0, the [0, 1] clamp and the ε-balls on random data, the
// folded normalisation, model modes, parameter gradients, no tensors left, bad input, evaluateAttack.
import { describe, it, expect } from 'vitest';
import { torch, nn, attacks, data } from '../../lib/index.js';
import { settledLiveTensors } from '../helpers/gc.js';

type Tensor = torch.Tensor;
const f = Math.fround;

// Rows of W: class 0 and class 1; column 3 is zero in both rows (gradient exactly 0 there).
const W = [
  [1.0, -2.0, 0.5, 0, -0.25],
  [-1.0, 1.0, 1.5, 0, 0.75],
];
const D = W[0].length;
function linear(): nn.Linear {
  const m = new nn.Linear(D, 2);
  torch.noGrad(() => {
    m.weight.copy_(torch.tensor(W, { dtype: 'float32' }));
    m.bias!.copy_(torch.tensor([0.1, -0.2], { dtype: 'float32' }));
  });
  return m;
}
const X = [
  [0.5, 0.02, 0.97, 0.4, 0.3],
  [0.03, 0.6, 0.5, 0.8, 0.99],
  [0.2, 0.95, 0.05, 0.1, 0.5],
];
const Y = [0, 1, 1];
const images = () => torch.tensor(X, { dtype: 'float32' });
const labels = () => torch.tensor(Y, { dtype: 'int64' });
/** sign(∇ₓCE) by hand for a sample of class y (untargeted). */
const sgn = (y: number) => W[0].map((_, j) => Math.sign(W[1 - y][j] - W[y][j]));
const rows = (t: Tensor) => t.tolist() as number[][];
const clamp = (v: number, lo: number, hi: number) => Math.min(Math.max(v, lo), hi);

describe('update rules against hand-computed values (2-class linear model)', () => {
  it('FGSM: clamp(x + ε·sign(g), 0, 1); a zero gradient leaves the pixel', () => {
    const eps = 0.1;
    const got = rows(attacks.fgsm(linear(), images(), labels(), { eps }));
    const want = X.map((x, i) => x.map((v, j) => clamp(f(f(v) + f(eps) * sgn(Y[i])[j]), 0, 1)));
    expect(got).toEqual(want);
    expect(got.map((r) => r[3])).toEqual(X.map((r) => f(r[3]))); // column 3: gradient 0
  });

  it('targeted FGSM flips the sign (descends the CE to the target)', () => {
    const eps = 0.05;
    const got = rows(attacks.fgsm(linear(), images(), labels(), { eps, targeted: true }));
    expect(got).toEqual(X.map((x, i) => x.map((v, j) => clamp(f(f(v) - f(eps) * sgn(Y[i])[j]), 0, 1))));
  });

  it('BIM, 2 steps of α = 0.06 with ε = 0.1: the second step is clipped to x₀ ± ε and to [0, 1]', () => {
    const [eps, alpha] = [0.1, 0.06];
    const got = rows(attacks.bim(linear(), images(), labels(), { eps, alpha, steps: 2 }));
    const want = X.map((x, i) =>
      x.map((v0, j) => {
        const x0 = f(v0);
        const lo = Math.max(f(x0 - f(eps)), 0);
        const hi = f(x0 + f(eps));
        let v = x0;
        for (let s = 0; s < 2; s++) v = Math.min(Math.min(Math.max(f(v + f(alpha) * sgn(Y[i])[j]), lo), hi), 1);
        return v;
      }),
    );
    expect(got).toEqual(want);
    // The clip binds: |x' − x₀| = ε (in float32) where the gradient is non-zero and [0, 1] does not cut.
    expect(Math.abs(got[0][0] - f(X[0][0]))).toBeCloseTo(eps, 6);
    expect(got[0][2]).toBe(1); // 0.97 + 0.1 cut at 1
  });

  it('BIM steps 0 uses Kurakin’s rule int(min(255ε + 4, 1.25·255ε))', () => {
    expect(attacks.kurakinSteps(8 / 255)).toBe(10);
    expect(attacks.kurakinSteps(4 / 255)).toBe(5);
    expect(attacks.kurakinSteps(16 / 255)).toBe(20);
    expect(attacks.kurakinSteps(2 / 255)).toBe(2);
    // 3 steps of 0.02 from ε = 0.05 (12.75 + 4 vs 15.9 → 15 steps would saturate at ε: same as many steps)
    const [eps, alpha] = [3 / 255, 1 / 255];
    const k = attacks.kurakinSteps(eps); // 3
    expect(k).toBe(3);
    const a = attacks.bim(linear(), images(), labels(), { eps, alpha, steps: 0 });
    const b = attacks.bim(linear(), images(), labels(), { eps, alpha, steps: k });
    const c = attacks.bim(linear(), images(), labels(), { eps, alpha, steps: k - 1 });
    expect(rows(a)).toEqual(rows(b));
    expect(rows(a)).not.toEqual(rows(c));
  });

  it('PGD from a given start δ0: x ← x + α·sign(g), δ = clamp(x − x₀, −ε, ε), x = clamp(x₀ + δ, 0, 1) (projection active)', () => {
    const [eps, alpha] = [0.1, 0.08];
    const start = [
      [0.05, -0.08, 0.02, 0.03, -0.1],
      [-0.04, 0.1, 0.0, -0.06, 0.05],
      [0.09, 0.01, -0.02, 0.0, -0.03],
    ];
    const got = rows(attacks.pgd(linear(), images(), labels(), { eps, alpha, steps: 2, start: torch.tensor(start, { dtype: 'float32' }) }));
    const want = X.map((x, i) =>
      x.map((v0, j) => {
        const x0 = f(v0);
        let v = clamp(f(x0 + f(start[i][j])), 0, 1);
        for (let s = 0; s < 2; s++) {
          const stepped = f(v + f(alpha) * sgn(Y[i])[j]);
          const delta = clamp(f(stepped - x0), -f(eps), f(eps));
          v = clamp(f(x0 + delta), 0, 1);
        }
        return v;
      }),
    );
    expect(got).toEqual(want);
    // The projection binds: pixel (0, 0) has sign −1, and δ0 − 2α = −0.11 would leave the ball.
    expect(sgn(Y[0])[0]).toBe(-1);
    expect(got[0][0]).toBe(f(f(X[0][0]) - f(eps)));
    // randomStart false and no start: the same rule from x₀.
    const plain = rows(attacks.pgd(linear(), images(), labels(), { eps, alpha, steps: 1, randomStart: false }));
    expect(plain).toEqual(X.map((x, i) => x.map((v, j) => clamp(f(f(v) + f(alpha) * sgn(Y[i])[j]), 0, 1))));
  });

  it('PGD-L2, one step from x₀: δ = α·g/‖g‖ scaled to the ε-ball (α > ε: projection active), then [0, 1]', () => {
    const [eps, alpha] = [0.3, 0.5];
    const got = rows(attacks.pgdL2(linear(), images(), labels(), { eps, alpha, steps: 1, randomStart: false }));
    X.forEach((x, i) => {
      const d = W[0].map((_, j) => W[1 - Y[i]][j] - W[Y[i]][j]);
      const n = Math.hypot(...d);
      const want = x.map((v, j) => clamp(v + (eps * d[j]) / n, 0, 1)); // α·u has norm α > ε → scaled to ε
      got[i].forEach((v, j) => expect(v).toBeCloseTo(want[j], 6));
    });
    // α < ε: the step is α·u (not projected).
    const small = rows(attacks.pgdL2(linear(), images(), labels(), { eps: 1, alpha: 0.2, steps: 1, randomStart: false }));
    X.forEach((x, i) => {
      const d = W[0].map((_, j) => W[1 - Y[i]][j] - W[Y[i]][j]);
      const n = Math.hypot(...d);
      small[i].forEach((v, j) => expect(v).toBeCloseTo(clamp(x[j] + (0.2 * d[j]) / n, 0, 1), 6));
    });
    // Targeted: the opposite direction.
    const tgt = rows(attacks.pgdL2(linear(), images(), labels(), { eps: 1, alpha: 0.2, steps: 1, randomStart: false, targeted: true }));
    X.forEach((x, i) => {
      const d = W[0].map((_, j) => W[1 - Y[i]][j] - W[Y[i]][j]);
      const n = Math.hypot(...d);
      tgt[i].forEach((v, j) => expect(v).toBeCloseTo(clamp(x[j] - (0.2 * d[j]) / n, 0, 1), 6));
    });
  });

  it('PGD-L2 from a given start: x₀ + δ0, then the step and the projection of the whole δ', () => {
    const [eps, alpha] = [0.4, 0.3];
    const start = X.map((_, i) => W[0].map((__, j) => (i + 1) * 0.05 * (j % 2 === 0 ? 1 : -1)));
    const got = rows(attacks.pgdL2(linear(), images(), labels(), { eps, alpha, steps: 1, start: torch.tensor(start, { dtype: 'float32' }) }));
    X.forEach((x, i) => {
      const d = W[0].map((_, j) => W[1 - Y[i]][j] - W[Y[i]][j]);
      const n = Math.hypot(...d);
      const x1 = x.map((v, j) => clamp(v + start[i][j], 0, 1));
      const delta = x1.map((v, j) => v + (alpha * d[j]) / n - x[j]);
      const s = Math.min(eps / Math.hypot(...delta), 1);
      got[i].forEach((v, j) => expect(v).toBeCloseTo(clamp(x[j] + delta[j] * s, 0, 1), 6));
    });
  });
});

// A small conv net on 3×8×8 images (random weights), for the properties on random data.
class TinyConv extends nn.Module {
  conv = new nn.Conv2d(3, 4, 3);
  fc = new nn.Linear(4 * 6 * 6, 5);
  forward(x: Tensor): Tensor {
    return this.fc.forward(nn.functional.relu(this.conv.forward(x)).flatten(1));
  }
}
function randomBatch(n = 16): { x: Tensor; y: Tensor } {
  // Pixels in [0, 1] with some exactly 0 and 1 (where the clamp binds).
  const x = torch.rand([n, 3, 8, 8]).mul(1.4).sub(0.2).clamp({ min: 0, max: 1 });
  return { x, y: torch.randint(0, 5, [n]) };
}
const ce = (m: nn.Module, x: Tensor, y: Tensor) => torch.noGrad(() => nn.functional.crossEntropy(m.forward(x) as Tensor, y).item() as number);
const LINF = ['fgsm', 'bim', 'pgd'] as const;

describe('properties on random data (small conv net, 3×8×8)', () => {
  torch.manualSeed(0);
  const model = new TinyConv().eval();
  const { x, y } = randomBatch();

  it('ε = 0 leaves the images (and so the accuracy) unchanged, for every attack', () => {
    for (const name of ['fgsm', 'bim', 'pgd', 'pgdl2'] as const) {
      const adv = attacks.ATTACKS[name](model, x, y, { eps: 0 });
      expect(adv.sub(x).abs().max().item(), name).toBe(0);
    }
  });

  it('results stay in [0, 1] and inside the L∞ ball; the loss goes up (down for targeted)', () => {
    const clean = ce(model, x, y);
    for (const name of LINF) {
      for (const eps of [2 / 255, 8 / 255, 0.1]) {
        const adv = attacks.ATTACKS[name](model, x, y, { eps });
        expect(adv.shape).toEqual(x.shape);
        expect(adv.dtype).toBe('float32');
        expect(adv.min().item(), `${name} ε=${eps}`).toBeGreaterThanOrEqual(0);
        expect(adv.max().item(), `${name} ε=${eps}`).toBeLessThanOrEqual(1);
        expect(adv.sub(x).abs().max().item() as number, `${name} ε=${eps}`).toBeLessThanOrEqual(eps + 1e-6);
        expect(ce(model, adv, y), `${name} ε=${eps}`).toBeGreaterThan(clean);
      }
    }
    const target = y.add(1).remainder(5);
    const toTarget = ce(model, x, target);
    expect(ce(model, attacks.pgd(model, x, target, { targeted: true }), target)).toBeLessThan(toTarget);
  });

  it('PGD’s random start lies in the ball, varies with the seed, repeats with it', () => {
    torch.manualSeed(5);
    const a = attacks.pgd(model, x, y, { steps: 0 });
    torch.manualSeed(5);
    const b = attacks.pgd(model, x, y, { steps: 0 });
    const c = attacks.pgd(model, x, y, { steps: 0 });
    expect(a.sub(b).abs().max().item()).toBe(0);
    expect(a.sub(c).abs().max().item() as number).toBeGreaterThan(0);
    expect(a.sub(x).abs().max().item() as number).toBeLessThanOrEqual(8 / 255 + 1e-6);
    expect(a.sub(x).abs().max().item() as number).toBeGreaterThan(4 / 255); // a real spread, not 0
  });

  it('PGD-L2 stays in [0, 1] and inside the per-sample L2 ball (with and without random start)', () => {
    const clean = ce(model, x, y);
    for (const eps of [0.25, 1]) {
      for (const randomStart of [true, false]) {
        const adv = attacks.pgdL2(model, x, y, { eps, randomStart });
        expect(adv.min().item()).toBeGreaterThanOrEqual(0);
        expect(adv.max().item()).toBeLessThanOrEqual(1);
        const norms = Array.from(adv.sub(x).reshape([x.shape[0], -1]).norm({ dim: 1 }).toArray() as Float32Array);
        for (const n of norms) expect(n).toBeLessThanOrEqual(eps * (1 + 1e-5));
        expect(Math.max(...norms)).toBeGreaterThan(eps * 0.5);
        expect(ce(model, adv, y)).toBeGreaterThan(clean);
      }
    }
    // The random start alone: norms ≤ ε, spread over (0, ε).
    const s = attacks.pgdL2(model, x, y, { eps: 1, steps: 0 });
    const sn = Array.from(s.sub(x).reshape([x.shape[0], -1]).norm({ dim: 1 }).toArray() as Float32Array);
    expect(Math.max(...sn)).toBeLessThanOrEqual(1 + 1e-5);
    expect(Math.min(...sn)).toBeLessThan(Math.max(...sn));
  });

  it('N×D inputs work (L2 norms per sample over D)', () => {
    const m = linear();
    const adv = attacks.pgdL2(m, images(), labels(), { eps: 0.2, alpha: 0.1, steps: 3 });
    const norms = Array.from(adv.sub(images()).norm({ dim: 1 }).toArray() as Float32Array);
    for (const n of norms) expect(n).toBeLessThanOrEqual(0.2 * (1 + 1e-5));
  });

  it('float64 images give float64 results', () => {
    const m = new TinyConv().double().eval();
    const adv = attacks.pgd(m, x.double(), y, { steps: 2 });
    expect(adv.dtype).toBe('float64');
    expect(adv.sub(x.double()).abs().max().item() as number).toBeLessThanOrEqual(8 / 255 + 1e-12);
  });
});

describe('normalisation folded into the model', () => {
  const mean = [0.4914, 0.4822, 0.4465];
  const std = [0.247, 0.243, 0.261];
  class Normalized extends nn.Module {
    constructor(readonly inner: nn.Module) {
      super();
    }
    forward(x: Tensor): Tensor {
      const m = torch.tensor(mean, { dtype: 'float32' }).reshape([1, 3, 1, 1]);
      const s = torch.tensor(std, { dtype: 'float32' }).reshape([1, 3, 1, 1]);
      return this.inner.forward(x.sub(m).div(s)) as Tensor;
    }
  }
  torch.manualSeed(1);
  const inner = new TinyConv().eval();
  const { x, y } = randomBatch(8);

  it('an attack with normalize equals the same attack on a model that normalises itself; ε stays in pixel space', () => {
    for (const name of ['fgsm', 'bim', 'pgd', 'pgdl2'] as const) {
      const start =
        name === 'pgd'
          ? torch
              .rand(x.shape)
              .mul(2)
              .sub(1)
              .mul(8 / 255)
          : name === 'pgdl2'
            ? torch.randn(x.shape).mul(0.01)
            : undefined;
      const a = attacks.ATTACKS[name](inner, x, y, { normalize: { mean, std }, ...(start ? { start } : {}) });
      const b = attacks.ATTACKS[name](new Normalized(inner), x, y, start ? { start } : {});
      expect(a.sub(b).abs().max().item(), name).toBe(0);
      if (name !== 'pgdl2') expect(a.sub(x).abs().max().item() as number, name).toBeLessThanOrEqual(8 / 255 + 1e-6);
    }
    // …and normalize is not ignored: per-channel std changes the L2 step's direction.
    const c = attacks.pgdL2(inner, x, y, { randomStart: false, normalize: { mean, std } });
    const d = attacks.pgdL2(inner, x, y, { randomStart: false });
    expect(c.sub(d).abs().max().item() as number).toBeGreaterThan(1e-3);
  });

  it('a scalar mean/std applies to every channel', () => {
    const a = attacks.fgsm(inner, x, y, { normalize: { mean: 0.5, std: 0.25 } });
    const b = attacks.fgsm(inner, x, y, { normalize: { mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25] } });
    expect(a.sub(b).abs().max().item()).toBe(0);
  });
});

describe('the model: eval mode during the attack, modes and parameter gradients as they were, no tensors left', () => {
  class Recorder extends nn.Module {
    inner = new TinyConv();
    seen: boolean[] = [];
    forward(x: Tensor): Tensor {
      this.seen.push(this.training, this.inner.training);
      return this.inner.forward(x);
    }
  }
  const { x, y } = randomBatch(4);

  it('train → train, eval → eval, a mixed state kept module by module; eval during the attack', () => {
    for (const name of ['fgsm', 'bim', 'pgd', 'pgdl2'] as const) {
      const m = new Recorder();
      m.train();
      attacks.ATTACKS[name](m, x, y, { steps: 2 });
      expect(m.training && m.inner.training && m.inner.conv.training, name).toBe(true);
      expect(m.seen.length).toBeGreaterThan(0);
      expect(
        m.seen.every((t) => !t),
        `${name}: eval during the attack`,
      ).toBe(true);
      m.eval();
      attacks.ATTACKS[name](m, x, y, { steps: 2 });
      expect(m.training || m.inner.training, name).toBe(false);
      m.train();
      m.inner.fc.eval();
      attacks.ATTACKS[name](m, x, y, { steps: 2 });
      expect([m.training, m.inner.training, m.inner.conv.training, m.inner.fc.training], name).toEqual([true, true, true, false]);
    }
  });

  it('the mode is restored when the attack throws', () => {
    const m = new Recorder().train();
    expect(() => attacks.fgsm(m, x, y.narrow(0, 0, 2))).toThrow(torch.TorchValueError);
    class Broken extends nn.Module {
      forward(): Tensor {
        throw new Error('boom');
      }
    }
    const b = new Broken().train();
    expect(() => attacks.fgsm(b, x, y)).toThrow('boom');
    expect(b.training).toBe(true);
  });

  it("parameters' .grad stay as they were (null stays null; existing values unchanged)", () => {
    const m = new TinyConv();
    for (const name of ['fgsm', 'bim', 'pgd', 'pgdl2'] as const) attacks.ATTACKS[name](m, x, y, { steps: 2 });
    for (const p of m.parameters()) expect(p.grad).toBeNull();
    nn.functional.crossEntropy(m.forward(x), y).backward();
    const before = m.parameters().map((p) => Array.from(p.grad!.toArray() as Float32Array));
    for (const name of ['fgsm', 'bim', 'pgd', 'pgdl2'] as const) attacks.ATTACKS[name](m, x, y, { steps: 2 });
    expect(m.parameters().map((p) => Array.from(p.grad!.toArray() as Float32Array))).toEqual(before);
    expect(x.requiresGrad).toBe(false);
  });

  it('works inside torch.noGrad (gradients are enabled for the attack only)', () => {
    const m = new TinyConv().eval();
    const a = torch.noGrad(() => attacks.pgd(m, x, y, { randomStart: false, steps: 3 }));
    const b = attacks.pgd(m, x, y, { randomStart: false, steps: 3 });
    expect(a.sub(b).abs().max().item()).toBe(0);
    expect(a.requiresGrad).toBe(false);
    expect(torch.isGradEnabled()).toBe(true);
  });

  it('leaves exactly one new tensor (the result) and none once it is disposed', () => {
    const m = new TinyConv().eval();
    for (const name of ['fgsm', 'bim', 'pgd', 'pgdl2'] as const) {
      for (const opts of [{ steps: 3 }, { steps: 3, normalize: { mean: 0.5, std: 0.2 }, targeted: true }]) {
        const before = settledLiveTensors();
        const adv = attacks.ATTACKS[name](m, x, y, opts);
        expect(settledLiveTensors() - before, name).toBe(1);
        adv.dispose();
        expect(settledLiveTensors(), name).toBe(before);
      }
    }
    // Inside a caller's tidy, nothing at all survives it.
    const before = settledLiveTensors();
    torch.tidy(() => void attacks.bim(m, x, y));
    expect(settledLiveTensors()).toBe(before);
  });
});

describe('bad input: errors naming the argument', () => {
  const m = linear();
  const x = images();
  const y = labels();
  const cases: [string, () => unknown, typeof torch.TorchError, RegExp][] = [
    ['uint8 images', () => attacks.fgsm(m, x.mul(255).to('uint8'), y), torch.TorchTypeError, /images must be a floating tensor.*uint8/],
    ['int64 images', () => attacks.pgd(m, torch.zeros([3, D], { dtype: 'int64' }), y), torch.TorchTypeError, /images must be a floating/],
    ['values above 1', () => attacks.bim(m, x.mul(2), y), torch.TorchValueError, /images must be pixel values in \[0, 1\].*normalize/],
    ['values below 0', () => attacks.pgdL2(m, x.sub(0.5), y), torch.TorchValueError, /images must be pixel values in \[0, 1\]/],
    ['NaN pixels', () => attacks.fgsm(m, x.div(0).mul(0), y), torch.TorchValueError, /pixel values/],
    ['label count', () => attacks.fgsm(m, x, y.narrow(0, 0, 2)), torch.TorchValueError, /labels must have shape \[3\].*\[2\]/],
    ['float labels', () => attacks.fgsm(m, x, y.float()), torch.TorchTypeError, /labels must be int64/],
    ['eps < 0', () => attacks.pgd(m, x, y, { eps: -0.1 }), torch.TorchValueError, /pgd\(\): eps must be/],
    ['eps NaN', () => attacks.fgsm(m, x, y, { eps: NaN }), torch.TorchValueError, /eps must be/],
    ['alpha < 0', () => attacks.bim(m, x, y, { alpha: -1 }), torch.TorchValueError, /alpha must be/],
    ['steps < 0', () => attacks.bim(m, x, y, { steps: -1 }), torch.TorchValueError, /bim\(\): steps must be a non-negative integer/],
    ['steps 1.5', () => attacks.pgdL2(m, x, y, { steps: 1.5 }), torch.TorchValueError, /steps must be a non-negative integer/],
    [
      'start shape',
      () => attacks.pgd(m, x, y, { start: torch.zeros([3, D + 1]) }),
      torch.TorchValueError,
      /start must have the images' shape \[3, 5\].*\[3, 6\]/,
    ],
    ['start int', () => attacks.pgd(m, x, y, { start: torch.zeros([3, D], { dtype: 'int64' }) }), torch.TorchTypeError, /start must be a floating/],
    ['fgsm start', () => attacks.fgsm(m, x, y, { start: torch.zeros([3, D]) }), torch.TorchValueError, /fgsm has no random start/],
    ['unknown option', () => attacks.fgsm(m, x, y, { epsilon: 0.1 } as never), torch.TorchValueError, /unknown option 'epsilon'/],
    [
      'normalize length',
      () => attacks.fgsm(m, x, y, { normalize: { mean: [0.5, 0.5], std: 1 } }),
      torch.TorchValueError,
      /normalize.mean must be a number or 5 numbers/,
    ],
    ['normalize std 0', () => attacks.fgsm(m, x, y, { normalize: { mean: 0.5, std: 0 } }), torch.TorchValueError, /normalize.std must be positive/],
    ['1-d images', () => attacks.fgsm(m, torch.zeros([D]), y), torch.TorchValueError, /images must be a batch/],
    ['not a tensor', () => attacks.fgsm(m, [[0.5]] as never, y), torch.TorchTypeError, /images must be a Tensor/],
    ['not a model', () => attacks.fgsm({} as never, x, y), torch.TorchTypeError, /model must be an nn.Module/],
    [
      'unknown attack',
      () => attacks.evaluateAttack(m, [{ x, y }], { attack: 'cw' as never }),
      torch.TorchValueError,
      /attack must be one of fgsm, bim, pgd, pgdl2, got "cw"/,
    ],
    ['limit 0', () => attacks.evaluateAttack(m, [{ x, y }], { attack: 'fgsm', limit: 0 }), torch.TorchValueError, /limit must be a positive integer/],
    ['evaluate eps', () => attacks.evaluateAttack(m, [{ x, y }], { attack: 'fgsm', eps: -1 }), torch.TorchValueError, /evaluateAttack\(\): eps must be/],
    ['empty loader', () => attacks.evaluateAttack(m, [], { attack: 'fgsm' }), torch.TorchValueError, /no samples/],
  ];
  for (const [what, fn, cls, msg] of cases) {
    it(what, () => {
      expect(fn).toThrow(cls);
      expect(fn).toThrow(msg);
    });
  }

  it('a tolerance of an ulp or so around [0, 1] is accepted (normalised data mapped back)', () => {
    expect(() => attacks.fgsm(m, x.sub(x).sub(3e-8), y)).not.toThrow();
  });
});

describe('evaluateAttack', () => {
  torch.manualSeed(2);
  const model = new TinyConv().eval();
  const x = torch.rand([10, 3, 8, 8]);
  const y = torch.randint(0, 5, [10]);
  const loader = () => new data.DataLoader({ x, y }, { batchSize: 4 });
  const norm = { mean: 0.45, std: 0.25 };
  const manual = (advOf: (bx: Tensor, by: Tensor) => Tensor, limit = 10) =>
    torch.tidy(() => {
      let correct = 0;
      let loss = 0;
      for (let i = 0; i < limit; i += 4) {
        const k = Math.min(4, limit - i);
        const bx = x.narrow(0, i, k);
        const by = y.narrow(0, i, k);
        const logits = model.forward(advOf(bx, by).sub(norm.mean).div(norm.std));
        correct += logits.argmax({ dim: 1 }).eq(by).sum().item() as number;
        loss += nn.functional.crossEntropy(logits, by, { reduction: 'sum' }).item() as number;
      }
      return { acc: correct / limit, loss: loss / limit };
    });

  it('ε = 0 is the clean evaluation; FGSM/PGD match attacking batch by batch by hand', () => {
    const clean = attacks.evaluateAttack(model, loader(), { attack: 'pgd', eps: 0, normalize: norm });
    const want = manual((bx) => bx);
    expect(clean).toMatchObject({ attack: 'pgd', eps: 0, n: 10 });
    expect(clean.acc).toBe(want.acc);
    expect(clean.loss).toBeCloseTo(want.loss, 5);
    expect(clean.seconds).toBeGreaterThanOrEqual(0);
    const r = attacks.evaluateAttack(model, loader(), { attack: 'fgsm', eps: 0.05, normalize: norm });
    const w = manual((bx, by) => attacks.fgsm(model, bx, by, { eps: 0.05, normalize: norm }));
    expect(r.acc).toBe(w.acc);
    expect(r.loss).toBeCloseTo(w.loss, 5);
    expect(r.loss).toBeGreaterThan(clean.loss);
    const p = attacks.evaluateAttack(model, loader(), { attack: 'bim', eps: 0.05, steps: 3, normalize: norm });
    expect(p.loss).toBeCloseTo(manual((bx, by) => attacks.bim(model, bx, by, { eps: 0.05, steps: 3, normalize: norm })).loss, 5);
    expect(attacks.evaluateAttack(model, loader(), { attack: 'pgdl2', normalize: norm }).eps).toBe(1);
    expect(attacks.evaluateAttack(model, loader(), { attack: 'fgsm', normalize: norm }).eps).toBe(8 / 255);
  });

  it('limit cuts the last batch; a plain array of batches works; mode restored; no tensors left', () => {
    const r = attacks.evaluateAttack(model, loader(), { attack: 'fgsm', eps: 0.05, normalize: norm, limit: 6 });
    expect(r.n).toBe(6);
    expect(r.loss).toBeCloseTo(manual((bx, by) => attacks.fgsm(model, bx, by, { eps: 0.05, normalize: norm }), 6).loss, 5);
    const arr = [{ x: x.narrow(0, 0, 5), y: y.narrow(0, 0, 5) }];
    expect(attacks.evaluateAttack(model, arr, { attack: 'pgd', eps: 0, normalize: norm, limit: 100 }).n).toBe(5);
    model.train();
    attacks.evaluateAttack(model, arr, { attack: 'pgd', normalize: norm });
    expect(model.training).toBe(true);
    model.eval();
    const l = loader();
    const before = settledLiveTensors();
    attacks.evaluateAttack(model, l, { attack: 'pgd', steps: 2, normalize: norm });
    attacks.evaluateAttack(model, l, { attack: 'fgsm', normalize: norm, limit: 3 }); // an early stop frees the epoch's tables
    expect(settledLiveTensors()).toBe(before);
  });
});

describe.skipIf(!torch.cuda.isAvailable())('on CUDA (skipped: no CUDA device)', () => {
  it('attacks run on the images’ device and equal the CPU results', () => {
    torch.manualSeed(3);
    const m = new TinyConv().eval();
    const { x, y } = randomBatch(8);
    const mc = new TinyConv().eval();
    mc.loadStateDict(m.stateDict());
    mc.to('cuda');
    for (const name of ['fgsm', 'bim', 'pgdl2'] as const) {
      const opts = name === 'pgdl2' ? { randomStart: false } : {};
      const a = attacks.ATTACKS[name](mc, x.to('cuda'), y.to('cuda'), opts);
      expect(a.device).toMatch(/^cuda/);
      const b = attacks.ATTACKS[name](m, x, y, opts);
      // sign() of a near-zero gradient can differ between devices: all but a few pixels equal.
      const diff = a.cpu().sub(b).abs();
      expect(diff.gt(1e-5).float().mean().item() as number, name).toBeLessThan(0.01);
    }
  });
});
