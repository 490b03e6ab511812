// Small synthetic image datasets in the real file formats, for report tests that train a real run:
// MNIST IDX (gray 28×28) and CIFAR-10 binary (RGB 32×32). Class c is a bright square at a
// class-dependent place (and, in colour, a class-dependent hue) over low noise, so a tiny CNN learns
// it in an epoch and the pictures show which class is where.
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';

function idx(dims: number[], bytes: Uint8Array): Buffer {
  const head = Buffer.alloc(4 + 4 * dims.length);
  head[2] = 0x08;
  head[3] = dims.length;
  dims.forEach((d, i) => head.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([head, Buffer.from(bytes)]);
}

/** A deterministic generator (mulberry32), so the files are the same every run. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Pixels of one C×H×W image of class c (channel-planar, as both formats store them). */
function image(c: number, channels: number, side: number, r: () => number): Uint8Array {
  const px = new Uint8Array(channels * side * side);
  const sq = Math.floor(side / 3);
  const [oy, ox] = [Math.floor(c / 4) * Math.floor(side / 3.5) + 1, (c % 4) * Math.floor(side / 5) + 1];
  for (let ch = 0; ch < channels; ch++)
    for (let y = 0; y < side; y++)
      for (let x = 0; x < side; x++) {
        const inside = y >= oy && y < oy + sq && x >= ox && x < ox + sq;
        const hue = channels === 1 ? 1 : [1, 0.3 + 0.07 * c, 1 - 0.09 * c][ch];
        px[(ch * side + y) * side + x] = Math.min(255, Math.round((inside ? 230 * hue : 0) + 25 * r()));
      }
  return px;
}

/** Writes MNIST's four IDX files (gzipped) with n train and nTest samples; returns the folder. */
export function writeSyntheticMnist(dir: string, n = 384, nTest = 200): string {
  fs.mkdirSync(dir, { recursive: true });
  const r = rng(1);
  for (const [split, count] of [
    ['train', n],
    ['t10k', nTest],
  ] as const) {
    const labels = Uint8Array.from({ length: count }, (_, i) => i % 10);
    const pixels = new Uint8Array(count * 784);
    labels.forEach((c, i) => pixels.set(image(c, 1, 28, r), i * 784));
    fs.writeFileSync(path.join(dir, `${split}-images-idx3-ubyte.gz`), zlib.gzipSync(idx([count, 28, 28], pixels)));
    fs.writeFileSync(path.join(dir, `${split}-labels-idx1-ubyte.gz`), zlib.gzipSync(idx([count], labels)));
  }
  return dir;
}

/** Writes CIFAR-10's binary batches (5 train files of nPerBatch, one test file of nTest); returns the folder. */
export function writeSyntheticCifar10(dir: string, nPerBatch = 64, nTest = 160): string {
  fs.mkdirSync(dir, { recursive: true });
  const r = rng(2);
  const file = (count: number, offset: number) => {
    const buf = Buffer.alloc(count * 3073);
    for (let i = 0; i < count; i++) {
      const c = (offset + i) % 10;
      buf[i * 3073] = c;
      buf.set(image(c, 3, 32, r), i * 3073 + 1);
    }
    return buf;
  };
  for (let b = 1; b <= 5; b++) fs.writeFileSync(path.join(dir, `data_batch_${b}.bin`), file(nPerBatch, b * nPerBatch));
  fs.writeFileSync(path.join(dir, 'test_batch.bin'), file(nTest, 0));
  return dir;
}
