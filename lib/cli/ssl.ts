// Semi-supervised training from the CLI: `torchmix train --method mixmatch|ict --labels N`.
// One table maps each flag to its config key, its check and the method option it sets (as
// plugins.ts does for the plug-ins); the recipe defaults of each method (ALGORITHMS.md) apply only
// to settings the user left unset; the split (data.sslSplit: N/classes labels per class, the rest
// unlabeled) is made here and named in results.json.
import { z } from 'zod';
import { UsageError } from './args.js';
import * as torch from '../torch/index.js';
import { sslSplit } from '../data/split.js';
import type { Dataset } from '../data/idx.js';

export const SSL_METHODS = ['mixmatch', 'ict'] as const;
export type SslMethod = (typeof SSL_METHODS)[number];
export const isSsl = (m: unknown): m is SslMethod => typeof m === 'string' && (SSL_METHODS as readonly string[]).includes(m.toLowerCase());

export interface SslFlag {
  key: string;
  kind: 'number';
  help: string;
  schema: z.ZodType;
  /** The methods the flag applies to ('any': every method, e.g. --labels for the supervised-only baseline). */
  methods: readonly SslMethod[] | 'any';
  /** The method option the flag sets, per method (absent: the CLI uses it itself). */
  option?: Partial<Record<SslMethod, string>>;
}

const msg = (text: string) => ({ error: text });
const num = (what: string, ok: (v: number) => boolean) => z.number(msg(what)).refine((v) => Number.isFinite(v) && ok(v), msg(what));
const posInt = num('expected a positive integer', (v) => Number.isInteger(v) && v > 0);

export const SSL_FLAGS: Record<string, SslFlag> = {
  labels: {
    key: 'labels',
    kind: 'number',
    methods: 'any',
    schema: posInt.optional(),
    help: 'labeled train images in total, the same number per class (data.sslSplit); mixmatch/ict also train on the rest unlabeled, other methods on the labeled ones alone (the supervised-only baseline)',
  },
  'unlabeled-batch-size': {
    key: 'unlabeledBatchSize',
    kind: 'number',
    methods: SSL_METHODS,
    schema: posInt.optional(),
    help: 'unlabeled images per step (default: --batch-size)',
  },
  'lambda-u': {
    key: 'lambdaU',
    kind: 'number',
    methods: SSL_METHODS,
    schema: num('expected a number ≥ 0', (v) => v >= 0).optional(),
    option: { mixmatch: 'lambdaU', ict: 'lambdaU' },
    help: 'weight of the unlabeled loss after the ramp-up (default 75 mixmatch, 100 ict)',
  },
  rampup: {
    key: 'rampup',
    kind: 'number',
    methods: SSL_METHODS,
    schema: num('expected a number ≥ 0', (v) => v >= 0).optional(),
    option: { mixmatch: 'rampupSteps', ict: 'rampupEpochs' },
    help: 'ramp-up of the unlabeled weight: mixmatch in steps (linear, default 16384), ict in epochs (sigmoid, default ¼ of --epochs)',
  },
  temperature: {
    key: 'temperature',
    kind: 'number',
    methods: ['mixmatch'],
    schema: num('expected a number > 0', (v) => v > 0).optional(),
    option: { mixmatch: 'temperature' },
    help: 'mixmatch: sharpening temperature of the guessed labels (default 0.5)',
  },
  views: {
    key: 'views',
    kind: 'number',
    methods: ['mixmatch'],
    schema: posInt.optional(),
    option: { mixmatch: 'views' },
    help: 'mixmatch: augmented views K of every unlabeled image (default 2)',
  },
  'steps-per-epoch': {
    key: 'stepsPerEpoch',
    kind: 'number',
    methods: 'any',
    schema: posInt.optional(),
    help: 'with --labels: optimizer steps per epoch (default: one pass over the unlabeled part at the unlabeled batch size)',
  },
  jitter: {
    key: 'jitter',
    kind: 'number',
    methods: 'any',
    schema: num('expected a number ≥ 0', (v) => v >= 0).optional(),
    help: 'toy sets: Gaussian jitter σ of the training points (default 0.1 with --labels, else 0)',
  },
};

/** Flags of other tables that set an SSL method's option too (--ema: MixMatch's evaluation EMA, ICT's
 *  teacher; --alpha: ICT's α_u as well as its α, as scripts/baselines/semisup.py --alpha). */
const REUSED: Record<string, Partial<Record<SslMethod, string>>> = { ema: { mixmatch: 'ema', ict: 'ema' }, alpha: { ict: 'alphaU' } };

type Where = (key: string) => string;

/** Cross-field rules of the SSL flags (resolveConfig calls it once the config is valid). */
export function checkSslConfig(c: Record<string, unknown>, where: Where, toy: boolean): void {
  const method = String(c.method).toLowerCase();
  const ssl = isSsl(method);
  for (const f of Object.values(SSL_FLAGS)) {
    if (c[f.key] === undefined || f.methods === 'any' || (f.methods as readonly string[]).includes(method)) continue;
    throw new UsageError(
      ssl
        ? `${where(f.key)}: only applies to ${f.methods.join(', ')}, not '${method}'${f.key === 'views' ? ' (ict uses one augmented view of each unlabeled image)' : ''}`
        : `${where(f.key)}: only applies to the semi-supervised methods (${f.methods.join(', ')}), not '${method}'`,
    );
  }
  if (ssl && c.labels === undefined)
    throw new UsageError(
      `--labels: method '${method}' is semi-supervised: give the number of labeled images with --labels N (e.g. --labels 1000 for 100 per class)`,
    );
  if (c.stepsPerEpoch !== undefined && c.labels === undefined)
    throw new UsageError(`${where('stepsPerEpoch')}: only applies with --labels (the labeled set is cycled)`);
  if (c.jitter !== undefined && !toy)
    throw new UsageError(`${where('jitter')}: jitter is for the 2-D toy sets (moons, spirals, blobs); images get translation + flip`);
}

/** Labels per class for --labels N over numClasses classes with the smallest class holding minCount (a UsageError naming --labels otherwise). */
export function labelsPerClass(labels: number, numClasses: number, counts: number[], flag = '--labels'): number {
  if (labels % numClasses !== 0)
    throw new UsageError(`${flag}: ${labels} labels cannot be split evenly over the ${numClasses} classes; use a multiple of ${numClasses}`);
  const per = labels / numClasses;
  const c = counts.findIndex((k) => k <= per);
  if (c >= 0)
    throw new UsageError(
      `${flag}: ${labels} labels means ${per} per class, but class ${c} has only ${counts[c]} train samples (at least one must stay unlabeled)`,
    );
  return per;
}

/** The recipe defaults of a method (ALGORITHMS.md), applied under the user's settings. */
export function sslDefaults(method: string, optimizer: string | undefined): Record<string, unknown> {
  switch (method.toLowerCase()) {
    case 'mixmatch': {
      // Adam 0.002, batch 64 + 64, constant lr; weight decay 0.02 decoupled (the official code).
      const opt = optimizer ?? 'adam';
      return { optimizer: opt, batchSize: 64, schedule: 'none', ...(opt === 'adam' ? { lr: 0.002, weightDecay: 0.02 } : {}) };
    }
    case 'ict': {
      // SGD 0.1 (momentum 0.9), weight decay 1e-4, cosine, batch 100 + 100.
      const opt = optimizer ?? 'sgd';
      return { optimizer: opt, batchSize: 100, schedule: 'cosine', ...(opt === 'sgd' ? { lr: 0.1, weightDecay: 1e-4 } : {}) };
    }
    default:
      return {};
  }
}

/** The method options the SSL flags set (flags over methodOptions). */
export function sslMethodOptions(c: Record<string, unknown>): Record<string, unknown> {
  const method = String(c.method).toLowerCase() as SslMethod;
  const out: Record<string, unknown> = {};
  for (const f of Object.values(SSL_FLAGS)) {
    const opt = f.option?.[method];
    if (opt !== undefined && c[f.key] !== undefined) out[opt] = c[f.key];
  }
  for (const [key, per] of Object.entries(REUSED)) if (per[method] !== undefined && c[key] !== undefined) out[per[method]] = c[key];
  return out;
}

/** What results.json says of the split (key `split`). */
export interface SplitInfo {
  /** --labels: labeled images in total, and per class. */
  labels: number;
  labelsPerClass: number;
  /** Images in the labeled and the unlabeled part (the unlabeled part is trained on by mixmatch/ict only). */
  labeled: number;
  unlabeled: number;
  /** Whether the method trained on the unlabeled part (false: the supervised-only baseline). */
  unlabeledUsed: boolean;
  /** The seed of data.sslSplit (the run's --seed). */
  seed: number;
  /** Optimizer steps per epoch. */
  stepsPerEpoch: number;
}

/** --labels N: the labeled/unlabeled split of the train set (data.sslSplit with N/classes per class, seeded by --seed). */
export function splitForLabels(ds: Dataset, labels: number, seed: number): { labeled: Dataset; unlabeled: Dataset; labelsPerClass: number } {
  const numClasses = ds.classes.length;
  const y = ds.labels.toArray() as BigInt64Array;
  const counts = new Array<number>(numClasses).fill(0);
  for (const v of y) counts[Number(v)]++;
  const per = labelsPerClass(labels, numClasses, counts);
  const s = sslSplit(ds, { labelsPerClass: per, seed });
  return { labeled: s.labeled, unlabeled: s.unlabeled, labelsPerClass: per };
}

/** A labeled set smaller than a batch, repeated ⌈batch/n⌉ times (in order) so every step gets a full
 *  batch (the references repeat the labeled set too; MixMatch's interleave needs equal batch sizes). */
export function tileToBatch(ds: Dataset, batchSize: number): Dataset {
  const n = ds.images.shape[0];
  if (n >= batchSize) return ds;
  const k = Math.ceil(batchSize / n);
  return torch.tidy(() => ({
    images: torch.keep(torch.cat(new Array<torch.Tensor>(k).fill(ds.images))),
    labels: torch.keep(torch.cat(new Array<torch.Tensor>(k).fill(ds.labels))),
    classes: ds.classes,
  }));
}
