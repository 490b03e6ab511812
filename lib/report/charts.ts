// Charts as SVG strings: vega-lite specs compiled to vega and rendered headless (renderer 'none').
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

/** Renders a vega-lite spec to a standalone SVG string. */
export async function renderSvg(spec: object): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec as TopLevelSpec).spec), { renderer: 'none' });
  try {
    return compactSvg(await view.toSVG());
  } finally {
    view.finalize();
  }
}

/** Rounds the numbers in geometry attributes (d, transform, opacity) to 2 decimals: far below a pixel,
 *  and a third of the size for pictures with thousands of marks. Text (tick labels) is untouched. */
export function compactSvg(svg: string): string {
  return svg.replace(
    / (d|transform|opacity|fill-opacity|stroke-opacity)="([^"]*)"/g,
    (_, a: string, v: string) => ` ${a}="${v.replace(/-?\d*\.\d{3,}/g, (n) => String(Math.round(Number(n) * 100) / 100))}"`,
  );
}

export const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';

/** Text for HTML (element content and quoted attribute values). */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

export interface SeriesPoint {
  x: number;
  y: number;
  series: string;
}

/** Lines with a point per value, one colour per series. */
export function lineChartSpec(
  points: SeriesPoint[],
  o: { title: string; x: string; y: string; width?: number; height?: number; yZero?: boolean; pointMarks?: boolean },
): object {
  return {
    $schema: SCHEMA,
    title: o.title,
    width: o.width ?? 380,
    height: o.height ?? 240,
    data: { values: points },
    mark: { type: 'line', point: o.pointMarks ?? true },
    encoding: {
      x: { field: 'x', type: 'quantitative', title: o.x, axis: { tickMinStep: 1 } },
      y: { field: 'y', type: 'quantitative', title: o.y, scale: { zero: o.yZero ?? false } },
      color: { field: 'series', type: 'nominal', title: null, legend: { orient: 'bottom' } },
    },
    config: { font: 'sans-serif' },
  };
}

/** AdaMixup's policy region per epoch: a band from mean α to mean α + Δ, and the mean λ as a line. */
export function policyRegionSpec(rows: { epoch: number; lo: number; hi: number; lam: number | null }[], o?: { title?: string }): object {
  const x = { field: 'epoch', type: 'quantitative', title: 'epoch', axis: { tickMinStep: 1 } };
  return {
    $schema: SCHEMA,
    title: o?.title ?? 'Learned λ region: mean [α, α + Δ] and mean λ',
    width: 380,
    height: 240,
    data: { values: rows },
    layer: [
      {
        mark: { type: 'area', opacity: 0.3, color: '#4c78a8' },
        encoding: { x, y: { field: 'lo', type: 'quantitative', title: 'λ', scale: { domain: [0, 1] } }, y2: { field: 'hi' } },
      },
      { mark: { type: 'line', point: true, color: '#e45756' }, encoding: { x, y: { field: 'lam', type: 'quantitative' } } },
    ],
    config: { font: 'sans-serif' },
  };
}

/** λ histogram per epoch as a heat map (x epoch, y λ bin, colour = fraction of the epoch's pairs). */
export function lamHistogramSpec(cells: { epoch: number; lo: number; hi: number; frac: number }[], o?: { title?: string }): object {
  return {
    $schema: SCHEMA,
    title: o?.title ?? 'λ per epoch (fraction of pairs in each bin)',
    width: 380,
    height: 240,
    data: { values: cells },
    transform: [
      { calculate: 'datum.epoch - 0.5', as: 'e0' },
      { calculate: 'datum.epoch + 0.5', as: 'e1' },
    ],
    mark: 'rect',
    encoding: {
      x: { field: 'e0', type: 'quantitative', title: 'epoch', axis: { tickMinStep: 1 }, scale: { nice: false } },
      x2: { field: 'e1' },
      y: { field: 'lo', type: 'quantitative', title: 'λ', scale: { domain: [0, 1] } },
      y2: { field: 'hi' },
      color: { field: 'frac', type: 'quantitative', title: 'fraction', scale: { scheme: 'blues' } },
    },
    config: { font: 'sans-serif' },
  };
}

export interface GridCell {
  x: number;
  x2: number;
  y: number;
  y2: number;
  cls: string;
  p: number;
}
export interface Point2 {
  x: number;
  y: number;
  cls: string;
}

/** Decision regions (one rect per grid cell, colour = predicted class, opacity = confidence) under the data points. */
export function decisionBoundarySpec(cells: GridCell[], points: Point2[], classes: string[], o: { title: string; size?: number }): object {
  const color = { field: 'cls', type: 'nominal', title: 'class', scale: { domain: classes } };
  const size = o.size ?? 320;
  return {
    $schema: SCHEMA,
    title: o.title,
    width: size,
    height: size,
    layer: [
      {
        data: { values: cells },
        mark: { type: 'rect', strokeWidth: 0, aria: false },
        encoding: {
          x: { field: 'x', type: 'quantitative', title: 'x₁', scale: { zero: false, nice: false } },
          x2: { field: 'x2' },
          y: { field: 'y', type: 'quantitative', title: 'x₂', scale: { zero: false, nice: false } },
          y2: { field: 'y2' },
          color,
          opacity: { field: 'p', type: 'quantitative', scale: { domain: [1 / Math.max(2, classes.length), 1], range: [0.05, 0.55] }, legend: null },
        },
      },
      {
        data: { values: points },
        mark: { type: 'point', filled: true, size: 14, stroke: 'black', strokeWidth: 0.3, opacity: 0.9, aria: false },
        encoding: {
          x: { field: 'x', type: 'quantitative' },
          y: { field: 'y', type: 'quantitative' },
          color,
        },
      },
    ],
    config: { font: 'sans-serif' },
  };
}
