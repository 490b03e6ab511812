// A float tensor's values as a number[]: toArray() is typed as any TypedArray, BigInt64Array included,
// which Array.from's overloads reject; an int64 tensor here is a mistake in the test, so it throws.
import type { Tensor } from '../../lib/torch/index.js';

export function numbers(t: Tensor): number[] {
  const a = t.toArray();
  if (a instanceof BigInt64Array) throw new Error(`numbers(): the tensor is ${t.dtype}; compare toArray() with BigInts instead`);
  return Array.from(a);
}
