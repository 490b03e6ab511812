// Datasets by name (for the CLI and configs): data.load('cifar10', { split: 'train', dir }).
import { DatasetError, fashionMnist, mnist, type Dataset } from './idx.js';
import { cifar10, cifar100 } from './cifar.js';
import { moons, spirals, blobs } from './toy.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const registry: Record<string, (opts: any) => Dataset> = {
  'fashion-mnist': fashionMnist,
  mnist,
  cifar10,
  cifar100,
  moons,
  spirals,
  blobs,
};

/** The names load() accepts. */
export const datasetNames = Object.keys(registry);

/** Loads a dataset by name with that loader's options (e.g. { split, dir } or { n, noise, seed }). */
export function load(name: string, opts: Record<string, unknown> = {}): Dataset {
  const f = Object.prototype.hasOwnProperty.call(registry, name) ? registry[name] : undefined;
  if (!f) throw new DatasetError(`unknown dataset '${String(name)}' (known: ${datasetNames.join(', ')})`);
  return f(opts);
}
