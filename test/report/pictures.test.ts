// The report's pictures: the PNG encoder (bytes inflate back to the pixels, CRCs as zlib's), the
// reliability bins (a hand computation, and the very ECE evaluateModel reports), the mixed batch
// (CutMix boxes at the MixResult's coordinates, manifold stages by name, toy points as the convex
// combinations), and that drawing it leaves the run alone (RNG, loader epoch, batch-norm buffers,
// and a whole Trainer run bit-identical with and without a picture after every epoch).
import { describe, it, expect } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { torch, nn, data, mixup, optim } from '../../lib/index.js';
import { Trainer } from '../../lib/train/index.js';
import { evaluateModel, ece as eceOf } from '../../lib/train/metrics.js';
import { mixer, type MixOptions } from '../../lib/nn/models/mixing.js';
import { encodePng, crc32 } from '../../lib/report/png.js';
import { reliabilityOf, reliabilityOfModel, writeReliability, RELIABILITY_FILE } from '../../lib/report/reliability.js';
import { drawMixedBatch, mixedBatchHtml, writeMixedBatch, blendColor, MIXED_BATCH_FILE, type MixedBatch } from '../../lib/report/batch-grid.js';
import { writeReport } from '../../lib/report/index.js';
import { cli, tmp } from '../helpers/cli.js';

type Tensor = torch.Tensor;

/** PNG bytes → { width, height, colorType, rows of unfiltered bytes }, checking every chunk's CRC with zlib's. */
function decodePng(png: Buffer) {
  expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const chunks: { type: string; body: Buffer }[] = [];
  for (let o = 8; o < png.length;) {
    const len = png.readUInt32BE(o);
    const type = png.toString('ascii', o + 4, o + 8);
    const body = png.subarray(o + 8, o + 8 + len);
    expect(png.readUInt32BE(o + 8 + len)).toBe(zlib.crc32(png.subarray(o + 4, o + 8 + len)));
    chunks.push({ type, body });
    o += 12 + len;
  }
  expect(chunks.map((c) => c.type)).toEqual(['IHDR', 'IDAT', 'IEND']);
  const h = chunks[0].body;
  const [width, height, depth, colorType] = [h.readUInt32BE(0), h.readUInt32BE(4), h[8], h[9]];
  const ch = { 0: 1, 2: 3, 6: 4 }[colorType]!;
  const raw = zlib.inflateSync(chunks[1].body);
  expect(raw.length).toBe(height * (width * ch + 1));
  const pixels = new Uint8Array(width * height * ch);
  for (let y = 0; y < height; y++) {
    expect(raw[y * (width * ch + 1)]).toBe(0); // filter None
    pixels.set(raw.subarray(y * (width * ch + 1) + 1, (y + 1) * (width * ch + 1)), y * width * ch);
  }
  return { width, height, depth, colorType, pixels };
}
const pngOf = (b64: string) => decodePng(Buffer.from(b64, 'base64'));

describe('encodePng', () => {
  it('RGB and grayscale bytes inflate back to the pixels; CRC-32 equals zlib.crc32', () => {
    const rgb = Uint8Array.from({ length: 3 * 2 * 3 }, (_, i) => (i * 37 + 5) % 256);
    const d = decodePng(encodePng(3, 2, 3, rgb));
    expect(d).toMatchObject({ width: 3, height: 2, depth: 8, colorType: 2 });
    expect([...d.pixels]).toEqual([...rgb]);
    const gray = Uint8Array.from({ length: 5 * 4 }, (_, i) => 255 - i * 11);
    const g = decodePng(encodePng(5, 4, 1, gray));
    expect(g).toMatchObject({ width: 5, height: 4, colorType: 0 });
    expect([...g.pixels]).toEqual([...gray]);
    const bytes = Buffer.from('IEND and some text');
    expect(crc32(bytes)).toBe(zlib.crc32(bytes));
  });
  it('rejects a pixel buffer of the wrong size and bad channel counts, naming the argument', () => {
    expect(() => encodePng(2, 2, 3, new Uint8Array(11))).toThrow(/pixels must be a Uint8Array of 2×2×3 = 12 bytes, got 11/);
    expect(() => encodePng(2, 2, 2 as 3, new Uint8Array(8))).toThrow(torch.TorchValueError);
    expect(() => encodePng(0, 2, 1, new Uint8Array(0))).toThrow(/width and height must be positive integers/);
  });
});

describe('reliability bins', () => {
  it('equal a hand computation (15 bins, b = ceil(15·conf) − 1) and the ECE', () => {
    // confidences .5 (right), .9 (wrong), .95 (right), .34 (wrong), 1.0 (right), .52 (wrong)
    const probs = torch.tensor(new Float32Array([0.5, 0.3, 0.2, 0.1, 0.9, 0, 0.05, 0.95, 0, 0.34, 0.33, 0.33, 0, 0, 1, 0.52, 0.48, 0]), { shape: [6, 3] });
    const labels = torch.tensor(new BigInt64Array([0n, 2n, 1n, 1n, 2n, 1n]));
    const r = reliabilityOf(probs, labels);
    expect(r.bins).toHaveLength(15);
    const used = r.bins.map((b, i) => [i, b] as const).filter(([, b]) => b.count > 0);
    expect(used.map(([i, b]) => [i, b.count])).toEqual([
      [5, 1],
      [7, 2],
      [13, 1],
      [14, 2],
    ]);
    const want: Record<number, [number, number]> = { 5: [0.34, 0], 7: [0.51, 0.5], 13: [0.9, 0], 14: [0.975, 1] };
    for (const [i, b] of used) {
      expect(b.conf).toBeCloseTo(want[i][0], 6);
      expect(b.acc).toBeCloseTo(want[i][1], 12);
      expect(b.lo).toBeCloseTo(i / 15, 12);
      expect(b.hi).toBeCloseTo((i + 1) / 15, 12);
    }
    expect(r.bins[0]).toMatchObject({ count: 0, conf: null, acc: null });
    expect(r.n).toBe(6);
    expect(r.acc).toBeCloseTo(0.5, 12);
    expect(r.ece).toBeCloseTo((0.34 + 2 * 0.01 + 0.9 + 2 * 0.025) / 6, 6);
    expect(r.ece).toBeCloseTo(eceOf(probs, labels), 6);
  });
  it('over a loader: exactly evaluateModel’s ECE and accuracy; the model’s mode is restored', () => {
    torch.manualSeed(1);
    const ds = data.load('moons', { n: 300, noise: 0.3, seed: 1 });
    const loader = new data.DataLoader(ds, { batchSize: 64 });
    const model = nn.models.mlp([2, 16, 2]);
    model.train();
    const r = reliabilityOfModel(model, loader, { model: 'final', split: 'test' });
    const ev = evaluateModel(model, loader);
    expect(model.training).toBe(true);
    expect(r.ece).toBe(ev.ece);
    expect(r.acc).toBeCloseTo(ev.acc, 12);
    expect(r.n).toBe(300);
    expect(r.bins.reduce((a, b) => a + b.count, 0)).toBe(300);
    expect(() => reliabilityOfModel(model, loader, { nBins: 0 })).toThrow(/nBins must be a positive integer/);
    loader.dispose();
  });
});

/** A loader over N 1×H×W uint8 images, image i filled with the value 40·i + 20 (no shuffle). */
function constantImages(n: number, h: number, w: number, normalize?: { mean: number; std: number }) {
  const px = new Uint8Array(n * h * w);
  for (let i = 0; i < n; i++) px.fill(40 * i + 20, i * h * w, (i + 1) * h * w);
  const ds = {
    images: torch.tensor(px, { shape: [n, 1, h, w] }),
    labels: torch.tensor(BigInt64Array.from({ length: n }, (_, i) => BigInt(i % 3))),
    classes: ['zero', 'one', 'two'],
  };
  return { ds, loader: new data.DataLoader(ds, { batchSize: n, ...(normalize ? { normalize } : {}) }) };
}
const valueAt = (png: ReturnType<typeof pngOf>, y: number, x: number) => png.pixels[y * png.width + x];

describe('drawMixedBatch: images', () => {
  it('CutMix: each tile holds the pasted box at the MixResult’s coordinates, outlined there in the HTML', async () => {
    const { loader } = constantImages(6, 10, 12);
    const model = nn.models.mlp([120, 3]); // made before seeding: its init draws from the generator
    for (const mode of ['batch', 'elem'] as const) {
      const method = mixup.cutmix({ alpha: 1, mode });
      // The same draw the picture makes: the first batch, on the CPU, from the same generator state.
      torch.manualSeed(7);
      const want = torch.tidy(() => {
        const b = [...loader][0];
        const r = method.apply({ x: b.x, y: b.y, numClasses: 3, epoch: 0, totalEpochs: 1 });
        return { box: r.box!.tolist() as number[] | number[][], partner: r.partner.tolist() as number[], lam: r.lam.tolist() as number | number[] };
      });
      torch.manualSeed(7);
      loader.setEpoch(1);
      const mb = drawMixedBatch({ method, model, loader, numClasses: 3, classes: ['zero', 'one', 'two'], n: 4 });
      expect(mb.kind).toBe('images');
      expect(mb.tiles).toHaveLength(4);
      expect(mb.image).toEqual({ channels: 1, height: 10, width: 12 });
      const html = await mixedBatchHtml(mb);
      const rects = [...html.matchAll(/<rect class="cutmix-box" x="(\d+)" y="(\d+)" width="(\d+)" height="(\d+)"/g)].map((m) => m.slice(1).map(Number));
      mb.tiles!.forEach((t, i) => {
        const box = (mode === 'batch' ? want.box : (want.box as number[][])[i]) as number[];
        expect(t.partner).toBe(want.partner[i]);
        expect(t.lam).toBeCloseTo(mode === 'batch' ? (want.lam as number) : (want.lam as number[])[i], 6);
        const png = pngOf(t.png!);
        const [yl, yh, xl, xh] = box;
        if (yh > yl && xh > xl) {
          expect(t.box).toEqual(box);
          // inside: the partner's pixel value; outside: its own
          expect(valueAt(png, yl, xl)).toBe(40 * t.partner + 20);
          expect(valueAt(png, yh - 1, xh - 1)).toBe(40 * t.partner + 20);
          if (yl > 0) expect(valueAt(png, yl - 1, xl)).toBe(40 * i + 20);
        } else expect(t.box).toBeUndefined();
      });
      const drawn = mb.tiles!.filter((t) => t.box).map((t) => [t.box![2], t.box![0], t.box![3] - t.box![2], t.box![1] - t.box![0]]);
      expect(rects).toEqual(drawn);
      expect(rects.length).toBeGreaterThan(0);
      expect(loader.epoch).toBe(1); // restored
      expect((html.match(/<image href="data:image\/png;base64,/g) ?? []).length).toBe(4);
    }
    loader.dispose();
  });
  it('mixup: the de-normalised pictures are λ·x + (1−λ)·x[partner]; soft labels name the two classes', async () => {
    const { loader } = constantImages(4, 4, 4, { mean: 0.5, std: 0.25 });
    const method = mixup.input({ alpha: 1, sample: { lam: 0.75, partner: [1, 0, 3, 2] } });
    const mb = drawMixedBatch({
      method,
      model: nn.models.mlp([16, 3]),
      loader,
      numClasses: 3,
      classes: ['zero', 'one', 'two'],
      normalize: { mean: 0.5, std: 0.25 },
    });
    // normalised x = (v/255 − 0.5)/0.25, undone before the PNG: the mixed values themselves
    expect(mb.tiles!.map((t) => valueAt(pngOf(t.png!), 0, 0))).toEqual(
      [0, 1, 2, 3].map((i) => Math.round(0.75 * (40 * i + 20) + 0.25 * (40 * [1, 0, 3, 2][i] + 20))),
    );
    expect(mb.tiles![0].soft).toEqual([
      { cls: 'zero', w: 0.75 },
      { cls: 'one', w: 0.25 },
    ]);
    expect(mb.tiles![3].soft).toEqual([
      { cls: 'zero', w: 0.75 },
      { cls: 'two', w: 0.25 },
    ]); // sample 3 is class 0, its partner 2 class 2
    const html = await mixedBatchHtml(mb);
    expect(html).toContain('<span class="w">0.75</span> zero<br><span class="w">0.25</span> one');
    expect(html).not.toContain('cutmix-box');
    loader.dispose();
  });
});

/** A tiny Mixable with batch norm and dropout: input → fc+bn → hidden1 → head. */
class BNNet extends nn.Module {
  readonly stages = ['input', 'hidden1'] as const;
  declare fc: nn.Linear;
  declare bn: nn.BatchNorm1d;
  declare drop: nn.Dropout;
  declare head: nn.Linear;
  constructor() {
    super();
    this.registerModule('fc', new nn.Linear(16, 8));
    this.registerModule('bn', new nn.BatchNorm1d(8));
    this.registerModule('drop', new nn.Dropout(0.5));
    this.registerModule('head', new nn.Linear(8, 3));
  }
  forward(x: Tensor, opts?: MixOptions): Tensor {
    const at = mixer(this.stages, opts, 'BNNet');
    const h = at(0, x.flatten(1));
    return this.head.forward(this.drop.forward(at(1, this.bn.forward(this.fc.forward(h)).relu())));
  }
}

describe('drawMixedBatch: manifold mixup and methods without apply()', () => {
  it('names the stage mixed; past the input it shows the unmixed inputs; batch-norm buffers and the mode are untouched', async () => {
    const { loader } = constantImages(4, 4, 4);
    const model = new BNNet();
    model.train();
    const before = Object.fromEntries(Object.entries(model.stateDict()).map(([k, v]) => [k, Array.from(v.toArray() as Float32Array)]));
    const mb = drawMixedBatch({
      method: mixup.manifold({ alpha: 2, layers: [1], sample: { lam: 0.6, partner: [3, 2, 1, 0] } }),
      model,
      loader,
      numClasses: 3,
      classes: ['zero', 'one', 'two'],
    });
    expect(mb.stage).toEqual({ index: 1, name: 'hidden1' });
    expect(mb.tiles!.map((t) => valueAt(pngOf(t.png!), 1, 1))).toEqual([20, 60, 100, 140]); // the inputs, unmixed
    expect(mb.tiles!.map((t) => t.lam)).toEqual([0.6, 0.6, 0.6, 0.6].map((v) => Math.fround(v)));
    expect(model.training).toBe(true);
    for (const [k, v] of Object.entries(model.stateDict())) expect(Array.from(v.toArray() as Float32Array), k).toEqual(before[k]);
    expect(await mixedBatchHtml(mb)).toContain('mixed at stage 1 <b>hidden1</b>');
    const at0 = drawMixedBatch({
      method: mixup.manifold({ alpha: 2, layers: [0], sample: { lam: 0.5, partner: [1, 0, 3, 2] } }),
      model,
      loader,
      numClasses: 3,
    });
    expect(at0.stage).toEqual({ index: 0, name: 'input' });
    expect(at0.tiles!.map((t) => valueAt(pngOf(t.png!), 0, 0))).toEqual([40, 40, 120, 120]); // mixed, as the model saw them
    loader.dispose();
  });
  it('a method that owns its step and offers no apply(): the section says the picture is not available', async () => {
    const { loader } = constantImages(4, 4, 4);
    const stepMethod = { name: 'mixmatch', trainStep: () => ({ loss: torch.zeros([]) }) };
    const mb = drawMixedBatch({ method: stepMethod, model: nn.models.mlp([16, 3]), loader, numClasses: 3 });
    expect(mb).toMatchObject({ kind: 'unavailable', method: 'mixmatch' });
    expect(await mixedBatchHtml(mb)).toMatch(/Not available for mixmatch: mixmatch owns its training step and offers no apply\(batch\)/);
    // ERM: drawn, and said to be unmixed
    const erm = drawMixedBatch({ method: mixup.none(), model: nn.models.mlp([16, 3]), loader, numClasses: 3 });
    expect(erm).toMatchObject({ kind: 'images', mixed: false });
    expect(erm.tiles!.map((t) => [t.partner, t.lam, t.soft.length])).toEqual([
      [0, 1, 1],
      [1, 1, 1],
      [2, 1, 1],
      [3, 1, 1],
    ]);
    expect(await mixedBatchHtml(erm)).toContain('none (ERM) does not mix');
    loader.dispose();
  });
});

describe('drawMixedBatch: 2-D toy sets', () => {
  it('the mixed points are the convex combinations, coloured by their soft label, over the originals', async () => {
    const ds = data.load('moons', { n: 8, noise: 0.1, seed: 3 });
    const loader = new data.DataLoader(ds, { batchSize: 8 });
    const partner = [7, 6, 5, 4, 3, 2, 1, 0];
    const mb = drawMixedBatch({
      method: mixup.input({ alpha: 1, sample: { lam: 0.7, partner } }),
      model: nn.models.mlp([2, 2]),
      loader,
      numClasses: 2,
      classes: ds.classes,
      n: 4,
    });
    expect(mb.kind).toBe('points');
    const { original, mixed } = mb.points!;
    expect(original).toHaveLength(8);
    expect(mb.tiles).toHaveLength(4);
    mixed.forEach((p, i) => {
      expect(p.x).toBeCloseTo(0.7 * original[i].x + 0.3 * original[partner[i]].x, 5);
      expect(p.y).toBeCloseTo(0.7 * original[i].y + 0.3 * original[partner[i]].y, 5);
      const w = [0, 0];
      w[original[i].cls!] += 0.7;
      w[original[partner[i]].cls!] += 0.3;
      expect(p.w![0]).toBeCloseTo(w[0], 4);
      expect(p.w![1]).toBeCloseTo(w[1], 4);
    });
    // #4c78a8 and #f58518 weighted 0.7 / 0.3
    expect(blendColor([0.7, 0.3])).toBe(
      '#' +
        [
          [0x4c, 0xf5],
          [0x78, 0x85],
          [0xa8, 0x18],
        ]
          .map(([a, b]) =>
            Math.round(0.7 * a + 0.3 * b)
              .toString(16)
              .padStart(2, '0'),
          )
          .join(''),
    );
    const html = await mixedBatchHtml(mb);
    const svg = html.match(/<svg[\s\S]*<\/svg>/)![0];
    const group = (name: string) => new RegExp(`<g class="mark-symbol role-mark ${name}_marks"[^>]*>([\\s\\S]*?)</g>`).exec(svg)![1];
    expect((group('originals').match(/<path/g) ?? []).length).toBe(8);
    expect((group('mixed').match(/<path/g) ?? []).length).toBe(8);
    expect(group('mixed')).toContain(`fill="${blendColor(mixed[0].w!)}"`);
    loader.dispose();
  });
});

describe('drawing the picture leaves the run alone', () => {
  it('LibTorch’s generator state and the loader epoch are as before (mixup, CutMix, manifold)', () => {
    const { loader } = constantImages(6, 4, 4);
    const model = new BNNet();
    const methods = [mixup.input({ alpha: 1 }), mixup.cutmix({ alpha: 1, mode: 'elem' }), mixup.manifold({ alpha: 2, layers: [0, 1] })];
    for (const method of methods) {
      torch.manualSeed(11);
      const ref = Array.from(torch.rand([8]).toArray() as Float32Array);
      torch.manualSeed(11);
      loader.setEpoch(2);
      drawMixedBatch({ method, model, loader, numClasses: 3 });
      expect(loader.epoch).toBe(2);
      expect(Array.from(torch.rand([8]).toArray() as Float32Array), method.name).toEqual(ref);
    }
    loader.dispose();
  });
  it('a Trainer run that draws a picture after every epoch has bit-identical results to one that does not', async () => {
    const run = async (picture: boolean, method: () => ReturnType<typeof mixup.input>) => {
      torch.manualSeed(5);
      const ds = data.load('moons', { n: 256, noise: 0.2, seed: 5 });
      const train = new data.DataLoader(ds, { batchSize: 32, shuffle: true, seed: 5, dropLast: true });
      const val = new data.DataLoader(ds, { batchSize: 128 });
      const model = nn.models.mlp([2, 32, 32, 2], { dropout: 0.2 });
      const m = method();
      const drawn: MixedBatch[] = [];
      const plugins = picture
        ? [{ name: 'picture', epochEnd: () => void drawn.push(drawMixedBatch({ method: m, model, loader: train, numClasses: 2, classes: ds.classes })) }]
        : [];
      const trainer = new Trainer({
        model,
        optimizer: new optim.SGD(model.parameters(), { lr: 0.1, momentum: 0.9 }),
        method: m,
        train,
        val,
        numClasses: 2,
        epochs: 3,
        progress: 'none',
        plugins,
      });
      const h = await trainer.fit();
      const weights = model.parameters().map((p) => Array.from(p.toArray() as Float32Array));
      train.dispose();
      val.dispose();
      return { epochs: h.epochs.map((e) => [e.trainLoss, e.valLoss, e.valAcc, e.valEce]), weights, drawn };
    };
    for (const method of [
      () => mixup.input({ alpha: 1 }),
      () => mixup.manifold({ alpha: 2, layers: [0, 1, 2] }) as unknown as ReturnType<typeof mixup.input>,
    ]) {
      const a = await run(false, method);
      const b = await run(true, method);
      expect(b.drawn).toHaveLength(3);
      expect(b.drawn[0].kind).toBe('points');
      expect(b.epochs).toEqual(a.epochs);
      expect(b.weights).toEqual(a.weights);
    }
  });
});

describe('report.html and `torchmix train`', () => {
  it('a moons run writes reliability.json and mixed-batch.json; `torchmix report` re-renders both from the files', async () => {
    const out = path.join(tmp('pictures'), 'moons');
    const r = await cli([
      'train',
      '--dataset',
      'moons',
      '--method',
      'mixup',
      '--epochs',
      '2',
      '--threads',
      '1',
      '--ema',
      '0.9',
      '--progress',
      'none',
      '--out',
      out,
    ]);
    expect(r.code, r.err).toBe(0);
    const rel = JSON.parse(fs.readFileSync(path.join(out, RELIABILITY_FILE), 'utf8')) as { diagrams: { model: string; ece: number; n: number }[] };
    expect(rel.diagrams.map((d) => d.model)).toEqual(['final', 'ema']);
    const res = JSON.parse(fs.readFileSync(path.join(out, 'results.json'), 'utf8')) as { history: { epochs: { valEce: number; emaValEce: number }[] } };
    const last = res.history.epochs[res.history.epochs.length - 1];
    // the test split is the evaluation split here: the diagrams' ECEs are the last epoch's
    expect(rel.diagrams[0].ece).toBeCloseTo(last.valEce, 10);
    expect(rel.diagrams[1].ece).toBeCloseTo(last.emaValEce, 10);
    expect(fs.existsSync(path.join(out, MIXED_BATCH_FILE))).toBe(true);
    fs.rmSync(path.join(out, 'report.html'));
    expect((await cli(['report', out])).code).toBe(0);
    const html = fs.readFileSync(path.join(out, 'report.html'), 'utf8');
    expect(html).not.toMatch(/<script|<link |src="http|href="http/i);
    const titles = [...html.matchAll(/<g class="mark-text role-title-text"[^>]*>[\s\S]*?<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]);
    // the reliability diagrams come right after the ECE curve
    const i = titles.indexOf('Expected calibration error per epoch');
    expect(titles.slice(i + 1, i + 3)).toEqual(['Reliability: final model (test)', 'Reliability: EMA model (test)']);
    expect(html).toContain('<h2>One training batch, mixed</h2>');
    expect(titles).toContain('One training batch mixed by mixup');
  });
  it('writeReport draws the tiles of an image run from mixed-batch.json and the bars from reliability.json', async () => {
    const dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'torchmix-pictures-')), 'run');
    fs.cpSync(path.resolve('test/fixtures/report/moons-mixup'), dir, { recursive: true });
    const { loader } = constantImages(6, 8, 8);
    writeMixedBatch(
      dir,
      drawMixedBatch({ method: mixup.cutmix({ alpha: 1, sample: { box: [1, 4, 2, 6] } }), model: nn.models.mlp([64, 3]), loader, numClasses: 3, n: 5 }),
    );
    const probs = torch.tensor(new Float32Array([0.9, 0.1, 0.3, 0.7, 0.6, 0.4]), { shape: [3, 2] });
    writeReliability(dir, [{ model: 'final', split: 'test', nBins: 15, ...reliabilityOf(probs, torch.tensor(new BigInt64Array([0n, 1n, 1n]))) }]);
    const html = fs.readFileSync(await writeReport(dir), 'utf8');
    expect((html.match(/<figure class="mix-tile">/g) ?? []).length).toBe(5);
    expect((html.match(/<rect class="cutmix-box" x="2" y="1" width="4" height="3"/g) ?? []).length).toBe(5);
    const rel = html.match(/<svg[^>]*>(?:(?!<\/svg>)[\s\S])*Reliability: final model \(test\)[\s\S]*?<\/svg>/)![0];
    // three non-empty bins (.6, .7, .9): three accuracy bars and three counts
    expect((/<g class="mark-rect role-mark reliability_accuracy_marks"[^>]*>([\s\S]*?)<\/g>/.exec(rel)![1].match(/<path/g) ?? []).length).toBe(3);
    expect(
      [.../<g class="mark-text role-mark reliability_count_marks"[^>]*>([\s\S]*?)<\/g>/.exec(rel)![1].matchAll(/>(\d+)<\/text>/g)].map((m) => m[1]),
    ).toEqual(['1', '1', '1']);
    loader.dispose();
  });
});
