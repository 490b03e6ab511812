// CutMix: the partner's pixels inside the box and the original outside; λ corrected to
// 1 − box area / image area (uncorrected keeps the sampled λ); boxes clipped at the borders;
// minmax bounds; per-sample boxes; switching to input mixup.
import { describe, it, expect } from 'vitest';
import { torch, mixup } from '../../lib/index.js';
import { vals, expectNear, f64, labels } from './util.js';
type Tensor = torch.Tensor;

/** Images whose pixels are all distinct: x[n, c, i, j] = 1000n + 100c + 10i + j. */
function images(n: number, c: number, h: number, w: number): Tensor {
  return torch
    .arange(n * c * h * w, f64)
    .reshape([n, c, h, w])
    .mul(0)
    .add(
      torch
        .arange(n, f64)
        .reshape([n, 1, 1, 1])
        .mul(1000)
        .add(torch.arange(c, f64).reshape([1, c, 1, 1]).mul(100))
        .add(torch.arange(h, f64).reshape([1, 1, h, 1]).mul(10))
        .add(torch.arange(w, f64).reshape([1, 1, 1, w])),
    );
}

/** Checks x̃ against the box(es) pixel by pixel; returns the pasted pixel count per sample. */
function checkPaste(x: Tensor, xm: Tensor, partner: number[], boxes: number[][]): number[] {
  const [n, c, h, w] = x.shape;
  const a = vals(x),
    b = vals(xm);
  const counts: number[] = [];
  for (let s = 0; s < n; s++) {
    const [yl, yh, xl, xh] = boxes.length === 1 ? boxes[0] : boxes[s];
    let cnt = 0;
    for (let ch = 0; ch < c; ch++)
      for (let i = 0; i < h; i++)
        for (let j = 0; j < w; j++) {
          const inside = i >= yl && i < yh && j >= xl && j < xh;
          const src = inside ? partner[s] : s;
          const got = b[((s * c + ch) * h + i) * w + j];
          expect(got, `sample ${s} ch ${ch} (${i}, ${j}) ${inside ? 'inside' : 'outside'}`).toBe(a[((src * c + ch) * h + i) * w + j]);
          if (inside && ch === 0) cnt++;
        }
    counts.push(cnt);
  }
  return counts;
}

describe('mixup.cutmix', () => {
  it('fixed box [1, 3) × [0, 2) in 4×4, partner [1, 0]: pasted, λ corrected to 1 − 4/16', () => {
    const x = images(2, 2, 4, 4);
    const y = labels([0, 2]);
    const r = mixup.cutmix({ sample: { lam: 0.4, partner: [1, 0], box: [1, 3, 0, 2] } }).apply({ x, y, numClasses: 3 });
    checkPaste(x, r.input!, [1, 0], [[1, 3, 0, 2]]);
    expect(vals(r.box!)).toEqual([1, 3, 0, 2]);
    expect(r.lam.item()).toBe(0.75);
    expectNear(
      r.target,
      [
        [0.75, 0, 0.25],
        [0.25, 0, 0.75],
      ],
      1e-12,
      'target',
    );
    // hand-checked pixels: sample 0 row 1 col 0 comes from sample 1
    expect(vals(r.input!)[(0 * 2 + 0) * 16 + 1 * 4 + 0]).toBe(1010);
    expect(vals(r.input!)[(0 * 2 + 0) * 16 + 0 * 4 + 0]).toBe(0);
  });

  it('correctLam: false keeps the sampled λ for the targets', () => {
    const x = images(2, 1, 4, 4);
    const r = mixup.cutmix({ correctLam: false, sample: { lam: 0.4, partner: [1, 0], box: [1, 3, 0, 2] } }).apply({ x, y: labels([0, 2]), numClasses: 3 });
    expect(r.lam.item()).toBeCloseTo(0.4, 12);
    expectNear(
      r.target,
      [
        [0.4, 0, 0.6],
        [0.6, 0, 0.4],
      ],
      1e-12,
      'target',
    );
  });

  for (const mode of ['batch', 'pair', 'elem'] as const) {
    it(`random boxes (${mode}): paste matches the box, pasted area = (1 − λ)·H·W after correction`, () => {
      torch.manualSeed(31);
      const x = images(5, 2, 7, 9);
      const y = labels([0, 1, 2, 0, 1]);
      for (let t = 0; t < 20; t++) {
        const r = mixup.cutmix({ mode }).apply({ x, y, numClasses: 3 });
        const box = r.box!;
        expect(box.shape).toEqual(mode === 'batch' ? [4] : [5, 4]);
        const boxes: number[][] = mode === 'batch' ? [vals(box)] : (box.tolist() as number[][]);
        const counts = checkPaste(x, r.input!, vals(r.partner), boxes);
        const lam = mode === 'batch' ? Array(5).fill(r.lam.item()) : vals(r.lam);
        for (let s = 0; s < 5; s++) {
          if (mode === 'batch') expect(counts[s]).toBe(counts[0]);
          expect(Math.abs(lam[s] - (1 - counts[s] / 63))).toBeLessThan(1e-6);
        }
        expect(
          r.target
            .sub(mixup.mixTargets(y, r.partner, r.lam, 3, 0, 'float64'))
            .abs()
            .max()
            .item(),
        ).toBe(0);
      }
    });
  }

  it('uncorrected λ keeps the Beta draw; the box side is ⌊H√(1−λ)⌋ rounded down to even, clipped at the borders', () => {
    torch.manualSeed(32);
    const H = 10,
      W = 12;
    let clipped = 0;
    for (let t = 0; t < 200; t++) {
      const lam = mixup.sampleBeta(1, [8], { dtype: 'float64' });
      const box = mixup.cutmixBox(lam, H, W).tolist() as number[][];
      vals(lam).forEach((l, i) => {
        const [yl, yh, xl, xh] = box[i];
        expect(0 <= yl && yl <= yh && yh <= H && 0 <= xl && xl <= xh && xh <= W).toBe(true);
        const hh = Math.floor(Math.floor(H * Math.sqrt(1 - l)) / 2),
          hw = Math.floor(Math.floor(W * Math.sqrt(1 - l)) / 2);
        // centre = yl + hh unless clipped at the top
        const cy = yl > 0 ? yl + hh : yh - hh,
          cx = xl > 0 ? xl + hw : xh - hw;
        expect(yl).toBe(Math.max(0, cy - hh));
        expect(yh).toBe(Math.min(H, cy + hh));
        expect(xl).toBe(Math.max(0, cx - hw));
        expect(xh).toBe(Math.min(W, cx + hw));
        expect(cy >= 0 && cy < H && cx >= 0 && cx < W).toBe(true);
        if (yh - yl < 2 * hh || xh - xl < 2 * hw) clipped++;
      });
    }
    expect(clipped).toBeGreaterThan(0);
    // the method with correctLam: false returns that same λ draw
    torch.manualSeed(33);
    const x = images(4, 1, H, W);
    const r = mixup.cutmix({ correctLam: false }).apply({ x, y: labels([0, 1, 0, 1]), numClasses: 2 });
    torch.manualSeed(33);
    const lam = mixup.sampleBeta(1, [], { dtype: 'float64' });
    expect(r.lam.item()).toBe(lam.item());
  });

  it('minmax bounds the box sides in [⌊H·lo⌋, ⌊H·hi⌋) and keeps the box inside; λ from the area', () => {
    torch.manualSeed(34);
    const H = 20,
      W = 10;
    const m = mixup.cutmix({ minmax: [0.2, 0.6], mode: 'elem', correctLam: false });
    const x = images(6, 1, H, W);
    for (let t = 0; t < 30; t++) {
      const r = m.apply({ x, y: labels([0, 1, 2, 0, 1, 2]), numClasses: 3 });
      const boxes = r.box!.tolist() as number[][];
      const lam = vals(r.lam);
      boxes.forEach(([yl, yh, xl, xh], i) => {
        expect(yh - yl).toBeGreaterThanOrEqual(4);
        expect(yh - yl).toBeLessThan(12);
        expect(xh - xl).toBeGreaterThanOrEqual(2);
        expect(xh - xl).toBeLessThan(6);
        expect(yl >= 0 && yh <= H && xl >= 0 && xh <= W).toBe(true);
        expect(Math.abs(lam[i] - (1 - ((yh - yl) * (xh - xl)) / (H * W)))).toBeLessThan(1e-6);
      });
      checkPaste(x, r.input!, vals(r.partner), boxes);
    }
    expect(() => mixup.cutmix({ minmax: [0.1, 0.12] }).apply({ x: images(2, 1, 4, 4), y: labels([0, 1]), numClasses: 2 })).toThrow(/option 'minmax'/);
  });

  it('switchProb: 1 always input mixup (no box), 0 always CutMix; about half at 0.5', () => {
    torch.manualSeed(35);
    const x = images(4, 1, 6, 6);
    const b = { x, y: labels([0, 1, 0, 1]), numClasses: 2 };
    const r1 = mixup.cutmix({ switchProb: 1, mixupAlpha: 0.5 }).apply(b);
    expect(r1.box).toBeUndefined();
    const lam = r1.lam.item() as number;
    const want = x.mul(lam).add(x.indexSelect(0, r1.partner).mul(1 - lam));
    expect(r1.input!.sub(want).abs().max().item()).toBeLessThan(1e-9);
    expect(mixup.cutmix({ switchProb: 0 }).apply(b).box).toBeDefined();
    let cut = 0;
    const n = 200;
    const m = mixup.cutmix({ switchProb: 0.5 });
    for (let i = 0; i < n; i++) if (m.apply(b).box) cut++;
    expect(Math.abs(cut / n - 0.5)).toBeLessThanOrEqual(5 * Math.sqrt(0.25 / n));
  });

  it('α = 0 and prob = 0 never paste', () => {
    const x = images(3, 1, 4, 4);
    for (const o of [{ alpha: 0 }, { prob: 0 }, { prob: 0, mode: 'elem' as const }]) {
      const r = mixup.cutmix(o).apply({ x, y: labels([0, 1, 2]), numClasses: 3 });
      expect(r.input!.sub(x).abs().max().item()).toBe(0);
      expect(vals(r.lam).every((v) => v === 1)).toBe(true);
    }
  });

  it('works on uint8 images (the paste is a where), checks the image rank', () => {
    torch.manualSeed(36);
    const x = images(2, 1, 5, 5).to('uint8');
    const r = mixup.cutmix({ sample: { lam: 0.5, partner: [1, 0], box: [0, 5, 0, 5] } }).apply({ x, y: labels([0, 1]), numClasses: 2 });
    expect(r.input!.dtype).toBe('uint8');
    expect(vals(r.input!)).toEqual(vals(x.flip(0)));
    expect(r.lam.item()).toBe(0);
    expect(() => mixup.cutmix().apply({ x: torch.zeros([2, 5]), y: labels([0, 1]), numClasses: 2 })).toThrow(/images/);
  });

  it('reproducible under torch.manualSeed', () => {
    const run = () => {
      torch.manualSeed(37);
      const r = mixup.cutmix({ mode: 'elem', switchProb: 0.3 }).apply({ x: images(4, 1, 8, 8), y: labels([0, 1, 0, 1]), numClasses: 2 });
      return [vals(r.lam), vals(r.partner), vals(r.input!), r.box ? vals(r.box) : null];
    };
    expect(run()).toEqual(run());
  });
});
