// λ sampling and partners (lib/mixup/beta.ts): shapes per mode, pair symmetry, α ≤ 0, the Beta
// mean, per-sample prob, reproducibility under torch.manualSeed.
import { describe, it, expect } from 'vitest';
import { torch, mixup } from '../../lib/index.js';
import { vals } from './util.js';

describe('sampleLamAndPartner', () => {
  for (const n of [6, 7]) {
    it(`λ shapes: batch 0-d, pair and elem [N] (N = ${n})`, () => {
      torch.manualSeed(1);
      for (const partner of ['permutation', 'flip'] as const) {
        expect(mixup.sampleLamAndPartner(n, 1, 'batch', partner).lam.shape).toEqual([]);
        for (const mode of ['pair', 'elem'] as const) {
          const { lam, partner: p } = mixup.sampleLamAndPartner(n, 1, mode, partner);
          expect(lam.shape).toEqual([n]);
          expect(p.shape).toEqual([n]);
          expect(p.dtype).toBe('int64');
          expect([...vals(p)].sort((a, b) => a - b)).toEqual([...Array(n).keys()]); // a permutation
        }
      }
    });

    it(`pair mode with flip partners: pairs (i, N−1−i) share λ (N = ${n})`, () => {
      torch.manualSeed(2);
      const { lam, partner } = mixup.sampleLamAndPartner(n, 1, 'pair', 'flip');
      const l = vals(lam);
      expect(vals(partner)).toEqual([...Array(n).keys()].reverse());
      for (let i = 0; i < n; i++) expect(l[i]).toBe(l[n - 1 - i]);
      // distinct pairs draw distinct λ
      expect(new Set(l).size).toBe(Math.ceil(n / 2));
    });

    it(`pair mode with permutation partners: a random matching (an involution) and shared λ (N = ${n})`, () => {
      torch.manualSeed(3);
      const { lam, partner } = mixup.sampleLamAndPartner(n, 1, 'pair', 'permutation');
      const p = vals(partner),
        l = vals(lam);
      let selfPaired = 0;
      for (let i = 0; i < n; i++) {
        expect(p[p[i]], `partner of partner of ${i}`).toBe(i);
        expect(l[p[i]]).toBe(l[i]);
        if (p[i] === i) selfPaired++;
      }
      expect(selfPaired).toBe(n % 2);
    });
  }

  it('elem mode draws one λ per sample', () => {
    torch.manualSeed(4);
    expect(new Set(vals(mixup.sampleLamAndPartner(8, 1, 'elem', 'flip').lam)).size).toBe(8);
  });

  it('α ≤ 0 gives λ = 1 (no mixing)', () => {
    for (const a of [0, -1]) {
      expect(vals(mixup.sampleBeta(a, [5]))).toEqual([1, 1, 1, 1, 1]);
      expect(vals(mixup.sampleLamAndPartner(4, a, 'pair', 'flip').lam)).toEqual([1, 1, 1, 1]);
    }
  });

  it('per-sample prob: 0 never mixes, 0.5 mixes about half (5σ bound)', () => {
    torch.manualSeed(5);
    expect(vals(mixup.sampleLamAndPartner(50, 1, 'elem', 'permutation', { prob: 0 }).lam).every((v) => v === 1)).toBe(true);
    const n = 4000;
    const l = vals(mixup.sampleLamAndPartner(n, 1, 'elem', 'permutation', { prob: 0.5 }).lam);
    const frac = l.filter((v) => v === 1).length / n;
    expect(Math.abs(frac - 0.5)).toBeLessThanOrEqual(5 * Math.sqrt(0.25 / n));
    // per pair in pair mode: the members of a pair agree
    const { lam, partner } = mixup.sampleLamAndPartner(101, 1, 'pair', 'permutation', { prob: 0.5 });
    const pl = vals(lam),
      pp = vals(partner);
    for (let i = 0; i < 101; i++) expect(pl[pp[i]]).toBe(pl[i]);
  });

  it('Beta(1, 1) sample mean ≈ 0.5 and variance ≈ 1/12 (5σ); Beta(2, 2) mean ≈ 0.5, in (0, 1)', () => {
    torch.manualSeed(6);
    const n = 20000;
    for (const a of [1, 2]) {
      const s = vals(mixup.sampleBeta(a, [n]));
      const mean = s.reduce((x, y) => x + y, 0) / n;
      const variance = 1 / (4 * (2 * a + 1));
      expect(Math.abs(mean - 0.5)).toBeLessThanOrEqual(5 * Math.sqrt(variance / n));
      expect(s.every((v) => v >= 0 && v <= 1)).toBe(true);
      if (a === 1) {
        const v = s.reduce((x, y) => x + (y - mean) ** 2, 0) / (n - 1);
        expect(Math.abs(v - 1 / 12)).toBeLessThan(0.004); // se of the variance ≈ 0.00053
      }
    }
  });

  it('reproducible under torch.manualSeed', () => {
    const draw = () => {
      torch.manualSeed(42);
      const a = mixup.sampleLamAndPartner(9, 0.4, 'pair', 'permutation');
      const b = mixup.sampleLamAndPartner(9, 0.4, 'elem', 'permutation');
      return [vals(a.lam), vals(a.partner), vals(b.lam), vals(b.partner)];
    };
    expect(draw()).toEqual(draw());
  });

  it('λ is drawn with the requested dtype and device', () => {
    expect(mixup.sampleBeta(1, [3], { dtype: 'float64' }).dtype).toBe('float64');
    expect(mixup.sampleBeta(1, []).device).toBe('cpu');
  });
});
