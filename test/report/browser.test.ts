// report.html of real runs, rendered by a real headless Chromium with the network blocked: a moons
// run with mixup, a grayscale image run with mixup and EMA, a colour image run with CutMix (small
// synthetic datasets in the MNIST and CIFAR-10 file formats). No request may leave the page (every
// one but the page itself and data: URIs is failed and recorded), nothing may be logged as an error,
// and the pictures must be in the rendered DOM: the batch's PNGs decoded at their size, the CutMix
// boxes where mixed-batch.json puts them, one reliability bar per non-empty bin.
// Skipped, saying why, where Chromium is missing (scripts/setup.sh installs Debian's `chromium`).
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { cli, tmp } from '../helpers/cli.js';
import { Chromium, findChromium, type PageVisit } from './chromium.js';
import { writeSyntheticMnist, writeSyntheticCifar10 } from './synthetic.js';
import type { MixedBatch } from '../../lib/report/batch-grid.js';
import type { Reliability } from '../../lib/report/reliability.js';

const bin = findChromium();
if (!bin) console.warn('test/report/browser.test.ts skipped: no Chromium found (apt-get install chromium, or set CHROMIUM=/path/to/chrome)');

const root = tmp('browser');
async function train(name: string, args: string[]): Promise<string> {
  const out = path.join(root, name);
  const r = await cli(['train', ...args, '--threads', '1', '--progress', 'none', '--out', out]);
  if (r.code !== 0) throw new Error(`torchmix train ${args.join(' ')}: exit ${r.code}\n${r.err}`);
  return out;
}
const json = <T>(dir: string, file: string) => JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')) as T;

/** What every page must satisfy: no request but the page and data: URIs, nothing blocked, no errors. */
function offline(v: PageVisit, dir: string) {
  const page = new URL(`file://${path.resolve(dir, 'report.html')}`).href;
  expect(v.blocked).toEqual([]);
  expect(v.requests.filter((u) => u !== page && !u.startsWith('data:'))).toEqual([]);
  expect(v.requests[0]).toBe(page);
  expect(v.errors).toEqual([]);
}

const H2 = `[...document.querySelectorAll('h2')].map((h) => h.textContent)`;
/** Per reliability diagram in the DOM: its title and the number of accuracy bars drawn. */
const RELIABILITY = `[...document.querySelectorAll('svg')].filter((s) => /^Reliability:/.test(s.querySelector('.role-title-text text')?.textContent ?? ''))
  .map((s) => ({ title: s.querySelector('.role-title-text text').textContent, bars: s.querySelectorAll('.reliability_accuracy_marks path').length, counts: [...s.querySelectorAll('.reliability_count_marks text')].map((t) => Number(t.textContent)) }))`;
/** Every batch picture decoded by the browser: its natural size. */
const DECODED = `Promise.all([...document.querySelectorAll('.mixed-batch svg image')].map(async (im) => {
  const img = new Image(); img.src = im.getAttribute('href'); await img.decode(); return [img.naturalWidth, img.naturalHeight];
}))`;
const nonEmpty = (r: Reliability) => r.bins.filter((b) => b.count > 0);

describe.skipIf(!bin)('report.html in headless Chromium, offline', () => {
  let chromium: Chromium;
  let moons: string, gray: string, colour: string;
  beforeAll(async () => {
    moons = await train('moons-mixup', ['--dataset', 'moons', '--method', 'mixup', '--epochs', '2']);
    gray = await train('mnist-mixup', [
      '--dataset',
      'mnist',
      '--data-dir',
      writeSyntheticMnist(path.join(root, 'mnist')),
      '--method',
      'mixup',
      '--epochs',
      '1',
      '--batch-size',
      '32',
      '--ema',
      '0.9',
    ]);
    colour = await train('cifar-cutmix', [
      '--dataset',
      'cifar10',
      '--data-dir',
      writeSyntheticCifar10(path.join(root, 'cifar')),
      '--model',
      'small-cnn',
      '--method',
      'cutmix',
      '--epochs',
      '1',
      '--batch-size',
      '32',
    ]);
    chromium = await Chromium.launch(bin!);
  }, 180_000);
  afterAll(async () => {
    await chromium?.close();
  });

  it('moons + mixup: the mixed points over the originals, the reliability bars, the decision boundary', async () => {
    const v = await chromium.open(path.join(moons, 'report.html'));
    offline(v, moons);
    expect(await v.evaluate<string[]>(H2)).toEqual(expect.arrayContaining(['Curves', 'Decision boundary', 'One training batch, mixed']));
    const mb = json<MixedBatch>(moons, 'mixed-batch.json');
    expect(mb.kind).toBe('points');
    const marks = await v.evaluate<number[]>(`['originals', 'mixed'].map((n) => document.querySelectorAll('.mixed-batch .' + n + '_marks path').length)`);
    expect(marks).toEqual([mb.batchSize, mb.batchSize]);
    const [rel] = json<{ diagrams: Reliability[] }>(moons, 'reliability.json').diagrams;
    expect(await v.evaluate(RELIABILITY)).toEqual([
      { title: 'Reliability: final model (test)', bars: nonEmpty(rel).length, counts: nonEmpty(rel).map((b) => b.count) },
    ]);
  });

  it('grayscale images + mixup + EMA: 16 decoded 28×28 pictures with their soft labels, diagrams of the final and EMA models', async () => {
    const v = await chromium.open(path.join(gray, 'report.html'));
    offline(v, gray);
    expect(await v.evaluate<number[][]>(DECODED)).toEqual(new Array(16).fill([28, 28]));
    const mb = json<MixedBatch>(gray, 'mixed-batch.json');
    const captions = await v.evaluate<string[]>(`[...document.querySelectorAll('.mix-tile figcaption')].map((c) => c.textContent)`);
    expect(captions).toHaveLength(16);
    expect(captions[0]).toContain(`${mb.tiles![0].soft[0].w.toFixed(2)} ${mb.tiles![0].soft[0].cls}`);
    expect(captions[0]).toContain(`λ ${mb.tiles![0].lam.toFixed(3)}`);
    const rels = json<{ diagrams: Reliability[] }>(gray, 'reliability.json').diagrams;
    expect(rels.map((r) => r.model)).toEqual(['final', 'ema']);
    expect(await v.evaluate(RELIABILITY)).toEqual(
      rels.map((r) => ({
        title: `Reliability: ${r.model === 'final' ? 'final model' : 'EMA model'} (test)`,
        bars: nonEmpty(r).length,
        counts: nonEmpty(r).map((b) => b.count),
      })),
    );
  });

  it('colour images + CutMix: 32×32 RGB pictures, each box drawn where mixed-batch.json puts it', async () => {
    const v = await chromium.open(path.join(colour, 'report.html'));
    offline(v, colour);
    expect(await v.evaluate<number[][]>(DECODED)).toEqual(new Array(16).fill([32, 32]));
    const mb = json<MixedBatch>(colour, 'mixed-batch.json');
    // The rendered box relative to its picture, in image pixels ([yl, yh, xl, xh]).
    const drawn = await v.evaluate<(number[] | null)[]>(`[...document.querySelectorAll('.mix-tile svg')].map((s) => {
      const r = s.querySelector('rect.cutmix-box'); if (!r) return null;
      const a = s.getBoundingClientRect(), b = r.getBoundingClientRect(), k = 32 / a.width;
      return [(b.top - a.top) * k, (b.bottom - a.top) * k, (b.left - a.left) * k, (b.right - a.left) * k].map((x) => Math.round(x * 4) / 4);
    })`);
    const boxes = mb.tiles!.map((t) => t.box ?? null);
    expect(boxes.some((b) => b)).toBe(true);
    // getBoundingClientRect of an SVG shape is its geometry (the stroke not included)
    drawn.forEach((d, i) => (boxes[i] ? expect(d).toEqual(boxes[i]) : expect(d).toBeNull()));
    if (process.env.TORCHMIX_REPORT_SCREENSHOT) fs.writeFileSync(process.env.TORCHMIX_REPORT_SCREENSHOT, await v.screenshot());
  });
});
