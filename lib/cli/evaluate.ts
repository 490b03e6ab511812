// Loss, accuracy and expected calibration error of a model over a loader (for `torchmix eval`;
// the Trainer has its own). ECE: 15 equal-width confidence bins, Σ_b |B_b|/N · |acc_b − conf_b|.
import { torch, nn } from '../index.js';
import type { Module } from '../nn/module.js';
import type { DataLoader } from '../data/loader.js';

export interface EvalResult {
  loss: number;
  acc: number;
  ece: number;
  n: number;
}

export function expectedCalibrationError(conf: ArrayLike<number>, correct: ArrayLike<number>, bins = 15): number {
  const n = conf.length;
  if (n === 0) return 0;
  const cnt = new Float64Array(bins);
  const sc = new Float64Array(bins);
  const sa = new Float64Array(bins);
  for (let i = 0; i < n; i++) {
    const b = Math.min(bins - 1, Math.max(0, Math.ceil(conf[i] * bins) - 1));
    cnt[b]++;
    sc[b] += conf[i];
    sa[b] += correct[i];
  }
  let e = 0;
  for (let b = 0; b < bins; b++) if (cnt[b] > 0) e += Math.abs(sa[b] - sc[b]) / n;
  return e;
}

export function evaluateModel(model: Module, loader: DataLoader): EvalResult {
  const wasTraining = model.training;
  model.eval();
  const conf: number[] = [];
  const correct: number[] = [];
  let lossSum = 0;
  try {
    loader.forEach((b) =>
      torch.noGrad(() => {
        const out = model.forward(b.x) as torch.Tensor;
        lossSum += nn.functional.crossEntropy(out, b.y, { reduction: 'sum' }).item() as number;
        const { values, indices } = nn.functional.softmax(out, 1).max({ dim: 1 });
        const c = values.to('cpu').toArray() as Float32Array;
        const ok = indices.eq(b.y).to('cpu').toArray() as Uint8Array;
        for (let i = 0; i < c.length; i++) {
          conf.push(c[i]);
          correct.push(ok[i] ? 1 : 0);
        }
      }),
    );
  } finally {
    model.train(wasTraining);
  }
  const n = conf.length;
  const acc = correct.reduce((a, b) => a + b, 0) / Math.max(1, n);
  return { loss: lossSum / Math.max(1, n), acc, ece: expectedCalibrationError(conf, correct), n };
}
