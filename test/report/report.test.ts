// Reports: report.html from a results.json fixture (charts as inline SVG with the expected marks,
// axis titles and table values; no scripts), the comparison page, and the decision boundary of a
// tiny model whose prediction is known (class 0 where x₁ > 0).
import { describe, it, expect } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { torch, nn } from '../../lib/index.js';
import { writeReport, writeCompare, readRun, decisionBoundarySvg, DECISION_BOUNDARY_FILE } from '../../lib/report/index.js';
import { main } from '../../lib/cli/main.js';

const FIX = path.resolve('test/fixtures/report');
function copyRun(name: string): string {
  const dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'torchmix-report-')), name);
  fs.cpSync(path.join(FIX, name), dir, { recursive: true });
  return dir;
}
/** The standalone SVGs inside an HTML page. */
const svgsOf = (html: string) => html.match(/<svg[\s\S]*?<\/svg>/g) ?? [];
/** Number of <path> marks in the first mark group of this kind ('line', 'symbol', 'rect'), per group. */
function marks(svg: string, kind: string): number[] {
  const re = new RegExp(`<g class="mark-${kind} role-mark[^"]*"[^>]*>([\\s\\S]*?)</g>`, 'g');
  return [...svg.matchAll(re)].map((m) => (m[1].match(/<path/g) ?? []).length);
}
const axisTitles = (svg: string) => [...svg.matchAll(/<g class="mark-text role-axis-title"[^>]*>[\s\S]*?<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]);
const chartTitle = (svg: string) => /<g class="mark-text role-title-text"[^>]*>[\s\S]*?<text[^>]*>([^<]*)<\/text>/.exec(svg)?.[1];

describe('writeReport', () => {
  it('reads results.json and log.jsonl (skipping a torn last line)', () => {
    const run = readRun(path.join(FIX, 'moons-mixup'));
    expect(run.epochs).toHaveLength(4);
    expect(run.final).toMatchObject({ acc: 0.9075, loss: 0.31, ece: 0.0275 });
    expect(run.best).toMatchObject({ acc: 0.9125, epoch: 3 });
    expect(run.steps).toHaveLength(7);
    expect(run.secondsPerEpoch).toBe(0.515);
  });
  it('writes a self-contained report.html with loss/accuracy/ECE/lr/step charts, the table and the config', async () => {
    const dir = copyRun('moons-mixup');
    const file = await writeReport(dir);
    expect(file).toBe(path.join(dir, 'report.html'));
    const html = fs.readFileSync(file, 'utf8');
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).not.toMatch(/<script|<link |src="http|href="http/i);
    const svgs = svgsOf(html);
    const byTitle = Object.fromEntries(svgs.map((s) => [chartTitle(s), s]));
    expect(Object.keys(byTitle)).toEqual([
      'Loss per epoch',
      'Accuracy per epoch',
      'Expected calibration error per epoch',
      'Learning rate',
      'Training loss per logged step',
    ]);
    // loss: two series (train, test) of 4 epochs: one line (in its own group) per series, 8 points
    const loss = byTitle['Loss per epoch'];
    expect(marks(loss, 'line')).toEqual([1, 1]);
    expect(marks(loss, 'symbol')).toEqual([8]);
    expect(axisTitles(loss)).toEqual(['epoch', 'cross-entropy loss']);
    expect(loss).toContain('>train<');
    expect(loss).toContain('>test<');
    const acc = byTitle['Accuracy per epoch'];
    expect(marks(acc, 'line')).toEqual([1]);
    expect(marks(acc, 'symbol')).toEqual([4]);
    expect(axisTitles(acc)).toEqual(['epoch', 'accuracy (%)']);
    expect(axisTitles(byTitle['Expected calibration error per epoch'])).toEqual(['epoch', 'ECE (%)']);
    expect(marks(byTitle['Training loss per logged step'], 'line')).toEqual([1]);
    expect(axisTitles(byTitle['Training loss per logged step'])).toEqual(['step', 'loss']);
    // summary and per-epoch tables
    const summary = /<table class="summary">([\s\S]*?)<\/table>/.exec(html)![1];
    expect(summary).toContain('<td>mixup</td><td>90.75%</td><td>91.25% (3)</td><td>0.3100</td><td>2.75%</td>');
    const epochs = /<table class="epochs">([\s\S]*?)<\/table>/.exec(html)![1];
    expect((epochs.match(/<tr>/g) ?? []).length).toBe(5);
    expect(epochs).toContain('<tr><td>3</td><td>0.4700</td><td>0.3300</td><td>91.25%</td><td>3.20%</td>');
    // config
    expect(html).toContain('&quot;method&quot;: &quot;mixup&quot;');
    expect(html).not.toContain('Decision boundary');
  });
  it('includes the decision boundary picture of a toy run, and `torchmix report RUN` rewrites the page', async () => {
    const dir = copyRun('moons-none');
    fs.writeFileSync(path.join(dir, DECISION_BOUNDARY_FILE), '<svg xmlns="http://www.w3.org/2000/svg" id="db-marker"></svg>');
    let out = '';
    const code = await main(['report', dir], { out: (t) => void (out += t), err: () => {} });
    expect(code).toBe(0);
    expect(out).toContain(path.join(dir, 'report.html'));
    const html = fs.readFileSync(path.join(dir, 'report.html'), 'utf8');
    expect(html).toContain('<h2>Decision boundary</h2>');
    expect(html).toContain('id="db-marker"');
  });
  it('report of a folder without results.json is a usage error', async () => {
    let err = '';
    const code = await main(['report', os.tmpdir() + '/nope-' + Date.now()], { out: () => {}, err: (t) => void (err += t) });
    expect(code).toBe(2);
    expect(err).toMatch(/holds no results.json/);
  });
});

describe('writeCompare', () => {
  it('puts two runs side by side: one table, overlaid curves, both decision boundaries', async () => {
    const a = copyRun('moons-none');
    const b = copyRun('moons-mixup');
    fs.writeFileSync(path.join(a, DECISION_BOUNDARY_FILE), '<svg xmlns="http://www.w3.org/2000/svg" id="db-a"></svg>');
    fs.writeFileSync(path.join(b, DECISION_BOUNDARY_FILE), '<svg xmlns="http://www.w3.org/2000/svg" id="db-b"></svg>');
    const file = path.join(path.dirname(a), 'compare.html');
    let out = '';
    const code = await main(['report', '--compare', a, b, '--out', file], { out: (t) => void (out += t), err: () => {} });
    expect(code).toBe(0);
    const html = fs.readFileSync(file, 'utf8');
    expect(html).toContain('<title>torchmix: none vs mixup on moons</title>');
    expect(html.indexOf('id="db-a"')).toBeLessThan(html.indexOf('id="db-b"'));
    const acc = svgsOf(html).find((s) => chartTitle(s) === 'Accuracy per epoch')!;
    expect(marks(acc, 'line')).toEqual([1, 1]);
    expect(marks(acc, 'symbol')).toEqual([8]);
    expect(acc).toContain('none (moons-none)');
    expect(acc).toContain('mixup (moons-mixup)');
    const summary = /<table class="summary">([\s\S]*?)<\/table>/.exec(html)![1];
    expect((summary.match(/<tr>/g) ?? []).length).toBe(3);
    expect(summary).toContain('<td>none</td><td>90.10%</td><td>90.50% (3)</td>');
    expect(await writeCompare([a, b], path.join(path.dirname(a), 'c2.html'))).toBe(path.join(path.dirname(a), 'c2.html'));
  });
  it('--compare needs two runs', async () => {
    let err = '';
    const code = await main(['report', '--compare', copyRun('moons-none')], { out: () => {}, err: (t) => void (err += t) });
    expect(code).toBe(2);
    expect(err).toMatch(/--compare: give at least two run folders/);
  });
});

describe('decisionBoundarySvg', () => {
  it('draws one cell per grid point coloured by the predicted class, and every data point', async () => {
    // A linear model predicting class 0 where x₁ > 0 and class 1 where x₁ < 0.
    const model = nn.models.mlp([2, 2]);
    model.loadStateDict({ '0.weight': torch.tensor(new Float32Array([1, 0, -1, 0]), { shape: [2, 2] }), '0.bias': torch.zeros([2]) });
    // 20 points symmetric about x₁ = 0, so the grid's cell centres split 50/50
    const xs = new Float32Array(40);
    const ys = new BigInt64Array(20);
    for (let i = 0; i < 20; i++) {
      xs[2 * i] = i < 10 ? 1 + i / 10 : -1 - (i - 10) / 10;
      xs[2 * i + 1] = (i % 5) - 2;
      ys[i] = i < 10 ? 0n : 1n;
    }
    const ds = { images: torch.tensor(xs, { shape: [20, 2] }), labels: torch.tensor(ys), classes: ['right', 'left'] };
    model.train();
    const svg = await decisionBoundarySvg(model, ds, { grid: 10, title: 'tiny' });
    expect(model.training).toBe(true); // restored
    expect(marks(svg, 'rect')).toEqual([100]);
    expect(marks(svg, 'symbol')).toEqual([20]);
    expect(axisTitles(svg)).toEqual(['x₁', 'x₂']);
    expect(chartTitle(svg)).toBe('tiny');
    const rects = /<g class="mark-rect role-mark[^"]*"[^>]*>([\s\S]*?)<\/g>/.exec(svg)![1];
    const fills = [...rects.matchAll(/fill="(#[0-9a-f]{6})"/g)].map((m) => m[1]);
    const counts = fills.reduce<Record<string, number>>((c, f) => ((c[f] = (c[f] ?? 0) + 1), c), {});
    expect(Object.values(counts).sort()).toEqual([50, 50]);
    // the cells left of the middle have the colour of class 'left' (the points there have it too)
    const pts = /<g class="mark-symbol role-mark[^"]*"[^>]*>([\s\S]*?)<\/g>/.exec(svg)![1];
    const ptFills = [...pts.matchAll(/fill="(#[0-9a-f]{6})"/g)].map((m) => m[1]);
    expect(new Set(ptFills.slice(0, 10)).size).toBe(1);
    expect(ptFills[0]).not.toBe(ptFills[10]);
    const firstCell = fills[0]; // grid cells are emitted row by row from the left
    expect(firstCell).toBe(ptFills[10]);
    expect(svg).toContain('>left<');
    expect(svg).toContain('>right<');
  });
  it('rejects data that is not N×2', async () => {
    const model = nn.models.mlp([3, 2]);
    await expect(decisionBoundarySvg(model, { images: torch.zeros([4, 3]), labels: torch.zeros([4], { dtype: 'int64' }), classes: [] })).rejects.toThrow(
      /N×2 points/,
    );
  });
});
