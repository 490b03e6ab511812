// The semi-supervised section of a run's report (MixMatch, ICT, and the supervised-only baseline on
// the same split): the labeled/unlabeled split from results.json's `split` (written by
// `torchmix train --labels N`), and per epoch the mean supervised and unsupervised losses and the
// ramp weight of the unlabeled loss (the methods' epochStats(): history.epochs[i].method).
import fs from 'node:fs';
import path from 'node:path';
import { renderSvg, lineChartSpec, type SeriesPoint } from './charts.js';

export interface SslSplit {
  labels: number;
  labelsPerClass: number;
  labeled: number;
  unlabeled: number;
  unlabeledUsed: boolean;
  seed: number;
  stepsPerEpoch?: number;
}
export interface SslEpoch {
  epoch: number;
  supLoss: number;
  unsupLoss: number;
  weight: number;
}

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

/** The split and the per-epoch SSL statistics of a run folder (undefined parts when absent). */
export function readSsl(runDir: string): { split?: SslSplit; epochs: SslEpoch[] } {
  const file = path.join(runDir, 'results.json');
  if (!fs.existsSync(file)) return { epochs: [] };
  const r = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
  const s = r.split as Record<string, unknown> | undefined;
  const split =
    s && typeof s === 'object' && num(s.labels) !== undefined && num(s.labeled) !== undefined && num(s.unlabeled) !== undefined
      ? {
          labels: s.labels as number,
          labelsPerClass: num(s.labelsPerClass) ?? NaN,
          labeled: s.labeled as number,
          unlabeled: s.unlabeled as number,
          unlabeledUsed: s.unlabeledUsed !== false,
          seed: num(s.seed) ?? NaN,
          stepsPerEpoch: num(s.stepsPerEpoch),
        }
      : undefined;
  const h = r.history as { epochs?: unknown } | undefined;
  const list = Array.isArray(h?.epochs) ? (h.epochs as Record<string, unknown>[]) : [];
  const epochs: SslEpoch[] = [];
  list.forEach((e, i) => {
    const m = e.method as Record<string, unknown> | undefined;
    const sup = num(m?.supLoss),
      unsup = num(m?.unsupLoss),
      w = num(m?.weight);
    if (sup !== undefined && unsup !== undefined && w !== undefined) epochs.push({ epoch: num(e.epoch) ?? i + 1, supLoss: sup, unsupLoss: unsup, weight: w });
  });
  return { split, epochs };
}

/** The section's HTML parts (empty for a run without a split or SSL statistics). */
export async function sslSection(runDir: string): Promise<string[]> {
  const { split, epochs } = readSsl(runDir);
  if (!split && !epochs.length) return [];
  const parts = ['<h2>Semi-supervised</h2>'];
  if (split)
    parts.push(
      '<table class="ssl-split"><tr><th>labels</th><th>per class</th><th>labeled images</th><th>unlabeled images</th><th>split seed</th><th>steps / epoch</th></tr>' +
        `<tr><td>${split.labels}</td><td>${split.labelsPerClass}</td><td>${split.labeled}</td><td>${split.unlabeled}${split.unlabeledUsed ? '' : ' (not used: supervised only)'}</td>` +
        `<td>${split.seed}</td><td>${split.stepsPerEpoch ?? '–'}</td></tr></table>`,
    );
  if (epochs.length) {
    const losses: SeriesPoint[] = [
      ...epochs.map((e) => ({ x: e.epoch, y: e.supLoss, series: 'supervised (cross-entropy)' })),
      ...epochs.map((e) => ({ x: e.epoch, y: e.unsupLoss, series: 'unsupervised (L2, before the weight)' })),
    ];
    const ramp = epochs.map((e) => ({ x: e.epoch, y: e.weight, series: 'weight of the unlabeled loss' }));
    const svgs = await Promise.all([
      renderSvg(lineChartSpec(losses, { title: 'Supervised and unsupervised loss per epoch', x: 'epoch', y: 'mean loss', yZero: true })),
      renderSvg(lineChartSpec(ramp, { title: 'Ramp-up of the unlabeled weight (epoch mean)', x: 'epoch', y: 'w', yZero: true })),
    ]);
    parts.push(`<div class="charts">${svgs.map((s) => `<figure>${s.replace(/^<\?xml[^>]*>\s*/, '')}</figure>`).join('\n')}</div>`);
    parts.push(
      '<table class="ssl-epochs"><tr><th>epoch</th><th>supervised loss</th><th>unsupervised loss</th><th>weight</th></tr>' +
        epochs
          .map((e) => `<tr><td>${e.epoch}</td><td>${e.supLoss.toFixed(4)}</td><td>${e.unsupLoss.toFixed(5)}</td><td>${e.weight.toFixed(3)}</td></tr>`)
          .join('') +
        '</table>',
    );
  }
  return parts;
}
