// The typed Tensor API. Each method validates what is cheap to check, names PyTorch's op in
// camelCase, and makes one native call. A Tensor owns exactly one native handle.
import { N } from './native.js';
import { TorchTypeError, TorchValueError } from './errors.js';
import { adopt, release, type Owned } from './scope.js';
import { code, dtypeOf, checkDevice, type DType, type Device, type Shape } from './types.js';
import { formatTensor } from './format.js';
import { memoryFormatCode, memoryFormatName, type MemoryFormat } from './memory-format.js';

export type Scalar = number | boolean;
export type TypedArray = Float32Array | Float64Array | Int32Array | BigInt64Array | Uint8Array;

/** 0 none, 1 mean, 2 sum (at::Reduction). */
export type Reduction = 'none' | 'mean' | 'sum';

/** Wraps a fresh native handle and gives it to the current scope (or the GC fallback). */
export function wrap(id: number): Tensor {
  const t = new Tensor(id);
  adopt(t);
  return t;
}
export function wrapOrNull(id: number | null): Tensor | null {
  return id === null ? null : wrap(id);
}
export function wrapAll(ids: (number | null)[]): Tensor[] {
  return ids.map((id) => wrap(id as number));
}

/** The native handle of a tensor argument; a clear error for anything else. */
export function tid(x: unknown, what: string): number {
  if (x instanceof Tensor) return x._id;
  throw new TorchTypeError(`${what}: expected a Tensor, got ${describe(x)}`);
}
export function tids(xs: unknown, what: string): number[] {
  if (!Array.isArray(xs)) throw new TorchTypeError(`${what}: expected an array of Tensors, got ${describe(xs)}`);
  return xs.map((x, i) => tid(x, `${what}[${i}]`));
}
function describe(x: unknown): string {
  if (x === null) return 'null';
  if (Array.isArray(x)) return 'an array';
  if (typeof x === 'object') return x.constructor?.name ?? 'an object';
  if (typeof x === 'string' || typeof x === 'number' || typeof x === 'bigint' || typeof x === 'boolean') return `${typeof x} ${String(x)}`;
  if (typeof x === 'symbol') return x.toString();
  return typeof x === 'function' ? 'a function' : 'undefined'; // a function: not its source text
}
function isScalar(x: unknown): x is Scalar {
  return typeof x === 'number' || typeof x === 'boolean';
}
function intArg(x: unknown, what: string): number {
  if (!Number.isInteger(x)) throw new TorchTypeError(`${what}: expected an integer, got ${describe(x)}`);
  return x as number;
}
function dimsArg(dim: number | readonly number[] | undefined, what = 'dim'): number[] | undefined {
  if (dim === undefined) return undefined;
  const ds = typeof dim === 'number' ? [dim] : dim;
  if (!Array.isArray(ds)) throw new TorchTypeError(`${what}: expected an integer or an array of integers`);
  for (const d of ds) intArg(d, what);
  return ds as number[];
}
export function reductionCode(r: Reduction | undefined, what = 'reduction'): number {
  switch (r ?? 'mean') {
    case 'none':
      return 0;
    case 'mean':
      return 1;
    case 'sum':
      return 2;
    default:
      throw new TorchValueError(`${what}: expected 'none', 'mean' or 'sum', got '${String(r)}'`);
  }
}

/** The formats a layout check or contiguous() accepts ('preserveFormat' is not a layout). */
const LAYOUTS: readonly MemoryFormat[] = ['contiguousFormat', 'channelsLast', 'channelsLast3d'];

export interface ReduceOptions {
  dim?: number | readonly number[];
  keepdim?: boolean;
  dtype?: DType;
}

export class Tensor implements Owned {
  /** @internal native handle; -1 once disposed */
  _id: number;
  /** @internal owning scope */
  _scope: Owned[] | null = null;
  /** @internal registered with the GC fallback */
  _gc = false;
  private _shape: number[] | undefined = undefined;
  private _dtype: DType | undefined = undefined;

  /** @internal use torch.tensor(), torch.zeros() … */
  constructor(id: number) {
    this._id = id;
  }

  // ---- lifetime ---------------------------------------------------------------------------------
  /** Drops this handle's reference to the native tensor (views and autograd may keep the data). */
  dispose(): void {
    release(this);
  }
  [Symbol.dispose](): void {
    release(this);
  }
  get isDisposed(): boolean {
    return this._id < 0;
  }

  // ---- metadata (shape and dtype never change for a handle, so they are cached) ----------------
  get shape(): number[] {
    return (this._shape ??= N.shape(this._id));
  }
  get dtype(): DType {
    return (this._dtype ??= dtypeOf(N.dtype(this._id)));
  }
  get device(): Device {
    return N.device(this._id);
  }
  get ndim(): number {
    return this.shape.length;
  }
  dim(): number {
    return this.shape.length;
  }
  numel(): number {
    return N.numel(this._id);
  }
  size(dim?: number): number | number[] {
    if (dim === undefined) return this.shape;
    const s = this.shape;
    const d = dim < 0 ? dim + s.length : dim;
    if (d < 0 || d >= s.length) throw new TorchValueError(`size(${dim}): dim out of range for a ${s.length}-d tensor`);
    return s[d];
  }
  /** Strides in elements, one per dim (or of one dim), as PyTorch's stride(). */
  stride(dim?: number): number | number[] {
    const st: number[] = N.stride(this._id);
    if (dim === undefined) return st;
    const d = intArg(dim, 'stride(dim)') < 0 ? dim + st.length : dim;
    if (d < 0 || d >= st.length) throw new TorchValueError(`stride(${dim}): dim out of range for a ${st.length}-d tensor`);
    return st[d];
  }
  /** Whether the strides are those of the memory format (default 'contiguousFormat', row-major). */
  isContiguous(opts?: { memoryFormat?: MemoryFormat }): boolean {
    if (opts?.memoryFormat === undefined) return N.isContiguous(this._id);
    // Any rank, as PyTorch: a 3-D tensor simply is not channels-last.
    return N.isContiguous(this._id, memoryFormatCode(opts.memoryFormat, 'isContiguous()', { allowed: LAYOUTS }));
  }
  /** The layout LibTorch's kernels would pick for this tensor ('channelsLast' for NHWC strides). */
  suggestMemoryFormat(): MemoryFormat {
    return memoryFormatName(N.suggestMemoryFormat(this._id));
  }

  // ---- data out ---------------------------------------------------------------------------------
  /** The single value of a one-element tensor (number, or boolean for bool tensors). */
  item(): number | boolean {
    return N.item(this._id);
  }
  /** A copy of the data (row-major): Float32Array, Float64Array, BigInt64Array for int64,
   *  Int32Array, Uint8Array for uint8 and bool; float16/bfloat16 come back as Float32Array. */
  toArray(): TypedArray {
    return N.toTypedArray(this._id);
  }
  /** tfjs's name for toArray(). */
  dataSync(): TypedArray {
    return N.toTypedArray(this._id);
  }
  /** Nested JS arrays, as PyTorch's tolist(); int64 values become numbers. */
  tolist(): unknown {
    const flat = this.toArray();
    const dt = this.dtype;
    const get = (i: number): number | boolean => {
      const v = flat[i];
      if (typeof v === 'bigint') return Number(v);
      return dt === 'bool' ? v !== 0 : v;
    };
    const shape = this.shape;
    if (shape.length === 0) return get(0);
    let i = 0;
    const build = (d: number): unknown[] => {
      const out: unknown[] = [];
      for (let k = 0; k < shape[d]; k++) out.push(d === shape.length - 1 ? get(i++) : build(d + 1));
      return out;
    };
    return build(0);
  }
  toString(): string {
    if (this._id < 0) return 'tensor(<disposed>)';
    return formatTensor(this.shape, this.dtype, this.device, this.toArray(), this.requiresGrad);
  }
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString();
  }

  // ---- conversion -------------------------------------------------------------------------------
  /** t.to('cuda'), t.to('float16'), t.to({ device, dtype, copy, memoryFormat }): a device or a dtype name (both strings: Device is string). */
  to(target: Device | { device?: Device; dtype?: DType; copy?: boolean; memoryFormat?: MemoryFormat }): Tensor {
    let device: Device | undefined,
      dtype: DType | undefined,
      memoryFormat: MemoryFormat | undefined,
      copy = false;
    if (typeof target === 'string') {
      if (/^(cpu|cuda)(:\d+)?$/.test(target)) device = target;
      else dtype = target as DType;
    } else if (target && typeof target === 'object') ({ device, dtype, copy = false, memoryFormat } = target);
    else throw new TorchTypeError(`to(): expected a device, a dtype or { device, dtype, memoryFormat }, got ${describe(target)}`);
    const fmt = memoryFormat === undefined ? undefined : memoryFormatCode(memoryFormat, 'to()', { ndim: this.ndim });
    return wrap(N.to(this._id, code(dtype, 'to()'), checkDevice(device, 'to()'), copy, fmt));
  }
  cpu(): Tensor {
    return this.to({ device: 'cpu' });
  }
  cuda(index?: number): Tensor {
    return this.to({ device: index === undefined ? 'cuda' : `cuda:${index}` });
  }
  float(): Tensor {
    return this.to({ dtype: 'float32' });
  }
  double(): Tensor {
    return this.to({ dtype: 'float64' });
  }
  long(): Tensor {
    return this.to({ dtype: 'int64' });
  }
  int(): Tensor {
    return this.to({ dtype: 'int32' });
  }
  bool(): Tensor {
    return this.to({ dtype: 'bool' });
  }
  clone(): Tensor {
    return wrap(N.clone(this._id));
  }
  /** A tensor with the memory format's strides (default row-major); this one itself (a new handle) when it has them. */
  contiguous(opts?: { memoryFormat?: MemoryFormat }): Tensor {
    if (opts?.memoryFormat === undefined) return wrap(N.contiguous(this._id));
    return wrap(N.contiguous(this._id, memoryFormatCode(opts.memoryFormat, 'contiguous()', { ndim: this.ndim, allowed: LAYOUTS })));
  }

  // ---- arithmetic (tensor or scalar operands, broadcasting) -------------------------------------
  add(other: Tensor | Scalar, opts?: { alpha?: number }): Tensor {
    const a = opts?.alpha;
    if (isScalar(other)) return wrap(a === undefined ? N.addS(this._id, other) : N.addS(this._id, other, a));
    const o = tid(other, 'add(other)');
    return wrap(a === undefined ? N.add(this._id, o) : N.add(this._id, o, a));
  }
  sub(other: Tensor | Scalar, opts?: { alpha?: number }): Tensor {
    const a = opts?.alpha;
    if (isScalar(other)) return wrap(a === undefined ? N.subS(this._id, other) : N.subS(this._id, other, a));
    const o = tid(other, 'sub(other)');
    return wrap(a === undefined ? N.sub(this._id, o) : N.sub(this._id, o, a));
  }
  /** other - this (PyTorch's rsub). */
  rsub(other: Scalar): Tensor {
    return wrap(N.rsubS(this._id, other));
  }
  mul(other: Tensor | Scalar): Tensor {
    return wrap(isScalar(other) ? N.mulS(this._id, other) : N.mul(this._id, tid(other, 'mul(other)')));
  }
  div(other: Tensor | Scalar, opts?: { roundingMode?: 'trunc' | 'floor' }): Tensor {
    const rm = opts?.roundingMode;
    if (rm !== undefined && rm !== 'trunc' && rm !== 'floor') throw new TorchValueError(`div(): roundingMode must be 'trunc' or 'floor', got '${String(rm)}'`);
    return wrap(isScalar(other) ? N.divS(this._id, other, rm) : N.div(this._id, tid(other, 'div(other)'), rm));
  }
  pow(exponent: Tensor | Scalar): Tensor {
    return wrap(isScalar(exponent) ? N.powS(this._id, exponent) : N.pow(this._id, tid(exponent, 'pow(exponent)')));
  }
  remainder(other: number): Tensor {
    return wrap(N.remainderS(this._id, other));
  }
  neg(): Tensor {
    return wrap(N.neg(this._id));
  }
  exp(): Tensor {
    return wrap(N.exp(this._id));
  }
  log(): Tensor {
    return wrap(N.log(this._id));
  }
  log1p(): Tensor {
    return wrap(N.log1p(this._id));
  }
  sqrt(): Tensor {
    return wrap(N.sqrt(this._id));
  }
  rsqrt(): Tensor {
    return wrap(N.rsqrt(this._id));
  }
  erf(): Tensor {
    return wrap(N.erf(this._id));
  }
  erfinv(): Tensor {
    return wrap(N.erfinv(this._id));
  }
  abs(): Tensor {
    return wrap(N.abs(this._id));
  }
  sign(): Tensor {
    return wrap(N.sign(this._id));
  }
  floor(): Tensor {
    return wrap(N.floor(this._id));
  }
  ceil(): Tensor {
    return wrap(N.ceil(this._id));
  }
  round(): Tensor {
    return wrap(N.round(this._id));
  }
  sin(): Tensor {
    return wrap(N.sin(this._id));
  }
  cos(): Tensor {
    return wrap(N.cos(this._id));
  }
  reciprocal(): Tensor {
    return wrap(N.reciprocal(this._id));
  }
  square(): Tensor {
    return wrap(N.square(this._id));
  }
  sigmoid(): Tensor {
    return wrap(N.sigmoid(this._id));
  }
  tanh(): Tensor {
    return wrap(N.tanh(this._id));
  }
  relu(): Tensor {
    return wrap(N.relu(this._id));
  }
  isnan(): Tensor {
    return wrap(N.isnan(this._id));
  }
  isfinite(): Tensor {
    return wrap(N.isfinite(this._id));
  }
  logicalNot(): Tensor {
    return wrap(N.logicalNot(this._id));
  }
  logicalAnd(other: Tensor): Tensor {
    return wrap(N.logicalAnd(this._id, tid(other, 'logicalAnd(other)')));
  }
  logicalOr(other: Tensor): Tensor {
    return wrap(N.logicalOr(this._id, tid(other, 'logicalOr(other)')));
  }
  clamp(opts: { min?: number; max?: number }): Tensor {
    if (opts?.min === undefined && opts?.max === undefined) throw new TorchValueError('clamp(): give at least one of min, max');
    return wrap(N.clamp(this._id, opts.min, opts.max));
  }
  maximum(other: Tensor): Tensor {
    return wrap(N.maximum(this._id, tid(other, 'maximum(other)')));
  }
  minimum(other: Tensor): Tensor {
    return wrap(N.minimum(this._id, tid(other, 'minimum(other)')));
  }
  /** this + weight·(end − this). */
  lerp(end: Tensor, weight: Tensor | number): Tensor {
    const e = tid(end, 'lerp(end)');
    return wrap(typeof weight === 'number' ? N.lerpS(this._id, e, weight) : N.lerp(this._id, e, tid(weight, 'lerp(weight)')));
  }
  matmul(other: Tensor): Tensor {
    return wrap(N.matmul(this._id, tid(other, 'matmul(other)')));
  }
  mm(other: Tensor): Tensor {
    return wrap(N.mm(this._id, tid(other, 'mm(other)')));
  }
  bmm(other: Tensor): Tensor {
    return wrap(N.bmm(this._id, tid(other, 'bmm(other)')));
  }

  // ---- comparisons ------------------------------------------------------------------------------
  eq(other: Tensor | Scalar): Tensor {
    return wrap(isScalar(other) ? N.eqS(this._id, other) : N.eq(this._id, tid(other, 'eq(other)')));
  }
  ne(other: Tensor | Scalar): Tensor {
    return wrap(isScalar(other) ? N.neS(this._id, other) : N.ne(this._id, tid(other, 'ne(other)')));
  }
  lt(other: Tensor | Scalar): Tensor {
    return wrap(isScalar(other) ? N.ltS(this._id, other) : N.lt(this._id, tid(other, 'lt(other)')));
  }
  le(other: Tensor | Scalar): Tensor {
    return wrap(isScalar(other) ? N.leS(this._id, other) : N.le(this._id, tid(other, 'le(other)')));
  }
  gt(other: Tensor | Scalar): Tensor {
    return wrap(isScalar(other) ? N.gtS(this._id, other) : N.gt(this._id, tid(other, 'gt(other)')));
  }
  ge(other: Tensor | Scalar): Tensor {
    return wrap(isScalar(other) ? N.geS(this._id, other) : N.ge(this._id, tid(other, 'ge(other)')));
  }

  // ---- reductions -------------------------------------------------------------------------------
  sum(opts?: ReduceOptions): Tensor {
    return wrap(N.sum(this._id, dimsArg(opts?.dim), opts?.keepdim ?? false, code(opts?.dtype)));
  }
  mean(opts?: ReduceOptions): Tensor {
    return wrap(N.mean(this._id, dimsArg(opts?.dim), opts?.keepdim ?? false, code(opts?.dtype)));
  }
  prod(opts?: { dim?: number; keepdim?: boolean }): Tensor {
    return wrap(N.prod(this._id, opts?.dim, opts?.keepdim ?? false));
  }
  /** Without dim: the maximum (a 0-d tensor). With dim: { values, indices }. */
  max(): Tensor;
  max(opts: { dim: number; keepdim?: boolean }): { values: Tensor; indices: Tensor };
  max(opts?: { dim?: number; keepdim?: boolean }): Tensor | { values: Tensor; indices: Tensor } {
    if (opts?.dim === undefined) return wrap(N.maxAll(this._id));
    const [v, i] = N.maxDim(this._id, intArg(opts.dim, 'max(dim)'), opts.keepdim ?? false);
    return { values: wrap(v), indices: wrap(i) };
  }
  min(): Tensor;
  min(opts: { dim: number; keepdim?: boolean }): { values: Tensor; indices: Tensor };
  min(opts?: { dim?: number; keepdim?: boolean }): Tensor | { values: Tensor; indices: Tensor } {
    if (opts?.dim === undefined) return wrap(N.minAll(this._id));
    const [v, i] = N.minDim(this._id, intArg(opts.dim, 'min(dim)'), opts.keepdim ?? false);
    return { values: wrap(v), indices: wrap(i) };
  }
  argmax(opts?: { dim?: number; keepdim?: boolean }): Tensor {
    return wrap(N.argmax(this._id, opts?.dim, opts?.keepdim ?? false));
  }
  argmin(opts?: { dim?: number; keepdim?: boolean }): Tensor {
    return wrap(N.argmin(this._id, opts?.dim, opts?.keepdim ?? false));
  }
  /** Standard deviation; correction 1 (Bessel) by default, as PyTorch. */
  std(opts?: { dim?: number | readonly number[]; correction?: number; keepdim?: boolean }): Tensor {
    return wrap(N.std(this._id, dimsArg(opts?.dim), opts?.correction ?? 1, opts?.keepdim ?? false));
  }
  var(opts?: { dim?: number | readonly number[]; correction?: number; keepdim?: boolean }): Tensor {
    return wrap(N.var(this._id, dimsArg(opts?.dim), opts?.correction ?? 1, opts?.keepdim ?? false));
  }
  logsumexp(opts: { dim: number | readonly number[]; keepdim?: boolean }): Tensor {
    const d = dimsArg(opts?.dim);
    if (d === undefined) throw new TorchValueError('logsumexp(): dim is required');
    return wrap(N.logsumexp(this._id, d, opts.keepdim ?? false));
  }
  /** p-norm (p = 2 by default) over all elements or over dim. */
  norm(opts?: { p?: number; dim?: number | readonly number[]; keepdim?: boolean }): Tensor {
    return wrap(N.norm(this._id, opts?.p ?? 2, dimsArg(opts?.dim), opts?.keepdim ?? false));
  }
  cumsum(dim: number): Tensor {
    return wrap(N.cumsum(this._id, intArg(dim, 'cumsum(dim)')));
  }
  all(opts?: { dim?: number; keepdim?: boolean }): Tensor {
    return wrap(N.all(this._id, opts?.dim, opts?.keepdim ?? false));
  }
  any(opts?: { dim?: number; keepdim?: boolean }): Tensor {
    return wrap(N.any(this._id, opts?.dim, opts?.keepdim ?? false));
  }

  // ---- shape ------------------------------------------------------------------------------------
  reshape(shape: Shape): Tensor {
    return wrap(N.reshape(this._id, shape));
  }
  view(shape: Shape): Tensor {
    return wrap(N.view(this._id, shape));
  }
  flatten(startDim = 0, endDim = -1): Tensor {
    return wrap(N.flatten(this._id, startDim, endDim));
  }
  squeeze(dim?: number): Tensor {
    return wrap(N.squeeze(this._id, dim));
  }
  unsqueeze(dim: number): Tensor {
    return wrap(N.unsqueeze(this._id, intArg(dim, 'unsqueeze(dim)')));
  }
  permute(dims: Shape): Tensor {
    return wrap(N.permute(this._id, dims));
  }
  transpose(dim0: number, dim1: number): Tensor {
    return wrap(N.transpose(this._id, intArg(dim0, 'transpose(dim0)'), intArg(dim1, 'transpose(dim1)')));
  }
  /** 2-D transpose. */
  t(): Tensor {
    if (this.ndim > 2) throw new TorchValueError(`t(): expects a tensor with <= 2 dimensions, got ${this.ndim}`);
    return this.ndim < 2 ? this.alias() : this.transpose(0, 1);
  }
  expand(shape: Shape): Tensor {
    return wrap(N.expand(this._id, shape));
  }
  expandAs(other: Tensor): Tensor {
    return this.expand(other.shape);
  }
  repeat(sizes: Shape): Tensor {
    return wrap(N.repeat(this._id, sizes));
  }
  /** Pieces of splitSize along dim (the last may be smaller), or pieces of the given sizes. */
  split(splitSize: number | readonly number[], dim = 0): Tensor[] {
    return wrapAll(typeof splitSize === 'number' ? N.split(this._id, splitSize, dim) : N.splitWithSizes(this._id, splitSize, dim));
  }
  chunk(chunks: number, dim = 0): Tensor[] {
    return wrapAll(N.chunk(this._id, intArg(chunks, 'chunk(chunks)'), dim));
  }
  narrow(dim: number, start: number, length: number): Tensor {
    return wrap(N.narrow(this._id, dim, start, length));
  }
  select(dim: number, index: number): Tensor {
    return wrap(N.select(this._id, dim, index));
  }
  indexSelect(dim: number, index: Tensor): Tensor {
    return wrap(N.indexSelect(this._id, dim, tid(index, 'indexSelect(index)')));
  }
  gather(dim: number, index: Tensor): Tensor {
    return wrap(N.gather(this._id, dim, tid(index, 'gather(index)')));
  }
  /** Out-of-place scatter: src is a tensor or a scalar value. */
  scatter(dim: number, index: Tensor, src: Tensor | Scalar): Tensor {
    const i = tid(index, 'scatter(index)');
    return wrap(isScalar(src) ? N.scatterS(this._id, dim, i, src) : N.scatter(this._id, dim, i, tid(src, 'scatter(src)')));
  }
  scatterAdd(dim: number, index: Tensor, src: Tensor): Tensor {
    return wrap(N.scatterAdd(this._id, dim, tid(index, 'scatterAdd(index)'), tid(src, 'scatterAdd(src)')));
  }
  maskedFill(mask: Tensor, value: Scalar): Tensor {
    return wrap(N.maskedFill(this._id, tid(mask, 'maskedFill(mask)'), value));
  }
  flip(dims: number | readonly number[]): Tensor {
    return wrap(N.flip(this._id, dimsArg(dims, 'flip(dims)')));
  }
  roll(shifts: number | readonly number[], dims: number | readonly number[]): Tensor {
    return wrap(N.roll(this._id, dimsArg(shifts, 'roll(shifts)'), dimsArg(dims, 'roll(dims)')));
  }
  /** A second handle to the same tensor (PyTorch's `b = a`). */
  alias(): Tensor {
    return wrap(N.alias(this._id));
  }

  // ---- in place (return this) -------------------------------------------------------------------
  add_(other: Tensor | Scalar, opts?: { alpha?: number }): this {
    if (isScalar(other)) N.addS_(this._id, opts?.alpha === undefined ? other : (other as number) * opts.alpha);
    else if (opts?.alpha === undefined) N.add_(this._id, tid(other, 'add_(other)'));
    else N.add_(this._id, tid(other, 'add_(other)'), opts.alpha);
    return this;
  }
  sub_(other: Tensor | Scalar, opts?: { alpha?: number }): this {
    if (isScalar(other)) N.subS_(this._id, opts?.alpha === undefined ? other : (other as number) * opts.alpha);
    else if (opts?.alpha === undefined) N.sub_(this._id, tid(other, 'sub_(other)'));
    else N.sub_(this._id, tid(other, 'sub_(other)'), opts.alpha);
    return this;
  }
  mul_(other: Tensor | Scalar): this {
    if (isScalar(other)) N.mulS_(this._id, other);
    else N.mul_(this._id, tid(other, 'mul_(other)'));
    return this;
  }
  div_(other: Tensor | Scalar): this {
    if (isScalar(other)) N.divS_(this._id, other);
    else N.div_(this._id, tid(other, 'div_(other)'));
    return this;
  }
  lerp_(end: Tensor, weight: Tensor | number): this {
    const e = tid(end, 'lerp_(end)');
    if (typeof weight === 'number') N.lerpS_(this._id, e, weight);
    else N.lerp_(this._id, e, tid(weight, 'lerp_(weight)'));
    return this;
  }
  copy_(src: Tensor): this {
    N.copy_(this._id, tid(src, 'copy_(src)'));
    return this;
  }
  zero_(): this {
    N.zero_(this._id);
    return this;
  }
  fill_(value: Scalar): this {
    N.fill_(this._id, value);
    return this;
  }
  clamp_(opts: { min?: number; max?: number }): this {
    if (opts?.min === undefined && opts?.max === undefined) throw new TorchValueError('clamp_(): give at least one of min, max');
    N.clamp_(this._id, opts.min, opts.max);
    return this;
  }
  uniform_(from = 0, to = 1): this {
    N.uniform_(this._id, from, to);
    return this;
  }
  normal_(mean = 0, std = 1): this {
    N.normal_(this._id, mean, std);
    return this;
  }

  // ---- autograd ---------------------------------------------------------------------------------
  get requiresGrad(): boolean {
    return N.requiresGrad(this._id);
  }
  requiresGrad_(requiresGrad = true): this {
    N.requiresGrad_(this._id, requiresGrad);
    return this;
  }
  /** The accumulated gradient (a new handle to it), or null. */
  get grad(): Tensor | null {
    return wrapOrNull(N.grad(this._id));
  }
  set grad(g: Tensor | null) {
    N.setGrad(this._id, g === null ? null : tid(g, 'grad'));
  }
  get isLeaf(): boolean {
    return N.isLeaf(this._id);
  }
  retainGrad(): this {
    N.retainGrad(this._id);
    return this;
  }
  detach(): Tensor {
    return wrap(N.detach(this._id));
  }
  detach_(): this {
    N.detach_(this._id);
    return this;
  }
  backward(opts?: { gradient?: Tensor; retainGraph?: boolean; createGraph?: boolean }): void {
    const g = opts?.gradient === undefined ? undefined : tid(opts.gradient, 'backward(gradient)');
    N.backward(this._id, g, opts?.retainGraph, opts?.createGraph ?? false);
  }
}
