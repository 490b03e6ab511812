import { describe, it, expect, beforeAll } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { data } from '../../lib/index.js';

function idx(dims: number[], bytes: Uint8Array, type = 0x08): Buffer {
  const head = Buffer.alloc(4 + 4 * dims.length);
  head[2] = type;
  head[3] = dims.length;
  dims.forEach((d, i) => head.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([head, Buffer.from(bytes)]);
}

let dir: string;
const n = 5;
const pixels = Uint8Array.from({ length: n * 4 * 3 }, (_, i) => (i * 7) % 256);
const labels = Uint8Array.from([3, 1, 4, 1, 5]);

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'torchmix-idx-'));
  fs.writeFileSync(path.join(dir, 'train-images-idx3-ubyte.gz'), zlib.gzipSync(idx([n, 4, 3], pixels)));
  fs.writeFileSync(path.join(dir, 'train-labels-idx1-ubyte'), idx([n], labels)); // raw, not gzipped
});

describe('IDX reader', () => {
  it('reads gzipped and raw files into N×1×H×W uint8 images and int64 labels', () => {
    const ds = data.idxImageDataset(dir, 'train', data.FASHION_MNIST_CLASSES);
    expect(ds.images.shape).toEqual([n, 1, 4, 3]);
    expect(ds.images.dtype).toBe('uint8');
    expect(Array.from(ds.images.toArray() as Uint8Array)).toEqual(Array.from(pixels));
    expect(ds.labels.dtype).toBe('int64');
    expect(ds.labels.tolist()).toEqual([3, 1, 4, 1, 5]);
  });

  it('names the missing file and says how to get the dataset', () => {
    expect(() => data.fashionMnist({ split: 'test', dir })).toThrow(/t10k-images-idx3-ubyte\(\.gz\) not found.*apt-get install dataset-fashion-mnist/);
  });

  it('rejects a bad magic number, a truncated file, and a count mismatch, naming the file', () => {
    const bad = fs.mkdtempSync(path.join(os.tmpdir(), 'torchmix-idx-bad-'));
    const img = path.join(bad, 'train-images-idx3-ubyte');
    const lbl = path.join(bad, 'train-labels-idx1-ubyte');
    fs.writeFileSync(lbl, idx([n], labels));
    fs.writeFileSync(img, Buffer.from('PK\x03\x04 not idx'));
    expect(() => data.idxImageDataset(bad, 'train', data.FASHION_MNIST_CLASSES)).toThrow(`${img}: not an IDX file (bad magic number)`);
    fs.writeFileSync(img, idx([n, 4, 3], pixels).subarray(0, 30));
    expect(() => data.idxImageDataset(bad, 'train', data.FASHION_MNIST_CLASSES)).toThrow(/truncated: header promises 60 bytes of data, file has 14/);
    fs.writeFileSync(img, idx([n + 1, 4, 3], new Uint8Array((n + 1) * 12)));
    expect(() => data.idxImageDataset(bad, 'train', data.FASHION_MNIST_CLASSES)).toThrow(`${img} has 6 images but ${lbl} has 5 labels`);
    fs.writeFileSync(img, zlib.gzipSync(idx([n, 4, 3], pixels)).subarray(0, 20));
    expect(() => data.idxImageDataset(bad, 'train', data.FASHION_MNIST_CLASSES)).toThrow(/corrupt gzip data/);
    expect(() => data.idxImageDataset('/nonexistent/dir', 'train', data.FASHION_MNIST_CLASSES)).toThrow(/not found/);
  });

  it.skipIf(!fs.existsSync(data.FASHION_MNIST_DIR))('loads the real Fashion-MNIST test split (skipped without dataset-fashion-mnist)', () => {
    const ds = data.fashionMnist({ split: 'test' });
    expect(ds.images.shape).toEqual([10000, 1, 28, 28]);
    // Fashion-MNIST's test set is balanced: 1000 images per class.
    const counts = new Array(10).fill(0);
    for (const v of ds.labels.toArray() as BigInt64Array) counts[Number(v)]++;
    expect(counts).toEqual(new Array(10).fill(1000));
    expect(ds.classes[9]).toBe('Ankle boot');
  });
});
