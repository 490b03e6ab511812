// Early stopping (Keras' EarlyStopping): after each epoch, look at a metric of the epoch record;
// when it has not improved for `patience` epochs, end training. With restoreBestWeights (default)
// the model gets the best epoch's weights back, bit for bit — when it stops, and also when the
// epochs run out with a better epoch behind — before that epoch's checkpoint is written. The
// best weights, the counter and the stop are checkpointed: a resumed run stops where the
// uninterrupted one would, and resuming a stopped run stays stopped.
import * as torch from '../torch/index.js';
import type { Plugin, StopRequest } from './events.js';

export interface EarlyStoppingOptions {
  /** Epochs without improvement before stopping (a positive integer). */
  patience: number;
  /** A numeric field of the epoch record: 'valLoss' (default), 'valAcc', 'valEce', 'emaValAcc', 'trainLoss' … */
  monitor?: string;
  /** 'max' or 'min'; default 'max' for accuracies (…Acc), 'min' otherwise. */
  mode?: 'min' | 'max';
  /** Smallest change that counts as an improvement. Default 0. */
  minDelta?: number;
  /** Default true. */
  restoreBestWeights?: boolean;
}

export function earlyStopping(opts: EarlyStoppingOptions): Plugin {
  const who = 'train.plugins.earlyStopping';
  const patience = opts?.patience;
  if (!Number.isSafeInteger(patience) || patience < 1) throw new torch.TorchValueError(`${who}: patience must be a positive integer, got ${String(patience)}`);
  const monitor = opts.monitor ?? 'valLoss';
  if (typeof monitor !== 'string' || monitor === '')
    throw new torch.TorchTypeError(`${who}: monitor must be the name of an epoch-record metric ('valLoss', 'valAcc', …)`);
  const mode = opts.mode ?? (/Acc$/.test(monitor) ? 'max' : 'min');
  if (mode !== 'min' && mode !== 'max') throw new torch.TorchValueError(`${who}: mode must be 'min' or 'max', got ${String(opts.mode)}`);
  const minDelta = opts.minDelta ?? 0;
  if (typeof minDelta !== 'number' || !(minDelta >= 0)) throw new torch.TorchValueError(`${who}: minDelta must be a number ≥ 0, got ${String(opts.minDelta)}`);
  const restore = opts.restoreBestWeights ?? true;
  if (typeof restore !== 'boolean') throw new torch.TorchTypeError(`${who}: restoreBestWeights must be a boolean`);

  let best: number | undefined;
  let bestEpoch = 0;
  let wait = 0;
  let stopped: StopRequest | undefined;
  let weights: Record<string, torch.Tensor> | undefined; // the best epoch's state dict (kept clones)
  const setWeights = (w: Record<string, torch.Tensor> | undefined) => {
    torch.dispose(weights);
    weights = w && torch.tidy(() => Object.fromEntries(Object.entries(w).map(([k, t]) => [k, torch.keep(t.clone())])));
  };

  return {
    name: 'earlyStopping',
    setup(t) {
      if (!t.val && monitor !== 'trainLoss') throw new torch.TorchValueError(`${who}: monitor '${monitor}' needs validation: give the Trainer a val loader`);
    },
    fitStart(s) {
      if (stopped) s.stop = stopped; // a stopped run stays stopped
    },
    epochEnd(s) {
      const rec = s.record!;
      const v = rec[monitor];
      if (typeof v !== 'number')
        throw new torch.TorchValueError(
          `${who}: the epoch record has no metric '${monitor}' (it has ${Object.keys(rec)
            .filter((k) => typeof rec[k] === 'number')
            .join(', ')})`,
        );
      const improved = Number.isFinite(v) && (best === undefined || (mode === 'max' ? v - minDelta > best : v + minDelta < best));
      if (improved) {
        [best, bestEpoch, wait] = [v, s.epoch, 0];
        if (restore) torch.tidy(() => setWeights(s.trainer.model.stateDict()));
      } else wait++;
      const last = s.epoch === s.trainer.epochs;
      const restoreNow = restore && weights !== undefined && bestEpoch !== s.epoch && (wait >= patience || last);
      if (restoreNow) s.trainer.model.loadStateDict(weights!);
      if (wait >= patience) {
        stopped = {
          by: 'earlyStopping',
          reason: `${monitor} did not improve for ${patience} epoch${patience === 1 ? '' : 's'} (best ${best ?? 'none'} at epoch ${bestEpoch || '–'})`,
          details: { monitor, mode, best, bestEpoch, patience, restoredBestWeights: restoreNow },
        };
        s.stop = stopped;
        s.message(`early stopping after epoch ${s.epoch}: ${stopped.reason}${restoreNow ? `; restored the weights of epoch ${bestEpoch}` : ''}`);
      } else if (restoreNow) s.message(`early stopping: restored the weights of epoch ${bestEpoch} (best ${monitor} ${best})`);
    },
    state() {
      return { tensors: weights, values: { best: best ?? null, bestEpoch, wait, stopped: stopped ?? null } };
    },
    loadState(st) {
      if (!st) return; // added to a run that had none: start counting now
      const v = st.values as { best: number | null; bestEpoch: number; wait: number; stopped: StopRequest | null };
      [best, bestEpoch, wait, stopped] = [v.best ?? undefined, v.bestEpoch, v.wait, v.stopped ?? undefined];
      setWeights(st.tensors && Object.keys(st.tensors).length ? st.tensors : undefined);
    },
  };
}
