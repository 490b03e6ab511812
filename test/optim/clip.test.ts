// clipGradNorm / clipGradValue against torch.nn.utils.clip_grad_norm_ (test/fixtures/optim_clip.json,
// recorded by scripts/fixtures/make_optim_fixtures.py).
import { readFileSync } from 'node:fs';
import { describe, it, expect } from 'vitest';
import { torch, nn } from '../../lib/index.js';
import { numbers } from '../helpers/numbers.js';

interface ClipCase {
  name: string;
  maxNorm: number;
  normType: number | 'inf';
  dtype: 'float64' | 'float32';
  shapes: number[][];
  grads: number[][];
  total: number;
  clipped: number[][];
}
const fx: { meta: { torch: string }; cases: ClipCase[] } = JSON.parse(readFileSync(new URL('../fixtures/optim_clip.json', import.meta.url), 'utf8'));
const TOL = { float64: 1e-12, float32: 2e-6 };

function close(got: number, want: number, rel: number, what: string): void {
  if (!(Math.abs(got - want) <= rel * Math.max(1, Math.abs(want)))) throw new Error(`${what}: got ${got}, want ${want}`);
}

describe(`clipGradNorm equals torch.nn.utils.clip_grad_norm_ (torch ${fx.meta.torch})`, () => {
  for (const c of fx.cases) {
    it(c.name, () => {
      const ps = c.shapes.map((s, i) => {
        const p = torch.zeros(s, { dtype: c.dtype, requiresGrad: true });
        p.grad = torch.tensor(c.dtype === 'float64' ? Float64Array.from(c.grads[i]) : Float32Array.from(c.grads[i]), { shape: s });
        return p;
      });
      const total = nn.utils.clipGradNorm(ps, c.maxNorm, { normType: c.normType });
      expect(typeof total).toBe('number');
      close(total, c.total, TOL[c.dtype], `${c.name} total`);
      ps.forEach((p, i) => {
        const got = numbers(p.grad!);
        c.clipped[i].forEach((w, k) => close(got[k], w, TOL[c.dtype], `${c.name} grad ${i}[${k}]`));
      });
    });
  }
  it('clips to maxNorm, skips parameters without grads, and returns 0 with no grads', () => {
    const a = torch.zeros([3], { dtype: 'float64', requiresGrad: true });
    const b = torch.zeros([2], { dtype: 'float64', requiresGrad: true });
    a.grad = torch.tensor([3, 4, 0], { dtype: 'float64' });
    expect(nn.utils.clipGradNorm([a, b], 1)).toBeCloseTo(5, 12);
    const g = numbers(a.grad);
    close(Math.hypot(...g), 1, 1e-6, 'norm after clipping');
    expect(b.grad).toBeNull();
    expect(nn.utils.clipGradNorm([b], 1)).toBe(0);
    expect(nn.utils.clipGradNorm(a, 10, { normType: 'inf' })).toBeCloseTo(0.8, 6); // a single tensor works too
  });
  it('errorIfNonfinite, and bad arguments', () => {
    const a = torch.zeros([2], { dtype: 'float64', requiresGrad: true });
    a.grad = torch.tensor([NaN, 1], { dtype: 'float64' });
    expect(() => nn.utils.clipGradNorm([a], 1, { errorIfNonfinite: true })).toThrow(/non-finite/);
    expect(Number.isNaN(nn.utils.clipGradNorm([a], 1))).toBe(true);
    expect(() => nn.utils.clipGradNorm([a], -1)).toThrow(/maxNorm/);
    expect(() => nn.utils.clipGradNorm([a], 1, { normType: 0 })).toThrow(/normType/);
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    expect(() => nn.utils.clipGradNorm([1] as any, 1)).toThrow(torch.TorchTypeError);
  });
  it('clipGradValue clamps every gradient', () => {
    const a = torch.zeros([3], { dtype: 'float64', requiresGrad: true });
    a.grad = torch.tensor([-3, 0.5, 2], { dtype: 'float64' });
    nn.utils.clipGradValue([a], 1);
    expect(numbers(a.grad)).toEqual([-1, 0.5, 1]);
  });
});
