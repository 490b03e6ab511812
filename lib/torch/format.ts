// PyTorch-like printing: tensor([[ 1.0000, -2.5000], …], dtype=float64).
import type { DType } from './types.js';

const EDGE = 3; // elements shown at each end of a summarised dimension
const THRESHOLD = 1000; // summarise above this many elements

export function formatTensor(shape: readonly number[], dtype: DType, device: string, data: ArrayLike<number | bigint>, requiresGrad: boolean): string {
  const n = data.length;
  const summarise = n > THRESHOLD;
  const isFloat = dtype === 'float32' || dtype === 'float64' || dtype === 'float16' || dtype === 'bfloat16';
  let fmt: (v: number | bigint) => string;
  if (dtype === 'bool') fmt = (v) => (Number(v) !== 0 ? 'True' : 'False');
  else if (!isFloat) fmt = (v) => String(v);
  else {
    let maxAbs = 0,
      minAbs = Infinity,
      allInt = true;
    for (let i = 0; i < n; i++) {
      const v = Number(data[i]);
      if (!Number.isFinite(v)) continue;
      const a = Math.abs(v);
      if (a > maxAbs) maxAbs = a;
      if (a > 0 && a < minAbs) minAbs = a;
      if (!Number.isInteger(v)) allInt = false;
    }
    const sci = maxAbs >= 1e8 || (minAbs < 1e-4 && minAbs !== Infinity) || (minAbs !== Infinity && maxAbs / minAbs > 1e3 && !allInt);
    fmt = (x) => {
      const v = Number(x);
      if (Number.isNaN(v)) return 'nan';
      if (!Number.isFinite(v)) return v > 0 ? 'inf' : '-inf';
      if (sci) return v.toExponential(4).replace(/e([+-])(\d)$/, 'e$10$2');
      if (allInt) return `${v.toFixed(0)}.`;
      return v.toFixed(4);
    };
  }
  const strs: string[] = [];
  for (let i = 0; i < n; i++) strs.push(fmt(data[i]));
  const width = strs.reduce((w, s) => Math.max(w, s.length), 0);
  const pad = (s: string) => s.padStart(width);

  const strides: number[] = [];
  let acc = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    strides[d] = acc;
    acc *= shape[d];
  }
  const indent = 'tensor('.length;
  const render = (d: number, offset: number): string => {
    if (shape.length === 0) return strs[0];
    const len = shape[d];
    const idx: (number | null)[] = [];
    if (summarise && len > 2 * EDGE) {
      for (let k = 0; k < EDGE; k++) idx.push(k);
      idx.push(null);
      for (let k = len - EDGE; k < len; k++) idx.push(k);
    } else for (let k = 0; k < len; k++) idx.push(k);
    if (d === shape.length - 1) return '[' + idx.map((k) => (k === null ? '...' : pad(strs[offset + k]))).join(', ') + ']';
    const sep = ',' + '\n'.repeat(shape.length - 1 - d) + ' '.repeat(indent + d + 1);
    return '[' + idx.map((k) => (k === null ? '...' : render(d + 1, offset + k * strides[d]))).join(sep) + ']';
  };
  const extras: string[] = [];
  if (device !== 'cpu') extras.push(`device='${device}'`);
  if (dtype !== 'float32' && dtype !== 'int64' && dtype !== 'bool') extras.push(`dtype=${dtype}`);
  if (n === 0) extras.push(`size=[${shape.join(', ')}]`);
  if (requiresGrad) extras.push('requires_grad=True');
  return `tensor(${render(0, 0)}${extras.length ? ', ' + extras.join(', ') : ''})`;
}
