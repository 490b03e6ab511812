// Run reports: one self-contained HTML page per run (report.html: loss and accuracy curves, an
// accuracy/ECE/time table, the config, the reliability diagrams next to the ECE curve (reliability.ts),
// one training batch as the method mixed it (batch-grid.ts), and for 2-D toy sets the decision boundary), and a
// side-by-side page for two runs (compare.html: e.g. ERM next to mixup). Charts are vega-lite
// rendered to inline SVG in Node; the pages load no scripts, fonts or images from anywhere.
//
//   import { report } from 'torchmix';  await report.writeReport('runs/moons-mixup-…');
import fs from 'node:fs';
import path from 'node:path';
import * as torch from '../torch/index.js';
import { writeFileAtomic } from '../torch/serialize.js';
import type { Module } from '../nn/module.js';
import { softmax } from '../nn/functional.js';
import type { Dataset } from '../data/idx.js';
import { sslSection } from './ssl.js';
import { robustnessSection, robustnessCompareSection } from './robustness.js';
import { readReliability, reliabilitySvg, type Reliability } from './reliability.js';
import { readMixedBatch, mixedBatchHtml, MIXED_BATCH_CSS, type MixedBatch } from './batch-grid.js';
import {
  renderSvg,
  escapeHtml,
  lineChartSpec,
  decisionBoundarySpec,
  policyRegionSpec,
  lamHistogramSpec,
  type SeriesPoint,
  type GridCell,
  type Point2,
} from './charts.js';

export { renderSvg, escapeHtml, lineChartSpec, decisionBoundarySpec } from './charts.js';
export {
  RELIABILITY_FILE,
  reliabilityOf,
  reliabilityOfModel,
  writeReliability,
  readReliability,
  reliabilitySvg,
  type Reliability,
  type ReliabilityBin,
} from './reliability.js';
export { MIXED_BATCH_FILE, drawMixedBatch, writeMixedBatch, readMixedBatch, mixedBatchHtml, type MixedBatch, type MixedTile } from './batch-grid.js';
export { encodePng, pngDataUri } from './png.js';
export { sslSection, readSsl, type SslSplit, type SslEpoch } from './ssl.js';
export {
  ROBUSTNESS_FILE,
  ROBUSTNESS_SCHEMA,
  parseRobustness,
  readRobustness,
  robustnessSection,
  robustnessCompareSection,
  type Robustness,
  type RobustnessResult,
} from './robustness.js';

/** The name of the decision-boundary picture in a run folder (the CLI writes it for toy sets). */
export const DECISION_BOUNDARY_FILE = 'decision-boundary.svg';

/** One epoch of a run, as the report reads it (every metric optional). */
export interface EpochRow {
  epoch: number;
  trainLoss?: number;
  lr?: number;
  seconds?: number;
  imagesPerSecond?: number;
  valLoss?: number;
  valAcc?: number;
  valEce?: number;
  /** The EMA model's validation loss and accuracy (--ema). */
  emaValLoss?: number;
  emaValAcc?: number;
  /** AdaMixup's learned policy this epoch: mean α, mean Δ, mean λ, λ histogram over [0, 1], discriminator accuracy. */
  policy?: { alphaMean: number; deltaMean: number; lamMean?: number; lamHist?: number[]; discAcc?: number };
}
export interface Metrics {
  loss?: number;
  acc?: number;
  ece?: number;
  epoch?: number;
}
export interface RunData {
  dir: string;
  name: string;
  config: Record<string, unknown>;
  libtorch?: Record<string, unknown>;
  epochs: EpochRow[];
  final?: Metrics;
  best?: Metrics;
  test?: Metrics;
  secondsPerEpoch?: number;
  interrupted?: boolean;
  /** Per-step training loss from log.jsonl, when it logs steps. */
  steps: { step: number; loss: number }[];
  decisionBoundary?: string;
  /** reliability.json: the reliability diagram(s) of the final (and EMA) model. */
  reliability?: Reliability[];
  /** mixed-batch.json: one training batch as the method mixed it. */
  mixedBatch?: MixedBatch;
}

/** A config value as text (objects as JSON); `missing` when absent. */
const text = (v: unknown, missing = '?'): string =>
  v === undefined || v === null ? missing : typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? String(v) : JSON.stringify(v);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

function metrics(m: unknown): Metrics | undefined {
  if (!m || typeof m !== 'object') return undefined;
  const o = m as Record<string, unknown>;
  const r: Metrics = {
    loss: num(o.loss) ?? num(o.valLoss) ?? num(o.testLoss),
    acc: num(o.acc) ?? num(o.valAcc) ?? num(o.testAcc) ?? num(o.accuracy),
    ece: num(o.ece) ?? num(o.valEce) ?? num(o.testEce),
    epoch: num(o.epoch),
  };
  return r.loss === undefined && r.acc === undefined && r.ece === undefined ? undefined : r;
}

function epochRow(e: Record<string, unknown>, i: number): EpochRow {
  return {
    epoch: num(e.epoch) ?? i + 1,
    trainLoss: num(e.trainLoss),
    lr: num(e.lr),
    seconds: num(e.seconds),
    imagesPerSecond: num(e.imagesPerSecond),
    valLoss: num(e.valLoss) ?? num(e.testLoss),
    valAcc: num(e.valAcc) ?? num(e.testAcc),
    valEce: num(e.valEce) ?? num(e.testEce),
    emaValLoss: num(e.emaValLoss),
    emaValAcc: num(e.emaValAcc),
    policy: policyOf(e.method),
  };
}

function policyOf(m: unknown): EpochRow['policy'] {
  if (!m || typeof m !== 'object') return undefined;
  const o = m as Record<string, unknown>;
  const a = num(o.alphaMean),
    d = num(o.deltaMean);
  if (a === undefined || d === undefined) return undefined;
  const hist = Array.isArray(o.lamHist) && o.lamHist.every((v) => typeof v === 'number') ? o.lamHist : undefined;
  return { alphaMean: a, deltaMean: d, lamMean: num(o.lamMean), lamHist: hist, discAcc: num(o.discAcc) };
}

/** Reads results.json (+ log.jsonl and the decision boundary picture) of a run folder. */
export function readRun(runDir: string): RunData {
  const file = path.join(runDir, 'results.json');
  if (!fs.existsSync(file)) throw new Error(`report: no results.json in '${runDir}'`);
  const r = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
  const h = r.history;
  const list = Array.isArray(h) ? h : Array.isArray((h as { epochs?: unknown })?.epochs) ? (h as { epochs: unknown[] }).epochs : [];
  const epochs = (list as Record<string, unknown>[]).map(epochRow);
  const steps: { step: number; loss: number }[] = [];
  const logFile = path.join(runDir, 'log.jsonl');
  if (fs.existsSync(logFile)) {
    for (const line of fs.readFileSync(logFile, 'utf8').split('\n')) {
      if (!line.trim()) continue;
      try {
        const j = JSON.parse(line) as Record<string, unknown>;
        const step = num(j.iteration) ?? num(j.globalStep) ?? num(j.step);
        const loss = num(j.loss) ?? num(j.trainLoss);
        if (step !== undefined && loss !== undefined && (j.type === undefined || j.type === 'step')) steps.push({ step, loss });
      } catch {
        /* a torn last line after a crash: skip */
      }
    }
  }
  const db = path.join(runDir, DECISION_BOUNDARY_FILE);
  const config = (r.config && typeof r.config === 'object' ? r.config : {}) as Record<string, unknown>;
  return {
    dir: runDir,
    name: path.basename(path.resolve(runDir)),
    config,
    libtorch: (r.libtorch ?? undefined) as Record<string, unknown> | undefined,
    epochs,
    final: metrics(r.final) ?? metrics(epochs[epochs.length - 1]),
    best: metrics(r.best),
    test: metrics(r.test),
    secondsPerEpoch: num(r.secondsPerEpoch) ?? num((h as { secondsPerEpoch?: unknown })?.secondsPerEpoch),
    interrupted: (h as { interrupted?: boolean })?.interrupted ?? undefined,
    steps,
    decisionBoundary: fs.existsSync(db) ? fs.readFileSync(db, 'utf8') : undefined,
    reliability: readReliability(runDir),
    mixedBatch: readMixedBatch(runDir),
  };
}

// ---- charts of one run ------------------------------------------------------------------------------
function series(rows: EpochRow[], k: keyof EpochRow, name: string, scale = 1): SeriesPoint[] {
  return rows.filter((r) => r[k] !== undefined).map((r) => ({ x: r.epoch, y: (r[k] as number) * scale, series: name }));
}
const valName = (run: RunData) => (run.config.valSplit !== undefined ? 'validation' : 'test');

export async function lossChartSvg(run: RunData): Promise<string | undefined> {
  const pts = [
    ...series(run.epochs, 'trainLoss', 'train'),
    ...series(run.epochs, 'valLoss', valName(run)),
    ...series(run.epochs, 'emaValLoss', `${valName(run)} (EMA)`),
  ];
  return pts.length ? renderSvg(lineChartSpec(pts, { title: 'Loss per epoch', x: 'epoch', y: 'cross-entropy loss' })) : undefined;
}
export async function accuracyChartSvg(run: RunData): Promise<string | undefined> {
  const pts = [...series(run.epochs, 'valAcc', `${valName(run)} accuracy`, 100), ...series(run.epochs, 'emaValAcc', `${valName(run)} accuracy (EMA)`, 100)];
  return pts.length ? renderSvg(lineChartSpec(pts, { title: 'Accuracy per epoch', x: 'epoch', y: 'accuracy (%)' })) : undefined;
}
export async function eceChartSvg(run: RunData): Promise<string | undefined> {
  const pts = series(run.epochs, 'valEce', `${valName(run)} ECE`, 100);
  return pts.length ? renderSvg(lineChartSpec(pts, { title: 'Expected calibration error per epoch', x: 'epoch', y: 'ECE (%)', yZero: true })) : undefined;
}
export async function lrChartSvg(run: RunData): Promise<string | undefined> {
  const pts = series(run.epochs, 'lr', 'learning rate');
  return pts.length > 1 ? renderSvg(lineChartSpec(pts, { title: 'Learning rate', x: 'epoch', y: 'lr', yZero: true, height: 160 })) : undefined;
}
export async function stepLossChartSvg(run: RunData): Promise<string | undefined> {
  if (run.steps.length < 2) return undefined;
  const pts = run.steps.map((s) => ({ x: s.step, y: s.loss, series: 'train (logged steps)' }));
  return renderSvg(lineChartSpec(pts, { title: 'Training loss per logged step', x: 'step', y: 'loss', pointMarks: false, height: 160 }));
}

/** AdaMixup: the mean policy region [α, α + Δ] per epoch (band), mean λ, and the λ histogram (heat map). */
export async function policyChartSvgs(run: RunData): Promise<string[]> {
  const rows = run.epochs.filter((r) => r.policy);
  if (!rows.length) return [];
  const region = rows.map((r) => ({ epoch: r.epoch, lo: r.policy!.alphaMean, hi: r.policy!.alphaMean + r.policy!.deltaMean, lam: r.policy!.lamMean ?? null }));
  const out = [await renderSvg(policyRegionSpec(region))];
  const cells = rows.flatMap((r) => {
    const h = r.policy!.lamHist;
    if (!h?.length) return [];
    const total = h.reduce((a, b) => a + b, 0) || 1;
    return h.map((c, i) => ({ epoch: r.epoch, lo: i / h.length, hi: (i + 1) / h.length, frac: c / total }));
  });
  if (cells.length) out.push(await renderSvg(lamHistogramSpec(cells)));
  return out;
}

// ---- HTML ------------------------------------------------------------------------------------------------
const pct = (v: number | undefined, d = 2) => (v === undefined ? '–' : `${(100 * v).toFixed(d)}%`);
const fix = (v: number | undefined, d = 4) => (v === undefined ? '–' : v.toFixed(d));
const svgOnly = (svg: string) => svg.replace(/^<\?xml[^>]*>\s*/, '');

const CSS = `body{font-family:system-ui,sans-serif;margin:2em auto;max-width:1200px;color:#222;padding:0 1em}
h1{font-size:1.5em}h2{font-size:1.2em;margin-top:1.6em;border-bottom:1px solid #ddd}
table{border-collapse:collapse;font-variant-numeric:tabular-nums}td,th{padding:.25em .7em;border-bottom:1px solid #eee;text-align:right}
th{background:#f6f6f6}td:first-child,th:first-child{text-align:left}.charts{display:flex;flex-wrap:wrap;gap:1.5em}
.charts figure{margin:0}pre{background:#f6f6f6;padding:1em;overflow:auto;font-size:.85em}.muted{color:#777}
${MIXED_BATCH_CSS}`;

function page(title: string, body: string): string {
  return `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>\n<style>${CSS}</style></head>\n<body>\n${body}\n</body></html>\n`;
}
const figures = (svgs: (string | undefined)[]) =>
  `<div class="charts">${svgs
    .filter((s): s is string => !!s)
    .map((s) => `<figure>${svgOnly(s)}</figure>`)
    .join('\n')}</div>`;

function summaryTable(runs: RunData[]): string {
  const head = `<tr><th>run</th><th>method</th><th>final acc</th><th>best acc (epoch)</th><th>final loss</th><th>final ECE</th>${runs.some((r) => r.test) ? '<th>test acc</th><th>test ECE</th>' : ''}<th>s / epoch</th><th>epochs</th></tr>`;
  const rows = runs.map((r) => {
    const best =
      r.best ??
      r.epochs.reduce<Metrics | undefined>(
        (b, e) => (e.valAcc !== undefined && (b?.acc === undefined || e.valAcc > b.acc) ? { acc: e.valAcc, epoch: e.epoch } : b),
        undefined,
      );
    return (
      `<tr><td>${escapeHtml(r.name)}</td><td>${escapeHtml(text(r.config.method, '–'))}</td><td>${pct(r.final?.acc)}</td>` +
      `<td>${pct(best?.acc)}${best?.epoch !== undefined ? ` (${best.epoch})` : ''}</td><td>${fix(r.final?.loss)}</td><td>${pct(r.final?.ece)}</td>` +
      (runs.some((x) => x.test) ? `<td>${pct(r.test?.acc)}</td><td>${pct(r.test?.ece)}</td>` : '') +
      `<td>${fix(r.secondsPerEpoch, 2)}</td><td>${r.epochs.length}${r.interrupted ? ' (interrupted)' : ''}</td></tr>`
    );
  });
  return `<table class="summary">${head}${rows.join('')}</table>`;
}

function epochTable(run: RunData): string {
  const v = valName(run);
  const pol = run.epochs.some((e) => e.policy);
  const head =
    `<tr><th>epoch</th><th>train loss</th><th>${v} loss</th><th>${v} acc</th><th>${v} ECE</th><th>lr</th><th>seconds</th><th>images/s</th>` +
    `${pol ? '<th>mean α</th><th>mean Δ</th><th>mean λ</th><th>intrusion acc</th>' : ''}</tr>`;
  const rows = run.epochs.map(
    (e) =>
      `<tr><td>${e.epoch}</td><td>${fix(e.trainLoss)}</td><td>${fix(e.valLoss)}</td><td>${pct(e.valAcc)}</td><td>${pct(e.valEce)}</td>` +
      `<td>${e.lr === undefined ? '–' : e.lr.toPrecision(3)}</td><td>${fix(e.seconds, 2)}</td><td>${e.imagesPerSecond === undefined ? '–' : Math.round(e.imagesPerSecond)}</td>` +
      `${pol ? `<td>${fix(e.policy?.alphaMean, 3)}</td><td>${fix(e.policy?.deltaMean, 3)}</td><td>${fix(e.policy?.lamMean, 3)}</td><td>${pct(e.policy?.discAcc, 1)}</td>` : ''}</tr>`,
  );
  return `<table class="epochs">${head}${rows.join('')}</table>`;
}

/** The HTML of one run's report (self-contained). */
export async function renderReport(run: RunData): Promise<string> {
  const c = run.config;
  const title = `torchmix: ${text(c.method)} on ${text(c.dataset)} — ${run.name}`;
  // The reliability diagrams sit next to the ECE curve.
  const charts = await Promise.all([
    lossChartSvg(run),
    accuracyChartSvg(run),
    eceChartSvg(run),
    ...(run.reliability ?? []).map(reliabilitySvg),
    lrChartSvg(run),
    stepLossChartSvg(run),
  ]);
  const parts = [
    `<h1>${escapeHtml(title)}</h1>`,
    `<p class="muted">${run.libtorch ? `LibTorch ${escapeHtml(text(run.libtorch.version))}, ` : ''}model ${escapeHtml(text(c.model))}, device ${escapeHtml(text(c.device))}, seed ${escapeHtml(text(c.seed))}</p>`,
    '<h2>Summary</h2>',
    summaryTable([run]),
    '<h2>Curves</h2>',
    figures(charts),
  ];
  if (run.decisionBoundary) parts.push('<h2>Decision boundary</h2>', figures([run.decisionBoundary]));
  if (run.mixedBatch) parts.push('<h2>One training batch, mixed</h2>', await mixedBatchHtml(run.mixedBatch));
  const policy = await policyChartSvgs(run);
  if (policy.length) parts.push('<h2>Learned mixing policy (AdaMixup)</h2>', figures(policy));
  parts.push(...(await sslSection(run.dir)));
  parts.push(...(await robustnessSection(run.dir)));
  parts.push('<h2>Per epoch</h2>', epochTable(run), '<h2>Config</h2>', `<pre>${escapeHtml(JSON.stringify(c, null, 2))}</pre>`);
  if (run.libtorch) parts.push('<h2>LibTorch</h2>', `<pre>${escapeHtml(JSON.stringify(run.libtorch, null, 2))}</pre>`);
  return page(title, parts.join('\n'));
}

/** Writes <runDir>/report.html from results.json (+ log.jsonl, decision-boundary.svg); returns its path. */
export async function writeReport(runDir: string, opts?: { file?: string }): Promise<string> {
  const html = await renderReport(readRun(runDir));
  const file = opts?.file ?? path.join(runDir, 'report.html');
  writeAtomic(file, html);
  return file;
}

function writeAtomic(file: string, text: string): void {
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  writeFileAtomic(file, text);
}

// ---- two runs side by side ----------------------------------------------------------------------------------
const label = (r: RunData) => `${text(r.config.method)} (${r.name})`;

/** The HTML comparing runs (e.g. ERM next to mixup): decision boundaries side by side, overlaid curves, one table. */
export async function renderCompare(runs: RunData[]): Promise<string> {
  const title = `torchmix: ${runs.map((r) => text(r.config.method)).join(' vs ')} on ${[...new Set(runs.map((r) => text(r.config.dataset)))].join(', ')}`;
  const acc = runs.flatMap((r) => series(r.epochs, 'valAcc', label(r), 100));
  const loss = runs.flatMap((r) => series(r.epochs, 'valLoss', label(r)));
  const ece = runs.flatMap((r) => series(r.epochs, 'valEce', label(r), 100));
  const charts = await Promise.all([
    acc.length ? renderSvg(lineChartSpec(acc, { title: 'Accuracy per epoch', x: 'epoch', y: 'accuracy (%)' })) : undefined,
    loss.length ? renderSvg(lineChartSpec(loss, { title: 'Evaluation loss per epoch', x: 'epoch', y: 'cross-entropy loss' })) : undefined,
    ece.length ? renderSvg(lineChartSpec(ece, { title: 'ECE per epoch', x: 'epoch', y: 'ECE (%)', yZero: true })) : undefined,
  ]);
  const parts = [`<h1>${escapeHtml(title)}</h1>`, '<h2>Summary</h2>', summaryTable(runs)];
  if (runs.some((r) => r.decisionBoundary)) parts.push('<h2>Decision boundaries</h2>', figures(runs.map((r) => r.decisionBoundary)));
  parts.push('<h2>Curves</h2>', figures(charts));
  parts.push(...(await robustnessCompareSection(runs.map((r) => ({ dir: r.dir, label: label(r) })))));
  for (const r of runs) parts.push(`<h2>Config: ${escapeHtml(label(r))}</h2>`, `<pre>${escapeHtml(JSON.stringify(r.config, null, 2))}</pre>`);
  return page(title, parts.join('\n'));
}

/** Writes a comparison page of two (or more) run folders; returns its path. */
export async function writeCompare(runDirs: string[], file = 'compare.html'): Promise<string> {
  if (runDirs.length < 2) throw new Error('report: compare needs at least two run folders');
  writeAtomic(file, await renderCompare(runDirs.map(readRun)));
  return file;
}

// ---- decision boundary of a 2-D model -----------------------------------------------------------------------------
export interface DecisionBoundaryOptions {
  /** Cells per side of the evaluation grid (default 60). */
  grid?: number;
  /** Margin around the data, as a fraction of its range (default 0.15). */
  margin?: number;
  /** At most this many data points drawn (default 1000, the first ones). */
  maxPoints?: number;
  title?: string;
  /** Plot side in pixels (default 320). */
  size?: number;
}

/**
 * Evaluates a model on a grid over a 2-D dataset's range (in eval mode, without gradients) and
 * draws the predicted class of every cell (opacity = softmax confidence) under the data points.
 */
export async function decisionBoundarySvg(
  model: Module,
  dataset: Pick<Dataset, 'images' | 'labels' | 'classes'>,
  opts: DecisionBoundaryOptions = {},
): Promise<string> {
  const { images, labels } = dataset;
  if (images.ndim !== 2 || images.shape[1] !== 2)
    throw new torch.TorchValueError(`decisionBoundarySvg: dataset must hold N×2 points, got shape [${images.shape.join(', ')}]`);
  const g = opts.grid ?? 60;
  if (!Number.isInteger(g) || g < 2 || g > 400) throw new torch.TorchValueError(`decisionBoundarySvg: grid must be an integer in [2, 400], got ${String(g)}`);
  const xy = images.to({ device: 'cpu', dtype: 'float32' });
  const pts = Float32Array.from(xy.toArray() as Float32Array);
  xy.dispose();
  const lab = labels.to({ device: 'cpu' });
  const ys = Array.from(lab.toArray() as BigInt64Array, Number);
  lab.dispose();
  let [x0, x1, y0, y1] = [Infinity, -Infinity, Infinity, -Infinity];
  for (let i = 0; i < pts.length; i += 2) {
    x0 = Math.min(x0, pts[i]);
    x1 = Math.max(x1, pts[i]);
    y0 = Math.min(y0, pts[i + 1]);
    y1 = Math.max(y1, pts[i + 1]);
  }
  const m = opts.margin ?? 0.15;
  const [dx, dy] = [(x1 - x0 || 1) * m, (y1 - y0 || 1) * m];
  [x0, x1, y0, y1] = [x0 - dx, x1 + dx, y0 - dy, y1 + dy];
  const [cw, ch] = [(x1 - x0) / g, (y1 - y0) / g];
  const centres = new Float32Array(2 * g * g);
  for (let j = 0; j < g; j++)
    for (let i = 0; i < g; i++) {
      centres[2 * (j * g + i)] = x0 + (i + 0.5) * cw;
      centres[2 * (j * g + i) + 1] = y0 + (j + 0.5) * ch;
    }
  const device = model.parameters()[0]?.device ?? 'cpu';
  const wasTraining = model.training;
  model.eval();
  let cls: number[];
  let conf: Float32Array;
  try {
    [cls, conf] = torch.tidy(() =>
      torch.noGrad(() => {
        const out = model.forward(torch.tensor(centres, { shape: [g * g, 2] }).to(device)) as torch.Tensor;
        const probs = softmax(out, 1);
        const { values, indices } = probs.max({ dim: 1 });
        return [Array.from(indices.to('cpu').toArray() as BigInt64Array, Number), Float32Array.from(values.to('cpu').toArray() as Float32Array)];
      }),
    );
  } finally {
    model.train(wasTraining);
  }
  const classes = dataset.classes.length ? [...dataset.classes] : [...new Set(ys)].sort((a, b) => a - b).map(String);
  const name = (k: number) => classes[k] ?? String(k);
  const cells: GridCell[] = [];
  for (let j = 0; j < g; j++)
    for (let i = 0; i < g; i++) {
      const k = j * g + i;
      cells.push({ x: x0 + i * cw, x2: x0 + (i + 1) * cw, y: y0 + j * ch, y2: y0 + (j + 1) * ch, cls: name(cls[k]), p: Math.round(conf[k] * 1000) / 1000 });
    }
  const points: Point2[] = [];
  const maxPoints = opts.maxPoints ?? 1000;
  for (let i = 0; i < ys.length && i < maxPoints; i++) points.push({ x: pts[2 * i], y: pts[2 * i + 1], cls: name(ys[i]) });
  return renderSvg(decisionBoundarySpec(cells, points, classes, { title: opts.title ?? 'Decision boundary', size: opts.size }));
}
