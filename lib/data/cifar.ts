// CIFAR-10 and CIFAR-100, binary versions (the "*-binary.tar.gz" archives), into one uint8
// N×3×32×32 tensor + int64 labels.
//   CIFAR-10:  data_batch_1.bin … data_batch_5.bin (train), test_batch.bin (test);
//              each record: 1 label byte + 3072 pixel bytes (1024 R, 1024 G, 1024 B, row-major).
//   CIFAR-100: train.bin, test.bin; each record: 1 coarse label byte + 1 fine label byte + 3072.
import fs from 'node:fs';
import path from 'node:path';
import * as torch from '../torch/index.js';
import { DatasetError, checkDir, checkSplit, type Dataset } from './idx.js';

export const CIFAR10_CLASSES = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'];
// prettier-ignore
export const CIFAR100_COARSE_CLASSES = [
  'aquatic_mammals', 'fish', 'flowers', 'food_containers', 'fruit_and_vegetables', 'household_electrical_devices',
  'household_furniture', 'insects', 'large_carnivores', 'large_man-made_outdoor_things', 'large_natural_outdoor_scenes',
  'large_omnivores_and_herbivores', 'medium_mammals', 'non-insect_invertebrates', 'people', 'reptiles', 'small_mammals',
  'trees', 'vehicles_1', 'vehicles_2',
];
// prettier-ignore
export const CIFAR100_FINE_CLASSES = [
  'apple', 'aquarium_fish', 'baby', 'bear', 'beaver', 'bed', 'bee', 'beetle', 'bicycle', 'bottle', 'bowl', 'boy', 'bridge',
  'bus', 'butterfly', 'camel', 'can', 'castle', 'caterpillar', 'cattle', 'chair', 'chimpanzee', 'clock', 'cloud',
  'cockroach', 'couch', 'crab', 'crocodile', 'cup', 'dinosaur', 'dolphin', 'elephant', 'flatfish', 'forest', 'fox', 'girl',
  'hamster', 'house', 'kangaroo', 'keyboard', 'lamp', 'lawn_mower', 'leopard', 'lion', 'lizard', 'lobster', 'man',
  'maple_tree', 'motorcycle', 'mountain', 'mouse', 'mushroom', 'oak_tree', 'orange', 'orchid', 'otter', 'palm_tree', 'pear',
  'pickup_truck', 'pine_tree', 'plain', 'plate', 'poppy', 'porcupine', 'possum', 'rabbit', 'raccoon', 'ray', 'road',
  'rocket', 'rose', 'sea', 'seal', 'shark', 'shrew', 'skunk', 'skyscraper', 'snail', 'snake', 'spider', 'squirrel',
  'streetcar', 'sunflower', 'sweet_pepper', 'table', 'tank', 'telephone', 'television', 'tiger', 'tractor', 'train',
  'trout', 'tulip', 'turtle', 'wardrobe', 'whale', 'willow_tree', 'wolf', 'woman', 'worm',
];

const PIXELS = 3 * 32 * 32;
export const CIFAR10_HINT =
  'Download the CIFAR-10 binary version (https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz), ' +
  'extract it and pass dir: to the cifar-10-batches-bin folder (or its parent).';
export const CIFAR100_HINT =
  'Download the CIFAR-100 binary version (https://www.cs.toronto.edu/~kriz/cifar-100-binary.tar.gz), ' +
  'extract it and pass dir: to the cifar-100-binary folder (or its parent).';

/** dir itself, or its archive subfolder when the user passed the folder the archive was extracted in. */
function resolveDir(dir: string, sub: string, marker: string): string {
  if (!fs.existsSync(path.join(dir, marker)) && fs.existsSync(path.join(dir, sub, marker))) return path.join(dir, sub);
  return dir;
}

function readRecords(file: string, recordBytes: number, hint: string): Buffer {
  let buf: Buffer;
  try {
    buf = fs.readFileSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new DatasetError(`${file} not found. ${hint}`);
    throw new DatasetError(`${file}: cannot read (${code ?? String(e)})`);
  }
  if (buf.length === 0) throw new DatasetError(`${file}: empty file`);
  if (buf.length % recordBytes !== 0)
    throw new DatasetError(
      `${file}: truncated or wrong size: ${buf.length} bytes is not a whole number of ${recordBytes}-byte records ` +
        `(${Math.floor(buf.length / recordBytes)} records + ${buf.length % recordBytes} bytes)`,
    );
  return buf;
}

/** Records → images (N×3×32×32 uint8) and the label bytes at the given offsets. */
function decode(files: string[], recordBytes: number, labelOffsets: number[], labelCounts: number[], hint: string) {
  const bufs = files.map((f) => readRecords(f, recordBytes, hint));
  const n = bufs.reduce((a, b) => a + b.length / recordBytes, 0);
  const pixels = new Uint8Array(n * PIXELS);
  const labels = labelOffsets.map(() => new Uint8Array(n));
  const head = recordBytes - PIXELS;
  let k = 0;
  bufs.forEach((buf, fi) => {
    const m = buf.length / recordBytes;
    for (let r = 0; r < m; r++, k++) {
      const o = r * recordBytes;
      labelOffsets.forEach((lo, li) => {
        const v = buf[o + lo];
        if (v >= labelCounts[li])
          throw new DatasetError(`${files[fi]}: record ${r}: label ${v} out of range for ${labelCounts[li]} classes (not a CIFAR file?)`);
        labels[li][k] = v;
      });
      pixels.set(buf.subarray(o + head, o + recordBytes), k * PIXELS);
    }
  });
  return { n, pixels, labels };
}

function names(dir: string, file: string, builtin: string[]): string[] {
  try {
    const got = fs
      .readFileSync(path.join(dir, file), 'utf8')
      .split(/\r?\n/)
      .map((s) => s.trim())
      .filter((s) => s !== '');
    return got.length === builtin.length ? got : builtin;
  } catch {
    return builtin;
  }
}

function toDataset(n: number, pixels: Uint8Array, labels: Uint8Array, classes: string[]): Dataset {
  return torch.tidy(() => ({
    images: torch.tensor(pixels, { shape: [n, 3, 32, 32] }),
    labels: torch.tensor(labels, { shape: [n] }).to('int64'),
    classes,
  }));
}

/** CIFAR-10 binary version: train = data_batch_1..5.bin (50 000), test = test_batch.bin (10 000). */
export function cifar10(opts: { split: 'train' | 'test'; dir: string }): Dataset {
  const split = checkSplit(opts?.split, 'cifar10()');
  const dir = resolveDir(checkDir(opts?.dir, 'cifar10()', CIFAR10_HINT), 'cifar-10-batches-bin', 'test_batch.bin');
  const stems = split === 'train' ? [1, 2, 3, 4, 5].map((i) => `data_batch_${i}.bin`) : ['test_batch.bin'];
  const { n, pixels, labels } = decode(
    stems.map((s) => path.join(dir, s)),
    1 + PIXELS,
    [0],
    [10],
    CIFAR10_HINT,
  );
  return toDataset(n, pixels, labels[0], names(dir, 'batches.meta.txt', CIFAR10_CLASSES));
}

/** CIFAR-100 binary version (train.bin, test.bin); labels: 'fine' (100 classes, default) or 'coarse' (20). */
export function cifar100(opts: { split: 'train' | 'test'; dir: string; labels?: 'fine' | 'coarse' }): Dataset {
  const split = checkSplit(opts?.split, 'cifar100()');
  const which = opts.labels ?? 'fine';
  if (which !== 'fine' && which !== 'coarse') throw new DatasetError(`cifar100(): labels must be 'fine' or 'coarse', got '${String(which)}'`);
  const dir = resolveDir(checkDir(opts?.dir, 'cifar100()', CIFAR100_HINT), 'cifar-100-binary', 'test.bin');
  const { n, pixels, labels } = decode([path.join(dir, `${split}.bin`)], 2 + PIXELS, [0, 1], [20, 100], CIFAR100_HINT);
  return which === 'fine'
    ? toDataset(n, pixels, labels[1], names(dir, 'fine_label_names.txt', CIFAR100_FINE_CLASSES))
    : toDataset(n, pixels, labels[0], names(dir, 'coarse_label_names.txt', CIFAR100_COARSE_CLASSES));
}
