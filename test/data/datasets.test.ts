// CIFAR-10/100 binary files and MNIST IDX files generated here round-trip; every bad input gives a
// clear error naming the file; the registry; toy sets.
import { describe, it, expect, beforeAll } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { torch, data } from '../../lib/index.js';

const nums = (t: torch.Tensor) => Array.from(t.toArray() as ArrayLike<number | bigint>, Number);
const tmp = (p: string) => fs.mkdtempSync(path.join(os.tmpdir(), p));

/** CIFAR records: label bytes, then 3072 pixels (record r, byte k = (r·31 + k·7) mod 256). */
function cifarFile(labels: number[][]): { buf: Buffer; pixels: number[] } {
  const head = labels[0].length;
  const buf = Buffer.alloc(labels.length * (head + 3072));
  const pixels: number[] = [];
  labels.forEach((ls, r) => {
    const o = r * (head + 3072);
    ls.forEach((l, i) => (buf[o + i] = l));
    for (let k = 0; k < 3072; k++) {
      const v = (r * 31 + k * 7 + head) % 256;
      buf[o + head + k] = v;
      pixels.push(v);
    }
  });
  return { buf, pixels };
}

describe('CIFAR-10 binary reader', () => {
  let dir: string;
  const train = [[1], [9], [0], [4], [2], [3], [5], [7], [8], [6]];
  let pixels: number[] = [];
  beforeAll(() => {
    dir = path.join(tmp('torchmix-cifar10-'), 'cifar-10-batches-bin'); // the archive's folder name
    fs.mkdirSync(dir);
    for (let b = 1; b <= 5; b++) {
      const f = cifarFile(train.slice(2 * (b - 1), 2 * b));
      fs.writeFileSync(path.join(dir, `data_batch_${b}.bin`), f.buf);
      pixels = pixels.concat(f.pixels);
    }
    fs.writeFileSync(path.join(dir, 'test_batch.bin'), cifarFile([[3], [3], [1]]).buf);
  });

  it('reads data_batch_1..5 in order into N×3×32×32 uint8 + int64 labels (dir or its parent)', () => {
    for (const d of [dir, path.dirname(dir)]) {
      const ds = data.cifar10({ split: 'train', dir: d });
      expect(ds.images.shape).toEqual([10, 3, 32, 32]);
      expect(ds.images.dtype).toBe('uint8');
      expect(ds.labels.dtype).toBe('int64');
      expect(nums(ds.labels)).toEqual(train.map((l) => l[0]));
      expect(nums(ds.images)).toEqual(pixels);
      expect(ds.classes[1]).toBe('automobile');
    }
    const t = data.cifar10({ split: 'test', dir });
    expect(t.images.shape).toEqual([3, 3, 32, 32]);
    expect(nums(t.labels)).toEqual([3, 3, 1]);
    // the red channel of record 0 is its first 1024 bytes, row-major
    expect(nums(t.images.select(0, 0).select(0, 0).select(0, 1))).toEqual(Array.from({ length: 32 }, (_, k) => ((32 + k) * 7 + 1) % 256));
  });

  it('bad inputs: missing dir, missing file, truncated file, bad label, bad split — each naming the file', () => {
    expect(() => data.cifar10({ split: 'train', dir: '/nonexistent/cifar' })).toThrow(/directory \/nonexistent\/cifar not found.*cifar-10-binary\.tar\.gz/);
    expect(() => data.cifar10({ split: 'train' } as { split: 'train'; dir: string })).toThrow(/dir is required.*cifar-10-binary/);
    const bad = tmp('torchmix-cifar10-bad-');
    fs.writeFileSync(path.join(bad, 'test_batch.bin'), cifarFile([[1], [2]]).buf.subarray(0, 5000));
    expect(() => data.cifar10({ split: 'test', dir: bad })).toThrow(
      `${path.join(bad, 'test_batch.bin')}: truncated or wrong size: 5000 bytes is not a whole number of 3073-byte records (1 records + 1927 bytes)`,
    );
    expect(() => data.cifar10({ split: 'train', dir: bad })).toThrow(new RegExp(`${path.join(bad, 'data_batch_1.bin')} not found\\. Download the CIFAR-10`));
    fs.writeFileSync(path.join(bad, 'test_batch.bin'), cifarFile([[1], [12]]).buf);
    expect(() => data.cifar10({ split: 'test', dir: bad })).toThrow(`${path.join(bad, 'test_batch.bin')}: record 1: label 12 out of range for 10 classes`);
    fs.writeFileSync(path.join(bad, 'test_batch.bin'), Buffer.alloc(0));
    expect(() => data.cifar10({ split: 'test', dir: bad })).toThrow(/test_batch\.bin: empty file/);
    expect(() => data.cifar10({ split: 'val' as 'test', dir: bad })).toThrow(/split must be 'train' or 'test', got 'val'/);
  });
});

describe('CIFAR-100 binary reader', () => {
  let dir: string;
  const recs = [
    [0, 4],
    [19, 99],
    [7, 50],
    [3, 0],
  ];
  beforeAll(() => {
    dir = tmp('torchmix-cifar100-');
    fs.writeFileSync(path.join(dir, 'train.bin'), cifarFile(recs).buf);
    fs.writeFileSync(path.join(dir, 'test.bin'), cifarFile(recs.slice(0, 1)).buf);
  });
  it('fine (default) and coarse labels; pixels after the two label bytes', () => {
    const f = data.cifar100({ split: 'train', dir });
    expect(nums(f.labels)).toEqual([4, 99, 50, 0]);
    expect(f.classes).toHaveLength(100);
    expect(f.classes[99]).toBe('worm');
    expect(nums(f.images)).toEqual(cifarFile(recs).pixels);
    const c = data.cifar100({ split: 'train', dir, labels: 'coarse' });
    expect(nums(c.labels)).toEqual([0, 19, 7, 3]);
    expect(c.classes).toHaveLength(20);
    expect(c.classes[19]).toBe('vehicles_2');
    expect(data.cifar100({ split: 'test', dir }).images.shape).toEqual([1, 3, 32, 32]);
  });
  it('bad inputs', () => {
    const bad = tmp('torchmix-cifar100-bad-');
    fs.writeFileSync(path.join(bad, 'train.bin'), cifarFile([[20, 1]]).buf);
    expect(() => data.cifar100({ split: 'train', dir: bad })).toThrow(`${path.join(bad, 'train.bin')}: record 0: label 20 out of range for 20 classes`);
    // a CIFAR-10 file is not a whole number of CIFAR-100 records
    fs.writeFileSync(path.join(bad, 'train.bin'), cifarFile([[1], [2]]).buf);
    expect(() => data.cifar100({ split: 'train', dir: bad })).toThrow(
      /train\.bin: truncated or wrong size: 6146 bytes is not a whole number of 3074-byte records/,
    );
    expect(() => data.cifar100({ split: 'test', dir: bad })).toThrow(/test\.bin not found\. Download the CIFAR-100 binary version/);
    expect(() => data.cifar100({ split: 'train', dir, labels: 'medium' as 'fine' })).toThrow(/labels must be 'fine' or 'coarse'/);
  });
});

describe('MNIST and the registry', () => {
  function idx(dims: number[], bytes: Uint8Array): Buffer {
    const head = Buffer.alloc(4 + 4 * dims.length);
    head[2] = 0x08;
    head[3] = dims.length;
    dims.forEach((d, i) => head.writeUInt32BE(d, 4 + 4 * i));
    return Buffer.concat([head, Buffer.from(bytes)]);
  }
  it('mnist() requires dir and says how to get MNIST; reads generated IDX files', () => {
    expect(() => data.mnist({ split: 'train' } as { split: 'train'; dir: string })).toThrow(
      /mnist\(\): dir is required\. MNIST has no default location: download train-images-idx3-ubyte\.gz/,
    );
    const dir = tmp('torchmix-mnist-');
    expect(() => data.mnist({ split: 'test', dir })).toThrow(/t10k-images-idx3-ubyte\(\.gz\) not found\. MNIST has no default location/);
    const px = Uint8Array.from({ length: 3 * 28 * 28 }, (_, i) => i % 251);
    fs.writeFileSync(path.join(dir, 't10k-images-idx3-ubyte.gz'), zlib.gzipSync(idx([3, 28, 28], px)));
    fs.writeFileSync(path.join(dir, 't10k-labels-idx1-ubyte.gz'), zlib.gzipSync(idx([3], Uint8Array.from([7, 0, 9]))));
    const ds = data.mnist({ split: 'test', dir });
    expect(ds.images.shape).toEqual([3, 1, 28, 28]);
    expect(nums(ds.labels)).toEqual([7, 0, 9]);
    expect(nums(ds.images)).toEqual(Array.from(px));
    expect(ds.classes).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    const viaLoad = data.load('mnist', { split: 'test', dir });
    expect(nums(viaLoad.labels)).toEqual([7, 0, 9]);
    fs.writeFileSync(path.join(dir, 't10k-labels-idx1-ubyte.gz'), zlib.gzipSync(idx([3], Uint8Array.from([7, 10, 9]))));
    expect(() => data.mnist({ split: 'test', dir })).toThrow(/t10k-labels-idx1-ubyte\.gz: label 10 out of range for 10 classes/);
  });
  it('load() knows every dataset name and rejects unknown ones', () => {
    expect(data.datasetNames).toEqual(['fashion-mnist', 'mnist', 'cifar10', 'cifar100', 'moons', 'spirals', 'blobs']);
    expect(() => data.load('imagenet')).toThrow("unknown dataset 'imagenet' (known: fashion-mnist, mnist, cifar10, cifar100, moons, spirals, blobs)");
    expect(() => data.load('toString')).toThrow(/unknown dataset 'toString'/);
    expect(data.load('moons', { n: 10, seed: 1 }).images.shape).toEqual([10, 2]);
    expect(() => data.load('cifar10', { split: 'train', dir: '/nonexistent' })).toThrow(/directory \/nonexistent not found/);
  });
  it.skipIf(!fs.existsSync(data.FASHION_MNIST_DIR))('load("fashion-mnist") uses the default directory (skipped without dataset-fashion-mnist)', () => {
    expect(data.load('fashion-mnist', { split: 'test' }).images.shape).toEqual([10000, 1, 28, 28]);
  });
});

describe('toy sets', () => {
  const counts = (t: torch.Tensor, k: number) => {
    const c = new Array(k).fill(0);
    for (const v of nums(t)) c[v]++;
    return c;
  };
  it('moons: shapes, seeds, balance, and with noise 0 the points lie on the two half circles', () => {
    const m = data.moons({ n: 101, noise: 0, seed: 3 });
    expect(m.images.shape).toEqual([101, 2]);
    expect(m.images.dtype).toBe('float32');
    expect(m.labels.dtype).toBe('int64');
    expect(counts(m.labels, 2)).toEqual([51, 50]);
    const p = nums(m.images);
    nums(m.labels).forEach((y, i) => {
      const [x, z] = [p[2 * i], p[2 * i + 1]];
      // class 0: x² + y² = 1, y ≥ 0; class 1: (x − 1)² + (y − 0.5)² = 1, y ≤ 0.5
      const [cx, cy] = y === 0 ? [0, 0] : [1, 0.5];
      expect(Math.abs(Math.hypot(x - cx, z - cy) - 1)).toBeLessThan(1e-6);
      expect(y === 0 ? z >= -1e-7 : z <= 0.5 + 1e-7).toBe(true);
    });
    expect(nums(data.moons({ n: 101, noise: 0.1, seed: 3 }).images)).toEqual(nums(data.moons({ n: 101, noise: 0.1, seed: 3 }).images));
    expect(nums(data.moons({ n: 101, noise: 0.1, seed: 4 }).images)).not.toEqual(nums(data.moons({ n: 101, noise: 0.1, seed: 3 }).images));
    // noise moves points off the circles by about its standard deviation
    const q = nums(data.moons({ n: 2000, noise: 0.1, seed: 1 }).images);
    const lq = nums(data.moons({ n: 2000, noise: 0.1, seed: 1 }).labels);
    const d = lq.map((y, i) => Math.hypot(q[2 * i] - (y ? 1 : 0), q[2 * i + 1] - (y ? 0.5 : 0)) - 1);
    const rms = Math.sqrt(d.reduce((a, v) => a + v * v, 0) / d.length);
    expect(rms).toBeGreaterThan(0.08);
    expect(rms).toBeLessThan(0.12);
    expect(() => data.moons({ n: 1 })).toThrow(/n must be an integer ≥ 2/);
    expect(() => data.moons({ n: 10, noise: -1 })).toThrow(/noise must be a finite number ≥ 0/);
  });
  it('spirals: classes balanced, radius within [0, 1] at noise 0, seeded', () => {
    const s = data.spirals({ n: 301, classes: 3, noise: 0, seed: 1 });
    expect(s.images.shape).toEqual([301, 2]);
    expect(counts(s.labels, 3)).toEqual([101, 100, 100]);
    expect(s.classes).toHaveLength(3);
    const p = nums(s.images);
    for (let i = 0; i < 301; i++) expect(Math.hypot(p[2 * i], p[2 * i + 1])).toBeLessThanOrEqual(1 + 1e-6);
    expect(nums(data.spirals({ n: 50, noise: 0.2, seed: 9 }).images)).toEqual(nums(data.spirals({ n: 50, noise: 0.2, seed: 9 }).images));
    expect(counts(data.spirals({ n: 50, seed: 9 }).labels, 2)).toEqual([25, 25]);
    expect(() => data.spirals({ n: 10, classes: 1 })).toThrow(/classes must be an integer ≥ 2/);
  });
  it('blobs: balanced, centred on the given centres with the given std', () => {
    const b = data.blobs({
      n: 3000,
      centers: [
        [0, 0],
        [5, 5],
        [-5, 5],
      ],
      std: 0.5,
      seed: 2,
    });
    expect(counts(b.labels, 3)).toEqual([1000, 1000, 1000]);
    const p = nums(b.images);
    const y = nums(b.labels);
    const cs = [
      [0, 0],
      [5, 5],
      [-5, 5],
    ];
    for (let k = 0; k < 3; k++) {
      const pts = y.flatMap((c, i) => (c === k ? [[p[2 * i], p[2 * i + 1]]] : []));
      const mx = pts.reduce((a, q) => a + q[0], 0) / pts.length;
      const vx = pts.reduce((a, q) => a + (q[0] - mx) ** 2, 0) / pts.length;
      expect(Math.abs(mx - cs[k][0])).toBeLessThan((5 * 0.5) / Math.sqrt(1000));
      expect(Math.abs(Math.sqrt(vx) - 0.5)).toBeLessThan(0.05);
    }
    const r = data.blobs({ n: 10, centers: 4, seed: 1 });
    expect(counts(r.labels, 4)).toEqual([3, 3, 2, 2]);
    expect(nums(r.images)).toEqual(nums(data.blobs({ n: 10, centers: 4, seed: 1 }).images));
    expect(() => data.blobs({ n: 10, centers: [[1, 2, 3]] as unknown as [number, number][] })).toThrow(/centers must be/);
  });
});
