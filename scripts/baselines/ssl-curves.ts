// Learning curves of a semi-supervised study (scripts/baselines/ssl-compare.sh): test accuracy per
// epoch, mean over seeds, one line per (method, implementation). Writes an SVG (vega-lite, as the
// reports draw their charts).
//
//   npx tsx scripts/baselines/ssl-curves.ts runs/ssl-fmnist "0 1 2" "none mixmatch ict" docs/figures/ssl-fmnist-curves.svg
import fs from 'node:fs';
import path from 'node:path';
import { renderSvg, lineChartSpec } from '../../lib/report/charts.js';

const [dir = 'runs/ssl-fmnist', seeds = '0 1 2', methods = 'none mixmatch ict', out = 'ssl-curves.svg'] = process.argv.slice(2);
const names: Record<string, string> = { none: 'supervised', mixmatch: 'MixMatch', ict: 'ICT' };
const points: { x: number; y: number; series: string }[] = [];
for (const m of methods.split(' '))
  for (const impl of ['torchmix', 'pytorch']) {
    const runs = seeds
      .split(' ')
      .map((s) => path.join(dir, `${impl}-${m}-s${s}`, 'results.json'))
      .filter((f) => fs.existsSync(f))
      .map((f) => (JSON.parse(fs.readFileSync(f, 'utf8')) as { history: { epochs: { epoch: number; valAcc: number }[] } }).history.epochs);
    if (!runs.length) continue;
    const n = Math.min(...runs.map((r) => r.length));
    for (let e = 0; e < n; e++)
      points.push({
        x: e + 1,
        y: (100 * runs.reduce((a, r) => a + r[e].valAcc, 0)) / runs.length,
        series: `${names[m] ?? m}, ${impl === 'torchmix' ? 'torchmix' : 'PyTorch'}`,
      });
  }
const svg = await renderSvg(
  lineChartSpec(points, {
    title: `Fashion-MNIST, 1,000 labels: test accuracy (mean over seeds ${seeds.replace(/ /g, ', ')})`,
    x: 'epoch',
    y: 'test accuracy (%)',
    width: 520,
    height: 300,
  }),
);
fs.writeFileSync(out, svg);
console.log(`wrote ${out} (${points.length} points)`);
