// The sweep's summary from its finished points: SWEEP/summary.json (every point), SWEEP/summary.md
// (mean ± sample std over the points of a group, seeds by default, with n) and SWEEP/sweep.html.
import fs from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../torch/serialize.js';
import type { Sweep } from './spec.js';
import { readResults, readRobustness, isFinished, robustnessMatches } from './state.js';
import { writeSweepHtml } from './html.js';

export interface PointSummary {
  name: string;
  dir: string;
  /** finished: trained over every epoch; unfinished: started, not finished; missing: never started. */
  status: 'finished' | 'unfinished' | 'missing';
  /** The swept values of the point (point and grid keys). */
  values: Record<string, unknown>;
  /** The point's whole train config as the sweep resolved it (defaults included). */
  config: Record<string, unknown>;
  /** The values of the summary's groupBy keys (from the point's resolved config). */
  group: Record<string, unknown>;
  epochs?: number;
  best?: { acc: number; epoch: number };
  last?: { acc: number; epoch: number };
  /** results.json's test metrics (runs with a validation split). */
  test?: { acc: number; loss: number };
  /** The train labels corrupted as results.json reports them: the measured rate of wrong labels. */
  labelNoise?: { fraction: number; mode: string; rate: number };
  robustness?: { attack: string; eps: number; acc: number; loss: number | null; n: number }[];
  secondsPerEpoch?: number;
}
export interface Stat {
  mean: number;
  std: number;
  n: number;
}
export interface GroupSummary {
  key: string;
  group: Record<string, unknown>;
  points: string[];
  best?: Stat;
  last?: Stat;
  noiseRate?: Stat;
  robust: { attack: string; eps: number; acc: Stat }[];
}
export interface SweepSummary {
  name: string;
  spec: string;
  created: string;
  metric: string;
  groupBy: string[];
  gridKeys: string[];
  pointKeys: string[];
  attack?: Sweep['attack'];
  points: PointSummary[];
  groups: GroupSummary[];
}

/** Mean and sample standard deviation (n − 1; 0 for one value). */
export function stat(xs: number[]): Stat | undefined {
  if (!xs.length) return undefined;
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const std = xs.length > 1 ? Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length - 1)) : 0;
  return { mean, std, n: xs.length };
}

export function pointSummary(sweep: Sweep, i: number): PointSummary {
  const p = sweep.points[i];
  const cfg = p.config as Record<string, unknown>;
  const group = Object.fromEntries(sweep.groupBy.map((k) => [k, cfg[k] ?? null]));
  const r = readResults(p.dir);
  const base = { name: p.name, dir: p.dir, values: p.values, config: cfg, group };
  if (!isFinished(r, p.config.epochs)) return { ...base, status: fs.existsSync(path.join(p.dir, 'checkpoint.json')) || r ? 'unfinished' : 'missing' };
  const m = sweep.metric;
  const recs = r!.history.epochs.filter((e) => typeof e[m] === 'number');
  const s: PointSummary = { ...base, status: 'finished', epochs: r!.history.epochs.length };
  if (recs.length) {
    const best = recs.reduce((b, e) => ((e[m] as number) > (b[m] as number) ? e : b));
    const last = recs[recs.length - 1];
    s.best = { acc: best[m] as number, epoch: best.epoch };
    s.last = { acc: last[m] as number, epoch: last.epoch };
  }
  if (r!.test && typeof r!.test.acc === 'number') s.test = { acc: r!.test.acc, loss: r!.test.loss };
  if (r!.labelNoise) s.labelNoise = r!.labelNoise;
  if (typeof r!.secondsPerEpoch === 'number') s.secondsPerEpoch = r!.secondsPerEpoch;
  const rob = readRobustness(p.dir);
  if (rob && (!sweep.attack || robustnessMatches(rob, sweep.attack)))
    s.robustness = rob.results.map(({ attack, eps, acc, loss, n }) => ({ attack, eps, acc, loss, n }));
  return s;
}

export function buildSummary(sweep: Sweep): SweepSummary {
  const points = sweep.points.map((_, i) => pointSummary(sweep, i));
  const groups = new Map<string, GroupSummary>();
  const finished: Record<string, PointSummary[]> = {};
  for (const p of points) {
    const key = JSON.stringify(sweep.groupBy.map((k) => p.group[k]));
    if (!groups.has(key)) groups.set(key, { key: groupLabel(p.group), group: p.group, points: [], robust: [] });
    groups.get(key)!.points.push(p.name);
    if (p.status === 'finished') (finished[key] ??= []).push(p);
  }
  for (const [key, g] of groups) {
    const ps = finished[key] ?? [];
    const best = stat(ps.flatMap((p) => (p.best ? [p.best.acc] : [])));
    const last = stat(ps.flatMap((p) => (p.last ? [p.last.acc] : [])));
    const noise = stat(ps.flatMap((p) => (p.labelNoise ? [p.labelNoise.rate] : [])));
    if (best) g.best = best;
    if (last) g.last = last;
    if (noise) g.noiseRate = noise;
    const cells = new Map<string, { attack: string; eps: number; accs: number[] }>();
    for (const p of ps)
      for (const x of p.robustness ?? []) {
        if (sweep.attack && !(sweep.attack.attack.includes(x.attack) && sweep.attack.eps.some((e) => Math.abs(e - x.eps) < 1e-9))) continue;
        const k = `${x.attack} ${x.eps}`;
        if (!cells.has(k)) cells.set(k, { attack: x.attack, eps: x.eps, accs: [] });
        cells.get(k)!.accs.push(x.acc);
      }
    g.robust = [...cells.values()]
      .sort((a, b) => a.attack.localeCompare(b.attack) || a.eps - b.eps)
      .map((c) => ({ attack: c.attack, eps: c.eps, acc: stat(c.accs)! }));
  }
  return {
    name: sweep.name,
    spec: sweep.specFile,
    created: new Date().toISOString(),
    metric: sweep.metric,
    groupBy: sweep.groupBy,
    gridKeys: sweep.gridKeys,
    pointKeys: sweep.pointKeys,
    ...(sweep.attack ? { attack: sweep.attack } : {}),
    points,
    groups: [...groups.values()],
  };
}

const fmtValue = (v: unknown) => (v === null || v === undefined ? '–' : typeof v === 'string' ? v : JSON.stringify(v));
export const groupLabel = (g: Record<string, unknown>): string =>
  Object.entries(g)
    .map(([k, v]) => `${k}=${fmtValue(v)}`)
    .join(', ') || 'all';
const pctStat = (s: Stat | undefined) => (s ? `${(100 * s.mean).toFixed(2)} ± ${(100 * s.std).toFixed(2)}` : '–');
/** ε for display: 8/255 style when it is a whole number of 255ths. */
export const epsLabel = (e: number): string => {
  const k = e * 255;
  return e !== 0 && Math.abs(k - Math.round(k)) < 1e-6 ? `${Math.round(k)}/255` : String(e);
};

/** The Markdown table: one row per group, accuracies in % as mean ± sample std over its n finished points. */
export function summaryMarkdown(s: SweepSummary): string {
  const cells = [...new Map(s.groups.flatMap((g) => g.robust.map((r) => [`${r.attack} ${r.eps}`, { attack: r.attack, eps: r.eps }]))).values()].sort(
    (a, b) => a.attack.localeCompare(b.attack) || a.eps - b.eps,
  );
  const noise = s.groups.some((g) => g.noiseRate);
  const head = [
    ...s.groupBy,
    'n',
    `best ${s.metric} %`,
    `last ${s.metric} %`,
    ...(noise ? ['wrong labels %'] : []),
    ...cells.map((c) => `${c.attack} ε=${epsLabel(c.eps)} %`),
  ];
  const rows = s.groups.map((g) => {
    const n = s.points.filter((p) => g.points.includes(p.name) && p.status === 'finished').length;
    return [
      ...s.groupBy.map((k) => fmtValue(g.group[k])),
      `${n}/${g.points.length}`,
      pctStat(g.best),
      pctStat(g.last),
      ...(noise ? [pctStat(g.noiseRate)] : []),
      ...cells.map((c) => {
        const r = g.robust.find((x) => x.attack === c.attack && Math.abs(x.eps - c.eps) < 1e-12);
        return r ? `${pctStat(r.acc)}${r.acc.n !== n ? ` (n=${r.acc.n})` : ''}` : '–';
      }),
    ];
  });
  const line = (cs: string[]) => `| ${cs.join(' | ')} |`;
  const unfinished = s.points.filter((p) => p.status !== 'finished');
  return [
    `# Sweep ${s.name}`,
    '',
    `${s.points.length} points from \`${s.spec}\`; ${s.points.length - unfinished.length} finished. Accuracy (${s.metric}, %) as mean ± sample std over the finished points of each row (n = finished/points); best = the best epoch of each run, last = its final epoch; – = not set (the train default).${noise ? ' Wrong labels: the measured fraction of corrupted train labels (results.json labelNoise.rate).' : ''}`,
    '',
    line(head),
    line(head.map(() => '---')),
    ...rows.map(line),
    '',
    ...(unfinished.length ? [`Not finished: ${unfinished.map((p) => `${p.name} (${p.status})`).join(', ')}`, ''] : []),
  ].join('\n');
}

/** Writes summary.json, summary.md and sweep.html into the sweep folder; returns the summary. */
export async function writeSummary(sweep: Sweep): Promise<SweepSummary> {
  const s = buildSummary(sweep);
  fs.mkdirSync(sweep.out, { recursive: true });
  writeFileAtomic(path.join(sweep.out, 'summary.json'), JSON.stringify(s, null, 2) + '\n');
  writeFileAtomic(path.join(sweep.out, 'summary.md'), summaryMarkdown(s));
  await writeSweepHtml(sweep.out, s);
  return s;
}
