import { TorchTypeError, TorchValueError } from './errors.js';

export type DType = 'float32' | 'float64' | 'float16' | 'bfloat16' | 'int64' | 'int32' | 'uint8' | 'bool';
/** 'cpu', 'cuda' or 'cuda:N'. */
export type Device = string;
export type Shape = readonly number[];

export interface TensorOptions {
  dtype?: DType;
  device?: Device;
  requiresGrad?: boolean;
}

/** c10::ScalarType codes (stable across LibTorch 1.13 and 2.x). */
export const dtypeCode: Readonly<Record<DType, number>> = {
  uint8: 0,
  int32: 3,
  int64: 4,
  float16: 5,
  float32: 6,
  float64: 7,
  bool: 11,
  bfloat16: 15,
};
const codeToDtype: Record<number, DType> = Object.fromEntries(Object.entries(dtypeCode).map(([k, v]) => [v, k as DType]));

export const dtypes = Object.keys(dtypeCode) as DType[];

export function code(dtype: DType | undefined, what = 'dtype'): number | undefined {
  if (dtype === undefined) return undefined;
  const c = dtypeCode[dtype];
  if (c === undefined) throw new TorchTypeError(`${what}: unknown dtype '${String(dtype)}' (expected one of ${dtypes.join(', ')})`);
  return c;
}

export function dtypeOf(c: number): DType {
  const d = codeToDtype[c];
  if (d === undefined) throw new TorchTypeError(`tensor has a dtype torchmix does not expose (c10::ScalarType ${c})`);
  return d;
}

export const isFloating = (d: DType) => d === 'float32' || d === 'float64' || d === 'float16' || d === 'bfloat16';

export function checkDevice(device: Device | undefined, what = 'device'): Device | undefined {
  if (device === undefined) return undefined;
  if (typeof device !== 'string' || !/^(cpu|cuda)(:\d+)?$/.test(device))
    throw new TorchValueError(`${what}: invalid device '${String(device)}' (expected 'cpu', 'cuda' or 'cuda:N')`);
  return device;
}

export function checkShape(shape: unknown, what = 'shape'): number[] {
  if (typeof shape === 'number') shape = [shape];
  if (!Array.isArray(shape)) throw new TorchTypeError(`${what}: expected an array of non-negative integers, got ${typeof shape}`);
  for (const d of shape) if (!Number.isSafeInteger(d) || d < 0) throw new TorchValueError(`${what}: expected non-negative integers, got [${shape.join(', ')}]`);
  return shape as number[];
}
