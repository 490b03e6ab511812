// Held-out validation splits and semi-supervised labeled/unlabeled splits (seeded; lib/data/rng.ts).
// Both return datasets of the same shape as their input ({ images, labels, classes }, tensors on the
// input's device, new tensors gathered with indexSelect) plus the dataset indices of each part
// (sorted, so each part keeps the original order).
import * as torch from '../torch/index.js';
import { Rng, seedOf } from './rng.js';
import { sample } from './noise.js';
import type { Dataset } from './idx.js';

type Part = Dataset & { indices: Int32Array };

function subset(ds: Dataset, idx: Int32Array): Part {
  return torch.tidy(() => {
    const i = torch.tensor(idx).to({ dtype: 'int64', device: ds.images.device });
    const li = ds.labels.device === ds.images.device ? i : i.to(ds.labels.device);
    return { images: ds.images.indexSelect(0, i), labels: ds.labels.indexSelect(0, li), classes: ds.classes, indices: idx };
  });
}

function checkDs(ds: Dataset, what: string): number[] {
  if (!ds || !(ds.images instanceof torch.Tensor) || !(ds.labels instanceof torch.Tensor))
    throw new torch.TorchValueError(`${what}: dataset must be { images, labels, classes }`);
  const y = Array.from(ds.labels.toArray() as BigInt64Array, Number);
  if (y.length !== ds.images.shape[0]) throw new torch.TorchValueError(`${what}: ${ds.images.shape[0]} images but ${y.length} labels`);
  return y;
}

function byClass(y: number[]): Map<number, number[]> {
  const m = new Map<number, number[]>();
  y.forEach((c, i) => {
    let a = m.get(c);
    if (!a) m.set(c, (a = []));
    a.push(i);
  });
  return new Map([...m.entries()].sort((a, b) => a[0] - b[0]));
}

function complement(n: number, picked: Int32Array): Int32Array {
  const inPick = new Uint8Array(n);
  for (const i of picked) inPick[i] = 1;
  const rest = new Int32Array(n - picked.length);
  let k = 0;
  for (let i = 0; i < n; i++) if (!inPick[i]) rest[k++] = i;
  return rest;
}

/**
 * Holds out a validation set: valSize samples, or round(valFraction·N). stratified: every class
 * contributes in proportion to its size (largest-remainder rounding, so the total is exact).
 */
export function trainValSplit(ds: Dataset, opts: { valFraction?: number; valSize?: number; seed?: number; stratified?: boolean }): { train: Part; val: Part } {
  const y = checkDs(ds, 'trainValSplit()');
  const n = y.length;
  const { valFraction, valSize } = opts ?? {};
  if ((valFraction === undefined) === (valSize === undefined)) throw new torch.TorchValueError('trainValSplit(): give exactly one of valFraction, valSize');
  if (valFraction !== undefined && !(valFraction > 0 && valFraction < 1))
    throw new torch.TorchValueError(`trainValSplit(): valFraction must be in (0, 1), got ${valFraction}`);
  const v = valSize ?? Math.round(valFraction! * n);
  if (!Number.isInteger(v) || v < 1 || v >= n)
    throw new torch.TorchValueError(`trainValSplit(): the validation set must hold between 1 and ${n - 1} samples, got ${String(v)}`);
  const rng = new Rng(seedOf(opts.seed, 'trainValSplit()'), 0x76616c);
  let picked: number[] = [];
  if (opts.stratified) {
    const classes = [...byClass(y).values()];
    const exact = classes.map((m) => (v * m.length) / n);
    const q = exact.map(Math.floor);
    let left = v - q.reduce((a, b) => a + b, 0);
    const order = exact.map((e, c) => [e - Math.floor(e), c] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
    for (const [, c] of order)
      if (left > 0 && q[c] < classes[c].length) {
        q[c]++;
        left--;
      }
    classes.forEach((m, c) => {
      for (const j of sample(rng, m.length, q[c])) picked.push(m[j]);
    });
  } else picked = Array.from(sample(rng, n, v));
  const val = Int32Array.from(picked).sort();
  return { train: subset(ds, complement(n, val)), val: subset(ds, val) };
}

/**
 * Semi-supervised split: exactly labelsPerClass labeled samples of every class (drawn at random,
 * seeded), the rest unlabeled. The unlabeled part keeps its true labels for analysis only; SSL
 * methods must not train on them.
 */
export function sslSplit(ds: Dataset, opts: { labelsPerClass: number; seed?: number }): { labeled: Part; unlabeled: Part } {
  const y = checkDs(ds, 'sslSplit()');
  const m = opts?.labelsPerClass;
  if (!Number.isInteger(m) || m < 1) throw new torch.TorchValueError(`sslSplit(): labelsPerClass must be a positive integer, got ${String(m)}`);
  const rng = new Rng(seedOf(opts.seed, 'sslSplit()'), 0x73736c);
  const picked: number[] = [];
  const groups = byClass(y);
  for (let c = 0; c < (ds.classes?.length ?? 0); c++) if (!groups.has(c)) groups.set(c, []);
  for (const [c, members] of [...groups.entries()].sort((a, b) => a[0] - b[0])) {
    if (members.length < m)
      throw new torch.TorchValueError(`sslSplit(): class ${c} (${ds.classes[c] ?? c}) has ${members.length} samples, fewer than labelsPerClass ${m}`);
    for (const j of sample(rng, members.length, m)) picked.push(members[j]);
  }
  const lab = Int32Array.from(picked).sort();
  return { labeled: subset(ds, lab), unlabeled: subset(ds, complement(y.length, lab)) };
}
