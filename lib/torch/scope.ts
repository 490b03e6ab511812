// Ownership of native handles (DESIGN.md, "Tensors and memory"; docs/ARCHITECTURE.md, "Three
// release paths"). A tensor born inside a tidy scope is owned by that scope (an array push: cheap,
// no weak reference). One born outside any scope, kept, or returned to top level is owned by the GC
// fallback: a native finalizer on its wrapper that runs during garbage collection itself, so even a
// synchronous loop that never yields frees what it drops (native/tensor.h, GcToken).
import { N, packageRoot } from './native.js';

/** What the scope machinery needs of a tensor wrapper. */
export interface Owned {
  _id: number; // native handle; -1 once disposed
  _scope: Owned[] | null; // the scope array that owns it, or null when the GC fallback does
  _gc: boolean; // owned by the GC fallback (a finalizer is attached to the wrapper)
}

export const scopes: Owned[][] = [];

export function gcTrack(t: Owned): void {
  t._scope = null;
  if (t._gc || t._id < 0) return;
  const owned: number = N.track(t, t._id);
  t._gc = true;
  if (owned > warning.threshold) {
    if (!warning.done) watchGrowth(owned);
  } else if (warning.armedAt >= 0 && owned < warning.threshold / 2) disarm();
}

export function adopt(t: Owned): void {
  const n = scopes.length;
  if (n > 0) {
    const s = scopes[n - 1];
    t._scope = s;
    s.push(t);
  } else gcTrack(t);
}

export function release(t: Owned): void {
  if (t._id < 0) return;
  N.free(t._id); // also disarms the GC fallback's finalizer, if any
  t._gc = false;
  t._id = -1;
}

// One grow-only buffer for releaseScope's ids: a fresh Float64Array per scope cost more than the
// freeing (freeMany reads it synchronously and runs no JS, so reuse is safe).
let idBuf = new Float64Array(256);

/** Frees every tensor the scope still owns, in one native call. */
export function releaseScope(scope: Owned[]): void {
  if (scope.length > idBuf.length) idBuf = new Float64Array(Math.max(scope.length, 2 * idBuf.length));
  const ids = idBuf;
  let n = 0;
  for (const t of scope) {
    if (t._scope === scope && t._id >= 0) {
      ids[n++] = t._id;
      t._id = -1;
    }
  }
  if (n > 0) N.freeMany(ids, n);
}

// ---- guidance for loops that keep tensors alive ---------------------------------------------------
// The GC fallback frees what is dropped; what is still referenced (a list of losses with their
// autograd graphs, a cache) grows. Many small dropped tensors can also pile up between two
// collections, so crossing `threshold` only arms the check: if the collector then frees tensors and
// the count still stays above threshold/2, the next SAMPLES creations record their call site (a
// stack trace each: only then) and one warning names the commonest.
const SAMPLES = 64;
const warning = { threshold: 50_000, done: false, armedAt: -1, sites: new Map<string, number>(), seen: 0 };

function disarm(): void {
  warning.armedAt = -1;
  warning.sites.clear();
  warning.seen = 0;
}

/** Sets how many live tensors outside any tidy scope (that survive collections) trigger the one-time
 *  warning; Infinity: never. Default 50,000. */
export function setLiveTensorWarning(threshold: number): void {
  if (!(threshold > 0)) throw new RangeError(`setLiveTensorWarning(threshold): expected a positive number, got ${String(threshold)}`);
  warning.threshold = threshold;
  warning.done = false;
  disarm();
}

function watchGrowth(owned: number): void {
  const freed: number = N.gcFreedTensors();
  if (warning.armedAt < 0) warning.armedAt = freed;
  else if (freed > warning.armedAt) noteCreationSite(owned); // a collection ran, and they survived it
}

const ownFrames = [`${packageRoot}/lib/`, `${packageRoot}/dist/`, 'node:internal'];

function noteCreationSite(owned: number): void {
  const stack = new Error().stack?.split('\n').slice(1) ?? [];
  const frame = stack.find((l) => !ownFrames.some((p) => l.includes(p))) ?? stack[stack.length - 1] ?? '(unknown)';
  const site = frame
    .trim()
    .replace(/^at /, '')
    .replace(/:\d+(\)?)$/, '$1'); // file:line (one line, one site)
  warning.sites.set(site, (warning.sites.get(site) ?? 0) + 1);
  if (++warning.seen < SAMPLES) return;
  warning.done = true;
  const [top, count] = [...warning.sites.entries()].sort((a, b) => b[1] - a[1])[0];
  process.emitWarning(
    `${owned} tensors are alive outside any torch.tidy scope; ${count} of the last ${SAMPLES} were created at ${top}. ` +
      'Wrap each training step in torch.tidy(() => { ... }) (or dispose() what you no longer need); ' +
      'a tensor kept in an array keeps its autograd graph too — keep loss.item(), not loss.',
    { code: 'TORCHMIX_LIVE_TENSORS' },
  );
}
