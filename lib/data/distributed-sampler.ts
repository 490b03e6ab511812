// DistributedSampler with torch.utils.data.DistributedSampler's exact semantics: the epoch's order
// is torch.randperm(n, generator seeded seed + epoch) (LibTorch's CPU generator, so the same
// permutation PyTorch draws) or 0..n-1 without shuffle; padded by repeating the first indices up to
// a multiple of numReplicas (or truncated with dropLast); rank r takes indices r, r + R, r + 2R, …
// Give it to a DataLoader as `sampler`: the loader then iterates this rank's indices in this order
// and sets the sampler's epoch to its own as each epoch starts (so loader.setEpoch replays both).
import * as torch from '../torch/index.js';
import { getRank, getWorldSize, isInitialized } from '../distributed/process-group.js';

export interface DistributedSamplerOptions {
  /** World size R (default: the default process group's). */
  numReplicas?: number;
  /** This process's rank (default: the default process group's). */
  rank?: number;
  /** Permute every epoch (default true, as PyTorch). */
  shuffle?: boolean;
  /** Seed of the permutation; must be the same on every rank (default 0). */
  seed?: number;
  /** Drop the tail so the samples divide evenly, instead of padding (default false). */
  dropLast?: boolean;
}

const verr = (m: string) => new torch.TorchValueError(`DistributedSampler: ${m}`);

/** The number of samples of a dataset argument: a count, { images } / { x } tensors, or anything with a length. */
function sizeOf(ds: unknown): number {
  if (typeof ds === 'number') return ds;
  if (ds !== null && typeof ds === 'object') {
    const d = ds as Record<string, unknown>;
    const t = d.images ?? d.x;
    if (t instanceof torch.Tensor) return t.shape[0] ?? 0;
    if (typeof d.length === 'number') return d.length;
  }
  throw new torch.TorchTypeError('DistributedSampler: dataset must be a sample count, { images, labels } / { x, y }, or have a length');
}

export class DistributedSampler implements Iterable<number> {
  /** Samples in the dataset. */
  readonly datasetLength: number;
  readonly numReplicas: number;
  readonly rank: number;
  readonly shuffle: boolean;
  readonly seed: number;
  readonly dropLast: boolean;
  /** Indices this rank gets per epoch (PyTorch's num_samples; len(sampler)). */
  readonly numSamples: number;
  /** numSamples · numReplicas. */
  readonly totalSize: number;
  epoch = 0;

  constructor(dataset: unknown, opts: DistributedSamplerOptions = {}) {
    const n = sizeOf(dataset);
    if (!Number.isSafeInteger(n) || n < 1) throw verr(`the dataset must hold at least one sample, got ${n}`);
    const pg = () => {
      if (!isInitialized())
        throw verr('numReplicas and rank default to the process group, which is not initialized (call torch.distributed.initProcessGroup or pass them)');
    };
    if (opts.numReplicas === undefined || opts.rank === undefined) pg();
    const R = opts.numReplicas ?? getWorldSize();
    const r = opts.rank ?? getRank();
    if (!Number.isSafeInteger(R) || R < 1) throw verr(`numReplicas must be a positive integer, got ${String(R)}`);
    if (!Number.isSafeInteger(r) || r < 0 || r >= R) throw verr(`Invalid rank ${String(r)}, rank should be in the interval [0, ${R - 1}]`);
    const seed = opts.seed ?? 0;
    if (!Number.isSafeInteger(seed) || seed < 0) throw verr(`seed must be a non-negative integer, got ${String(seed)}`);
    this.datasetLength = n;
    this.numReplicas = R;
    this.rank = r;
    this.shuffle = opts.shuffle ?? true;
    this.seed = seed;
    this.dropLast = opts.dropLast ?? false;
    // PyTorch: with drop_last and an uneven split, ceil((n - R) / R); else ceil(n / R).
    this.numSamples = this.dropLast && n % R !== 0 ? Math.ceil((n - R) / R) : Math.ceil(n / R);
    this.totalSize = this.numSamples * R;
  }

  /** len(sampler). */
  get length(): number {
    return this.numSamples;
  }

  /** The epoch the next indices() uses (same on every rank, so their permutations agree). */
  setEpoch(epoch: number): void {
    if (!Number.isSafeInteger(epoch) || epoch < 0) throw verr(`setEpoch(): epoch must be a non-negative integer, got ${epoch}`);
    this.epoch = epoch;
  }

  /** This rank's dataset indices for the current epoch, in order. */
  indices(): Int32Array {
    const n = this.datasetLength;
    let all: ArrayLike<number>;
    if (this.shuffle) {
      const g = new torch.Generator().manualSeed(this.seed + this.epoch);
      all = torch.tidy(() => Int32Array.from(torch.randperm(n, { generator: g }).to('int32').toArray() as Int32Array));
    } else {
      all = Int32Array.from({ length: n }, (_, i) => i);
    }
    // Padding repeats the list from its start (cyclically when the padding is longer than n).
    const out = new Int32Array(this.numSamples);
    for (let k = 0, i = this.rank; k < this.numSamples; k++, i += this.numReplicas) out[k] = all[i % n];
    return out;
  }

  [Symbol.iterator](): Iterator<number> {
    return this.indices()[Symbol.iterator]();
  }
}
