// SWEEP/sweep.html: the summary table and its figures (Vega-Lite rendered to SVG by lib/report/charts):
// accuracy (best and last) vs the label-noise rate, one line per group of the other keys, when the
// sweep varies labelNoise; robust accuracy vs ε, one panel per attack, when the points were attacked.
// Error bars: ± one sample std over the group's points (seeds).
import path from 'node:path';
import { renderSvg, escapeHtml, SCHEMA } from '../report/charts.js';
import { writeFileAtomic } from '../torch/serialize.js';
import { groupLabel, epsLabel, type SweepSummary, type Stat } from './summary.js';

interface Row {
  x: number;
  mean: number;
  lo: number;
  hi: number;
  n: number;
  series: string;
  panel: string;
}

/** Lines of means with ± std error bars, one colour per series, one column per panel. */
export function errorBarSpec(rows: Row[], o: { title: string; x: string; y: string; xScale?: object }): object {
  const x = { field: 'x', type: 'quantitative', title: o.x, ...(o.xScale ? { scale: o.xScale } : {}) };
  const color = { field: 'series', type: 'nominal', title: null, legend: { orient: 'bottom', direction: 'vertical', labelLimit: 0 } };
  return {
    $schema: SCHEMA,
    title: o.title,
    data: { values: rows },
    facet: { column: { field: 'panel', type: 'nominal', title: null } },
    spec: {
      width: 300,
      height: 220,
      layer: [
        {
          mark: { type: 'line', point: true },
          encoding: {
            x,
            y: { field: 'mean', type: 'quantitative', title: o.y, scale: { zero: false } },
            color,
            tooltip: [{ field: 'series' }, { field: 'x' }, { field: 'mean', format: '.2f' }, { field: 'n' }],
          },
        },
        { mark: { type: 'errorbar', ticks: true }, encoding: { x, y: { field: 'lo', type: 'quantitative', title: o.y }, y2: { field: 'hi' }, color } },
      ],
    },
    config: { font: 'sans-serif' },
  };
}

const row = (x: number, s: Stat, series: string, panel: string): Row => ({
  x,
  mean: 100 * s.mean,
  lo: 100 * (s.mean - s.std),
  hi: 100 * (s.mean + s.std),
  n: s.n,
  series,
  panel,
});
/** A series' name: its group's values, leaving out `key` (the x axis) and what the point leaves unset (erm's alpha). */
const seriesOf = (g: Record<string, unknown>, key?: string) =>
  groupLabel(Object.fromEntries(Object.entries(g).filter(([k, v]) => k !== key && v !== null && v !== undefined)));

/** The figures' specs (exported for tests): noise (when the sweep varies labelNoise) and robustness (when attacked). */
export function sweepFigureSpecs(s: SweepSummary): { noise?: object; robustness?: object } {
  const out: { noise?: object; robustness?: object } = {};
  const noiseValues = new Set(s.points.map((p) => JSON.stringify(p.group.labelNoise)));
  if (s.groupBy.includes('labelNoise') && noiseValues.size > 1) {
    const rows: Row[] = [];
    for (const g of s.groups) {
      const x = Number(g.group.labelNoise);
      const series = seriesOf(g.group, 'labelNoise');
      if (g.best) rows.push(row(x, g.best, series, `best ${s.metric}`));
      if (g.last) rows.push(row(x, g.last, series, `last ${s.metric}`));
    }
    if (rows.length)
      out.noise = errorBarSpec(rows, {
        title: 'accuracy vs label noise (mean ± std over seeds)',
        x: 'label noise (--label-noise)',
        y: 'accuracy %',
      });
  }
  // L∞ radii read as k/255; an L2 radius (pgdl2) does not, so then ε stays as it is.
  const in255 = !s.groups.some((g) => g.robust.some((r) => r.attack === 'pgdl2'));
  const rrows: Row[] = [];
  for (const g of s.groups) for (const r of g.robust) rrows.push(row(in255 ? 255 * r.eps : r.eps, r.acc, seriesOf(g.group), r.attack));
  if (rrows.length)
    out.robustness = errorBarSpec(rrows, {
      title: 'robust accuracy vs ε (pixel space; mean ± std over seeds)',
      x: in255 ? 'ε × 255' : 'ε',
      y: 'accuracy %',
    });
  return out;
}

const CSS = `body{font-family:system-ui,sans-serif;margin:2em auto;max-width:1400px;color:#222;padding:0 1em}
h1{font-size:1.5em}h2{font-size:1.2em;margin-top:1.6em;border-bottom:1px solid #ddd}
table{border-collapse:collapse;font-variant-numeric:tabular-nums}td,th{padding:.25em .7em;border-bottom:1px solid #eee;text-align:right}
th{background:#f6f6f6}td:first-child,th:first-child{text-align:left}.muted{color:#777}figure{margin:0}`;

const pm = (s: Stat | undefined) => (s ? `${(100 * s.mean).toFixed(2)} ± ${(100 * s.std).toFixed(2)}` : '–');

export async function writeSweepHtml(dir: string, s: SweepSummary): Promise<string> {
  const specs = sweepFigureSpecs(s);
  const svg = async (spec: object | undefined) => (spec ? (await renderSvg(spec)).replace(/^<\?xml[^>]*>\s*/, '') : '');
  const cells = [...new Map(s.groups.flatMap((g) => g.robust.map((r) => [`${r.attack} ${r.eps}`, r] as const))).values()].sort(
    (a, b) => a.attack.localeCompare(b.attack) || a.eps - b.eps,
  );
  const head = [...s.groupBy, 'n', `best ${s.metric} %`, `last ${s.metric} %`, ...cells.map((c) => `${c.attack} ε=${epsLabel(c.eps)} %`)];
  const body = s.groups.map((g) => {
    const n = s.points.filter((p) => g.points.includes(p.name) && p.status === 'finished').length;
    const vals = [
      ...s.groupBy.map((k) =>
        g.group[k] === null || g.group[k] === undefined ? '–' : typeof g.group[k] === 'string' ? g.group[k] : JSON.stringify(g.group[k]),
      ),
      `${n}/${g.points.length}`,
      pm(g.best),
      pm(g.last),
      ...cells.map((c) => pm(g.robust.find((r) => r.attack === c.attack && r.eps === c.eps)?.acc)),
    ];
    return `<tr>${vals.map((v) => `<td>${escapeHtml(v)}</td>`).join('')}</tr>`;
  });
  const finished = s.points.filter((p) => p.status === 'finished').length;
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>sweep ${escapeHtml(s.name)}</title>
<style>${CSS}</style></head>
<body>
<h1>Sweep ${escapeHtml(s.name)}</h1>
<p class="muted">${s.points.length} points from ${escapeHtml(s.spec)}, ${finished} finished; mean ± sample std over the finished points of each row. Written ${escapeHtml(s.created)}.</p>
<table><tr>${head.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr>
${body.join('\n')}</table>
${specs.noise ? `<h2>Accuracy vs label noise</h2>\n<figure>${await svg(specs.noise)}</figure>` : ''}
${specs.robustness ? `<h2>Robust accuracy vs ε</h2>\n<figure>${await svg(specs.robustness)}</figure>` : ''}
<h2>Points</h2>
<table><tr><th>point</th><th>status</th><th>best %</th><th>last %</th></tr>
${s.points
  .map(
    (p) =>
      `<tr><td><a href="${escapeHtml(path.relative(dir, path.join(p.dir, 'report.html')))}">${escapeHtml(p.name)}</a></td><td>${p.status}</td><td>${p.best ? (100 * p.best.acc).toFixed(2) : '–'}</td><td>${p.last ? (100 * p.last.acc).toFixed(2) : '–'}</td></tr>`,
  )
  .join('\n')}</table>
</body></html>
`;
  const file = path.join(dir, 'sweep.html');
  writeFileAtomic(file, html);
  return file;
}
