// Augmentation for semi-supervised training: the references' random translation with reflect
// padding (+ flip) as a same-size crop, and Gaussian jitter for 2-D toy sets. Expected values are
// hand-computed or replayed from the loader's documented draws (lib/data/rng.ts, augment.ts).
import { describe, it, expect } from 'vitest';
import { torch, data } from '../../lib/index.js';
type Tensor = torch.Tensor;

const cudaOk = torch.cuda.isAvailable();
const nums = (t: Tensor) => Array.from(t.toArray() as ArrayLike<number | bigint>, Number);

/** One 1×1×4×5 image with pixel values 0..19 (row-major), as uint8. */
function ramp(n = 1): data.Dataset {
  const px = Uint8Array.from({ length: n * 20 }, (_, i) => (i % 20) + 10 * Math.floor(i / 20));
  return { images: torch.keep(torch.tensor(px, { shape: [n, 1, 4, 5] })), labels: torch.keep(torch.tensor(new BigInt64Array(n))), classes: ['a', 'b'] };
}
/** Reflect without repeating the edge (numpy/TF 'REFLECT', F.pad 'reflect'). */
const refl = (u: number, n: number) => (u < 0 ? -u : u >= n ? 2 * (n - 1) - u : u);

describe('translation with reflect padding (MixMatch augment_shift, ICT RandomTranslateWithReflect)', () => {
  it('crop.size defaults to the image size; a fixed draw gives the exact shifted image', () => {
    // 4 translations of the 4×5 ramp image by (dy, dx), written out by hand.
    const img = [
      [0, 1, 2, 3, 4],
      [5, 6, 7, 8, 9],
      [10, 11, 12, 13, 14],
      [15, 16, 17, 18, 19],
    ];
    const expected: Record<string, number[][]> = {
      // shifted down 1 and right 2: row −1 reflects to row 1, columns −2, −1 to 2, 1
      '1,2': [
        [7, 6, 5, 6, 7],
        [2, 1, 0, 1, 2],
        [7, 6, 5, 6, 7],
        [12, 11, 10, 11, 12],
      ],
      // shifted up 2 and left 1: rows 4, 5 reflect to 2, 1; column 5 to 3
      '-2,-1': [
        [11, 12, 13, 14, 13],
        [16, 17, 18, 19, 18],
        [11, 12, 13, 14, 13],
        [6, 7, 8, 9, 8],
      ],
    };
    for (const [key, want] of Object.entries(expected)) {
      const [dy, dx] = key.split(',').map(Number);
      const got = img.map((row, i) => row.map((_, j) => img[refl(i - dy, 4)][refl(j - dx, 5)]));
      expect(got, `the reflect rule itself for ${key}`).toEqual(want);
    }
    // The loader: find a seed whose first draw for sample 0 is each wanted translation, then check
    // the batch pixel for pixel. Offsets oy, ox ∈ [0, 2w] are drawn as rng.int(2w + 1) twice
    // (crop origin in the padded image): translation (dy, dx) = (w − oy, w − ox).
    const ds = ramp();
    const w = 2;
    for (const [key, want] of Object.entries(expected)) {
      const [dy, dx] = key.split(',').map(Number);
      let seed = 0;
      for (; ; seed++) {
        const rng = new data.Rng(seed, 0);
        if (rng.int(2 * w + 1) === w - dy && rng.int(2 * w + 1) === w - dx) break;
      }
      const l = new data.DataLoader(ds, { batchSize: 1, seed, augment: { crop: { padding: w, mode: 'reflect' } } });
      l.forEach((b) => {
        expect(b.x.shape).toEqual([1, 1, 4, 5]);
        expect(nums(b.x.mul(255).round())).toEqual(want.flat());
      });
      l.dispose();
    }
  });

  it('over many draws: every translation in [−w, w]² and both flips occur, about uniformly', () => {
    const n = 1800;
    const ds = ramp(1);
    const big = {
      images: torch.keep(ds.images.expand([n, 1, 4, 5]).contiguous()),
      labels: torch.keep(torch.zeros([n], { dtype: 'int64' })),
      classes: ds.classes,
    };
    const w = 1;
    const l = new data.DataLoader(big, { batchSize: n, shuffle: true, seed: 3, augment: { crop: { padding: w, mode: 'reflect' }, flip: true } });
    const img = Array.from({ length: 4 }, (_, i) => Array.from({ length: 5 }, (_, j) => 5 * i + j));
    const variants = new Map<string, string>();
    for (let dy = -w; dy <= w; dy++)
      for (let dx = -w; dx <= w; dx++)
        for (const f of [false, true]) {
          const t = img.map((row, i) => row.map((_, j) => img[refl(i - dy, 4)][refl((f ? 4 - j : j) - dx, 5)]));
          variants.set(t.flat().join(','), `${dy},${dx},${f}`);
        }
    const counts = new Map<string, number>();
    l.forEach((b) => {
      const x = nums(b.x.mul(255).round());
      for (let k = 0; k < n; k++) {
        const v = variants.get(x.slice(20 * k, 20 * k + 20).join(','));
        expect(v, `sample ${k} is a reflect translation (+ flip) of the image`).toBeDefined();
        counts.set(v!, (counts.get(v!) ?? 0) + 1);
      }
    });
    // (2w+1)² translations × 2 flips = 18 outcomes, 100 expected each (σ ≈ 9.7)
    expect(counts.size).toBe(18);
    for (const c of counts.values()) expect(Math.abs(c - 100)).toBeLessThan(45);
  });
});

describe('Gaussian jitter for feature vectors (augment.jitter)', () => {
  const points = (n: number, seed = 1) => data.moons({ n, noise: 0.1, seed });

  it("a fixed draw: x + fround(σ·ε) with ε the loader Rng's normals in epoch order (views, then samples, then coordinates)", () => {
    const ds = points(10);
    const sigma = 0.25;
    const l = new data.DataLoader(ds, { batchSize: 4, seed: 11, views: 2, augment: { jitter: sigma } });
    const x = nums(ds.images);
    // Replay: no shuffle, so the epoch's Rng(seed, epoch) draws only the jitter.
    for (const ep of [0, 1]) {
      const rng = new data.Rng(11, ep);
      const eps = Array.from({ length: 2 * 10 * 2 }, () => Math.fround(sigma * rng.normal()));
      l.forEach((b, i) => {
        expect(b.views).toHaveLength(2);
        expect(b.views![0]).toBe(b.x);
        const rows = nums(b.index);
        b.views!.forEach((v, view) => {
          const got = nums(v);
          rows.forEach((r, k) =>
            [0, 1].forEach((c) => expect(got[2 * k + c], `epoch ${ep} batch ${i} view ${view}`).toBe(Math.fround(x[2 * r + c] + eps[view * 20 + 2 * r + c]))),
          );
        });
      });
    }
    l.dispose();
  });

  it('mean 0 and standard deviation σ per coordinate; views independent; epochs replay with setEpoch', () => {
    const n = 20000;
    const ds = points(n, 2);
    const sigma = 0.3;
    const l = new data.DataLoader(ds, { batchSize: n, shuffle: true, seed: 5, views: 2, augment: { jitter: sigma } });
    const first: number[][] = [];
    l.forEach((b) => {
      const src = ds.images.indexSelect(0, b.index);
      const [e0, e1] = b.views!.map((v) => v.sub(src));
      for (const c of [0, 1]) {
        const a = e0.select(1, c);
        const m = a.mean().item() as number;
        const sd = a.std().item() as number;
        expect(Math.abs(m)).toBeLessThan((4 * sigma) / Math.sqrt(n));
        expect(Math.abs(sd / sigma - 1)).toBeLessThan(0.03);
      }
      // the two views' noise is uncorrelated (|r| < 4/√(2n)) and the coordinates too
      const r = (u: Tensor, v: Tensor) =>
        (u.sub(u.mean()).mul(v.sub(v.mean())).mean().item() as number) / ((u.std().item() as number) * (v.std().item() as number));
      expect(Math.abs(r(e0.flatten(), e1.flatten()))).toBeLessThan(4 / Math.sqrt(2 * n));
      expect(Math.abs(r(e0.select(1, 0), e0.select(1, 1)))).toBeLessThan(4 / Math.sqrt(n));
      first.push(nums(b.x));
    });
    const second: number[][] = [];
    l.forEach((b) => void second.push(nums(b.x)));
    expect(second[0]).not.toEqual(first[0]);
    l.setEpoch(0);
    l.forEach((b) => expect(nums(b.x)).toEqual(first[0]));
    l.dispose();
  });

  it('bad jitter options name the option', () => {
    const pts = points(8);
    const img = ramp(2);
    expect(() => new data.DataLoader(pts, { augment: { jitter: -1 } })).toThrow(/augment: jitter must be a finite number ≥ 0/);
    expect(() => new data.DataLoader(pts, { augment: { jitter: Number.NaN } })).toThrow(/augment: jitter must be a finite number/);
    expect(() => new data.DataLoader(img, { augment: { jitter: 0.1 } })).toThrow(/jitter needs N×D feature vectors, got shape \[2, 1, 4, 5\]/);
    expect(() => new data.DataLoader(img, { augment: { jitter: 0.1, flip: true } })).toThrow(/not both/);
    expect(() => new data.DataLoader(pts, { views: 2, augment: { jitter: 0 } })).toThrow(/views > 1 needs augment/);
    // jitter 0 is off: the batches are the points themselves
    const l = new data.DataLoader(pts, { batchSize: 8, augment: { jitter: 0 } });
    l.forEach((b) => expect(nums(b.x)).toEqual(nums(pts.images)));
  });

  it.skipIf(!cudaOk)('CUDA: the same jittered batches as on the CPU (skipped: no CUDA device here)', () => {
    const ds = points(64, 3);
    const opts = { batchSize: 16, shuffle: true, seed: 4, views: 2, augment: { jitter: 0.2 } };
    const cpu: number[][] = [];
    new data.DataLoader(ds, opts).forEach((b) => void cpu.push(...b.views!.map(nums)));
    const gpu: number[][] = [];
    new data.DataLoader(ds, { ...opts, device: 'cuda' }).forEach((b) => {
      expect(b.x.device).toMatch(/^cuda/);
      gpu.push(...b.views!.map((v) => nums(v.cpu())));
    });
    gpu.forEach((x, k) => x.forEach((v, j) => expect(Math.abs(v - cpu[k][j])).toBeLessThan(1e-6)));
  });
});
