// Label-noise studies from the CLI: `torchmix train --label-noise P [--label-noise-mode asymmetric]
// [--train-size N]`. The noise models are data.corruptLabels (lib/data/noise.ts); this file picks the
// dataset's asymmetric map, draws the smaller stratified training set where memorisation shows within
// a CPU budget, and records what was done (the measured fraction of wrong labels) for results.json.
import { z } from 'zod';
import { UsageError } from './args.js';
import * as torch from '../torch/index.js';
import { corruptLabels, CIFAR10_ASYMMETRIC_MAP, FASHION_MNIST_ASYMMETRIC_MAP, MNIST_ASYMMETRIC_MAP } from '../data/noise.js';
import { trainValSplit } from '../data/split.js';
import type { Dataset } from '../data/idx.js';

export const NOISE_MODES = ['symmetric', 'asymmetric'] as const;

/** The asymmetric map of each dataset that has one (source class → target class). */
export const ASYMMETRIC_MAPS: Readonly<Record<string, Readonly<Record<number, number>>>> = {
  'fashion-mnist': FASHION_MNIST_ASYMMETRIC_MAP,
  mnist: MNIST_ASYMMETRIC_MAP,
  cifar10: CIFAR10_ASYMMETRIC_MAP,
};

const msg = (text: string) => ({ error: text });

export const NOISE_FLAGS = {
  'label-noise-mode': {
    key: 'labelNoiseMode',
    kind: 'string' as const,
    schema: z.enum(NOISE_MODES, msg(`expected one of ${NOISE_MODES.join(', ')}`)).optional(),
    help: `with --label-noise: symmetric (uniform over all classes; ~(1−1/K)·P end up wrong) or asymmetric (P of each class of the dataset's map moved to its partner: ${Object.keys(ASYMMETRIC_MAPS).join(', ')}); default symmetric`,
  },
  'train-size': {
    key: 'trainSize',
    kind: 'number' as const,
    schema: z
      .number(msg('expected a positive integer'))
      .refine((v) => Number.isInteger(v) && v > 0, msg('expected a positive integer'))
      .optional(),
    help: 'train on a stratified subset of N train images drawn with --seed (e.g. 6000 for label-noise studies: memorisation shows within a short budget)',
  },
};

type Where = (key: string) => string;

/** Cross-field rules (resolveConfig calls it once the config is valid). */
export function checkNoiseConfig(c: { dataset: string; labelNoise: number; labelNoiseMode?: string; labels?: number; trainSize?: number }, where: Where): void {
  if (c.labelNoiseMode !== undefined && !(c.labelNoise > 0)) throw new UsageError(`${where('labelNoiseMode')}: only applies with --label-noise P (P > 0)`);
  if (c.labelNoiseMode === 'asymmetric' && !ASYMMETRIC_MAPS[c.dataset])
    throw new UsageError(
      `${where('labelNoiseMode')}: '${c.dataset}' has no asymmetric noise map (datasets with one: ${Object.keys(ASYMMETRIC_MAPS).join(', ')})`,
    );
  if (c.trainSize !== undefined && c.labels !== undefined)
    throw new UsageError(`${where('trainSize')}: cannot be combined with --labels (the semi-supervised split picks its own labeled images)`);
}

/** What results.json records under `labelNoise`. */
export interface NoiseInfo {
  fraction: number;
  mode: (typeof NOISE_MODES)[number];
  /** The measured fraction of training labels that differ from the clean ones. */
  rate: number;
  /** asymmetric: the map applied. */
  mapping?: Readonly<Record<number, number>>;
  seed: number;
}

/** --train-size N: a stratified subset of N images (the rest is not used). */
export function trainSubset<T extends Dataset>(ds: T, cfg: { trainSize?: number; seed: number }, where = '--train-size'): Dataset {
  if (cfg.trainSize === undefined) return ds;
  const n = ds.images.shape[0];
  if (cfg.trainSize >= n) throw new UsageError(`${where}: the training set has ${n} images; give fewer than that, got ${cfg.trainSize}`);
  const { train, val } = trainValSplit(ds, { valSize: n - cfg.trainSize, seed: cfg.seed, stratified: true });
  torch.dispose([val.images, val.labels]);
  return train;
}

/** --label-noise P [--label-noise-mode M]: the corrupted training set and what was done. */
export function applyLabelNoise<T extends Dataset>(
  ds: T,
  cfg: { dataset: string; labelNoise: number; labelNoiseMode?: string; seed: number },
  numClasses: number,
): { set: T; info?: NoiseInfo } {
  if (!(cfg.labelNoise > 0)) return { set: ds };
  const mode = (cfg.labelNoiseMode ?? 'symmetric') as NoiseInfo['mode'];
  const mapping = mode === 'asymmetric' ? ASYMMETRIC_MAPS[cfg.dataset] : undefined;
  const r = corruptLabels(ds.labels, { fraction: cfg.labelNoise, mode, seed: cfg.seed, numClasses, ...(mapping ? { mapping } : {}) });
  torch.dispose([r.clean, r.noisy]);
  return { set: { ...ds, labels: r.labels }, info: { fraction: cfg.labelNoise, mode, rate: r.rate, ...(mapping ? { mapping } : {}), seed: cfg.seed } };
}
