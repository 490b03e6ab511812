// torch.Generator (CPU): a private random stream, independent of the global one torch.manualSeed
// seeds. `new torch.Generator().manualSeed(s)` then `torch.randperm(n, { generator })` draws exactly
// what PyTorch's `torch.randperm(n, generator=torch.Generator().manual_seed(s))` draws.
import { N } from './native.js';
import { TorchTypeError, TorchValueError } from './errors.js';

export class Generator {
  /** The native generator (an External; freed with this object by the GC). */
  readonly _g: unknown;
  constructor(opts?: { device?: 'cpu' }) {
    if (opts?.device !== undefined && opts.device !== 'cpu')
      throw new TorchValueError(`Generator(): only device 'cpu' is supported, got ${String(opts.device)}`);
    this._g = N.generatorNew();
  }
  /** Seeds the generator (a non-negative integer); returns it, as PyTorch's manual_seed. */
  manualSeed(seed: number): this {
    if (!Number.isSafeInteger(seed) || seed < 0) throw new TorchValueError(`Generator.manualSeed(): seed must be a non-negative integer, got ${seed}`);
    N.generatorManualSeed(this._g, seed);
    return this;
  }
  /** The seed it was last seeded with. */
  initialSeed(): number {
    return N.generatorInitialSeed(this._g);
  }
}

/** The native generator of an options.generator argument. */
export function generatorArg(g: unknown, what: string): unknown {
  if (!(g instanceof Generator)) throw new TorchTypeError(`${what}: expected a torch.Generator`);
  return g._g;
}
