// The report's robustness section from a robustness.json fixture written here: validation naming the
// field, ε labels, the accuracy-vs-ε chart (one line per attack, the points, the axis in 1/255 units
// for L∞ and as is with pgdl2), the tables, the section in report.html, and the comparison page's
// overlay (one line per run × attack).
import { describe, it, expect } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeReport, writeCompare } from '../../lib/report/index.js';
import {
  ROBUSTNESS_FILE,
  ROBUSTNESS_SCHEMA,
  parseRobustness,
  readRobustness,
  epsLabel,
  robustnessSection,
  type Robustness,
} from '../../lib/report/robustness.js';

const FIX = path.resolve('test/fixtures/report');
function copyRun(name: string): string {
  const dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'torchmix-robustness-')), name);
  fs.cpSync(path.join(FIX, name), dir, { recursive: true });
  return dir;
}
const svgsOf = (html: string): string[] => html.match(/<svg[\s\S]*?<\/svg>/g) ?? [];
function marks(svg: string, kind: string): number[] {
  const re = new RegExp(`<g class="mark-${kind} role-mark[^"]*"[^>]*>([\\s\\S]*?)</g>`, 'g');
  return [...svg.matchAll(re)].map((m) => (m[1].match(/<path/g) ?? []).length);
}
const axisTitles = (svg: string) => [...svg.matchAll(/<g class="mark-text role-axis-title"[^>]*>[\s\S]*?<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]);
const chartTitle = (svg: string) => /<g class="mark-text role-title-text"[^>]*>[\s\S]*?<text[^>]*>([^<]*)<\/text>/.exec(svg)?.[1];
/** The stroke-dasharray of each line path (undefined: solid). */
const dashes = (svg: string) =>
  [...svg.matchAll(/<g class="mark-line role-mark[^"]*"[^>]*>([\s\S]*?)<\/g>/g)].map((m) => /stroke-dasharray="([^"]*)"/.exec(m[1])?.[1]);

const EPS = [0, 2 / 255, 8 / 255];
function fixture(accs: Record<string, number[]>, over: Partial<Robustness> = {}): Robustness {
  return {
    schema: ROBUSTNESS_SCHEMA,
    checkpoint: 'runs/x/checkpoint.safetensors',
    dataset: 'fashion-mnist',
    split: 'test',
    n: 500,
    settings: { steps: 10, stepSize: null, limit: 500, seed: 0, randomStart: true, normalize: { mean: [0.286], std: [0.353] } },
    results: Object.entries(accs).flatMap(([attack, a]) =>
      a.map((acc, i) => ({ attack, eps: EPS[i] ?? i, acc, loss: 0.3 + i + (attack === 'pgd' ? 0.5 : 0), n: 500, seconds: 0.1 * i })),
    ),
    ...over,
  };
}
const write = (dir: string, r: unknown) => fs.writeFileSync(path.join(dir, ROBUSTNESS_FILE), JSON.stringify(r));

describe('robustness.json', () => {
  it('parseRobustness accepts what the CLI writes and names the first bad field', () => {
    const good = fixture({ fgsm: [0.9, 0.6, 0.2] });
    expect(parseRobustness(JSON.parse(JSON.stringify(good)))).toEqual(good);
    expect(() => parseRobustness({ ...good, schema: 'torchmix-robustness/0' })).toThrow(
      /schema: expected 'torchmix-robustness\/1', got "torchmix-robustness\/0"/,
    );
    expect(() => parseRobustness({ ...good, split: 'val' })).toThrow(/split: expected 'train' or 'test'/);
    expect(() => parseRobustness({ ...good, settings: { ...good.settings, limit: 0 } })).toThrow(/settings\.limit: expected a positive integer or null, got 0/);
    expect(() => parseRobustness({ ...good, settings: { ...good.settings, normalize: { mean: [0.2] } } })).toThrow(/settings\.normalize: /);
    const bad = structuredClone(good);
    bad.results[1].acc = 1.5;
    expect(() => parseRobustness(bad, 'r.json')).toThrow(/^r\.json: results\[1\]\.acc: expected a fraction in \[0, 1\], got 1\.5$/);
    const neg = structuredClone(good);
    neg.results[2].eps = -0.1;
    expect(() => parseRobustness(neg)).toThrow(/results\[2\]\.eps: expected a number ≥ 0/);
  });
  it('readRobustness: undefined without the file, an error naming the file when it is not JSON', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'torchmix-robustness-'));
    expect(readRobustness(dir)).toBeUndefined();
    fs.writeFileSync(path.join(dir, ROBUSTNESS_FILE), '{"schema": ');
    expect(() => readRobustness(dir)).toThrow(new RegExp(`${ROBUSTNESS_FILE}: not JSON`));
  });
  it('epsLabel writes the 1/255 grid as fractions, anything else as the number', () => {
    expect([0, 1 / 255, 8 / 255, 0.5, 1, 0.001].map(epsLabel)).toEqual(['0', '1/255', '8/255', '0.5', '1', '0.001']);
  });
});

describe('the robustness section of a run report', () => {
  it('one line per attack through every ε (x in units of 1/255), accuracy and loss tables', async () => {
    const dir = copyRun('moons-mixup');
    write(dir, fixture({ fgsm: [0.9, 0.6, 0.25], pgd: [0.9, 0.4, 0.05] }));
    const parts = await robustnessSection(dir);
    expect(parts[0]).toBe('<h2>Robustness</h2>');
    const html = parts.join('\n');
    const [svg] = svgsOf(html);
    expect(chartTitle(svg)).toBe('Accuracy under attack (test split)');
    expect(marks(svg, 'line')).toEqual([1, 1]);
    expect(marks(svg, 'symbol')).toEqual([6]);
    expect(axisTitles(svg)).toEqual(['ε × 255 (pixel space)', 'accuracy (%)']);
    // the x axis is in units of 1/255: the 8/255 points sit at the tick labelled 8
    expect(svg).toMatch(/>8</);
    expect(svg).toContain('>fgsm<');
    expect(svg).toContain('>pgd<');
    const acc = /<table class="robustness">([\s\S]*?)<\/table>/.exec(html)![1];
    expect(acc).toContain('<th>attack</th><th>ε = 0</th><th>ε = 2/255</th><th>ε = 8/255</th>');
    expect(acc).toContain('<tr><td>fgsm</td><td>90.00%</td><td>60.00%</td><td>25.00%</td></tr>');
    expect(acc).toContain('<tr><td>pgd</td><td>90.00%</td><td>40.00%</td><td>5.00%</td></tr>');
    const loss = /<table class="robustness-loss">([\s\S]*?)<\/table>/.exec(html)![1];
    expect(loss).toContain('<tr><td>pgd</td><td>0.8000</td><td>1.8000</td><td>2.8000</td></tr>');
    expect(html).toContain('fashion-mnist test split, 500 samples (--limit 500); bim/pgd 10 steps, step size torchattacks default');
    expect(html).toContain('normalisation mean 0.286, std 0.353 folded into the model');
  });
  it('with pgdl2 among the attacks, ε is drawn as is', async () => {
    const dir = copyRun('moons-mixup');
    write(dir, { ...fixture({ pgdl2: [0.9, 0.7] }), results: fixture({ pgdl2: [0.9, 0.7] }).results.map((r, i) => ({ ...r, eps: [0, 0.5][i] })) });
    const [svg] = svgsOf((await robustnessSection(dir)).join(''));
    expect(axisTitles(svg)[0]).toBe('ε (pixel space)');
    expect(marks(svg, 'line')).toEqual([1]);
  });
  it('writeReport puts the section before the per-epoch table; none without robustness.json; a note when it is malformed', async () => {
    const dir = copyRun('moons-mixup');
    expect(fs.readFileSync(await writeReport(dir), 'utf8')).not.toContain('Robustness');
    write(dir, fixture({ fgsm: [0.9, 0.6, 0.25] }));
    const html = fs.readFileSync(await writeReport(dir), 'utf8');
    expect(html.indexOf('<h2>Robustness</h2>')).toBeGreaterThan(html.indexOf('<h2>Curves</h2>'));
    expect(html.indexOf('<h2>Robustness</h2>')).toBeLessThan(html.indexOf('<h2>Per epoch</h2>'));
    expect(svgsOf(html).map(chartTitle)).toContain('Accuracy under attack (test split)');
    expect(html).not.toMatch(/<script/i);
    fs.writeFileSync(path.join(dir, ROBUSTNESS_FILE), JSON.stringify({ schema: 'nope' }));
    const torn = fs.readFileSync(await writeReport(dir), 'utf8');
    expect(torn).toMatch(/<h2>Robustness<\/h2>\n<p class="muted">robustness\.json unreadable: .*schema: expected/);
    expect(torn).toContain('<h2>Per epoch</h2>');
  });
});

describe('the comparison page overlays the runs’ curves', () => {
  it('one line per run × attack: colour = run, dash = attack; one table; a note for a run without robustness.json', async () => {
    const a = copyRun('moons-none');
    const b = copyRun('moons-mixup');
    const c = copyRun('moons-mixup');
    write(a, fixture({ fgsm: [0.9, 0.5, 0.1], pgd: [0.9, 0.3, 0.0] }));
    write(b, fixture({ fgsm: [0.92, 0.7, 0.3], pgd: [0.92, 0.6, 0.2] }));
    const file = path.join(path.dirname(a), 'compare.html');
    await writeCompare([a, b, c], file);
    const html = fs.readFileSync(file, 'utf8');
    const svg = svgsOf(html).find((s) => chartTitle(s) === 'Accuracy under attack (test split)')!;
    expect(marks(svg, 'line')).toEqual([1, 1, 1, 1]);
    expect(marks(svg, 'symbol')).toEqual([12]);
    // two attacks → two dash patterns, each on two lines (one per run)
    const d = dashes(svg);
    expect(new Set(d).size).toBe(2);
    expect(d.filter((x) => x === d[0])).toHaveLength(2);
    expect(svg).toContain('none (moons-none)');
    expect(svg).toContain('mixup (moons-mixup)');
    const table = /<table class="robustness">([\s\S]*?)<\/table>/.exec(html)![1];
    expect(table).toContain('<tr><td>none (moons-none)</td><td>pgd</td><td>90.00%</td><td>30.00%</td><td>0.00%</td></tr>');
    expect(table).toContain('<tr><td>mixup (moons-mixup)</td><td>fgsm</td><td>92.00%</td><td>70.00%</td><td>30.00%</td></tr>');
    expect((table.match(/<tr>/g) ?? []).length).toBe(5);
    expect(html).toContain(`mixup (moons-mixup): no robustness.json (run 'torchmix attack --checkpoint ${c}')`);
  });
  it('no section when no run has robustness.json', async () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'torchmix-robustness-')), 'compare.html');
    await writeCompare([copyRun('moons-none'), copyRun('moons-mixup')], file);
    expect(fs.readFileSync(file, 'utf8')).not.toContain('Robustness');
  });
});
