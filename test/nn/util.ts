// Shared helpers for the nn tests: decoding fixture tensors and comparing values.
import { expect } from 'vitest';
import { torch } from '../../lib/index.js';
type Tensor = torch.Tensor;

export interface Enc {
  dtype: torch.DType;
  shape: number[];
  data: number[];
}

/** A fixture tensor as a torchmix tensor (float64 / int64 as recorded unless dtype is given). */
export function dec(e: Enc, dtype?: torch.DType): Tensor {
  const t =
    e.dtype === 'int64'
      ? torch.tensor(
          BigInt64Array.from(e.data, (v) => BigInt(v)),
          { shape: e.shape },
        )
      : torch.tensor(Float64Array.from(e.data), { shape: e.shape });
  return dtype && dtype !== t.dtype ? t.to(dtype) : t;
}

export function values(t: Tensor): number[] {
  return Array.from(t.toArray() as ArrayLike<number | bigint>, (v) => Number(v));
}

/** Shape equal and every |got − want| ≤ atol + rtol·|want|; the message names the worst element. */
export function expectClose(got: Tensor | null, want: Enc | Tensor, what: string, tol = { rtol: 1e-10, atol: 1e-12 }): void {
  expect(got, `${what}: missing`).not.toBeNull();
  const g = got as Tensor;
  const wShape = want instanceof torch.Tensor ? want.shape : want.shape;
  const w = want instanceof torch.Tensor ? values(want) : want.data;
  expect(g.shape, `${what}: shape`).toEqual(wShape);
  const a = values(g);
  let worst = -1,
    worstErr = 0,
    nbad = 0;
  for (let i = 0; i < w.length; i++) {
    const err = Math.abs(a[i] - w[i]);
    if (!(err <= tol.atol + tol.rtol * Math.abs(w[i]))) {
      nbad++;
      if (!(err <= worstErr)) {
        worstErr = err;
        worst = i;
      }
    }
  }
  expect(nbad === 0 ? '' : `${nbad}/${w.length} differ; worst [${worst}] got ${a[worst]} want ${w[worst]}`, `${what}: values`).toBe('');
}

export function maxAbsDiff(a: Tensor, b: Tensor): number {
  return a.sub(b).abs().max().item() as number;
}
