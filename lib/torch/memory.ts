import { N } from './native.js';
import { TorchError, TorchTypeError } from './errors.js';
import { scopes, adopt, gcTrack, releaseScope, setLiveTensorWarning, type Owned } from './scope.js';
import { Tensor } from './tensor.js';

/** Tensors (and nested arrays / plain objects of tensors) reachable from a tidy result. */
function collect(x: unknown, out: Tensor[], depth = 0): void {
  if (x instanceof Tensor) out.push(x);
  else if (depth < 8 && Array.isArray(x)) for (const v of x) collect(v, out, depth + 1);
  else if (depth < 8 && x !== null && typeof x === 'object' && Object.getPrototypeOf(x) === Object.prototype)
    for (const v of Object.values(x)) collect(v, out, depth + 1);
  else if (x instanceof Map) for (const v of x.values()) collect(v, out, depth + 1);
}

/**
 * Runs fn; every tensor created inside and neither returned nor kept is disposed when fn returns
 * (or throws). Returned tensors move to the enclosing scope. Scopes nest. fn must be synchronous.
 */
export function tidy<T>(fn: () => T): T {
  if (typeof fn !== 'function') throw new TorchTypeError('tidy(fn): fn must be a function');
  const scope: Owned[] = [];
  scopes.push(scope);
  let result: T;
  try {
    result = fn();
  } catch (e) {
    scopes.pop();
    releaseScope(scope);
    throw e;
  }
  scopes.pop();
  if (result !== null && typeof result === 'object' && typeof (result as { then?: unknown }).then === 'function') {
    releaseScope(scope);
    throw new TorchError('tidy(fn): fn returned a Promise; tidy scopes are synchronous (await outside, tidy each synchronous step)');
  }
  const out: Tensor[] = [];
  collect(result, out);
  const parent = scopes.length > 0 ? scopes[scopes.length - 1] : null;
  for (const t of out) {
    if (t._scope !== scope) continue; // not ours: created outside, kept, or already moved
    if (parent) {
      t._scope = parent;
      parent.push(t);
    } else gcTrack(t);
  }
  releaseScope(scope);
  return result;
}

/** Takes t out of its tidy scope: it lives until disposed or garbage-collected. */
export function keep<T extends Tensor>(t: T): T {
  if (!(t instanceof Tensor)) throw new TorchTypeError('keep(t): expected a Tensor');
  gcTrack(t);
  return t;
}

/** Disposes every tensor found in x (a tensor, or arrays/objects of tensors). */
export function dispose(x: unknown): void {
  const out: Tensor[] = [];
  collect(x, out);
  for (const t of out) t.dispose();
}

export interface MemoryInfo {
  /** Tensor handles alive in this addon instance. */
  liveTensors: number;
  /** Of those, the ones no tidy scope owns: freed by dispose() or when their wrapper is collected. */
  gcOwnedTensors: number;
  /** Bytes of CPU storage held by those handles (shared storage counted once). */
  cpuBytes: number;
  /** CUDA caching-allocator bytes on the current device (0 without CUDA, -1 if unknown). */
  cudaAllocated: number;
  cudaReserved: number;
}

export function memory(): MemoryInfo {
  const [cudaAllocated, cudaReserved] = N.cudaMemory();
  return { liveTensors: N.liveTensors(), gcOwnedTensors: N.gcOwnedTensors(), cpuBytes: N.cpuBytes(), cudaAllocated, cudaReserved };
}

export { adopt, setLiveTensorWarning };
