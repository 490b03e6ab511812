// Exact live-tensor counts in tests. Since the GC fallback frees dropped tensors during any
// collection (issue 16), a count taken while earlier tests' garbage is still uncollected can fall
// mid-test when the collector runs; collect first, then count.
import v8 from 'node:v8';
import vm from 'node:vm';
import { torch } from '../../lib/index.js';

v8.setFlagsFromString('--expose-gc');
/** A full garbage collection (the GC fallback's finalizers run during it). */
export const collectGarbage = vm.runInNewContext('gc') as () => void;

/** liveTensors after a full collection: only tensors something still references. */
export function settledLiveTensors(): number {
  collectGarbage();
  return torch.memory().liveTensors;
}
