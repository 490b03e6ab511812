// Classification metrics computed on the device: accuracy and expected calibration error (ECE).
//
// ECE (Naeini et al. 2015; Guo et al. 2017): the confidences (max softmax probability) are put in
// nBins equal-width bins over [0, 1], bin b = (b/B, (b+1)/B] (a confidence of exactly 0 goes to
// bin 0), and ECE = Σ_b (n_b / N)·|acc_b − conf_b| = Σ_b |Σ_{i∈b} (conf_i − correct_i)| / N.
// The second form is what makes it cheap to accumulate over batches: one [B] vector of per-bin
// sums of (conf − correct), added on the device batch after batch and read once at the end.
import * as torch from '../torch/index.js';
import { softmax, crossEntropy } from '../nn/functional.js';
import type { Module } from '../nn/module.js';
import type { DataLoader } from '../data/loader.js';

type Tensor = torch.Tensor;

function checkBins(nBins: number, who: string): void {
  if (!Number.isSafeInteger(nBins) || nBins < 1) throw new torch.TorchValueError(`${who}: nBins must be a positive integer, got ${String(nBins)}`);
}

function checkProbs(probs: Tensor, labels: Tensor, who: string): void {
  if (!(probs instanceof torch.Tensor) || !(labels instanceof torch.Tensor)) throw new torch.TorchTypeError(`${who}: probs and labels must be Tensors`);
  if (probs.ndim !== 2) throw new torch.TorchValueError(`${who}: probs must be N×C, got shape [${probs.shape.join(', ')}]`);
  if (labels.ndim !== 1 || labels.shape[0] !== probs.shape[0])
    throw new torch.TorchValueError(`${who}: labels must have shape [${probs.shape[0]}], got [${labels.shape.join(', ')}]`);
}

/**
 * @internal Each row's confidence (max probability), correctness (float 0/1) and ECE bin
 * ceil(conf·nBins) − 1, clamped. A NaN confidence (a diverged model) goes to bin 0, where its NaN
 * makes the ECE NaN; cast as is, NaN would become the index −2^63. Unchecked: callers validate.
 */
export function confidenceBins(probs: Tensor, labels: Tensor, nBins: number): { conf: Tensor; correct: Tensor; bin: Tensor } {
  const { values: conf, indices: pred } = probs.float().max({ dim: 1 });
  const b = conf
    .mul(nBins)
    .ceil()
    .sub(1)
    .clamp({ min: 0, max: nBins - 1 });
  return { conf, correct: pred.eq(labels).float(), bin: torch.where(b.isnan(), 0, b).long() };
}

/**
 * Per-bin sums of (confidence − correct) for one batch: a float32 [nBins] tensor on the batch's
 * device (no host read). probs: N×C probabilities; labels: int64 [N].
 */
export function calibrationSums(probs: Tensor, labels: Tensor, nBins = 15): Tensor {
  checkBins(nBins, 'calibrationSums()');
  checkProbs(probs, labels, 'calibrationSums()');
  return torch.tidy(() => {
    const { conf, correct, bin } = confidenceBins(probs, labels, nBins);
    return torch.zeros([nBins], { device: probs.device }).scatterAdd(0, bin, conf.sub(correct));
  });
}

/**
 * Expected calibration error with nBins equal-width confidence bins (default 15, the standard
 * choice), computed on the device; one host read for the result.
 * probs: N×C class probabilities (e.g. softmax of the logits); labels: int64 [N].
 */
export function ece(probs: Tensor, labels: Tensor, nBins = 15): number {
  checkBins(nBins, 'ece()');
  checkProbs(probs, labels, 'ece()');
  const n = probs.shape[0];
  if (n === 0) return NaN;
  return torch.tidy(() => calibrationSums(probs, labels, nBins).abs().sum().div(n).item() as number);
}

/** ECE from logits (softmax first). */
export function eceFromLogits(logits: Tensor, labels: Tensor, nBins = 15): number {
  return torch.tidy(() => ece(softmax(logits.float(), 1), labels, nBins));
}

/** Top-1 accuracy of logits or probabilities N×C against int64 labels [N] (one host read). */
export function accuracy(scores: Tensor, labels: Tensor): number {
  checkProbs(scores, labels, 'accuracy()');
  return torch.tidy(() => scores.argmax({ dim: 1 }).eq(labels).float().mean().item() as number);
}

/** Loss (mean cross-entropy on the hard labels), top-1 accuracy, ECE and sample count of a model over a loader. */
export interface EvalResult {
  loss: number;
  acc: number;
  ece: number;
  n: number;
}

/**
 * Evaluates `model` over `loader` in eval mode without gradients (restoring its mode after):
 * loss, correct count and calibration sums accumulate on the device; one host read at the end.
 */
export function evaluateModel(model: Module, loader: DataLoader, nBins = 15): EvalResult {
  checkBins(nBins, 'evaluateModel()');
  const wasTraining = model.training;
  const device = loader.device;
  const sums = torch.tidy(() => torch.keep(torch.zeros([nBins + 2], { dtype: 'float64', device })));
  let n = 0;
  try {
    model.eval();
    torch.noGrad(() =>
      loader.forEach((b) => {
        const logits = model.forward(b.x) as Tensor;
        const loss = crossEntropy(logits, b.y, { reduction: 'sum' }).double().reshape([1]);
        const correct = logits.argmax({ dim: 1 }).eq(b.y).double().sum().reshape([1]);
        sums.add_(torch.cat([loss, correct, calibrationSums(softmax(logits.float(), 1), b.y, nBins).double()]));
        n += b.y.shape[0];
      }),
    );
    const s = torch.tidy(() => Array.from(sums.to('cpu').toArray() as Float64Array));
    const m = Math.max(1, n);
    return { loss: s[0] / m, acc: s[1] / m, ece: s.slice(2).reduce((a, v) => a + Math.abs(v), 0) / m, n };
  } finally {
    sums.dispose();
    model.train(wasTraining);
  }
}
