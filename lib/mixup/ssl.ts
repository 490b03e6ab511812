// What the semi-supervised methods (mixmatch.ts, ict.ts) share: sharpening, MixMatch's BatchNorm
// interleaving, the two ramp-ups, forward passes that use batch statistics without updating the
// running ones, option checking, the 'unlabeled' stream, and the per-epoch loss sums.
//
// Naming: the SSL methods are named 'mixmatch' and 'ict' (SslMethodName in types.ts); they sit in
// the same registry as the batch-transform methods (index.ts: mixup.create('mixmatch'), mixup.methods()),
// but are StepMethods (lib/train/step.ts): they own the training step and need the Trainer's
// `loaders: { unlabeled }` stream.
import { Tensor } from '../torch/tensor.js';
import { TorchTypeError, TorchValueError } from '../torch/errors.js';
import { cat, tensor } from '../torch/creation.js';
import { keep } from '../torch/memory.js';
import { BatchNorm1d, BatchNorm2d } from '../nn/layers/batchnorm.js';
import type { Module } from '../nn/module.js';
import type { Batch } from '../data/loader.js';
import type { StepContext } from '../train/step.js';

/** p^(1/T) / Σ_c p^(1/T), row-wise (MixMatch's sharpening; T → 0 approaches one-hot). */
export function sharpen(p: Tensor, temperature: number): Tensor {
  if (!(p instanceof Tensor) || p.ndim !== 2)
    throw new TorchValueError(`sharpen: p must be an N×C tensor of probabilities${p instanceof Tensor ? `, got shape [${p.shape.join(', ')}]` : ''}`);
  if (!(temperature > 0) || !Number.isFinite(temperature))
    throw new TorchValueError(`sharpen: temperature must be a finite number > 0, got ${String(temperature)}`);
  const pt = p.pow(1 / temperature);
  return pt.div(pt.sum({ dim: 1, keepdim: true }));
}

/** Group boundaries of MixMatch's interleave: `batch` rows cut into nu + 1 groups, the remainder added to the last groups. */
export function interleaveOffsets(batch: number, nu: number): number[] {
  const groups = new Array<number>(nu + 1).fill(Math.floor(batch / (nu + 1)));
  const rem = batch - groups[0] * (nu + 1);
  for (let x = 0; x < rem; x++) groups[groups.length - x - 1] += 1;
  const offsets = [0];
  for (const g of groups) offsets.push(offsets[offsets.length - 1] + g);
  return offsets;
}

/**
 * MixMatch's interleave (google-research/mixmatch layers.interleave, the same in the PyTorch port):
 * each of the nu + 1 batches (equal sizes) is cut into nu + 1 groups and group i of batch 0 is
 * swapped with group i of batch i, so every forward pass holds labeled and unlabeled rows. It is
 * its own inverse: interleave the logits again to put them back.
 */
export function interleave(xs: readonly Tensor[], batch: number): Tensor[] {
  if (!Array.isArray(xs) || xs.length < 2 || !xs.every((x) => x instanceof Tensor)) throw new TorchTypeError('interleave: expected at least two tensors');
  for (const x of xs)
    if (x.shape[0] !== batch)
      throw new TorchValueError(
        `interleave: every batch must have ${batch} rows (labeled and unlabeled batches of equal size), got [${xs.map((t) => t.shape[0]).join(', ')}]`,
      );
  const nu = xs.length - 1;
  const off = interleaveOffsets(batch, nu);
  const parts = xs.map((v) => Array.from({ length: nu + 1 }, (_, p) => v.narrow(0, off[p], off[p + 1] - off[p])));
  for (let i = 1; i <= nu; i++) [parts[0][i], parts[i][i]] = [parts[i][i], parts[0][i]];
  return parts.map((v) => cat(v));
}

/** clip(current / length, 0, 1); length 0 → 1 (MixMatch's linear ramp-up). */
export function linearRampup(current: number, length: number): number {
  if (length === 0) return 1;
  return Math.min(1, Math.max(0, current / length));
}

/** exp(−5(1 − clip(current, 0, length)/length)²); length 0 → 1 (Laine & Aila's sigmoid ramp-up, ICT's). */
export function sigmoidRampup(current: number, length: number): number {
  if (length === 0) return 1;
  const phase = 1 - Math.min(length, Math.max(0, current)) / length;
  return Math.exp(-5 * phase * phase);
}

/**
 * Runs fn with every BatchNorm of `model` normalising by batch statistics (train mode, as given)
 * but leaving its running statistics as they were: momentum 0 (running ← 1·running + 0·batch is
 * exact) and num_batches_tracked restored. MixMatch's official code updates BatchNorm only in its
 * first interleaved pass.
 */
export function withFrozenBatchNorm<T>(model: Module, fn: () => T): T {
  const bns = model.modules().filter((m): m is BatchNorm1d | BatchNorm2d => (m instanceof BatchNorm1d || m instanceof BatchNorm2d) && m.trackRunningStats);
  const saved = bns.map((m) => [m.momentum, m.num_batches_tracked?.clone()] as const);
  for (const m of bns) m.momentum = 0;
  try {
    return fn();
  } finally {
    bns.forEach((m, i) => {
      m.momentum = saved[i][0];
      const n = saved[i][1];
      if (n) {
        m.num_batches_tracked!.copy_(n);
        n.dispose();
      }
    });
  }
}

/** The unlabeled batch of a step, with a clear error when the Trainer has no such stream. */
export function unlabeledBatch(who: string, ctx: StepContext): Batch {
  const b = ctx?.batches?.unlabeled;
  if (!b) throw new TorchValueError(`${who}: needs an 'unlabeled' data stream: give the Trainer loaders: { unlabeled: new data.DataLoader(…) }`);
  return b;
}

/** Option checking for the SSL methods: defaults filled in, unknown names and bad values are errors naming the option. */
export function resolveSsl<O extends object>(
  who: string,
  opts: O | undefined,
  defaults: Required<O>,
  check: Record<keyof O, (v: unknown) => string | null>,
): Required<O> {
  if (opts !== undefined && (opts === null || typeof opts !== 'object' || Array.isArray(opts)))
    throw new TorchTypeError(`${who}: options must be an object, got ${JSON.stringify(opts)}`);
  const known = Object.keys(defaults);
  for (const k of Object.keys(opts ?? {})) if (!known.includes(k)) throw new TorchValueError(`${who}: unknown option '${k}' (known: ${known.join(', ')})`);
  const o = { ...defaults };
  for (const [k, v] of Object.entries(opts ?? {})) if (v !== undefined) (o as Record<string, unknown>)[k] = v;
  for (const k of known as (keyof O)[]) {
    const why = check[k]((o as Record<keyof O, unknown>)[k]);
    if (why !== null) throw new TorchValueError(`${who}: option '${String(k)}' must be ${why}, got ${JSON.stringify((o as Record<keyof O, unknown>)[k])}`);
  }
  return o;
}

export const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
export const nonNeg = (v: unknown) => (isNum(v) && v >= 0 ? null : 'a number ≥ 0');
export const positive = (v: unknown) => (isNum(v) && v > 0 ? null : 'a number > 0');
export const unit = (v: unknown) => (isNum(v) && v >= 0 && v < 1 ? null : 'a number in [0, 1)');
export const oneOf =
  (...a: readonly unknown[]) =>
  (v: unknown) =>
    a.includes(v) ? null : `one of ${a.map((x) => JSON.stringify(x)).join(', ')}`;

/**
 * The per-epoch means an SSL method reports (epochStats): supervised loss, unsupervised loss and the
 * ramp weight, summed on the device per step (no host read) and read once per epoch. Its state
 * (the sums) is checkpointed through the method's stateDict, so a mid-epoch resume continues them.
 */
export class LossSums {
  private sums?: Tensor; // [supervised, unsupervised] on the device
  private start = [0, 0]; // loaded from a checkpoint, added at the first step
  private weight = 0;
  private steps = 0;
  add(sup: Tensor, unsup: Tensor, weight: number): void {
    if (!this.sums || this.sums.device !== sup.device) {
      const prev = this.read();
      this.sums?.dispose();
      this.sums = keep(tensor(Float64Array.from(prev), { device: sup.device }));
    }
    this.sums.add_(cat([sup.detach().double().reshape([1]), unsup.detach().double().reshape([1])]));
    this.weight += weight;
    this.steps++;
  }
  private read(): number[] {
    return this.sums ? Array.from(this.sums.to('cpu').toArray() as Float64Array) : [...this.start];
  }
  /** { supLoss, unsupLoss, weight } means since the last call, then reset; undefined before any step. */
  epochStats(): { supLoss: number; unsupLoss: number; weight: number } | undefined {
    if (this.steps === 0) return undefined;
    const [a, b] = this.read();
    const r = { supLoss: a / this.steps, unsupLoss: b / this.steps, weight: this.weight / this.steps };
    this.sums?.zero_();
    this.start = [0, 0];
    this.weight = this.steps = 0;
    return r;
  }
  stateDict(): { sums: number[] } {
    return { sums: [...this.read(), this.weight, this.steps] };
  }
  loadStateDict(who: string, st: unknown): void {
    const v = (st as { sums?: unknown } | undefined)?.sums;
    if (!Array.isArray(v) || v.length !== 4 || !v.every(isNum))
      throw new TorchValueError(`${who}.loadStateDict: expected { sums: 4 numbers }, got ${JSON.stringify(st)?.slice(0, 80)}`);
    this.sums?.dispose();
    this.sums = undefined;
    this.start = [v[0], v[1]];
    [this.weight, this.steps] = [v[2], v[3]];
  }
}
