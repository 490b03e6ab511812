// Factories: torch.tensor, zeros, ones, full, arange, … (and the *Like forms).
import { N } from './native.js';
import { TorchTypeError, TorchValueError } from './errors.js';
import { wrap, tid, tids, Tensor, type TypedArray } from './tensor.js';
import { code, checkDevice, checkShape, type DType, type TensorOptions } from './types.js';

/** The positional (dtype, device, requiresGrad) triple every native factory takes. */
export function opts3(o: TensorOptions | undefined, defaultDtype?: DType): [number | undefined, string | undefined, boolean | undefined] {
  return [code(o?.dtype ?? defaultDtype), checkDevice(o?.device), o?.requiresGrad];
}

type Nested = number | boolean | bigint | Nested[];

function flattenNested(data: Nested): { flat: (number | boolean | bigint)[]; shape: number[] } {
  const shape: number[] = [];
  let probe: Nested = data;
  while (Array.isArray(probe)) {
    shape.push(probe.length);
    probe = probe[0];
    if (probe === undefined) break;
  }
  const flat: (number | boolean | bigint)[] = [];
  const walk = (x: Nested, d: number, path: string) => {
    if (d === shape.length) {
      if (Array.isArray(x)) throw new TorchValueError(`tensor(): ragged nested array at ${path || 'top'} (expected a value, found an array)`);
      if (typeof x !== 'number' && typeof x !== 'boolean' && typeof x !== 'bigint')
        throw new TorchTypeError(`tensor(): element at ${path} is ${x === null ? 'null' : typeof x}, expected a number, boolean or bigint`);
      flat.push(x);
      return;
    }
    if (!Array.isArray(x) || x.length !== shape[d])
      throw new TorchValueError(
        `tensor(): ragged nested array at ${path || 'top'}: expected length ${shape[d]}, got ${Array.isArray(x) ? x.length : 'a scalar'}`,
      );
    x.forEach((v, i) => walk(v, d + 1, `${path}[${i}]`));
  };
  walk(data, 0, '');
  return { flat, shape };
}

/**
 * A new tensor holding a copy of data: a number, boolean, nested array or typed array.
 * Inferred dtype as PyTorch: all booleans → bool, all integers → int64, otherwise float32;
 * typed arrays keep their own type (pass { shape } to give a flat typed array a shape).
 * With requiresGrad and no dtype, JS numbers give float32 even when they are all integers: JS has
 * no `1.0`, so `torch.tensor([1, 2, 3], { requiresGrad: true })` is PyTorch's
 * `torch.tensor([1., 2., 3.], requires_grad=True)` (bigints, booleans and typed arrays keep their
 * dtype, and only floating tensors can require gradients).
 */
export function tensor(data: Nested | TypedArray, opts?: TensorOptions & { shape?: readonly number[] }): Tensor {
  let id: number;
  if (ArrayBuffer.isView(data)) {
    const shape = opts?.shape === undefined ? [data.length] : checkShape(opts.shape, 'tensor(shape)');
    id = N.fromTypedArray(data, shape);
  } else {
    if (opts?.shape !== undefined) throw new TorchValueError('tensor(): shape is only for typed arrays; nested arrays carry their shape');
    const { flat, shape } = flattenNested(data);
    let buf: TypedArray;
    if (flat.length > 0 && flat.every((v) => typeof v === 'boolean')) buf = Uint8Array.from(flat, (v) => (v ? 1 : 0));
    else if (flat.some((v) => typeof v === 'bigint'))
      buf = BigInt64Array.from(flat, (v) => {
        if (typeof v === 'bigint') return v;
        if (!Number.isInteger(v)) throw new TorchTypeError('tensor(): cannot mix bigint with non-integer numbers');
        return BigInt(v);
      });
    else if (flat.length > 0 && !(opts?.requiresGrad && opts.dtype === undefined) && flat.every((v) => typeof v !== 'number' || Number.isSafeInteger(v)))
      buf = BigInt64Array.from(flat, (v) => BigInt(Number(v)));
    // Full double precision first (a float64 dtype keeps every digit); float32 when no dtype is given.
    else buf = Float64Array.from(flat, (v) => Number(v));
    id = N.fromTypedArray(buf, shape);
    if ((buf instanceof Uint8Array || buf instanceof Float64Array) && opts?.dtype === undefined) {
      const b = N.to(id, code(buf instanceof Uint8Array ? 'bool' : 'float32'), undefined, false);
      N.free(id);
      id = b;
    }
  }
  if (opts?.dtype !== undefined || opts?.device !== undefined) {
    let converted: number;
    try {
      converted = N.to(id, code(opts.dtype, 'tensor(dtype)'), checkDevice(opts.device, 'tensor(device)'), false);
    } catch (e) {
      N.free(id); // nothing wraps the staging handle yet: free it or it leaks
      throw e;
    }
    if (converted !== id) N.free(id);
    id = converted;
  }
  const t = wrap(id);
  if (opts?.requiresGrad) t.requiresGrad_(true);
  return t;
}

export function zeros(shape: readonly number[], opts?: TensorOptions): Tensor {
  return wrap(N.zeros(checkShape(shape), ...opts3(opts)));
}
export function ones(shape: readonly number[], opts?: TensorOptions): Tensor {
  return wrap(N.ones(checkShape(shape), ...opts3(opts)));
}
/** Uninitialised memory. */
export function empty(shape: readonly number[], opts?: TensorOptions): Tensor {
  return wrap(N.empty(checkShape(shape), ...opts3(opts)));
}
/** Filled with value; dtype defaults to float32 (bool for a boolean value). */
export function full(shape: readonly number[], value: number | boolean, opts?: TensorOptions): Tensor {
  return wrap(N.full(checkShape(shape), value, ...opts3(opts, typeof value === 'boolean' ? 'bool' : 'float32')));
}
/** A 0-d tensor. */
export function scalarTensor(value: number | boolean, opts?: TensorOptions): Tensor {
  return wrap(N.scalarTensor(value, ...opts3(opts, typeof value === 'boolean' ? 'bool' : 'float32')));
}
/** arange(end) or arange(start, end, step?); int64 when all arguments are integers, else float32. */
export function arange(start: number, end?: number | TensorOptions, step?: number | TensorOptions, opts?: TensorOptions): Tensor {
  if (typeof end === 'object') [opts, end] = [end, undefined]; // arange(end, opts)
  if (typeof step === 'object') {
    opts = step;
    step = undefined;
  }
  if (end === undefined) [start, end] = [0, start];
  const s = step ?? 1;
  if (s === 0) throw new TorchValueError('arange(): step must be non-zero');
  const ints = Number.isInteger(start) && Number.isInteger(end) && Number.isInteger(s);
  return wrap(N.arange(start, end, s, ...opts3(opts, ints ? 'int64' : 'float32')));
}
export function linspace(start: number, end: number, steps: number, opts?: TensorOptions): Tensor {
  if (!Number.isInteger(steps) || steps < 0) throw new TorchValueError(`linspace(): steps must be a non-negative integer, got ${steps}`);
  return wrap(N.linspace(start, end, steps, ...opts3(opts, 'float32')));
}
export function eye(n: number, m?: number | TensorOptions, opts?: TensorOptions): Tensor {
  if (typeof m === 'object') [opts, m] = [m, undefined];
  const mm = m ?? n;
  checkShape([n, mm], 'eye(n, m)');
  return wrap(N.eye(n, mm, ...opts3(opts)));
}
export function zerosLike(t: Tensor, opts?: TensorOptions): Tensor {
  return wrap(N.zerosLike(tid(t, 'zerosLike(t)'), ...opts3(opts)));
}
export function onesLike(t: Tensor, opts?: TensorOptions): Tensor {
  return wrap(N.onesLike(tid(t, 'onesLike(t)'), ...opts3(opts)));
}
export function emptyLike(t: Tensor, opts?: TensorOptions): Tensor {
  return wrap(N.emptyLike(tid(t, 'emptyLike(t)'), ...opts3(opts)));
}
export function fullLike(t: Tensor, value: number | boolean, opts?: TensorOptions): Tensor {
  return wrap(N.fullLike(tid(t, 'fullLike(t)'), value, ...opts3(opts)));
}

// ---- functions over several tensors ----------------------------------------------------------
export function cat(tensors: readonly Tensor[], dim = 0): Tensor {
  return wrap(N.cat(tids(tensors, 'cat(tensors)'), dim));
}
export function stack(tensors: readonly Tensor[], dim = 0): Tensor {
  return wrap(N.stack(tids(tensors, 'stack(tensors)'), dim));
}
/** Elementwise condition ? a : b; a scalar side takes the other side's dtype and device. */
export function where(condition: Tensor, a: Tensor | number, b: Tensor | number): Tensor {
  const c = tid(condition, 'where(condition)');
  const like = a instanceof Tensor ? a : b instanceof Tensor ? b : null;
  const asT = (x: Tensor | number, what: string): number => {
    if (x instanceof Tensor) return x._id;
    if (typeof x !== 'number') throw new TorchTypeError(`where(${what}): expected a Tensor or a number`);
    return scalarTensor(x, like ? { dtype: like.dtype, device: like.device } : { device: condition.device })._id;
  };
  return wrap(N.where(c, asT(a, 'a'), asT(b, 'b')));
}
