// Reliability diagrams (Guo et al. 2017, fig. 1): per confidence bin, the accuracy of the samples
// in it against their mean confidence, with the diagonal of perfect calibration. The bins are the
// ECE's (lib/train/metrics.ts: 15 equal-width bins, b = (b/B, (b+1)/B]); per bin the sums of
// (confidence − correct) come from calibrationSums itself, and the count and correct sum are
// accumulated beside them with the same bin index, so Σ_b |Σ(conf − correct)| / N is exactly the
// ECE that evaluateModel reports. The CLI computes them on the test split at the end of training
// for the final model (and the EMA model with --ema) and stores them in <run>/reliability.json;
// the report draws them from that file.
import fs from 'node:fs';
import path from 'node:path';
import * as torch from '../torch/index.js';
import { softmax } from '../nn/functional.js';
import type { Module } from '../nn/module.js';
import type { DataLoader } from '../data/loader.js';
import { calibrationSums, confidenceBins } from '../train/metrics.js';
import { writeFileAtomic } from '../torch/serialize.js';
import { renderSvg, SCHEMA } from './charts.js';

type Tensor = torch.Tensor;

/** The run-folder file holding the bins. */
export const RELIABILITY_FILE = 'reliability.json';

export interface ReliabilityBin {
  /** The bin (lo, hi] of confidences. */
  lo: number;
  hi: number;
  /** Samples whose confidence falls in the bin. */
  count: number;
  /** Their mean confidence and accuracy (null for an empty bin). */
  conf: number | null;
  acc: number | null;
}
/** One model's diagram. */
export interface Reliability {
  /** 'final' (the trained model), the plug-in's name ('ema'), or 'eval' (the method's own evaluation model). */
  model: string;
  /** The split the bins come from ('test', 'validation'). */
  split: string;
  nBins: number;
  n: number;
  acc: number;
  /** Σ_b (n_b / N)·|acc_b − conf_b|: the ECE of the same samples and bins. */
  ece: number;
  bins: ReliabilityBin[];
}

/** Per-bin [count, correct, Σ(conf − correct)] of one batch as a float64 [3, nBins] tensor (on the batch's device). */
export function binSums(probs: Tensor, labels: Tensor, nBins = 15): Tensor {
  const d = calibrationSums(probs, labels, nBins); // validates probs, labels and nBins
  return torch.tidy(() => {
    const { correct, bin } = confidenceBins(probs, labels, nBins); // the bins calibrationSums uses
    const c = correct.double();
    const z = () => torch.zeros([nBins], { dtype: 'float64', device: probs.device });
    return torch.stack([z().scatterAdd(0, bin, torch.onesLike(c)), z().scatterAdd(0, bin, c), d.double()]);
  });
}

/** Bins from accumulated sums (count, correct, Σ(conf − correct) per bin). */
export function binsFromSums(
  count: readonly number[],
  correct: readonly number[],
  gap: readonly number[],
): { n: number; acc: number; ece: number; bins: ReliabilityBin[] } {
  const B = count.length;
  const n = count.reduce((a, v) => a + v, 0);
  const bins = count.map((c, b) => ({
    lo: b / B,
    hi: (b + 1) / B,
    count: c,
    conf: c > 0 ? (correct[b] + gap[b]) / c : null,
    acc: c > 0 ? correct[b] / c : null,
  }));
  const m = Math.max(1, n);
  return { n, acc: correct.reduce((a, v) => a + v, 0) / m, ece: gap.reduce((a, v) => a + Math.abs(v), 0) / m, bins };
}

/** The reliability bins of N×C probabilities against int64 labels [N]. */
export function reliabilityOf(probs: Tensor, labels: Tensor, nBins = 15): { n: number; acc: number; ece: number; bins: ReliabilityBin[] } {
  const s = torch.tidy(() => Array.from(binSums(probs, labels, nBins).to('cpu').reshape([-1]).toArray() as Float64Array));
  return binsFromSums(s.slice(0, nBins), s.slice(nBins, 2 * nBins), s.slice(2 * nBins));
}

/**
 * A model's reliability bins over a loader, in eval mode without gradients (its mode restored):
 * the sums accumulate on the device, one host read at the end.
 */
export function reliabilityOfModel(model: Module, loader: DataLoader, opts: { model?: string; split?: string; nBins?: number } = {}): Reliability {
  const nBins = opts.nBins ?? 15;
  if (!Number.isSafeInteger(nBins) || nBins < 1)
    throw new torch.TorchValueError(`reliabilityOfModel(): nBins must be a positive integer, got ${String(nBins)}`);
  const wasTraining = model.training;
  const sums = torch.tidy(() => torch.keep(torch.zeros([3, nBins], { dtype: 'float64', device: loader.device })));
  try {
    model.eval();
    torch.noGrad(() => loader.forEach((b) => void sums.add_(binSums(softmax((model.forward(b.x) as Tensor).float(), 1), b.y, nBins))));
    const s = torch.tidy(() => Array.from(sums.to('cpu').reshape([-1]).toArray() as Float64Array));
    return {
      model: opts.model ?? 'final',
      split: opts.split ?? 'test',
      nBins,
      ...binsFromSums(s.slice(0, nBins), s.slice(nBins, 2 * nBins), s.slice(2 * nBins)),
    };
  } finally {
    sums.dispose();
    model.train(wasTraining);
  }
}

export function writeReliability(runDir: string, diagrams: Reliability[]): string {
  const file = path.join(runDir, RELIABILITY_FILE);
  writeFileAtomic(file, JSON.stringify({ version: 1, diagrams }, null, 1) + '\n');
  return file;
}

/** The diagrams stored in a run folder (undefined when it has none). */
export function readReliability(runDir: string): Reliability[] | undefined {
  const file = path.join(runDir, RELIABILITY_FILE);
  if (!fs.existsSync(file)) return undefined;
  const j = JSON.parse(fs.readFileSync(file, 'utf8')) as { diagrams?: unknown };
  if (!Array.isArray(j.diagrams)) throw new Error(`report: ${file} holds no diagrams list`);
  return j.diagrams as Reliability[];
}

/** 'final', a plug-in's name ('ema'), or 'eval': the method's own evaluation model (MixMatch's EMA, ICT's teacher). */
const modelLabel = (m: string) => (m === 'final' ? 'final model' : m === 'eval' ? "the method's evaluation model" : `${m.toUpperCase()} model`);

/** The vega-lite spec of one diagram: accuracy bars, each bin's mean confidence (a line) and the gap, the diagonal, the counts. */
export function reliabilitySpec(r: Reliability, o?: { size?: number }): object {
  const size = o?.size ?? 300;
  const rows = r.bins
    .filter((b) => b.count > 0)
    .map((b) => ({ lo: b.lo, hi: b.hi, acc: b.acc, conf: b.conf, count: b.count, top: Math.max(b.acc ?? 0, b.conf ?? 0) }));
  const x = { field: 'lo', type: 'quantitative', title: 'confidence (max softmax probability)', scale: { domain: [0, 1], nice: false } };
  const y = { type: 'quantitative', title: 'accuracy', scale: { domain: [0, 1.08], nice: false }, axis: { values: [0, 0.2, 0.4, 0.6, 0.8, 1] } };
  return {
    $schema: SCHEMA,
    title: {
      text: `Reliability: ${modelLabel(r.model)} (${r.split})`,
      subtitle: [
        `ECE ${(100 * r.ece).toFixed(2)}% · accuracy ${(100 * r.acc).toFixed(2)}% · ${r.n} samples`,
        `${r.nBins} bins · bars: accuracy · red: mean confidence`,
      ],
    },
    width: size,
    height: size,
    layer: [
      {
        data: { values: [{ lo: 0, hi: 1 }] },
        mark: { type: 'rule', strokeDash: [4, 3], color: '#888', aria: false },
        encoding: { x: { ...x, field: 'lo' }, x2: { field: 'hi' }, y: { ...y, field: 'lo' }, y2: { field: 'hi' } },
      },
      {
        name: 'reliability_accuracy',
        data: { values: rows },
        mark: { type: 'rect', color: '#4c78a8', stroke: 'white', strokeWidth: 0.5 },
        encoding: {
          x,
          x2: { field: 'hi' },
          y: { ...y, field: 'acc' },
          y2: { datum: 0 },
          tooltip: [{ field: 'count' }, { field: 'acc', format: '.3f' }, { field: 'conf', format: '.3f' }],
        },
      },
      {
        name: 'reliability_gap',
        data: { values: rows },
        mark: { type: 'rect', color: '#e45756', opacity: 0.35, stroke: '#e45756', strokeWidth: 0.5, aria: false },
        encoding: { x, x2: { field: 'hi' }, y: { ...y, field: 'acc' }, y2: { field: 'conf' } },
      },
      {
        name: 'reliability_confidence',
        data: { values: rows },
        mark: { type: 'rule', color: '#b22222', strokeWidth: 1.5, aria: false },
        encoding: { x, x2: { field: 'hi' }, y: { ...y, field: 'conf' } },
      },
      {
        name: 'reliability_count',
        data: { values: rows },
        transform: [{ calculate: '(datum.lo + datum.hi) / 2', as: 'mid' }],
        mark: { type: 'text', dy: -5, fontSize: 8, color: '#444', aria: false },
        encoding: { x: { field: 'mid', type: 'quantitative' }, y: { field: 'top', type: 'quantitative' }, text: { field: 'count', type: 'quantitative' } },
      },
    ],
    config: { font: 'sans-serif' },
  };
}

export async function reliabilitySvg(r: Reliability): Promise<string> {
  return renderSvg(reliabilitySpec(r));
}
