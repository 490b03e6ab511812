// A scope per module call (docs/ARCHITECTURE.md, "Module-call scopes"). Every subclass's forward
// runs in its own tidy-like scope: the tensors it creates and does not return are freed when it
// returns, as PyTorch frees an intermediate when its last reference goes, instead of living until
// the step's tidy ends. Freeing a handle only drops our reference: what backward needs, autograd's
// saved variables keep, and they free it as backward passes them. Nested modules give nested
// scopes, so a whole model's call leaves only its output(s) behind.
//
// What stays alive as before (until the enclosing torch.tidy, or the GC fallback outside any):
//   - the returned value's tensors (a tensor, arrays / plain objects / Maps of them, as tidy);
//     a result holding anything else (a class instance, a Set, a function, a Promise) keeps every
//     tensor the call made, since we cannot see inside it;
//   - tensors stored on the module's own attributes during forward (`this.last = h`, also inside
//     arrays / plain objects / Maps there: `this.log.push({ h })`), which move to the nearest
//     torch.tidy scope (not the caller module's), so the step can still read them;
//   - torch.keep()-ed tensors; and, if forward throws, everything it made (the caller's scope ends it).
// A tensor handed to some other object during forward (a closure's array, another module) must be
// torch.keep()-ed, or the scopes turned off.
//
// Only inside a torch.tidy: a call outside any scope runs as before, its tensors owned by the GC
// fallback, whose collections are paced by the native bytes it owns (each intermediate counted):
// freeing them early would leave it counting a small output that pins a whole autograd graph, and a
// loop written without tidy would grow (scripts/bench/gc-release/flat-memory.ts).
//
// Opt-out: TORCHMIX_MODULE_SCOPES=off in the environment (read once at load) runs forwards with no
// scope of their own, as before.
import { Tensor } from '../torch/tensor.js';
import { scopes, gcTrack, releaseScope, type Owned } from '../torch/scope.js';

/** The module's bookkeeping attributes (registration maps): never what a forward stores. */
const internal = new Set(['_parameters', '_buffers', '_nonPersistent', '_modules']);

// The open module-call scopes, innermost last, and for each the nearest torch.tidy scope outside
// it (null: none), where what a forward stores on its module goes. Parallel stacks rather than a
// property on the scope array, which would give scope arrays a second shape on the hot path.
const open: Owned[][] = [];
const anchors: (Owned[] | null)[] = [];

function readSetting(): boolean {
  const v = process.env.TORCHMIX_MODULE_SCOPES;
  if (v === undefined || v === '' || v === 'on' || v === '1') return true;
  if (v === 'off' || v === '0') return false;
  process.emitWarning(`TORCHMIX_MODULE_SCOPES='${v}' is neither 'on' nor 'off': module-call scopes stay on`, { code: 'TORCHMIX_MODULE_SCOPES' });
  return true;
}

const state = { enabled: readSetting() };

/** Whether forwards run in their own scope (TORCHMIX_MODULE_SCOPES unset or 'on'). */
export function moduleScopesEnabled(): boolean {
  return state.enabled;
}

/** @internal Tests and benchmarks compare both modes in one process; users set the variable. */
export function _setModuleScopes(on: boolean): void {
  state.enabled = on;
}

/** The result's tensors into out; false when the result holds something opaque. */
function collect(x: unknown, out: Tensor[], depth: number): boolean {
  if (x === null || typeof x !== 'object') return typeof x !== 'function';
  if (x instanceof Tensor) {
    out.push(x);
    return true;
  }
  if (depth >= 8) return false;
  if (Array.isArray(x)) {
    for (const v of x) if (!collect(v, out, depth + 1)) return false;
    return true;
  }
  if (x instanceof Map) {
    for (const v of x.values()) if (!collect(v, out, depth + 1)) return false;
    return true;
  }
  if (ArrayBuffer.isView(x)) return true;
  if (Object.getPrototypeOf(x) !== Object.prototype && Object.getPrototypeOf(x) !== null) return false;
  for (const k in x) if (!collect((x as Record<string, unknown>)[k], out, depth + 1)) return false;
  return true;
}

function moveTo(t: Owned, to: Owned[] | null): void {
  if (to === null) gcTrack(t);
  else {
    t._scope = to;
    to.push(t);
  }
}

/** Hands every tensor the scope still owns to `to` (nothing is freed early). */
function moveAll(scope: Owned[], to: Owned[] | null): void {
  for (const t of scope) if (t._scope === scope && t._id >= 0) moveTo(t, to);
}

/** Module objects (their proxies): a stored child module is not walked (its own call did that). */
const moduleObjects = new WeakSet<object>();
/** @internal module.ts registers every module it wraps. */
export function markModule(m: object): void {
  moduleObjects.add(m);
}

/** Moves the scope's tensors found in x (a tensor, arrays / plain objects / Maps of them) to `to`. */
function rescue(x: unknown, scope: Owned[], to: Owned[] | null, depth: number): void {
  if (x === null || typeof x !== 'object' || moduleObjects.has(x)) return;
  if (x instanceof Tensor) {
    if (x._scope === scope) moveTo(x, to);
    return;
  }
  if (depth >= 8) return;
  if (Array.isArray(x)) for (const v of x) rescue(v, scope, to, depth + 1);
  else if (x instanceof Map) for (const v of x.values()) rescue(v, scope, to, depth + 1);
  else {
    const proto = Object.getPrototypeOf(x);
    if (proto === Object.prototype || proto === null) for (const k in x) rescue((x as Record<string, unknown>)[k], scope, to, depth + 1);
  }
}

/** Runs forward.apply(self, args) in a scope of its own (see the header); attrs: the object whose
 *  enumerable attributes hold what forward stores (a module's plain object behind its proxy). */
export function callInScope(self: unknown, attrs: unknown, forward: (...a: unknown[]) => unknown, args: unknown[]): unknown {
  const n = scopes.length;
  if (n === 0) return forward.apply(self, args); // outside any tidy: the GC fallback's, as before (header)
  const parent: Owned[] | null = n > 0 ? scopes[n - 1] : null;
  const m = open.length;
  const anchor = parent === null ? null : m > 0 && open[m - 1] === parent ? anchors[m - 1] : parent;
  const scope: Owned[] = [];
  scopes.push(scope);
  open.push(scope);
  anchors.push(anchor);
  let result: unknown;
  try {
    result = forward.apply(self, args);
  } catch (e) {
    scopes.pop();
    open.pop();
    anchors.pop();
    moveAll(scope, parent);
    throw e;
  }
  scopes.pop();
  open.pop();
  anchors.pop();
  if (scope.length === 0) return result;
  // what forward stored on the module lives on to the nearest tidy (the step reads it after the model returns)
  if (attrs !== null && typeof attrs === 'object')
    for (const k in attrs) {
      if (internal.has(k)) continue;
      const v = (attrs as Record<string, unknown>)[k];
      if (typeof v === 'object' && v !== null) rescue(v, scope, anchor, 0);
    }
  const out: Tensor[] = [];
  if (!collect(result, out, 0)) {
    moveAll(scope, parent);
    return result;
  }
  for (const t of out) if (t._scope === scope) moveTo(t, parent);
  releaseScope(scope);
  return result;
}

/**
 * fn() in a scope of its own, as a module call: for a stage inside one forward whose temporaries
 * backward does not need (a conv's output under its relu), freed when the stage returns as PyTorch
 * frees them, not when the whole forward does. Off with the module-call scopes.
 */
export function stage<T>(fn: () => T): T {
  if (!state.enabled) return fn();
  return callInScope(undefined, null, fn, []) as T;
}
