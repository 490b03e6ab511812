// The robustness section of a run's report: accuracy vs ε per attack from robustness.json (written by
// `torchmix attack`), as a chart and a table; and on the comparison page the runs' curves overlaid
// (colour = run, dash = attack). ε is in pixel space ([0, 1] images); the L∞ attacks' axis is in
// units of 1/255.
import fs from 'node:fs';
import path from 'node:path';
import { renderSvg, escapeHtml, SCHEMA } from './charts.js';

/** The file `torchmix attack` writes into a run folder. */
export const ROBUSTNESS_FILE = 'robustness.json';
export const ROBUSTNESS_SCHEMA = 'torchmix-robustness/1';

/** One (attack, ε) evaluation: accuracy and mean cross-entropy on the adversarial images. */
export interface RobustnessResult {
  attack: string;
  eps: number;
  acc: number;
  /** null when it was not finite (JSON has no Infinity). */
  loss: number | null;
  n: number;
  seconds: number;
}
export interface RobustnessSettings {
  /** Iterations of bim/pgd/pgdl2 (bim: 0 = Kurakin's rule). */
  steps: number;
  /** Step size α; null = each attack's torchattacks default (2/255 bim/pgd, 0.2 pgdl2). */
  stepSize: number | null;
  /** Only the first `limit` samples of the split (null: all). */
  limit: number | null;
  /** torch.manualSeed before each (attack, ε): PGD's random start. */
  seed: number;
  /** Whether PGD started from a random point of the ε-ball (torchattacks' default). */
  randomStart: boolean;
  /** The dataset normalisation folded into the model for the attack (null: none). */
  normalize: { mean: number[]; std: number[] } | null;
}
export interface Robustness {
  schema: typeof ROBUSTNESS_SCHEMA;
  checkpoint: string;
  dataset: string;
  split: 'train' | 'test';
  n: number;
  settings: RobustnessSettings;
  /** ε = 0 (the clean accuracy) is evaluated once and listed under every attack. */
  results: RobustnessResult[];
}

const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isNumList = (v: unknown): v is number[] => Array.isArray(v) && v.every(isNum);

/** Checks a parsed robustness.json; throws an Error naming the first bad field. */
export function parseRobustness(j: unknown, where = ROBUSTNESS_FILE): Robustness {
  const bad = (field: string, what: string, v: unknown) => new Error(`${where}: ${field}: expected ${what}, got ${JSON.stringify(v)}`);
  if (!j || typeof j !== 'object' || Array.isArray(j)) throw bad('(top level)', 'an object', j);
  const o = j as Record<string, unknown>;
  if (o.schema !== ROBUSTNESS_SCHEMA) throw bad('schema', `'${ROBUSTNESS_SCHEMA}'`, o.schema);
  for (const k of ['checkpoint', 'dataset'] as const) if (typeof o[k] !== 'string') throw bad(k, 'a string', o[k]);
  if (o.split !== 'train' && o.split !== 'test') throw bad('split', "'train' or 'test'", o.split);
  if (!isNum(o.n) || !Number.isInteger(o.n) || o.n < 0) throw bad('n', 'an integer ≥ 0', o.n);
  const s = o.settings as Record<string, unknown> | undefined;
  if (!s || typeof s !== 'object') throw bad('settings', 'an object', s);
  if (!isNum(s.steps) || !Number.isInteger(s.steps) || s.steps < 0) throw bad('settings.steps', 'an integer ≥ 0', s.steps);
  if (s.stepSize !== null && !(isNum(s.stepSize) && s.stepSize > 0)) throw bad('settings.stepSize', 'a number > 0 or null', s.stepSize);
  if (s.limit !== null && !(isNum(s.limit) && Number.isInteger(s.limit) && s.limit > 0)) throw bad('settings.limit', 'a positive integer or null', s.limit);
  if (!isNum(s.seed) || !Number.isInteger(s.seed) || s.seed < 0) throw bad('settings.seed', 'an integer ≥ 0', s.seed);
  if (typeof s.randomStart !== 'boolean') throw bad('settings.randomStart', 'a boolean', s.randomStart);
  const norm = s.normalize as Record<string, unknown> | null | undefined;
  if (norm !== null && !(norm && typeof norm === 'object' && isNumList(norm.mean) && isNumList(norm.std)))
    throw bad('settings.normalize', '{ mean: number[], std: number[] } or null', norm);
  if (!Array.isArray(o.results)) throw bad('results', 'an array', o.results);
  o.results.forEach((r: unknown, i) => {
    const f = `results[${i}]`;
    if (!r || typeof r !== 'object') throw bad(f, 'an object', r);
    const e = r as Record<string, unknown>;
    if (typeof e.attack !== 'string' || !e.attack) throw bad(`${f}.attack`, 'an attack name', e.attack);
    if (!isNum(e.eps) || e.eps < 0) throw bad(`${f}.eps`, 'a number ≥ 0', e.eps);
    if (!isNum(e.acc) || e.acc < 0 || e.acc > 1) throw bad(`${f}.acc`, 'a fraction in [0, 1]', e.acc);
    if (!isNum(e.loss) && e.loss !== null) throw bad(`${f}.loss`, 'a number', e.loss);
    if (!isNum(e.n) || !Number.isInteger(e.n) || e.n < 0) throw bad(`${f}.n`, 'an integer ≥ 0', e.n);
    if (!isNum(e.seconds) || e.seconds < 0) throw bad(`${f}.seconds`, 'a number ≥ 0', e.seconds);
  });
  return o as unknown as Robustness;
}

/** A run folder's robustness.json (undefined when there is none; throws naming the field when it is malformed). */
export function readRobustness(runDir: string): Robustness | undefined {
  const file = path.join(runDir, ROBUSTNESS_FILE);
  if (!fs.existsSync(file)) return undefined;
  let j: unknown;
  try {
    j = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`${file}: not JSON (${(e as Error).message})`, { cause: e });
  }
  return parseRobustness(j, file);
}

/** ε as people write it: k/255 for the pixel grid's multiples, else the number. */
export function epsLabel(eps: number): string {
  const k = Math.round(eps * 255);
  if (eps === 0) return '0';
  if (k >= 1 && k < 255 && Math.abs(eps * 255 - k) < 1e-6) return `${k}/255`;
  return String(Number(eps.toPrecision(4)));
}

/** L∞ attacks' ε is drawn on the 1/255 grid; with the L2 attack among them, ε as is. */
const axisOf = (attacks: string[]) =>
  attacks.some((a) => a === 'pgdl2') ? { scale: 1, title: 'ε (pixel space)' } : { scale: 255, title: 'ε × 255 (pixel space)' };

export interface RobustnessPoint {
  eps: number;
  acc: number;
  attack: string;
  run?: string;
}

const DASHES = [
  [1, 0],
  [6, 3],
  [2, 2],
  [8, 3, 2, 3],
];

/** Accuracy (%) vs ε, one line per attack (or, with `run` set on the points, one per run × attack:
 *  colour = run, dash = attack). */
export function robustnessChartSpec(points: RobustnessPoint[], o: { title: string; width?: number; height?: number }): object {
  const axis = axisOf(points.map((p) => p.attack));
  const byRun = points.some((p) => p.run !== undefined);
  const values = points.map((p) => ({
    x: p.eps * axis.scale,
    y: 100 * p.acc,
    attack: p.attack,
    run: p.run ?? '',
    series: byRun ? `${p.run} · ${p.attack}` : p.attack,
  }));
  const legend = { orient: 'bottom', direction: 'vertical' };
  return {
    $schema: SCHEMA,
    title: o.title,
    width: o.width ?? 380,
    height: o.height ?? 240,
    data: { values },
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'x', type: 'quantitative', title: axis.title },
      y: { field: 'y', type: 'quantitative', title: 'accuracy (%)', scale: { domain: [0, 100] } },
      ...(byRun
        ? {
            color: { field: 'run', type: 'nominal', title: 'run', legend },
            // dash patterns that read apart at a glance; a short stroke as the legend symbol, so the pattern shows
            strokeDash: {
              field: 'attack',
              type: 'nominal',
              title: 'attack',
              scale: { range: DASHES },
              legend: {
                ...legend,
                symbolType: 'stroke',
                symbolStrokeWidth: 2,
                symbolSize: 400,
                encode: { symbols: { update: { stroke: { value: '#444' } } } },
              },
            },
            detail: { field: 'series', type: 'nominal' },
          }
        : { color: { field: 'attack', type: 'nominal', title: 'attack', legend: { orient: 'bottom' } } }),
    },
    config: { font: 'sans-serif' },
  };
}

const pct = (v: number | undefined) => (v === undefined ? '–' : `${(100 * v).toFixed(2)}%`);
const svgOnly = (svg: string) => svg.replace(/^<\?xml[^>]*>\s*/, '');
const attacksOf = (r: Robustness) => [...new Set(r.results.map((x) => x.attack))];
const epsOf = (rs: Robustness[]) => [...new Set(rs.flatMap((r) => r.results.map((x) => x.eps)))].sort((a, b) => a - b);

/** Rows (label, attack) × columns ε of one value (accuracy or loss). */
function grid(
  rows: { label?: string; r: Robustness; attack: string }[],
  eps: number[],
  cell: (x: RobustnessResult | undefined) => string,
  cls: string,
): string {
  const run = rows.some((x) => x.label !== undefined);
  const head = `<tr>${run ? '<th>run</th>' : ''}<th>attack</th>${eps.map((e) => `<th>ε = ${escapeHtml(epsLabel(e))}</th>`).join('')}</tr>`;
  const body = rows.map(
    ({ label, r, attack }) =>
      `<tr>${run ? `<td>${escapeHtml(label ?? '')}</td>` : ''}<td>${escapeHtml(attack)}</td>${eps
        .map((e) => `<td>${cell(r.results.find((x) => x.attack === attack && x.eps === e))}</td>`)
        .join('')}</tr>`,
  );
  return `<table class="${cls}">${head}${body.join('')}</table>`;
}

function settingsLine(r: Robustness): string {
  const s = r.settings;
  const norm = s.normalize ? `normalisation mean ${s.normalize.mean.join(', ')}, std ${s.normalize.std.join(', ')} folded into the model` : 'no normalisation';
  return (
    `${escapeHtml(r.dataset)} ${r.split} split, ${r.n} samples${s.limit !== null ? ` (--limit ${s.limit})` : ''}; ` +
    `bim/pgd ${s.steps} steps, step size ${s.stepSize === null ? 'torchattacks default' : escapeHtml(epsLabel(s.stepSize))}, ` +
    `PGD random start ${s.randomStart ? 'on' : 'off'} (seed ${s.seed}); ε and the [0, 1] clamp in pixel space, ${norm}.`
  );
}

/** A note in place of the section when robustness.json cannot be read (the rest of the report still renders). */
function readOrNote(dir: string, who = ''): { r?: Robustness; note?: string } {
  try {
    return { r: readRobustness(dir) };
  } catch (e) {
    return { note: `<p class="muted">${escapeHtml(who)}robustness.json unreadable: ${escapeHtml((e as Error).message)}</p>` };
  }
}

/** The section's HTML parts for one run (empty without robustness.json). */
export async function robustnessSection(runDir: string): Promise<string[]> {
  const { r, note } = readOrNote(runDir);
  if (note) return ['<h2>Robustness</h2>', note];
  if (!r) return [];
  const attacks = attacksOf(r);
  const eps = epsOf([r]);
  const svg = await renderSvg(
    robustnessChartSpec(
      r.results.map((x) => ({ eps: x.eps, acc: x.acc, attack: x.attack })),
      { title: `Accuracy under attack (${r.split} split)` },
    ),
  );
  const rows = attacks.map((attack) => ({ r, attack }));
  return [
    '<h2>Robustness</h2>',
    `<p class="muted">${settingsLine(r)}</p>`,
    `<div class="charts"><figure>${svgOnly(svg)}</figure></div>`,
    '<h3>Accuracy</h3>',
    grid(rows, eps, (x) => pct(x?.acc), 'robustness'),
    '<h3>Loss (mean cross-entropy on the adversarial images)</h3>',
    grid(rows, eps, (x) => (x && isNum(x.loss) ? x.loss.toFixed(4) : '–'), 'robustness-loss'),
  ];
}

/** The comparison page's section: every run's curves on one chart (colour = run, dash = attack) and one
 *  table; empty when no run has robustness.json. */
export async function robustnessCompareSection(runs: { dir: string; label: string }[]): Promise<string[]> {
  const read = runs.map((run) => ({ ...run, ...readOrNote(run.dir, `${run.label}: `) }));
  const have = read.filter((x): x is typeof x & { r: Robustness } => x.r !== undefined);
  if (!have.length && !read.some((x) => x.note)) return [];
  const parts = ['<h2>Robustness</h2>'];
  for (const x of read)
    if (x.note) parts.push(x.note);
    else if (!x.r) parts.push(`<p class="muted">${escapeHtml(x.label)}: no robustness.json (run 'torchmix attack --checkpoint ${escapeHtml(x.dir)}')</p>`);
  if (!have.length) return parts;
  const splits = [...new Set(have.map((x) => x.r.split))].join(', ');
  const svg = await renderSvg(
    robustnessChartSpec(
      have.flatMap((x) => x.r.results.map((e) => ({ eps: e.eps, acc: e.acc, attack: e.attack, run: x.label }))),
      { title: `Accuracy under attack (${splits} split)`, height: 280 },
    ),
  );
  parts.push(`<div class="charts"><figure>${svgOnly(svg)}</figure></div>`);
  const rows = have.flatMap((x) => attacksOf(x.r).map((attack) => ({ label: x.label, r: x.r, attack })));
  parts.push(
    '<h3>Accuracy</h3>',
    grid(rows, epsOf(have.map((x) => x.r)), (e) => pct(e?.acc), 'robustness'),
  );
  for (const x of have) parts.push(`<p class="muted">${escapeHtml(x.label)}: ${settingsLine(x.r)}</p>`);
  return parts;
}
