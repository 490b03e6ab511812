// Input mixup and ERM on tiny tensors against hand-computed values; prob, α = 0, the epoch
// schedule, reproducibility, tidy ownership.
import { describe, it, expect } from 'vitest';
import { torch, nn, mixup } from '../../lib/index.js';
import { vals, expectNear, f64, labels } from './util.js';
import { settledLiveTensors } from '../helpers/gc.js';

const X = [
  [1, 2],
  [3, 4],
  [5, 6],
];
const batch = () => ({ x: torch.tensor(X, f64), y: labels([0, 1, 2]), numClasses: 3 });

describe('mixup.input', () => {
  it('batch λ = 0.25, partner [2, 0, 1]: x̃ = λx + (1−λ)x[p], ỹ = λ·e_y + (1−λ)·e_y[p]', () => {
    const r = mixup.input({ sample: { lam: 0.25, partner: [2, 0, 1] } }).apply(batch());
    expectNear(
      r.input!,
      [
        [4, 5],
        [1.5, 2.5],
        [3.5, 4.5],
      ],
      1e-12,
      'input',
    );
    expectNear(
      r.target,
      [
        [0.25, 0, 0.75],
        [0.75, 0.25, 0],
        [0, 0.75, 0.25],
      ],
      1e-12,
      'target',
    );
    expect(r.lam.shape).toEqual([]);
    expect(vals(r.partner)).toEqual([2, 0, 1]);
    expect(r.output).toBeUndefined();
    expect(r.target.dtype).toBe('float64');
  });

  it('label smoothing 0.3 is folded into both one-hot rows (off 0.1, on 0.8)', () => {
    const r = mixup.input({ labelSmoothing: 0.3, sample: { lam: 0.25, partner: [2, 0, 1] } }).apply(batch());
    expectNear(
      r.target,
      [
        [0.275, 0.1, 0.625],
        [0.625, 0.275, 0.1],
        [0.1, 0.625, 0.275],
      ],
      1e-12,
      'target',
    );
    expectNear(r.target.sum({ dim: 1 }), [1, 1, 1], 1e-12);
  });

  it('elem mode: λ per sample [0.25, 0.5, 1] with flip partners', () => {
    const r = mixup.input({ mode: 'elem', partner: 'flip', sample: { lam: torch.tensor([0.25, 0.5, 1]) } }).apply(batch());
    expect(r.lam.shape).toEqual([3]);
    expect(vals(r.partner)).toEqual([2, 1, 0]);
    expectNear(
      r.input!,
      [
        [4, 5],
        [3, 4],
        [5, 6],
      ],
      1e-12,
      'input',
    );
    expectNear(
      r.target,
      [
        [0.25, 0, 0.75],
        [0, 1, 0],
        [0, 0, 1],
      ],
      1e-12,
      'target',
    );
  });

  it('random draws: the returned λ and partner are the ones used (every mode and partner kind)', () => {
    torch.manualSeed(11);
    const x = torch.randn([7, 3, 2], f64);
    const y = labels([0, 1, 2, 3, 0, 1, 2]);
    for (const mode of ['batch', 'pair', 'elem'] as const)
      for (const partner of ['permutation', 'flip'] as const) {
        const r = mixup.input({ mode, partner, alpha: 0.5 }).apply({ x, y, numClasses: 4 });
        expect(r.lam.shape).toEqual(mode === 'batch' ? [] : [7]);
        const lam = r.lam.ndim === 0 ? r.lam : r.lam.reshape([7, 1, 1]);
        const want = x.mul(lam).add(x.indexSelect(0, r.partner).mul(lam.rsub(1)));
        expect(r.input!.sub(want).abs().max().item()).toBeLessThan(1e-12);
        expect(
          r.target
            .sub(mixup.mixTargets(y, r.partner, r.lam, 4, 0, 'float64'))
            .abs()
            .max()
            .item(),
        ).toBe(0);
      }
  });

  it('α = 0 never mixes; prob = 0 never mixes; prob = 0.5 mixes about half the batches', () => {
    torch.manualSeed(12);
    for (const m of [mixup.input({ alpha: 0 }), mixup.input({ prob: 0 }), mixup.input({ prob: 0, mode: 'elem' })]) {
      for (let i = 0; i < 5; i++) {
        const r = m.apply(batch());
        expect(vals(r.lam).every((v) => v === 1)).toBe(true);
        expectNear(r.input!, X, 0);
        expectNear(
          r.target,
          [
            [1, 0, 0],
            [0, 1, 0],
            [0, 0, 1],
          ],
          0,
        );
        expect(vals(r.partner)).toEqual([0, 1, 2]);
      }
    }
    const m = mixup.input({ prob: 0.5 });
    const n = 400;
    let mixed = 0;
    for (let i = 0; i < n; i++) if ((m.apply(batch()).lam.item() as number) !== 1) mixed++;
    expect(Math.abs(mixed / n - 0.5)).toBeLessThanOrEqual(5 * Math.sqrt(0.25 / n));
  });

  it('offEpoch (timm mixup_off_epoch) and offLastEpochs turn mixing off', () => {
    torch.manualSeed(13);
    const off = mixup.input({ offEpoch: 3 });
    expect(off.apply({ ...batch(), epoch: 2 }).lam.item()).not.toBe(1);
    expect(off.apply({ ...batch(), epoch: 3 }).lam.item()).toBe(1);
    const last = mixup.input({ offLastEpochs: 2 });
    expect(last.apply({ ...batch(), epoch: 7, totalEpochs: 10 }).lam.item()).not.toBe(1);
    expect(last.apply({ ...batch(), epoch: 8, totalEpochs: 10 }).lam.item()).toBe(1);
    expect(last.apply({ ...batch(), epoch: 9, totalEpochs: 10 }).lam.item()).toBe(1);
    expect(() => last.apply(batch())).toThrow(/need batch.epoch/);
    expect(() => last.apply({ ...batch(), epoch: 1 })).toThrow(/offLastEpochs needs batch.totalEpochs/);
  });

  it('reproducible under torch.manualSeed', () => {
    const run = () => {
      torch.manualSeed(99);
      const r = mixup.input({ mode: 'pair', prob: 0.7 }).apply(batch());
      return [vals(r.lam), vals(r.partner), vals(r.input!)];
    };
    expect(run()).toEqual(run());
  });

  it('everything it makes belongs to the caller’s tidy scope', () => {
    const m = mixup.input({ mode: 'pair' });
    const b = batch();
    const before = settledLiveTensors();
    torch.tidy(() => {
      const r = m.apply(b);
      r.loss(torch.zeros([3, 3], f64)).item();
    });
    expect(torch.memory().liveTensors).toBe(before);
  });

  it('checks the batch', () => {
    const m = mixup.input();
    expect(() => m.apply({ x: torch.zeros([3, 2]), y: labels([0, 1]), numClasses: 3 })).toThrow(/batch.y must be int64 class indices of shape \[3\]/);
    expect(() => m.apply({ x: torch.zeros([3, 2]), y: torch.zeros([3]), numClasses: 3 })).toThrow(/int64/);
    expect(() => m.apply({ x: torch.zeros([3, 2]), y: labels([0, 1, 2]), numClasses: 0 })).toThrow(/numClasses/);
    expect(() => m.apply({ x: torch.zeros([3, 2], { dtype: 'uint8' }), y: labels([0, 1, 2]), numClasses: 3 })).toThrow(/floating/);
  });
});

describe('mixup.none (ERM)', () => {
  it('returns the input, one-hot targets (smoothed), λ = 1, partner i ↔ i; loss = CE', () => {
    const r = mixup.none({ labelSmoothing: 0.3 }).apply(batch());
    expectNear(r.input!, X, 0);
    expectNear(
      r.target,
      [
        [0.8, 0.1, 0.1],
        [0.1, 0.8, 0.1],
        [0.1, 0.1, 0.8],
      ],
      1e-12,
    );
    expect(r.lam.item()).toBe(1);
    expect(vals(r.partner)).toEqual([0, 1, 2]);
    const logits = torch.tensor(
      [
        [1, 2, 3],
        [0, 0, 1],
        [2, -1, 0],
      ],
      f64,
    );
    const ce = nn.functional.crossEntropy(logits, labels([0, 1, 2]), { labelSmoothing: 0.3 });
    expect(Math.abs((r.loss(logits).item() as number) - (ce.item() as number))).toBeLessThan(1e-12);
  });
});
