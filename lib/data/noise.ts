// Synthetic label noise for the label-noise experiments (seeded; lib/data/rng.ts).
import * as torch from '../torch/index.js';
import { Rng, seedOf } from './rng.js';

/** The usual CIFAR-10 asymmetric map: truck→automobile, bird→airplane, deer→horse, cat↔dog. */
export const CIFAR10_ASYMMETRIC_MAP: Readonly<Record<number, number>> = { 9: 1, 2: 0, 4: 7, 3: 5, 5: 3 };

/** Fashion-MNIST's asymmetric map: the disjoint pairs a trained small CNN confuses most (test-split
 *  confusions, docs/ARCHITECTURE.md), swapped both ways — T-shirt/top↔Shirt, Pullover↔Coat,
 *  Sneaker↔Ankle boot (Trouser, Dress, Sandal and Bag stay clean). Swaps (like CIFAR-10's cat↔dog)
 *  keep each class's size, so the noise moves no class prior. */
export const FASHION_MNIST_ASYMMETRIC_MAP: Readonly<Record<number, number>> = { 0: 6, 6: 0, 2: 4, 4: 2, 7: 9, 9: 7 };

/** MNIST's asymmetric map (Patrini et al., CVPR 2017): 2→7, 3→8, 5↔6, 7→1. */
export const MNIST_ASYMMETRIC_MAP: Readonly<Record<number, number>> = { 2: 7, 3: 8, 5: 6, 6: 5, 7: 1 };

export interface CorruptOptions {
  /** symmetric: the fraction of all labels replaced (exactly round(fraction·N) of them);
   *  asymmetric: the fraction of each mapped source class moved to its target (round(fraction·n_c)). */
  fraction: number;
  mode?: 'symmetric' | 'asymmetric';
  /** symmetric only: draw the new class from the other K−1 classes, never the true one (default false:
   *  uniform over all K classes, so about 1/K of the replaced labels keep their class). */
  excludeTrue?: boolean;
  seed?: number;
  /** Number of classes K (default: largest label + 1). */
  numClasses?: number;
  /** asymmetric: source class → target class (default CIFAR10_ASYMMETRIC_MAP). */
  mapping?: Readonly<Record<number, number>>;
}

export interface CorruptResult {
  /** The noisy labels (int64, same device as the input). */
  labels: torch.Tensor;
  /** Realised noise rate: the fraction of labels that differ from the clean ones. */
  rate: number;
  /** The clean labels (a new handle to the input tensor). */
  clean: torch.Tensor;
  /** bool, true where the label was changed. */
  noisy: torch.Tensor;
}

const verr = (m: string) => new torch.TorchValueError(`corruptLabels(): ${m}`);

export function corruptLabels(labels: torch.Tensor, opts: CorruptOptions): CorruptResult {
  if (!(labels instanceof torch.Tensor) || labels.ndim !== 1 || labels.dtype !== 'int64') throw verr('labels must be a 1-D int64 tensor');
  const p = opts?.fraction;
  if (typeof p !== 'number' || !(p >= 0 && p <= 1)) throw verr(`fraction must be in [0, 1], got ${String(p)}`);
  const mode = opts.mode ?? 'symmetric';
  if (mode !== 'symmetric' && mode !== 'asymmetric') throw verr(`mode must be 'symmetric' or 'asymmetric', got '${String(mode)}'`);
  const clean = Array.from(labels.toArray() as BigInt64Array, Number);
  const n = clean.length;
  let maxLabel = -1;
  for (const v of clean) {
    if (v < 0) throw verr(`labels must be non-negative, found ${v}`);
    if (v > maxLabel) maxLabel = v;
  }
  const k = opts.numClasses ?? maxLabel + 1;
  if (!Number.isInteger(k) || k < 1 || k <= maxLabel)
    throw verr(`numClasses must be an integer > every label (largest ${maxLabel}), got ${String(opts.numClasses)}`);
  const rng = new Rng(seedOf(opts.seed, 'corruptLabels()'), 0x6e6f6973);
  const out = Int32Array.from(clean);
  if (mode === 'symmetric') {
    if (opts.mapping !== undefined) throw verr("mapping is for mode 'asymmetric'");
    const exclude = opts.excludeTrue ?? false;
    if (exclude && k < 2) throw verr('excludeTrue needs at least 2 classes');
    for (const i of sample(rng, n, Math.round(p * n))) {
      if (exclude) {
        const c = rng.int(k - 1);
        out[i] = c >= clean[i] ? c + 1 : c;
      } else out[i] = rng.int(k);
    }
  } else {
    if (opts.excludeTrue !== undefined) throw verr("excludeTrue is for mode 'symmetric' (asymmetric noise always changes the class)");
    const map = opts.mapping ?? CIFAR10_ASYMMETRIC_MAP;
    const pairs = Object.entries(map).map(([s, t]) => [Number(s), Number(t)] as const);
    for (const [s, t] of pairs)
      if (!Number.isInteger(s) || !Number.isInteger(t) || s < 0 || t < 0 || s >= k || t >= k || s === t)
        throw verr(`mapping ${s}→${t} must map a class in [0, ${k}) to a different class in [0, ${k})`);
    for (const [s, t] of pairs) {
      const members: number[] = [];
      for (let i = 0; i < n; i++) if (clean[i] === s) members.push(i);
      for (const j of sample(rng, members.length, Math.round(p * members.length))) out[members[j]] = t;
    }
  }
  let changed = 0;
  const mask = new Uint8Array(n);
  for (let i = 0; i < n; i++)
    if (out[i] !== clean[i]) {
      mask[i] = 1;
      changed++;
    }
  const device = labels.device;
  return torch.tidy(() => ({
    labels: torch.tensor(out).to({ dtype: 'int64', device }),
    rate: n === 0 ? 0 : changed / n,
    clean: labels.alias(),
    noisy: torch.tensor(mask).to({ dtype: 'bool', device }),
  }));
}

/** m distinct indices from [0, n), uniformly (partial Fisher–Yates). */
export function sample(rng: Rng, n: number, m: number): Int32Array {
  const a = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = 0; i < m; i++) {
    const j = i + rng.int(n - i);
    const t = a[i];
    a[i] = a[j];
    a[j] = t;
  }
  return a.subarray(0, m);
}
