// IDX files (MNIST, Fashion-MNIST), gzipped or raw, into one uint8 N×1×H×W tensor + int64 labels.
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import * as torch from '../torch/index.js';

export class DatasetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DatasetError';
  }
}

/** Reads one IDX file; returns its dimensions and the raw uint8 payload. */
export function readIdx(file: string): { dims: number[]; data: Uint8Array } {
  let buf: Buffer;
  try {
    buf = fs.readFileSync(file);
  } catch (e) {
    throw new DatasetError(`${file}: cannot read (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  if (buf.length >= 2 && buf[0] === 0x1f && buf[1] === 0x8b) {
    try {
      buf = zlib.gunzipSync(buf);
    } catch (e) {
      throw new DatasetError(`${file}: corrupt gzip data (${(e as Error).message})`);
    }
  }
  if (buf.length < 4 || buf[0] !== 0 || buf[1] !== 0) throw new DatasetError(`${file}: not an IDX file (bad magic number)`);
  if (buf[2] !== 0x08) throw new DatasetError(`${file}: IDX element type 0x${buf[2].toString(16)} is not unsigned byte (0x08)`);
  const ndim = buf[3];
  if (ndim < 1 || ndim > 4 || buf.length < 4 + 4 * ndim) throw new DatasetError(`${file}: truncated IDX header`);
  const dims: number[] = [];
  for (let i = 0; i < ndim; i++) dims.push(buf.readUInt32BE(4 + 4 * i));
  const n = dims.reduce((a, b) => a * b, 1);
  const start = 4 + 4 * ndim;
  if (buf.length - start < n) throw new DatasetError(`${file}: truncated: header promises ${n} bytes of data, file has ${buf.length - start}`);
  return { dims, data: new Uint8Array(buf.buffer, buf.byteOffset + start, n) };
}

/**
 * The one dataset shape used everywhere in torchmix (image sets and toy sets alike):
 * `images` holds the N samples along dim 0 — uint8 N×C×H×W for image sets, float32 N×2 points for
 * the toy sets — and `labels` the N int64 class indices into `classes`.
 */
export interface Dataset {
  /** N×C×H×W uint8 (image sets) or N×D float32 (toy sets). */
  images: torch.Tensor;
  /** int64, N */
  labels: torch.Tensor;
  classes: string[];
}
export type ImageDataset = Dataset;

export const FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';
export const FASHION_MNIST_CLASSES = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];

export const FASHION_MNIST_HINT =
  `Fashion-MNIST comes from Debian's package: apt-get install dataset-fashion-mnist (files in ${FASHION_MNIST_DIR}), ` +
  'or pass dir: to a folder with the IDX files.';
export const MNIST_HINT =
  'MNIST has no default location: download train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, ' +
  't10k-images-idx3-ubyte.gz and t10k-labels-idx1-ubyte.gz (from https://yann.lecun.com/exdb/mnist/ or a mirror ' +
  'such as https://ossci-datasets.s3.amazonaws.com/mnist/) into a folder and pass it as dir:.';
export const MNIST_CLASSES = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];

function findFile(dir: string, stem: string, hint: string): string {
  for (const name of [`${stem}.gz`, stem]) {
    const f = path.join(dir, name);
    if (fs.existsSync(f)) return f;
  }
  throw new DatasetError(`${path.join(dir, stem)}(.gz) not found. ${hint}`);
}

/** Throws a DatasetError naming dir when it is not an existing directory. */
export function checkDir(dir: unknown, what: string, hint: string): string {
  if (typeof dir !== 'string' || dir === '') throw new DatasetError(`${what}: dir is required. ${hint}`);
  let st: fs.Stats;
  try {
    st = fs.statSync(dir);
  } catch {
    throw new DatasetError(`${what}: directory ${dir} not found. ${hint}`);
  }
  if (!st.isDirectory()) throw new DatasetError(`${what}: ${dir} is not a directory. ${hint}`);
  return dir;
}

export function checkSplit(split: unknown, what: string): 'train' | 'test' {
  if (split !== 'train' && split !== 'test') throw new DatasetError(`${what}: split must be 'train' or 'test', got '${String(split)}'`);
  return split;
}

/** MNIST-format image/label pair from a directory (train-* or t10k-* files). */
export function idxImageDataset(dir: string, split: 'train' | 'test', classes: string[], hint = FASHION_MNIST_HINT, name = 'idxImageDataset()'): ImageDataset {
  checkSplit(split, name);
  checkDir(dir, name, hint);
  const prefix = split === 'train' ? 'train' : 't10k';
  const imgFile = findFile(dir, `${prefix}-images-idx3-ubyte`, hint);
  const lblFile = findFile(dir, `${prefix}-labels-idx1-ubyte`, hint);
  const img = readIdx(imgFile);
  const lbl = readIdx(lblFile);
  if (img.dims.length !== 3) throw new DatasetError(`${imgFile}: expected 3 dimensions (N, H, W), got ${img.dims.length}`);
  if (lbl.dims.length !== 1) throw new DatasetError(`${lblFile}: expected 1 dimension (N), got ${lbl.dims.length}`);
  if (img.dims[0] !== lbl.dims[0]) throw new DatasetError(`${imgFile} has ${img.dims[0]} images but ${lblFile} has ${lbl.dims[0]} labels`);
  for (const v of lbl.data) if (v >= classes.length) throw new DatasetError(`${lblFile}: label ${v} out of range for ${classes.length} classes`);
  const [n, h, w] = img.dims;
  return torch.tidy(() => ({
    images: torch.tensor(img.data, { shape: [n, 1, h, w] }),
    labels: torch.tensor(lbl.data, { shape: [n] }).to('int64'),
    classes,
  }));
}

/** Fashion-MNIST (IDX files, gzipped or raw); dir defaults to Debian's dataset-fashion-mnist location. */
export function fashionMnist(opts: { split: 'train' | 'test'; dir?: string }): ImageDataset {
  return idxImageDataset(opts?.dir ?? FASHION_MNIST_DIR, opts?.split, FASHION_MNIST_CLASSES, FASHION_MNIST_HINT, 'fashionMnist()');
}

/** MNIST from a directory holding its four IDX files (gzipped or raw); there is no default dir. */
export function mnist(opts: { split: 'train' | 'test'; dir: string }): ImageDataset {
  checkDir(opts?.dir, 'mnist()', MNIST_HINT);
  return idxImageDataset(opts.dir, opts.split, MNIST_CLASSES, MNIST_HINT, 'mnist()');
}
