// Statistical checks of the samplers that must hold with any LibTorch version (the exact streams
// are compared with PyTorch in values.test.ts, only where the LibTorch versions match).
// Every tolerance is 5 standard errors of the statistic, so a correct sampler fails with
// probability below 1e-6 per check; each test seeds the generator, so a run is reproducible.
import { describe, it, expect } from 'vitest';
import { torch, nn } from '../../lib/index.js';
type Tensor = torch.Tensor;

const SIGMAS = 5;

function nums(t: Tensor): number[] {
  return Array.from(t.toArray() as ArrayLike<number | bigint>, Number);
}
function moments(xs: number[]): { n: number; mean: number; var: number } {
  const n = xs.length;
  let s = 0;
  for (const x of xs) s += x;
  const mean = s / n;
  let v = 0;
  for (const x of xs) v += (x - mean) ** 2;
  return { n, mean, var: v / (n - 1) };
}
/** |got − want| ≤ 5·se, with a message that shows the numbers. */
function expectWithin(got: number, want: number, se: number, what: string): void {
  expect(Math.abs(got - want), `${what}: got ${got}, want ${want} ± ${SIGMAS}·${se.toExponential(2)}`).toBeLessThanOrEqual(SIGMAS * se);
}

describe('Beta(α, α) — the mixup λ sampler', () => {
  const N = 200_000;
  for (const alpha of [0.5, 1, 2]) {
    for (const dtype of ['float32', 'float64'] as const) {
      it(`α = ${alpha} (${dtype}): mean 1/2, variance 1/(4(2α+1)), support [0, 1]`, () => {
        torch.manualSeed(1000 + alpha * 10);
        torch.tidy(() => {
          const s = new torch.distributions.Beta(alpha, alpha, { dtype }).sample([N]);
          expect(s.shape).toEqual([N]);
          expect(s.dtype).toBe(dtype);
          const xs = nums(s);
          expect(xs.every((x) => x >= 0 && x <= 1 && Number.isFinite(x))).toBe(true);
          const m = moments(xs);
          const v = 1 / (4 * (2 * alpha + 1));
          // excess kurtosis of Beta(α, α) is −6/(2α+3): Var(sample variance) ≈ v²(2 − 6/(2α+3))/n
          expectWithin(m.mean, 0.5, Math.sqrt(v / N), 'mean');
          expectWithin(m.var, v, v * Math.sqrt((2 - 6 / (2 * alpha + 3)) / N), 'variance');
          // symmetric: P(λ < 1/2) = 1/2
          const below = xs.filter((x) => x < 0.5).length / N;
          expectWithin(below, 0.5, Math.sqrt(0.25 / N), 'P(λ < 1/2)');
        });
      });
    }
  }
  it('Beta(2, 5) (asymmetric): mean α/(α+β)', () => {
    torch.manualSeed(7);
    torch.tidy(() => {
      const [a, b] = [2, 5];
      const m = moments(nums(new torch.distributions.Beta(a, b, { dtype: 'float64' }).sample([N])));
      const v = (a * b) / ((a + b) ** 2 * (a + b + 1));
      expectWithin(m.mean, a / (a + b), Math.sqrt(v / N), 'mean');
    });
  });
});

describe('Gamma(k, rate)', () => {
  const N = 200_000;
  for (const [k, rate] of [
    [0.5, 1],
    [2, 1],
    [5, 1],
    [3, 2],
  ]) {
    it(`k = ${k}, rate = ${rate}: mean k/rate, variance k/rate²`, () => {
      torch.manualSeed(2000 + k * 10 + rate);
      torch.tidy(() => {
        const xs = nums(new torch.distributions.Gamma(k, rate, { dtype: 'float64' }).sample([N]));
        expect(xs.every((x) => x >= 0)).toBe(true);
        const m = moments(xs);
        const mean = k / rate,
          v = k / rate ** 2;
        expectWithin(m.mean, mean, Math.sqrt(v / N), 'mean');
        // Gamma: μ4 = 3k(k+2)/rate⁴, so Var(sample variance) ≈ (μ4 − v²)/n = (2k² + 6k)/(rate⁴ n)
        expectWithin(m.var, v, Math.sqrt((2 * k * k + 6 * k) / rate ** 4 / N), 'variance');
      });
    });
  }
  it('per-element concentrations broadcast: sample shape [n, ...batch] and each column has its own mean', () => {
    torch.manualSeed(3);
    torch.tidy(() => {
      const ks = [0.5, 4];
      const s = new torch.distributions.Gamma(torch.tensor(ks, { dtype: 'float64' })).sample([N]);
      expect(s.shape).toEqual([N, 2]);
      const means = nums(s.mean({ dim: 0 }));
      ks.forEach((k, j) => expectWithin(means[j], k, Math.sqrt(k / N), `column ${j} mean`));
    });
  });
  it('rsample is reparameterised: E[∂X/∂k] = ∂E[X]/∂k = 1', () => {
    torch.manualSeed(4);
    torch.tidy(() => {
      const k = torch.full([N], 2, { dtype: 'float64', requiresGrad: true });
      new torch.distributions.Gamma(k).rsample().sum().backward();
      const m = moments(nums(k.grad!));
      expectWithin(m.mean, 1, Math.sqrt(m.var / N), 'mean of dX/dk');
    });
  });
});

describe('uniform and normal draws', () => {
  const N = 200_000;
  it('rand: [0, 1), mean 1/2, variance 1/12 (float32 and float64)', () => {
    torch.manualSeed(5);
    for (const dtype of ['float32', 'float64'] as const) {
      torch.tidy(() => {
        const t = torch.rand([N], { dtype });
        expect(t.dtype).toBe(dtype);
        const xs = nums(t);
        expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
        const m = moments(xs);
        expectWithin(m.mean, 0.5, Math.sqrt(1 / 12 / N), `${dtype} mean`);
        expectWithin(m.var, 1 / 12, Math.sqrt((1 / 80 - 1 / 144) / N), `${dtype} variance`);
      });
    }
  });
  it('randn: mean 0, variance 1, P(|z| < 1) ≈ 0.6827', () => {
    torch.manualSeed(6);
    torch.tidy(() => {
      const xs = nums(torch.randn([N], { dtype: 'float64' }));
      const m = moments(xs);
      expectWithin(m.mean, 0, Math.sqrt(1 / N), 'mean');
      expectWithin(m.var, 1, Math.sqrt(2 / N), 'variance');
      const p = 0.682689492;
      expectWithin(xs.filter((x) => Math.abs(x) < 1).length / N, p, Math.sqrt((p * (1 - p)) / N), 'P(|z| < 1)');
    });
  });
  it('uniform_(a, b) and normal_(μ, σ) in place', () => {
    torch.manualSeed(8);
    torch.tidy(() => {
      const u = torch.empty([N], { dtype: 'float64' });
      expect(u.uniform_(-2, 3)).toBe(u);
      const mu = moments(nums(u));
      expect(u.min().item()).toBeGreaterThanOrEqual(-2);
      expect(u.max().item()).toBeLessThan(3);
      expectWithin(mu.mean, 0.5, Math.sqrt(25 / 12 / N), 'uniform mean');
      expectWithin(mu.var, 25 / 12, (25 / 12) * Math.sqrt(0.8 / N), 'uniform variance');
      const g = torch.empty([N], { dtype: 'float64' }).normal_(3, 0.5);
      const mg = moments(nums(g));
      expectWithin(mg.mean, 3, Math.sqrt(0.25 / N), 'normal mean');
      expectWithin(mg.var, 0.25, 0.25 * Math.sqrt(2 / N), 'normal variance');
    });
  });
  it('randint(low, high): integers in [low, high), every value drawn, uniform frequencies', () => {
    torch.manualSeed(9);
    torch.tidy(() => {
      const t = torch.randint(-3, 4, [70_000]);
      expect(t.dtype).toBe('int64');
      const xs = nums(t);
      const counts = new Map<number, number>();
      for (const x of xs) counts.set(x, (counts.get(x) ?? 0) + 1);
      expect([...counts.keys()].sort((a, b) => a - b)).toEqual([-3, -2, -1, 0, 1, 2, 3]);
      for (const [v, c] of counts) expectWithin(c / xs.length, 1 / 7, Math.sqrt(((1 / 7) * (6 / 7)) / xs.length), `P(${v})`);
      // randint(high, shape) form
      expect(nums(torch.randint(2, [1000])).every((x) => x === 0 || x === 1)).toBe(true);
    });
  });
});

describe('bernoulli', () => {
  const N = 200_000;
  it('fixed p: rate ≈ p, values in {0, 1}, shape and dtype of the input', () => {
    torch.manualSeed(10);
    torch.tidy(() => {
      for (const p of [0.05, 0.3, 0.5, 0.9]) {
        const t = torch.bernoulli(torch.zeros([N], { dtype: 'float64' }), p);
        expect(t.shape).toEqual([N]);
        expect(t.dtype).toBe('float64');
        const xs = nums(t);
        expect(xs.every((x) => x === 0 || x === 1)).toBe(true);
        expectWithin(xs.reduce((a, b) => a + b, 0) / N, p, Math.sqrt((p * (1 - p)) / N), `rate for p = ${p}`);
      }
    });
  });
  it('per-element probabilities from the tensor; p = 0 and p = 1 are certain', () => {
    torch.manualSeed(11);
    torch.tidy(() => {
      const probs = torch.tensor([0, 0.25, 0.75, 1], { dtype: 'float64' }).expand([N, 4]).contiguous();
      const t = torch.bernoulli(probs);
      const rates = nums(t.mean({ dim: 0 }));
      expect(rates[0]).toBe(0);
      expect(rates[3]).toBe(1);
      expectWithin(rates[1], 0.25, Math.sqrt(0.1875 / N), 'rate for 0.25');
      expectWithin(rates[2], 0.75, Math.sqrt(0.1875 / N), 'rate for 0.75');
    });
  });
});

describe('multinomial', () => {
  it('with replacement: category frequencies ∝ the (unnormalised) weights; zero weight never drawn', () => {
    torch.manualSeed(12);
    torch.tidy(() => {
      const N = 100_000;
      const w = [1, 2, 3, 4, 0];
      const t = torch.multinomial(torch.tensor(w, { dtype: 'float64' }), N, { replacement: true });
      expect(t.shape).toEqual([N]);
      expect(t.dtype).toBe('int64');
      const counts = [0, 0, 0, 0, 0];
      for (const x of nums(t)) counts[x]++;
      expect(counts[4]).toBe(0);
      w.slice(0, 4).forEach((wi, k) => {
        const p = wi / 10;
        expectWithin(counts[k] / N, p, Math.sqrt((p * (1 - p)) / N), `frequency of ${k}`);
      });
    });
  });
  it('without replacement: each row draws distinct categories; the first draw follows the weights', () => {
    torch.manualSeed(13);
    torch.tidy(() => {
      const R = 20_000;
      const probs = torch.tensor([0.1, 0.2, 0.3, 0.4], { dtype: 'float64' }).expand([R, 4]).contiguous();
      const t = torch.multinomial(probs, 4);
      expect(t.shape).toEqual([R, 4]);
      const rows = t.tolist() as number[][];
      expect(rows.every((r) => [...r].sort().join() === '0,1,2,3')).toBe(true);
      const first = [0, 0, 0, 0];
      for (const r of rows) first[r[0]]++;
      [0.1, 0.2, 0.3, 0.4].forEach((p, k) => expectWithin(first[k] / R, p, Math.sqrt((p * (1 - p)) / R), `first draw = ${k}`));
    });
  });
});

describe('randperm', () => {
  it('is a permutation of 0..n-1 (n = 0, 1, 1000), int64', () => {
    torch.manualSeed(14);
    torch.tidy(() => {
      for (const n of [0, 1, 1000]) {
        const p = torch.randperm(n);
        expect(p.dtype).toBe('int64');
        expect(p.shape).toEqual([n]);
        expect(nums(p).sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, i) => i));
      }
      // and not the identity (probability 1/1000! for a correct sampler)
      const p = nums(torch.randperm(1000));
      expect(p.some((v, i) => v !== i)).toBe(true);
    });
  });
  it('position of element 0 is uniform over 10 000 permutations of 5', () => {
    torch.manualSeed(15);
    torch.tidy(() => {
      const R = 10_000;
      const pos = [0, 0, 0, 0, 0];
      for (let r = 0; r < R; r++) pos[nums(torch.randperm(5)).indexOf(0)]++;
      pos.forEach((c, k) => expectWithin(c / R, 0.2, Math.sqrt(0.16 / R), `P(0 at ${k})`));
    });
  });
});

describe('dropout', () => {
  it('training: zeros with probability p, survivors scaled by 1/(1−p); eval and p = 0 are the identity', () => {
    torch.manualSeed(16);
    torch.tidy(() => {
      const N = 100_000;
      const x = torch.full([N], 3, { dtype: 'float64' });
      const y = nums(nn.functional.dropout(x, { p: 0.25, training: true }));
      expect(y.every((v) => v === 0 || Math.abs(v - 4) < 1e-12)).toBe(true);
      expectWithin(y.filter((v) => v === 0).length / N, 0.25, Math.sqrt(0.1875 / N), 'drop rate');
      expect(nums(nn.functional.dropout(x, { p: 0.25, training: false })).every((v) => v === 3)).toBe(true);
      expect(nums(nn.functional.dropout(x, { p: 0, training: true })).every((v) => v === 3)).toBe(true);
      expect(nums(nn.functional.dropout(x, { p: 1, training: true })).every((v) => v === 0)).toBe(true);
    });
  });
});

describe('manualSeed reproducibility', () => {
  const draw = (): number[][] =>
    torch.tidy(() => [
      nums(torch.rand([4])),
      nums(torch.randn([4], { dtype: 'float64' })),
      nums(torch.randint(0, 1000, [4])),
      nums(torch.randperm(10)),
      nums(torch.bernoulli(torch.full([8], 0.5))),
      nums(torch.multinomial(torch.ones([10]), 5)),
      nums(new torch.distributions.Beta(0.4, 0.4).sample([4])),
      nums(new torch.distributions.Gamma(torch.tensor([0.5, 3], { dtype: 'float64' })).sample([2])),
      nums(torch.empty([3]).uniform_(-1, 1)),
      nums(torch.empty([3]).normal_(0, 2)),
      nums(torch.randLike(torch.zeros([3]))),
      nums(torch.randnLike(torch.zeros([3], { dtype: 'float64' }))),
      nums(nn.functional.dropout(torch.ones([16]), { p: 0.5 })),
    ]);
  it('the same seed gives identical draws, bit for bit', () => {
    torch.manualSeed(1234);
    const a = draw();
    torch.manualSeed(1234);
    const b = draw();
    expect(b).toEqual(a);
  });
  it('a different seed, or no reseed, gives different draws', () => {
    torch.manualSeed(1234);
    const a = draw();
    const next = draw();
    torch.manualSeed(1235);
    const c = draw();
    // every continuous stream differs (a collision has probability ~0)
    for (const k of [0, 1, 7, 8, 9, 10, 11]) {
      expect(next[k], `stream ${k} continues`).not.toEqual(a[k]);
      expect(c[k], `stream ${k} with another seed`).not.toEqual(a[k]);
    }
  });
  it('seeding rejects negative and fractional seeds', () => {
    expect(() => torch.manualSeed(-1)).toThrow(/seed/);
    expect(() => torch.manualSeed(1.5)).toThrow(/seed/);
  });
});

describe('generator state', () => {
  it('setRngState(getRngState()) replays the same draws; a bad state is a clear error', () => {
    torch.manualSeed(123);
    torch.rand([3]);
    const st = torch.getRngState();
    expect(st.dtype).toBe('uint8');
    const a = torch.randn([5]).tolist();
    const b = torch.randperm(7).tolist();
    torch.setRngState(st);
    expect(torch.randn([5]).tolist()).toEqual(a);
    expect(torch.randperm(7).tolist()).toEqual(b);
    expect(() => torch.setRngState(torch.zeros([3]))).toThrow(torch.TorchValueError);
  });
});
