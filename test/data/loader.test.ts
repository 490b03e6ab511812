// DataLoader: batching, seeding, on-device augmentation (checked against references computed
// independently here with narrow/flip/F.pad), normalisation, views, memory, CUDA.
import { describe, it, expect } from 'vitest';
import { torch, nn, data } from '../../lib/index.js';
import { settledLiveTensors } from '../helpers/gc.js';
type Tensor = torch.Tensor;

const F = nn.functional;
const cudaOk = torch.cuda.isAvailable();

/** A small uint8 image set with (almost surely) distinct pixels, so every crop is identifiable. */
function images(n: number, c: number, h: number, w: number, seed = 7): data.Dataset {
  const rng = new data.Rng(seed);
  const px = Uint8Array.from({ length: n * c * h * w }, () => rng.int(256));
  const lb = BigInt64Array.from({ length: n }, (_, i) => BigInt(i % 3));
  return { images: torch.keep(torch.tensor(px, { shape: [n, c, h, w] })), labels: torch.keep(torch.tensor(lb)), classes: ['a', 'b', 'c'] };
}
const nums = (t: Tensor) => Array.from(t.toArray() as ArrayLike<number | bigint>, Number);
const same = (a: number[], b: number[]) => a.length === b.length && a.every((v, i) => v === b[i]);
function epoch(loader: data.DataLoader): { x: number[][]; y: number[][]; index: number[][]; sizes: number[] } {
  const out = { x: [] as number[][], y: [] as number[][], index: [] as number[][], sizes: [] as number[] };
  loader.forEach((b) => {
    out.x.push(nums(b.x));
    out.y.push(nums(b.y));
    out.index.push(nums(b.index));
    out.sizes.push(b.x.shape[0]);
  });
  return out;
}

describe('DataLoader batching', () => {
  const ds = images(10, 1, 2, 2);

  it('partial last batch, dropLast, length', () => {
    const a = new data.DataLoader(ds, { batchSize: 4 });
    expect(a.length).toBe(3);
    expect(epoch(a).sizes).toEqual([4, 4, 2]);
    const b = new data.DataLoader(ds, { batchSize: 4, dropLast: true, shuffle: true, seed: 1 });
    expect(b.length).toBe(2);
    expect(epoch(b).sizes).toEqual([4, 4]);
    expect(new data.DataLoader(ds, { batchSize: 11, dropLast: true }).length).toBe(0);
    expect(epoch(new data.DataLoader(ds, { batchSize: 11 })).sizes).toEqual([10]);
  });

  it('every sample exactly once per epoch; y and x belong to index', () => {
    const all = nums(ds.images);
    const labels = nums(ds.labels);
    for (const augment of [undefined, { crop: { size: 2, padding: 1 } }]) {
      const l = new data.DataLoader(ds, { batchSize: 3, shuffle: true, seed: 5, augment });
      const e = epoch(l);
      const seen = e.index.flat();
      expect([...seen].sort((p, q) => p - q)).toEqual([...Array(10).keys()]);
      expect(same(seen, [...Array(10).keys()])).toBe(false); // shuffled
      e.index.forEach((idx, k) => expect(e.y[k]).toEqual(idx.map((i) => labels[i])));
      if (!augment) e.index.forEach((idx, k) => expect(e.x[k]).toEqual(idx.flatMap((i) => all.slice(4 * i, 4 * i + 4).map((v) => Math.fround(v / 255)))));
    }
    const ordered = epoch(new data.DataLoader(ds, { batchSize: 3 }));
    expect(ordered.index.flat()).toEqual([...Array(10).keys()]);
  });

  it('same seed → identical batches; different seed or epoch → different; setEpoch replays', () => {
    const opts = { batchSize: 4, shuffle: true, augment: { crop: { size: 2, padding: 1 }, flip: true } };
    const a = new data.DataLoader(ds, { ...opts, seed: 42 });
    const b = new data.DataLoader(ds, { ...opts, seed: 42 });
    const c = new data.DataLoader(ds, { ...opts, seed: 43 });
    const ea = epoch(a);
    expect(epoch(b)).toEqual(ea);
    expect(epoch(c).x).not.toEqual(ea.x);
    const a1 = epoch(a); // epoch 1
    expect(a1.x).not.toEqual(ea.x);
    a.setEpoch(0);
    expect(epoch(a)).toEqual(ea);
    expect(a.epoch).toBe(1);
  });

  it('does not touch the global torch generator when seeded', () => {
    torch.manualSeed(3);
    const ref = nums(torch.rand([4]));
    torch.manualSeed(3);
    epoch(new data.DataLoader(ds, { batchSize: 4, shuffle: true, seed: 1, augment: { flip: true } }));
    expect(nums(torch.rand([4]))).toEqual(ref);
    // Without a seed, one seed is drawn from torch's generator: torch.manualSeed makes it reproducible.
    torch.manualSeed(9);
    const u = epoch(new data.DataLoader(ds, { batchSize: 4, shuffle: true }));
    torch.manualSeed(9);
    expect(epoch(new data.DataLoader(ds, { batchSize: 4, shuffle: true }))).toEqual(u);
  });

  it('normalisation: (x/255 − mean)/std per channel, exactly as the torch ops', () => {
    const d3 = images(6, 3, 2, 3);
    const mean = [0.5, 0.25, 0.125];
    const std = [0.2, 0.3, 0.4];
    const l = new data.DataLoader(d3, { batchSize: 6, normalize: { mean, std } });
    torch.tidy(() => {
      const want = d3.images
        .to('float32')
        .div(255)
        .sub(torch.tensor(mean).view([1, 3, 1, 1]))
        .div(torch.tensor(std).view([1, 3, 1, 1]));
      const [b] = [...l];
      expect(nums(b.x)).toEqual(nums(want));
      // …and equal to the float32 arithmetic done by hand.
      const px = nums(d3.images);
      const x = nums(b.x);
      for (const k of [0, 7, 13, 35, 107]) {
        const ch = Math.floor(k / 6) % 3;
        const v = Math.fround(Math.fround(Math.fround(px[k] / 255) - Math.fround(mean[ch])) / Math.fround(std[ch]));
        expect(x[k]).toBe(v);
      }
      torch.dispose(b);
    });
  });

  it('accepts toy datasets ({ images: N×2 float }) and { x, y }', () => {
    const m = data.moons({ n: 50, noise: 0.1, seed: 1 });
    const l = new data.DataLoader(m, { batchSize: 16, shuffle: true, seed: 2, normalize: { mean: [0.5, 0.25], std: [1, 0.5] } });
    const e = epoch(l);
    expect(e.sizes).toEqual([16, 16, 16, 2]);
    const px = nums(m.images);
    const i0 = e.index[0][0];
    expect(e.x[0][0]).toBe(Math.fround(px[2 * i0] - 0.5));
    expect(e.x[0][1]).toBe(Math.fround(Math.fround(px[2 * i0 + 1] - 0.25) / 0.5));
    const l2 = new data.DataLoader({ x: m.images, y: m.labels }, { batchSize: 50 });
    expect(epoch(l2).x[0]).toEqual(px); // float data: not divided by 255, and the dataset is not modified
    expect(nums(m.images)).toEqual(px);
  });

  it('rejects bad options with clear errors', () => {
    const m = data.moons({ n: 10, seed: 1 });
    expect(() => new data.DataLoader(ds, { batchSize: 0 })).toThrow(/batchSize must be a positive integer/);
    expect(() => new data.DataLoader(m, { augment: { flip: true } })).toThrow(/crop and flip need N×C×H×W images/);
    expect(() => new data.DataLoader(ds, { augment: { crop: { size: 5, padding: 1 } } })).toThrow(/crop.size 5×5 is larger than the padded image 4×4/);
    expect(() => new data.DataLoader(ds, { augment: { crop: { size: 2, padding: 2, mode: 'reflect' } } })).toThrow(/reflect padding 2 must be smaller/);
    expect(() => new data.DataLoader(ds, { augment: { crop: { size: 2, mode: 'mirror' as 'zero' } } })).toThrow(/crop.mode must be 'zero' or 'reflect'/);
    expect(() => new data.DataLoader(ds, { augment: { flip: 2 } })).toThrow(/flip probability must be in \[0, 1\]/);
    expect(() => new data.DataLoader(ds, { normalize: { mean: [0, 0], std: 1 } })).toThrow(/normalize.mean must be a number or 1 numbers/);
    expect(() => new data.DataLoader(ds, { normalize: { mean: 0, std: 0 } })).toThrow(/normalize.std must be positive/);
    expect(() => new data.DataLoader(ds, { views: 2 })).toThrow(/views > 1 needs augment/);
    expect(() => new data.DataLoader({ images: ds.images, labels: data.moons({ n: 7, seed: 1 }).labels })).toThrow(
      /labels must have shape \[10\] \(one per sample\), got \[7\]/,
    );
    expect(() => new data.DataLoader({ images: ds.images } as unknown as data.Dataset)).toThrow(/dataset must be/);
    expect(() => new data.DataLoader(ds, { shuffle: true, seed: -1 })).toThrow(/seed must be a non-negative integer/);
  });

  it('memory: forEach and disposed batches leave no tensors behind', () => {
    const l = new data.DataLoader(ds, { batchSize: 3, shuffle: true, seed: 1, augment: { crop: { size: 2, padding: 1 }, flip: true }, views: 2 });
    const before = settledLiveTensors();
    l.forEach((b) => void b.x.add(1));
    expect(torch.memory().liveTensors).toBe(before);
    for (const b of l) torch.dispose(b);
    expect(torch.memory().liveTensors).toBe(before);
    for (const b of l) {
      torch.dispose(b);
      break; // the epoch's tables are freed on break too
    }
    expect(torch.memory().liveTensors).toBe(before);
    l.dispose();
    expect(torch.memory().liveTensors).toBeLessThan(before);
  });
});

/**
 * Finds, for one output sample, the crop offset and flip that reproduce it from the padded source
 * image (computed here with F.pad and narrow/flip); throws unless exactly one candidate matches.
 */
function identify(out: number[], padded: Tensor, n: number, sh: number, sw: number): { oy: number; ox: number; flip: boolean } {
  const [, , hp, wp] = padded.shape;
  const hits: { oy: number; ox: number; flip: boolean }[] = [];
  torch.tidy(() => {
    const img = padded.select(0, n);
    for (let oy = 0; oy <= hp - sh; oy++)
      for (let ox = 0; ox <= wp - sw; ox++)
        for (const flip of [false, true]) {
          let ref = img.narrow(1, oy, sh).narrow(2, ox, sw);
          if (flip) ref = ref.flip(2);
          if (same(nums(ref), out)) hits.push({ oy, ox, flip });
        }
  });
  if (hits.length !== 1) throw new Error(`sample ${n}: ${hits.length} matching crops`);
  return hits[0];
}

describe('on-device augmentation', () => {
  for (const mode of ['zero', 'reflect'] as const) {
    it(`random crop (${mode} padding) + flip equals a reference crop of F.pad(${mode === 'zero' ? 'constant' : 'reflect'}), offsets cover the range`, () => {
      const [n, c, h, w, p] = [24, 2, 5, 6, 2];
      const ds = images(n, c, h, w, 11);
      const padded = torch.keep(F.pad(ds.images.to('float32').div(255), [p, p, p, p], { mode: mode === 'zero' ? 'constant' : 'reflect' }));
      const l = new data.DataLoader(ds, { batchSize: 8, shuffle: true, seed: 3, augment: { crop: { size: [h, w], padding: p, mode }, flip: true } });
      const oys = new Set<number>(),
        oxs = new Set<number>();
      let flips = 0;
      for (let e = 0; e < 3; e++)
        l.forEach((b) => {
          expect(b.x.shape).toEqual([nums(b.index).length, c, h, w]);
          const x = nums(b.x);
          nums(b.index).forEach((i, k) => {
            const r = identify(x.slice(k * c * h * w, (k + 1) * c * h * w), padded, i, h, w);
            oys.add(r.oy);
            oxs.add(r.ox);
            flips += r.flip ? 1 : 0;
          });
        });
      // 72 draws: every offset in [0, 2p] seen (a miss has probability < 1e-5), flips ~ Bin(72, 1/2).
      expect([...oys].sort()).toEqual([0, 1, 2, 3, 4]);
      expect([...oxs].sort()).toEqual([0, 1, 2, 3, 4]);
      expect(Math.abs(flips - 36)).toBeLessThanOrEqual(5 * Math.sqrt(72 / 4));
    });
  }

  it('crop smaller than the image without padding, and reflect padding equals F.pad reflect', () => {
    const ds = images(6, 3, 6, 6, 2);
    const l = new data.DataLoader(ds, { batchSize: 6, seed: 1, augment: { crop: { size: [3, 4] } } });
    const src = torch.keep(ds.images.to('float32').div(255));
    l.forEach((b) => {
      const x = nums(b.x);
      nums(b.index).forEach((i, k) => {
        const r = identify(x.slice(k * 36, (k + 1) * 36), src, i, 3, 4);
        expect(r.flip).toBe(false);
        expect(r.oy).toBeLessThanOrEqual(3);
        expect(r.ox).toBeLessThanOrEqual(2);
      });
    });
    // Full-size crop with padding p and offset fixed by a size equal to the padded image: the
    // output is the padded image itself, which must equal F.pad(mode 'reflect').
    const full = new data.DataLoader(ds, { batchSize: 6, seed: 1, augment: { crop: { size: 10, padding: 2, mode: 'reflect' } } });
    const [b] = [...full];
    expect(nums(b.x)).toEqual(nums(F.pad(src, [2, 2, 2, 2], { mode: 'reflect' })));
    const zero = new data.DataLoader(ds, { batchSize: 6, seed: 1, augment: { crop: { size: 10, padding: 2 } } });
    const [z] = [...zero];
    expect(nums(z.x)).toEqual(nums(F.pad(src, [2, 2, 2, 2])));
  });

  for (const p of [0.5, 0.2]) {
    it(`flip with probability ${p}: flipped samples equal x.flip(3), the rate is within the binomial bound`, () => {
      const n = 3000;
      const ds = images(n, 1, 2, 3, 5);
      const l = new data.DataLoader(ds, { batchSize: 500, shuffle: true, seed: 8, augment: { flip: p } });
      let flipped = 0;
      l.forEach((b) => {
        const src = ds.images.indexSelect(0, b.index).to('float32').div(255);
        const isSame = b.x.eq(src).flatten(1).all({ dim: 1 });
        const isFlip = b.x.eq(src.flip(3)).flatten(1).all({ dim: 1 });
        // every sample is either the original or its mirror (rows whose mirror is itself count as kept)
        expect(nums(isSame.logicalOr(isFlip)).every((v) => v === 1)).toBe(true);
        flipped += nums(isFlip.logicalAnd(isSame.logicalNot())).reduce((a, v) => a + v, 0);
      });
      const sd = Math.sqrt(n * p * (1 - p));
      expect(Math.abs(flipped - n * p)).toBeLessThanOrEqual(5 * sd);
    });
  }

  it('views: K independently augmented views of the same samples', () => {
    const ds = images(16, 1, 4, 4, 9);
    const l = new data.DataLoader(ds, { batchSize: 16, shuffle: true, seed: 1, views: 3, augment: { crop: { size: 4, padding: 2 }, flip: true } });
    const padded = torch.keep(F.pad(ds.images.to('float32').div(255), [2, 2, 2, 2]));
    l.forEach((b) => {
      expect(b.views).toHaveLength(3);
      expect(b.views![0]).toBe(b.x);
      const idx = nums(b.index);
      const per = b.views!.map((v) => {
        const x = nums(v);
        return idx.map((i, k) => identify(x.slice(k * 16, (k + 1) * 16), padded, i, 4, 4));
      });
      // independent draws: the views differ in most samples
      const differ = idx.filter((_, k) => JSON.stringify(per[0][k]) !== JSON.stringify(per[1][k])).length;
      expect(differ).toBeGreaterThan(8);
    });
  });

  it.skipIf(!cudaOk)('works on CUDA: identical batches to CPU with the same seed (skipped without CUDA)', () => {
    const ds = images(40, 3, 8, 8, 4);
    const opts = { batchSize: 16, shuffle: true, seed: 6, normalize: { mean: [0.5, 0.4, 0.3], std: [0.2, 0.2, 0.2] } };
    for (const augment of [{ crop: { size: 8, padding: 2, mode: 'reflect' as const }, flip: true }, { crop: { size: 6, padding: 1 } }]) {
      const cpu = new data.DataLoader(ds, { ...opts, augment });
      const gpu = new data.DataLoader(ds, { ...opts, augment, device: 'cuda' });
      const a = epoch(cpu);
      const bx: number[][] = [];
      gpu.forEach((b) => {
        expect(b.x.device).toMatch(/^cuda/);
        expect(b.y.device).toMatch(/^cuda/);
        bx.push(nums(b.x.cpu()));
      });
      expect(bx.length).toBe(a.x.length);
      bx.forEach((x, k) => x.forEach((v, j) => expect(Math.abs(v - a.x[k][j])).toBeLessThan(1e-6)));
    }
  });
});
