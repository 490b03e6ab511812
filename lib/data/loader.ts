// DataLoader: the dataset lives on the device (moved once); each epoch draws a seeded permutation
// (and, with augmentation, every sample's crop offsets and flip, or its jitter) in JavaScript and uploads it in
// one copy; each batch is one index_select (plus, with augmentation, one index computation), a
// conversion to float32 (/255 for uint8) and per-channel normalisation — all on the device.
//
// Memory contract. Every batch's tensors (x, y, index, views) are created in the tidy scope that is
// active when the iterator advances, i.e. they belong to the caller:
//   - `loader.forEach((batch, i) => step(batch))` runs each step in its own torch.tidy (simplest);
//   - in `for (const b of loader) { … }` either dispose the batch at the end of the step
//     (`torch.dispose(b)`), or wrap the step's body in torch.tidy and dispose b there;
//   - left alone outside any scope, batches fall back to the GC (works, but memory grows on CUDA).
// The loader's own tensors (device copy or padded copy of the dataset, per-epoch tables) live
// outside scopes; per-epoch tables are freed when the epoch's iteration ends (also on break);
// `loader.dispose()` frees the rest.
//
// Randomness: from lib/data/rng.ts (seeded xoshiro128** in JavaScript), keyed by (seed, epoch), so
// batches are identical on CPU and CUDA, epoch e can be replayed with setEpoch(e), and the global
// torch generator is neither consumed nor read — except that when `seed` is omitted (and shuffle or
// augmentation needs one) a seed is drawn once from torch's global generator at construction.
import * as torch from '../torch/index.js';
import { Rng, seedOf } from './rng.js';
import { planAugment, augmenting, padded, staticOffsets, drawView, drawJitter, cropFlip, type AugmentOptions, type AugmentPlan } from './augment.js';
import type { Dataset } from './idx.js';
import { DistributedSampler } from './distributed-sampler.js';

type Tensor = torch.Tensor;

export interface LoaderOptions {
  /** Samples per batch (default 1, as PyTorch). */
  batchSize?: number;
  /** A new seeded permutation every epoch (default false: dataset order). */
  shuffle?: boolean;
  /** Seed of the permutation and augmentation draws; default: drawn once from torch's generator. */
  seed?: number;
  /** Drop the last incomplete batch (default false). */
  dropLast?: boolean;
  /** Where the dataset and batches live (default: the dataset's device). */
  device?: torch.Device;
  /** Per-channel (dim 1) normalisation after the uint8 → [0, 1] conversion: (x − mean) / std. */
  normalize?: { mean: number | readonly number[]; std: number | readonly number[] };
  /** On-device augmentation: crop/flip for N×C×H×W images, jitter for N×D feature vectors. */
  augment?: AugmentOptions;
  /** K ≥ 1 independently augmented views of every batch (same samples, separate crop/flip draws):
   *  the batch's `views` holds the K tensors and `x` is views[0]. For semi-supervised methods. */
  views?: number;
  /** A DistributedSampler: each epoch iterates this rank's indices in the sampler's order (batches
   *  as before); the loader sets the sampler's epoch to its own as each epoch starts, and keys the
   *  augmentation draws by (seed, epoch, rank). Exclusive with shuffle (the sampler shuffles). */
  sampler?: DistributedSampler;
}

export interface Batch {
  /** float32 inputs (b×C×H×W, or b×D for toy sets), converted, augmented, normalised. */
  x: Tensor;
  /** int64 labels. */
  y: Tensor;
  /** int64 dataset indices of the batch's samples. */
  index: Tensor;
  /** With options.views = K: the K augmented views (views[0] is x). */
  views?: Tensor[];
}

/** A dataset as the loader accepts it: { images, labels } (torchmix's datasets) or { x, y }. */
export type LoaderDataset = Pick<Dataset, 'images' | 'labels'> | { x: Tensor; y: Tensor };

const verr = (m: string) => new torch.TorchValueError(`DataLoader: ${m}`);

export class DataLoader implements Iterable<Batch> {
  readonly batchSize: number;
  readonly shuffle: boolean;
  readonly dropLast: boolean;
  readonly device: torch.Device;
  readonly numSamples: number;
  readonly views: number;
  readonly seed: number;
  readonly sampler: DistributedSampler | null;
  /** The epoch the next iteration will use (starts at 0, incremented when an iteration starts). */
  epoch = 0;

  private src!: Tensor; // device copy of images (padded once when cropping)
  private labels!: Tensor;
  private aug: AugmentPlan | null = null;
  private st: { iOff: Tensor; j: Tensor } | null = null;
  private mean: Tensor | null = null;
  private std: Tensor | null = null;
  private scale: boolean;
  private owned: Tensor[] = [];
  private gather: boolean; // batches gathered by index (shuffled or sampled), not narrowed

  constructor(ds: LoaderDataset, opts: LoaderOptions = {}) {
    const [images, labels] = datasetTensors(ds);
    const n = images.shape[0];
    if (labels.ndim !== 1 || labels.shape[0] !== n) throw verr(`labels must have shape [${n}] (one per sample), got [${labels.shape.join(', ')}]`);
    if (labels.dtype !== 'int64') throw verr(`labels must be int64, got ${labels.dtype}`);
    const bs = opts.batchSize ?? 1;
    if (!Number.isSafeInteger(bs) || bs < 1) throw verr(`batchSize must be a positive integer, got ${String(opts.batchSize)}`);
    const views = opts.views ?? 1;
    if (!Number.isInteger(views) || views < 1) throw verr(`views must be a positive integer, got ${String(opts.views)}`);
    const sampler = opts.sampler ?? null;
    if (sampler !== null && !(sampler instanceof DistributedSampler)) throw verr('sampler must be a data.DistributedSampler');
    if (sampler && opts.shuffle) throw verr('sampler option is mutually exclusive with shuffle (the sampler shuffles)');
    if (sampler && sampler.datasetLength !== n) throw verr(`sampler was made for ${sampler.datasetLength} samples, the dataset has ${n}`);
    this.sampler = sampler;
    this.gather = sampler !== null || (opts.shuffle ?? false);
    this.batchSize = bs;
    this.shuffle = opts.shuffle ?? false;
    this.dropLast = opts.dropLast ?? false;
    this.views = views;
    this.numSamples = sampler ? sampler.length : n;
    this.device = opts.device ?? images.device;
    const aug = opts.augment;
    if (aug !== undefined && (aug === null || typeof aug !== 'object')) throw verr('augment must be { crop?, flip?, jitter? }');
    if (aug !== undefined && augmenting(aug)) this.aug = planAugment(aug, images.shape);
    if (views > 1 && !this.aug) throw verr('views > 1 needs augment (otherwise every view is the same)');
    this.seed = this.shuffle || this.aug || opts.seed !== undefined ? seedOf(opts.seed, 'DataLoader') : 0;
    this.scale = images.dtype === 'uint8';
    const chans = images.ndim >= 2 ? images.shape[1] : 1;
    const norm = opts.normalize;
    const normShape = images.ndim >= 2 ? [1, chans, ...new Array(Math.max(0, images.ndim - 2)).fill(1)] : [1];
    // Validate everything before the dataset is copied to the device.
    let ms: [number[], number[]] | null = null;
    if (norm !== undefined) {
      if (norm === null || typeof norm !== 'object') throw verr('normalize must be { mean, std }');
      const vec = (v: unknown, what: string): number[] => {
        const a = typeof v === 'number' ? new Array(chans).fill(v) : Array.isArray(v) ? (v as number[]) : null;
        if (!a || a.length !== chans || !a.every((x) => typeof x === 'number' && Number.isFinite(x)))
          throw verr(`normalize.${what} must be a number or ${chans} numbers (one per channel), got ${JSON.stringify(v)}`);
        return a;
      };
      ms = [vec(norm.mean, 'mean'), vec(norm.std, 'std')];
      if (!ms[1].every((x) => x > 0)) throw verr(`normalize.std must be positive, got ${JSON.stringify(norm.std)}`);
    }
    const device = this.device;
    torch.tidy(() => {
      const onDev = images.to({ device });
      this.src = torch.keep(this.aug?.kind === 'image' ? padded(onDev, this.aug) : onDev);
      this.labels = torch.keep(labels.to({ device }));
      this.owned.push(this.src, this.labels);
      if (this.aug?.kind === 'image') {
        const st = staticOffsets(this.aug, device);
        this.st = { iOff: torch.keep(st.iOff), j: torch.keep(st.j) };
        this.owned.push(this.st.iOff, this.st.j);
      }
      if (ms) {
        const [m, s] = ms;
        this.mean = torch.keep(torch.tensor(Float32Array.from(m), { shape: normShape, device }));
        this.std = torch.keep(torch.tensor(Float32Array.from(s), { shape: normShape, device }));
        this.owned.push(this.mean, this.std);
      }
    });
  }

  /** Batches per epoch. */
  get length(): number {
    return this.dropLast ? Math.floor(this.numSamples / this.batchSize) : Math.ceil(this.numSamples / this.batchSize);
  }

  /** The epoch the next iteration uses (e.g. to resume from a checkpoint). */
  setEpoch(epoch: number): void {
    if (!Number.isSafeInteger(epoch) || epoch < 0) throw verr(`setEpoch(): epoch must be a non-negative integer, got ${epoch}`);
    this.epoch = epoch;
  }

  /** One epoch; each batch's tensors belong to the caller's scope (see the memory contract above). */
  *[Symbol.iterator](): Iterator<Batch> {
    const ep = this.open(this.epoch++);
    try {
      for (let i = 0; i < ep.batches; i++) yield torch.tidy(() => this.batch(ep, i));
    } finally {
      torch.dispose(ep.tensors);
    }
  }

  /** One epoch with each step in its own torch.tidy: the batch and everything fn creates are freed
   *  after fn returns (fn must be synchronous). */
  forEach(fn: (batch: Batch, i: number) => void): void {
    const ep = this.open(this.epoch++);
    try {
      for (let i = 0; i < ep.batches; i++) torch.tidy(() => void fn(this.batch(ep, i), i));
    } finally {
      torch.dispose(ep.tensors);
    }
  }

  /** Frees the loader's device copies (the dataset passed in is not touched). */
  dispose(): void {
    torch.dispose(this.owned);
    this.owned = [];
  }

  private open(epoch: number): Epoch {
    const n = this.numSamples;
    const rng = this.sampler ? new Rng(this.seed, epoch, this.sampler.rank) : new Rng(this.seed, epoch);
    this.sampler?.setEpoch(epoch);
    const perm = this.sampler ? this.sampler.indices() : this.shuffle ? rng.permutation(n) : Int32Array.from({ length: n }, (_, i) => i);
    const image = this.aug?.kind === 'image';
    const rows = image ? 1 + 2 * this.views : 1;
    // One host→device copy per epoch: row 0 the permutation, then per view (base, direction).
    const table = new Float64Array(rows * n);
    for (let k = 0; k < n; k++) table[k] = perm[k];
    if (image) for (let v = 0; v < this.views; v++) drawView(this.aug!, n, rng, table, (1 + 2 * v) * n);
    const t = torch.tidy(() => torch.keep(torch.tensor(table, { shape: [rows, n] }).to({ dtype: 'int64', device: this.device })));
    const sel = torch.tidy(() => {
      const perm = torch.keep(t.select(0, 0));
      const views: [Tensor, Tensor][] = [];
      for (let v = 0; v < (image ? this.views : 0); v++) views.push([torch.keep(t.select(0, 1 + 2 * v)), torch.keep(t.select(0, 2 + 2 * v))]);
      return { perm, views };
    });
    const tensors = [t, sel.perm, ...sel.views.flat()];
    // Jitter: the views' noise (views × n × D float32, epoch order) in a second copy.
    const noise: Tensor[] = [];
    if (this.aug?.kind === 'vector') {
      const d = this.aug.d;
      const eps = new Float32Array(this.views * n * d);
      for (let v = 0; v < this.views; v++) drawJitter(this.aug, n, rng, eps, v * n * d);
      const all = torch.tidy(() => torch.keep(torch.tensor(eps, { shape: [this.views, n, d] }).to({ device: this.device })));
      tensors.push(all);
      for (let v = 0; v < this.views; v++) noise.push(torch.tidy(() => torch.keep(all.select(0, v))));
      tensors.push(...noise);
    }
    return { batches: this.length, perm: sel.perm, views: sel.views, noise, tensors };
  }

  private batch(ep: Epoch, i: number): Batch {
    const s = i * this.batchSize;
    const b = Math.min(this.batchSize, this.numSamples - s);
    const index = ep.perm.narrow(0, s, b);
    const y = this.labels.indexSelect(0, index);
    if (this.aug?.kind === 'vector') {
      const base = this.finish(this.gather ? this.src.indexSelect(0, index) : this.src.narrow(0, s, b), this.gather);
      const views = ep.noise.map((e) => base.add(e.narrow(0, s, b)));
      return this.views > 1 ? { x: views[0], y, index, views } : { x: views[0], y, index };
    }
    if (this.aug) {
      const rows = this.gather ? this.src.indexSelect(0, index) : this.src.narrow(0, s, b);
      const views = ep.views.map(([off, dir]) => this.finish(cropFlip(rows, this.aug!, this.st!, off.narrow(0, s, b), dir.narrow(0, s, b)), true));
      return this.views > 1 ? { x: views[0], y, index, views } : { x: views[0], y, index };
    }
    const raw = this.gather ? this.src.indexSelect(0, index) : this.src.narrow(0, s, b);
    return { x: this.finish(raw, this.gather), y, index };
  }

  /** → float32, /255 for uint8, then (x − mean)/std; in place on a fresh tensor. */
  private finish(raw: Tensor, fresh: boolean): Tensor {
    const x = raw.dtype === 'float32' ? (fresh ? raw : raw.clone()) : raw.to('float32');
    if (this.scale) x.div_(255);
    if (this.mean) x.sub_(this.mean).div_(this.std!);
    return x;
  }
}

interface Epoch {
  batches: number;
  perm: Tensor;
  views: [Tensor, Tensor][];
  /** Jitter: per view, the epoch's noise (n × D). */
  noise: Tensor[];
  tensors: Tensor[];
}

function datasetTensors(ds: LoaderDataset): [Tensor, Tensor] {
  if (ds === null || typeof ds !== 'object') throw verr('dataset must be { images, labels } or { x, y }');
  const d = ds as Record<string, unknown>;
  const images = d.images ?? d.x;
  const labels = d.labels ?? d.y;
  if (!(images instanceof torch.Tensor) || !(labels instanceof torch.Tensor)) throw verr('dataset must be { images, labels } or { x, y } with Tensor values');
  if (images.ndim < 1 || images.shape[0] < 1) throw verr(`dataset is empty (images shape [${images.shape.join(', ')}])`);
  return [images, labels];
}
