// Ownership of native handles (DESIGN.md, "Tensors and memory"). A tensor born inside a tidy scope
// is owned by that scope (an array push: cheap); one born outside any scope, kept, or returned to
// top level is owned by the GC fallback (FinalizationRegistry + external-memory accounting).
import { N } from './native.js';

/** What the scope machinery needs of a tensor wrapper. */
export interface Owned {
  _id: number; // native handle; -1 once disposed
  _scope: Owned[] | null; // the scope array that owns it, or null when the GC fallback does
  _gc: boolean; // registered with the FinalizationRegistry
}

export const scopes: Owned[][] = [];

const registry = new FinalizationRegistry<number>((id) => {
  N.free(id); // stale ids (already disposed) are ignored natively
});

export function gcTrack(t: Owned): void {
  t._scope = null;
  if (t._gc || t._id < 0) return;
  N.track(t._id);
  registry.register(t, t._id, t);
  t._gc = true;
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
  N.free(t._id);
  if (t._gc) {
    registry.unregister(t);
    t._gc = false;
  }
  t._id = -1;
}

/** Frees every tensor the scope still owns, in one native call. */
export function releaseScope(scope: Owned[]): void {
  const ids = new Float64Array(scope.length);
  let n = 0;
  for (const t of scope) {
    if (t._scope === scope && t._id >= 0) {
      ids[n++] = t._id;
      t._id = -1;
    }
  }
  if (n > 0) N.freeMany(ids, n);
}
