// Divergence guard (on by default): a non-finite loss, or a non-finite gradient norm when
// gradients are clipped, stops training with a DivergenceError naming the epoch and step, and no
// checkpoint of the diverged weights is written (the last good one stays).
//
// The loss is not read every step (that would be a device sync per step): the guard keeps, on the
// device, the iteration of the first non-finite loss, and reads it where the loop reads anyway —
// on logged steps, at the last step of each epoch (before validation) and before every
// checkpoint. So the error names the first bad step exactly, at most logEvery steps later. The
// gradient norm (clipGrad) is already a number: it is checked at once.
import * as torch from '../torch/index.js';
import type { Plugin, TrainState } from './events.js';

/** Training produced a non-finite loss or gradient norm. */
export class DivergenceError extends torch.TorchError {}

export function divergenceGuard(): Plugin {
  let first: torch.Tensor | undefined; // float64 0-d: 1-based iteration of the first non-finite loss, or +Inf
  let epochStarts: [number, number][] = []; // [iteration before the epoch's first step, epoch]
  let lastGood = '';

  const fail = (s: TrainState, iteration: number, what: string): never => {
    let epoch = s.epoch;
    let before = s.iteration - s.step;
    for (const [it, e] of epochStarts) if (it < iteration) [before, epoch] = [it, e];
    const lr = s.trainer.optimizer.paramGroups[0].lr as number;
    throw new DivergenceError(
      `training diverged: the ${what} became non-finite (NaN or ±Inf) at epoch ${epoch}, step ${iteration - before} (iteration ${iteration}). ` +
        `The likely cause is a learning rate too high for this model and method (lr ${lr >= 1e4 || lr < 1e-4 ? lr.toExponential() : lr}): lower it, or clip the gradients (clipGrad / --clip-grad). ` +
        (lastGood ? `The last good checkpoint (${lastGood}) is kept.` : 'No checkpoint was written.'),
    );
  };
  const check = (s: TrainState) => {
    const it = first!.item() as number;
    if (Number.isFinite(it)) fail(s, it, 'loss');
  };
  return {
    name: 'divergenceGuard',
    fitStart(s) {
      first?.dispose();
      first = torch.tidy(() => torch.keep(torch.full([], Infinity, { dtype: 'float64', device: s.trainer.train.device })));
      epochStarts = [];
      lastGood = s.trainer.resumeFrom ? `${s.trainer.resumeFrom}, after epoch ${s.epoch}${s.step ? ` step ${s.step}` : ''}` : '';
    },
    epochStart(s) {
      epochStarts.push([s.iteration - s.step, s.epoch]);
    },
    beforeBackward(s, loss) {
      torch.noGrad(() => {
        const here = torch.where(loss.isfinite(), Infinity, torch.full([], s.iteration + 1, { dtype: 'float64', device: loss.device }));
        first!.copy_(first!.minimum(here));
      });
    },
    stepEnd(s) {
      const g = s.stepInfo.gradNorm;
      if (g !== undefined && !Number.isFinite(g)) fail(s, s.iteration, 'gradient norm');
      if (s.logNow || s.step === s.batchesPerEpoch) check(s);
    },
    checkpoint(s) {
      check(s);
      const p = s.position!;
      const f = s.trainer.files?.checkpointJson;
      if (f) lastGood = `${f}, after epoch ${p.epoch}${p.step ? ` step ${p.step}` : ''}`;
    },
    fitEnd() {
      first?.dispose();
      first = undefined;
    },
  };
}
