// Divergence guard (on by default): a non-finite loss, or a non-finite gradient norm when
// gradients are clipped, stops training with a DivergenceError naming the epoch and step, and no
// checkpoint of the diverged weights is written (the last good one stays).
//
// The loss is not read every step (that would be a device sync per step): the guard copies each
// step's loss into a per-epoch buffer on the device (one copy_ into a prepared view, no new
// tensor) and reads the unread part where the loop reads anyway — on logged steps, at the last
// step of each epoch (before validation) and before every checkpoint. So the error names the
// first bad step exactly, at most logEvery steps later. The gradient norm (clipGrad) is already a
// number: it is checked at once.
import * as torch from '../torch/index.js';
import type { Plugin, TrainState } from './events.js';

/** Training produced a non-finite loss or gradient norm. */
export class DivergenceError extends torch.TorchError {}

export function divergenceGuard(): Plugin {
  let buf: torch.Tensor | undefined; // float64 [batches per epoch]: this epoch's losses, by step
  let views: torch.Tensor[] = []; // views[i] = buf[i], made once
  let read = 0; // steps of this epoch already checked
  let lastGood = '';

  const fail = (s: TrainState, step: number, what: string): never => {
    const lr = s.trainer.lr;
    throw new DivergenceError(
      `training diverged: the ${what} became non-finite (NaN or ±Inf) at epoch ${s.epoch}, step ${step} (iteration ${s.iteration - s.step + step}). ` +
        `The likely cause is a learning rate too high for this model and method (lr ${lr >= 1e4 || lr < 1e-4 ? lr.toExponential() : lr}): lower it, or clip the gradients (clipGrad / --clip-grad). ` +
        (lastGood ? `The last good checkpoint (${lastGood}) is kept.` : 'No checkpoint was written.'),
    );
  };
  const check = (s: TrainState) => {
    if (s.step <= read) return;
    const losses = torch.tidy(
      () =>
        buf!
          .narrow(0, read, s.step - read)
          .to('cpu')
          .toArray() as Float64Array,
    );
    const bad = losses.findIndex((l) => !Number.isFinite(l));
    if (bad >= 0) fail(s, read + bad + 1, 'loss');
    read = s.step;
  };
  const free = () => {
    torch.dispose([...views, buf]);
    [buf, views] = [undefined, []];
  };
  return {
    name: 'divergenceGuard',
    fitStart(s) {
      free();
      const n = s.batchesPerEpoch;
      buf = torch.tidy(() => torch.keep(torch.zeros([n], { dtype: 'float64', device: s.trainer.train.device })));
      views = torch.tidy(() => Array.from({ length: n }, (_, i) => torch.keep(buf!.select(0, i))));
      lastGood = s.trainer.resumeFrom ? `${s.trainer.resumeFrom}, after epoch ${s.epoch}${s.step ? ` step ${s.step}` : ''}` : '';
    },
    epochStart(s) {
      read = s.step; // a resumed epoch starts after its done steps
    },
    beforeBackward(s, loss) {
      views[s.step].copy_(loss.detach());
    },
    stepEnd(s) {
      const g = s.stepInfo.gradNorm;
      // a step skipped for its inf/NaN gradients (AMP's loss scaling) did not touch the weights
      if (g !== undefined && !Number.isFinite(g) && !s.stepInfo.skippedStep) fail(s, s.step, 'gradient norm');
      if (s.logNow || s.step === s.batchesPerEpoch) check(s);
    },
    checkpoint(s) {
      if (s.position!.step > 0) check(s); // mid-epoch; at an epoch's end its last step was checked
      const p = s.position!;
      const f = s.trainer.files?.checkpointJson;
      if (f) lastGood = `${f}, after epoch ${p.epoch}${p.step ? ` step ${p.step}` : ''}`;
    },
    fitEnd() {
      free();
    },
  };
}
