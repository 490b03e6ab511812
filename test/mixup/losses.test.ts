// Soft-target cross-entropy vs the paired form λ·CE(y_a) + (1−λ)·CE(y_b): equal in value and in
// gradient w.r.t. the logits, per batch and per sample, with and without label smoothing; the
// values against a hand-written softmax; label smoothing folded as timm; the BCE option.
import { describe, it, expect } from 'vitest';
import { torch, mixup } from '../../lib/index.js';
import { vals, expectNear, f64, labels } from './util.js';

const L = [
  [1.0, -0.5, 2.0],
  [0.3, 0.8, -1.2],
  [-2.0, 0.1, 0.4],
  [0.0, 1.5, 0.5],
];
const Y = [0, 2, 1, 1];
const P = [3, 0, 1, 2];

/** −Σ t·log softmax(l), averaged over rows, in plain JS. */
function refSoftCE(logits: number[][], target: number[][]): number {
  let s = 0;
  logits.forEach((row, i) => {
    const m = Math.max(...row);
    const lse = m + Math.log(row.reduce((a, v) => a + Math.exp(v - m), 0));
    row.forEach((v, c) => (s -= target[i][c] * (v - lse)));
  });
  return s / logits.length;
}
function refTargets(lam: number[], eps = 0, C = 3): number[][] {
  const off = eps / C,
    on = 1 - eps + off;
  return Y.map((y, i) => [...Array(C).keys()].map((c) => lam[i] * (c === y ? on : off) + (1 - lam[i]) * (c === Y[P[i]] ? on : off)));
}

describe('soft targets', () => {
  it('smoothOneHot folds label smoothing: off = ε/C, on = 1 − ε + ε/C', () => {
    const t = mixup.smoothOneHot(labels([0, 2]), 4, 0.2, 'float64');
    expectNear(
      t,
      [
        [0.85, 0.05, 0.05, 0.05],
        [0.05, 0.05, 0.85, 0.05],
      ],
      1e-12,
    );
    expectNear(mixup.smoothOneHot(labels([1]), 3), [[0, 1, 0]], 0);
  });
  it('mixTargets = λ·onehot(y) + (1−λ)·onehot(y[partner]), per batch and per sample', () => {
    const y = labels(Y),
      p = labels(P);
    expectNear(mixup.mixTargets(y, p, torch.tensor(0.3, f64), 3, 0, 'float64'), refTargets([0.3, 0.3, 0.3, 0.3]), 1e-12);
    const lam = [0.1, 0.5, 0.9, 1];
    expectNear(mixup.mixTargets(y, p, torch.tensor(lam, f64), 3, 0.1, 'float64'), refTargets(lam, 0.1), 1e-12);
  });
});

describe('soft-target CE equals the paired form', () => {
  const cases: [string, number[] | number, number][] = [
    ['per batch', 0.3, 0],
    ['per batch, label smoothing 0.1', 0.7, 0.1],
    ['per sample', [0.1, 0.5, 0.9, 1], 0],
    ['per sample, label smoothing 0.2', [0.2, 0.4, 0.6, 0.0], 0.2],
  ];
  for (const [name, lamV, eps] of cases) {
    it(`${name}: value (against a hand-written softmax) and gradient`, () => {
      const y = labels(Y),
        p = labels(P);
      const lam = torch.tensor(lamV, f64);
      const lamArr = typeof lamV === 'number' ? Y.map(() => lamV) : lamV;
      const target = mixup.mixTargets(y, p, lam, 3, eps, 'float64');

      const l1 = torch.tensor(L, f64).requiresGrad_();
      const soft = mixup.softTargetCrossEntropy(l1, target);
      soft.backward();
      const l2 = torch.tensor(L, f64).requiresGrad_();
      const paired = mixup.pairedCrossEntropy(l2, y, p, lam, { labelSmoothing: eps });
      paired.backward();

      const want = refSoftCE(L, refTargets(lamArr, eps));
      expect(Math.abs((soft.item() as number) - want)).toBeLessThan(1e-12);
      expect(Math.abs((paired.item() as number) - want)).toBeLessThan(1e-12);
      // d/dlogits of the soft CE: (softmax − target) / N
      const g1 = vals(l1.grad!),
        g2 = vals(l2.grad!);
      const t = refTargets(lamArr, eps);
      L.forEach((row, i) => {
        const m = Math.max(...row);
        const z = row.reduce((a, v) => a + Math.exp(v - m), 0);
        row.forEach((v, c) => {
          const g = (Math.exp(v - m) / z - t[i][c]) / L.length;
          expect(Math.abs(g1[i * 3 + c] - g)).toBeLessThan(1e-12);
          expect(Math.abs(g2[i * 3 + c] - g)).toBeLessThan(1e-12);
        });
      });
    });
  }

  it('the method loss uses the soft form and equals the paired form on its own λ and partner', () => {
    torch.manualSeed(7);
    const x = torch.randn([4, 5], f64);
    const y = labels(Y);
    for (const mode of ['batch', 'elem'] as const) {
      const r = mixup.input({ mode, labelSmoothing: 0.1 }).apply({ x, y, numClasses: 3 });
      const logits = torch.tensor(L, f64);
      const a = r.loss(logits).item() as number;
      const b = mixup.pairedCrossEntropy(logits, y, r.partner, r.lam, { labelSmoothing: 0.1 }).item() as number;
      expect(Math.abs(a - b)).toBeLessThan(1e-12);
    }
  });
});

describe('BCE option (manifold mixup reference)', () => {
  it('BCE(softmax(logits), target), mean over N×C', () => {
    const logits = torch.tensor(L, f64);
    const t = refTargets([0.3, 0.3, 0.3, 0.3]);
    let s = 0;
    L.forEach((row, i) => {
      const z = row.reduce((a, v) => a + Math.exp(v), 0);
      row.forEach((v, c) => {
        const q = Math.exp(v) / z;
        s -= t[i][c] * Math.log(q) + (1 - t[i][c]) * Math.log(1 - q);
      });
    });
    const target = torch.tensor(t, f64);
    expect(Math.abs((mixup.softTargetBCE(logits, target).item() as number) - s / 12)).toBeLessThan(1e-12);
    const r = mixup.input({ loss: 'bce', sample: { lam: 0.3, partner: P } }).apply({ x: torch.zeros([4, 2], f64), y: labels(Y), numClasses: 3 });
    expect(Math.abs((r.loss(logits).item() as number) - s / 12)).toBeLessThan(1e-12);
  });
  it('loss(logits) checks the logits shape', () => {
    const r = mixup.none().apply({ x: torch.zeros([4, 2]), y: labels(Y), numClasses: 3 });
    expect(() => r.loss(torch.zeros([4, 10]))).toThrow(/expected logits of shape \[4, 3\]/);
  });
});
