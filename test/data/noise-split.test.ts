// Label noise (exact rates), validation splits and semi-supervised splits.
import { describe, it, expect } from 'vitest';
import { torch, data } from '../../lib/index.js';

const nums = (t: torch.Tensor) => Array.from(t.toArray() as ArrayLike<number | bigint>, Number);
/** n labels, class c has sizes[c] members, interleaved. */
function labelsOf(sizes: number[]): torch.Tensor {
  const out: number[] = [];
  const left = [...sizes];
  while (left.some((v) => v > 0)) left.forEach((v, c) => v > 0 && (out.push(c), left[c]--));
  return torch.keep(torch.tensor(BigInt64Array.from(out, BigInt)));
}
function ds(sizes: number[]): data.Dataset {
  const labels = labelsOf(sizes);
  const n = labels.shape[0];
  return {
    images: torch.keep(
      torch
        .arange(n * 2)
        .view([n, 2])
        .to('float32'),
    ),
    labels,
    classes: sizes.map((_, c) => `c${c}`),
  };
}

describe('corruptLabels', () => {
  const clean = labelsOf(new Array(10).fill(100)); // 1000 labels, 10 classes
  const c = nums(clean);

  it('symmetric + excludeTrue: exactly round(p·N) labels change, all to another class', () => {
    for (const p of [0, 0.2, 0.333, 0.8, 1]) {
      const r = data.corruptLabels(clean, { fraction: p, excludeTrue: true, seed: 1 });
      const y = nums(r.labels);
      const changed = y.filter((v, i) => v !== c[i]).length;
      expect(changed).toBe(Math.round(p * 1000));
      expect(r.rate).toBe(changed / 1000);
      expect(nums(r.clean)).toEqual(c);
      expect(nums(r.noisy)).toEqual(y.map((v, i) => (v !== c[i] ? 1 : 0)));
      expect(y.every((v) => v >= 0 && v < 10)).toBe(true);
    }
  });

  it('symmetric without excludeTrue: round(p·N) labels resampled uniformly, about 1/K keep their class', () => {
    const r = data.corruptLabels(clean, { fraction: 0.5, seed: 2 });
    const changed = nums(r.labels).filter((v, i) => v !== c[i]).length;
    // 500 resampled, each keeps its class with probability 1/10: changed ~ 500 − Bin(500, 0.1)
    expect(Math.abs(changed - 450)).toBeLessThanOrEqual(5 * Math.sqrt(500 * 0.1 * 0.9));
    expect(r.rate).toBe(changed / 1000);
    // the new classes are spread over all 10
    expect(new Set(nums(r.labels).filter((v, i) => v !== c[i])).size).toBe(10);
  });

  it('asymmetric (CIFAR-10 map): only the mapped pairs change, round(p·n_c) per source class', () => {
    const r = data.corruptLabels(clean, { fraction: 0.4, mode: 'asymmetric', seed: 3 });
    const y = nums(r.labels);
    const moved: Record<string, number> = {};
    y.forEach((v, i) => {
      if (v !== c[i]) moved[`${c[i]}→${v}`] = (moved[`${c[i]}→${v}`] ?? 0) + 1;
    });
    expect(moved).toEqual({ '9→1': 40, '2→0': 40, '4→7': 40, '3→5': 40, '5→3': 40 });
    expect(r.rate).toBe(200 / 1000);
    const custom = data.corruptLabels(clean, { fraction: 0.25, mode: 'asymmetric', mapping: { 0: 1 }, seed: 3 });
    expect(nums(custom.labels).filter((v, i) => v !== c[i]).length).toBe(25);
  });

  it('asymmetric (Fashion-MNIST map): the three most-confused pairs swap round(p·n_c) each way, class sizes unchanged', () => {
    const r = data.corruptLabels(clean, { fraction: 0.3, mode: 'asymmetric', mapping: data.FASHION_MNIST_ASYMMETRIC_MAP, seed: 4 });
    const y = nums(r.labels);
    const moved: Record<string, number> = {};
    y.forEach((v, i) => {
      if (v !== c[i]) moved[`${c[i]}→${v}`] = (moved[`${c[i]}→${v}`] ?? 0) + 1;
    });
    // T-shirt/top↔Shirt, Pullover↔Coat, Sneaker↔Ankle boot; 100 per class here
    expect(moved).toEqual({ '0→6': 30, '6→0': 30, '2→4': 30, '4→2': 30, '7→9': 30, '9→7': 30 });
    expect(r.rate).toBe(180 / 1000);
    const hist = (a: number[]) => a.reduce((h, v) => ((h[v] = (h[v] ?? 0) + 1), h), {} as Record<number, number>);
    expect(hist(y)).toEqual(hist(c));
    expect([0, 6, 2, 4, 7, 9].map((k) => data.FASHION_MNIST_CLASSES[k])).toEqual(['T-shirt/top', 'Shirt', 'Pullover', 'Coat', 'Sneaker', 'Ankle boot']);
  });

  it('seeded: same seed same labels, different seed different', () => {
    const a = nums(data.corruptLabels(clean, { fraction: 0.3, seed: 5 }).labels);
    expect(nums(data.corruptLabels(clean, { fraction: 0.3, seed: 5 }).labels)).toEqual(a);
    expect(nums(data.corruptLabels(clean, { fraction: 0.3, seed: 6 }).labels)).not.toEqual(a);
  });

  it('bad options', () => {
    expect(() => data.corruptLabels(clean, { fraction: 1.5 })).toThrow(/fraction must be in \[0, 1\]/);
    expect(() => data.corruptLabels(clean, { fraction: 0.1, mode: 'pairwise' as 'symmetric' })).toThrow(/mode must be 'symmetric' or 'asymmetric'/);
    expect(() => data.corruptLabels(clean, { fraction: 0.1, mode: 'asymmetric', mapping: { 3: 3 } })).toThrow(/mapping 3→3/);
    expect(() => data.corruptLabels(clean, { fraction: 0.1, mode: 'asymmetric', mapping: { 3: 12 } })).toThrow(/mapping 3→12/);
    expect(() => data.corruptLabels(clean, { fraction: 0.1, numClasses: 5 })).toThrow(/numClasses must be an integer > every label \(largest 9\)/);
    expect(() => data.corruptLabels(clean.to('float32'), { fraction: 0.1 })).toThrow(/labels must be a 1-D int64 tensor/);
  });
});

describe('trainValSplit', () => {
  const d = ds([300, 200, 100]);
  it('holds out valSize samples, disjoint, covering everything; seeded', () => {
    const { train, val } = data.trainValSplit(d, { valSize: 60, seed: 1 });
    expect(val.images.shape).toEqual([60, 2]);
    expect(train.images.shape).toEqual([540, 2]);
    const all = [...train.indices, ...val.indices].sort((a, b) => a - b);
    expect(all).toEqual([...Array(600).keys()]);
    // rows and labels follow the indices
    expect(nums(val.images).filter((_, k) => k % 2 === 0)).toEqual([...val.indices].map((i) => 2 * i));
    expect(nums(val.labels)).toEqual([...val.indices].map((i) => nums(d.labels)[i]));
    expect([...data.trainValSplit(d, { valSize: 60, seed: 1 }).val.indices]).toEqual([...val.indices]);
    expect([...data.trainValSplit(d, { valSize: 60, seed: 2 }).val.indices]).not.toEqual([...val.indices]);
    expect(data.trainValSplit(d, { valFraction: 0.1, seed: 1 }).val.indices.length).toBe(60);
  });
  it('stratified: every class in proportion (exact total)', () => {
    const { val } = data.trainValSplit(d, { valFraction: 0.1, seed: 4, stratified: true });
    const per = [0, 0, 0];
    for (const v of nums(val.labels)) per[v]++;
    expect(per).toEqual([30, 20, 10]);
    const odd = data.trainValSplit(d, { valSize: 7, seed: 4, stratified: true }).val;
    const p2 = [0, 0, 0];
    for (const v of nums(odd.labels)) p2[v]++;
    expect(p2).toEqual([4, 2, 1]); // 3.5, 2.33, 1.17 → largest remainders
  });
  it('bad options', () => {
    expect(() => data.trainValSplit(d, { seed: 1 })).toThrow(/exactly one of valFraction, valSize/);
    expect(() => data.trainValSplit(d, { valFraction: 1.2 })).toThrow(/valFraction must be in \(0, 1\)/);
    expect(() => data.trainValSplit(d, { valSize: 600 })).toThrow(/between 1 and 599 samples/);
  });
});

describe('sslSplit', () => {
  const d = ds([50, 40, 30]);
  it('labelsPerClass of every class labeled, balanced and disjoint from the unlabeled rest', () => {
    const { labeled, unlabeled } = data.sslSplit(d, { labelsPerClass: 4, seed: 1 });
    const per = [0, 0, 0];
    for (const v of nums(labeled.labels)) per[v]++;
    expect(per).toEqual([4, 4, 4]);
    const L = new Set(labeled.indices);
    expect([...unlabeled.indices].some((i) => L.has(i))).toBe(false);
    expect(labeled.indices.length + unlabeled.indices.length).toBe(120);
    expect(unlabeled.images.shape).toEqual([108, 2]);
    expect([...data.sslSplit(d, { labelsPerClass: 4, seed: 1 }).labeled.indices]).toEqual([...labeled.indices]);
    expect([...data.sslSplit(d, { labelsPerClass: 4, seed: 2 }).labeled.indices]).not.toEqual([...labeled.indices]);
  });
  it('an unlabeled loader with K augmented views', () => {
    const img = { images: torch.keep(torch.randint(0, 255, [30, 1, 6, 6], { dtype: 'uint8' })), labels: labelsOf([10, 10, 10]), classes: ['a', 'b', 'c'] };
    const { unlabeled } = data.sslSplit(img, { labelsPerClass: 2, seed: 1 });
    const l = new data.DataLoader(unlabeled, { batchSize: 8, shuffle: true, seed: 1, views: 2, augment: { crop: { size: 6, padding: 1 }, flip: true } });
    let n = 0;
    l.forEach((b) => {
      expect(b.views).toHaveLength(2);
      expect(b.views![1].shape).toEqual(b.x.shape);
      n += b.x.shape[0];
    });
    expect(n).toBe(24);
  });
  it('bad options', () => {
    expect(() => data.sslSplit(d, { labelsPerClass: 31 })).toThrow(/class 2 \(c2\) has 30 samples, fewer than labelsPerClass 31/);
    expect(() => data.sslSplit(d, { labelsPerClass: 0 })).toThrow(/labelsPerClass must be a positive integer/);
  });
});
