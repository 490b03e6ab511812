// Helpers for the mixup tests.
import { expect } from 'vitest';
import { torch } from '../../lib/index.js';
type Tensor = torch.Tensor;

export function vals(t: Tensor): number[] {
  return Array.from(t.toArray() as ArrayLike<number | bigint>, Number);
}
/** Elementwise |got − want| ≤ tol, shape checked when want is nested. */
export function expectNear(got: Tensor, want: number[] | number[][] | number, tol = 1e-6, what = 'value'): void {
  const w = typeof want === 'number' ? [want] : ((want as unknown[]).flat(4) as number[]);
  const g = vals(got);
  expect(g.length, `${what}: element count`).toBe(w.length);
  for (let i = 0; i < w.length; i++) expect(Math.abs(g[i] - w[i]), `${what}[${i}]: got ${g[i]}, want ${w[i]}`).toBeLessThanOrEqual(tol);
}
export const f64 = { dtype: 'float64' as const };
export function labels(ys: number[]): Tensor {
  return torch.tensor(BigInt64Array.from(ys, (v) => BigInt(v)));
}
