// torch.autocast: mixed precision over LibTorch's autocast (native/autocast.cc). Inside it, ops on
// the device run in the lower-precision dtype where PyTorch's autocast lists say so (linear,
// matmul, conv → bfloat16/float16) and in float32 where precision matters (softmax, losses …),
// exactly as in Python: the op lists are LibTorch's own. Enter/exit do what Python's
// torch.autocast.__enter__/__exit__ do: save enabled/dtype/cache, set them, count the nesting, and
// at the outermost exit clear the cache of cast weights, then restore.
//
//   const y = torch.autocast({ deviceType: 'cpu' }, () => model.forward(x));   // bfloat16
//   { using _ = torch.autocast({ deviceType: 'cuda' }); … }                     // float16
import { N } from './native.js';
import { TorchTypeError, TorchValueError, TorchError } from './errors.js';
import { dtypeCode, dtypeOf, type DType } from './types.js';

export type AutocastDeviceType = 'cpu' | 'cuda';
export type AutocastDType = 'bfloat16' | 'float16';

export interface AutocastOptions {
  deviceType: AutocastDeviceType;
  /** Default as PyTorch's: cpu → bfloat16, cuda → float16. */
  dtype?: AutocastDType;
  /** false: a region where autocast is off (e.g. a float32 sub-computation inside an autocast one). Default true. */
  enabled?: boolean;
  /** Cache the lower-precision copies of weights within the outermost region (PyTorch's cache_enabled). Default true. */
  cacheEnabled?: boolean;
}

export interface AutocastGuard extends Disposable {
  /** Restores the autocast state that was in force before the guard (once; later calls do nothing). */
  [Symbol.dispose](): void;
}

const DEFAULT_DTYPE: Record<AutocastDeviceType, AutocastDType> = { cpu: 'bfloat16', cuda: 'float16' };

function checkDeviceType(d: unknown, what: string): AutocastDeviceType {
  if (d !== 'cpu' && d !== 'cuda') throw new TorchValueError(`${what}: deviceType must be 'cpu' or 'cuda', got ${JSON.stringify(d) ?? String(d)}`);
  return d;
}

/** The checked options (throws before any state is changed). */
function resolve(opts: AutocastOptions): Required<AutocastOptions> {
  if (opts === null || typeof opts !== 'object')
    throw new TorchTypeError('autocast(opts): opts must be an object { deviceType, dtype?, enabled?, cacheEnabled? }');
  const deviceType = checkDeviceType(opts.deviceType, 'autocast');
  const dtype = opts.dtype ?? DEFAULT_DTYPE[deviceType];
  if (dtype !== 'bfloat16' && dtype !== 'float16')
    throw new TorchValueError(`autocast: dtype must be 'bfloat16' or 'float16', got ${JSON.stringify(dtype) ?? String(dtype)}`);
  for (const k of ['enabled', 'cacheEnabled'] as const)
    if (opts[k] !== undefined && typeof opts[k] !== 'boolean') throw new TorchTypeError(`autocast: ${k} must be a boolean, got ${String(opts[k])}`);
  const enabled = opts.enabled ?? true;
  if (enabled && deviceType === 'cuda' && !N.cudaIsAvailable())
    throw new TorchError("autocast: deviceType 'cuda' but CUDA is not available (this LibTorch has no CUDA or no GPU is visible); use deviceType 'cpu'");
  if (enabled && !N.autocastSupports(deviceType, dtypeCode[dtype]))
    throw new TorchValueError(
      `autocast: dtype ${dtype} is not supported on ${deviceType} by this LibTorch ${N.config().version as string}${deviceType === 'cpu' ? ' (its CPU autocast supports bfloat16 only)' : ''}`,
    );
  return { deviceType, dtype, enabled, cacheEnabled: opts.cacheEnabled ?? true };
}

function enter(o: Required<AutocastOptions>): AutocastGuard {
  const d = o.deviceType;
  const prevCache: boolean = N.autocastIsCacheEnabled();
  const prevDtype: number = N.autocastGetDtype(d);
  const prevEnabled: boolean = N.autocastSetEnabled(d, o.enabled);
  // A disabled region keeps the dtype (PyTorch sets it too, but a dtype this build lacks must not fail there).
  if (o.enabled) N.autocastSetDtype(d, dtypeCode[o.dtype]);
  N.autocastIncrementNesting();
  N.autocastSetCacheEnabled(o.cacheEnabled);
  let done = false;
  return {
    [Symbol.dispose]() {
      if (done) return;
      done = true;
      if (N.autocastDecrementNesting() === 0) N.autocastClearCache();
      N.autocastSetEnabled(d, prevEnabled);
      N.autocastSetDtype(d, prevDtype);
      N.autocastSetCacheEnabled(prevCache);
    },
  };
}

/**
 * autocast(opts, fn) runs fn with autocast set as opts say and returns its value (the previous
 * state is restored also when fn throws); autocast(opts) returns a guard for
 * `using _ = torch.autocast(opts)`. fn must be synchronous: the state is per thread, not per
 * async call chain.
 */
export function autocast(opts: AutocastOptions): AutocastGuard;
export function autocast<T>(opts: AutocastOptions, fn: () => T): T;
export function autocast<T>(opts: AutocastOptions, fn?: () => T): T | AutocastGuard {
  const o = resolve(opts);
  if (fn === undefined) return enter(o);
  if (typeof fn !== 'function') throw new TorchTypeError('autocast(opts, fn): fn must be a function');
  const g = enter(o);
  let r: T;
  try {
    r = fn();
  } finally {
    g[Symbol.dispose]();
  }
  if (r instanceof Promise)
    throw new TorchTypeError('autocast(opts, fn): fn returned a Promise; autocast state does not follow an await (use it around synchronous code)');
  return r;
}

/** Whether autocast is on for the device type (torch.is_autocast_enabled(device_type)). */
export function isAutocastEnabled(deviceType: AutocastDeviceType): boolean {
  return N.autocastIsEnabled(checkDeviceType(deviceType, 'isAutocastEnabled'));
}

/** The dtype autocast casts to on the device type (torch.get_autocast_dtype). */
export function getAutocastDtype(deviceType: AutocastDeviceType): DType {
  return dtypeOf(N.autocastGetDtype(checkDeviceType(deviceType, 'getAutocastDtype')));
}

/** Whether this LibTorch's autocast supports the dtype on the device type (1.13: CPU bfloat16 only). */
export function isAutocastDtypeSupported(deviceType: AutocastDeviceType, dtype: AutocastDType): boolean {
  const c = dtypeCode[dtype];
  if (dtype !== 'bfloat16' && dtype !== 'float16')
    throw new TorchValueError(`isAutocastDtypeSupported: dtype must be 'bfloat16' or 'float16', got ${String(dtype)}`);
  return N.autocastSupports(checkDeviceType(deviceType, 'isAutocastDtypeSupported'), c);
}
