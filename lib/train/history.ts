// What fit() resolves with (History) and what results.json holds (Results).
import type * as torch from '../torch/index.js';
import type { EpochRecord } from './checkpoint.js';
import type { StopRequest } from './events.js';

export interface History {
  epochs: EpochRecord[];
  /** The epoch with the highest valAcc (the earliest on ties); undefined without validation. */
  best?: EpochRecord;
  last?: EpochRecord;
  interrupted: boolean;
  /** Mean of the epochs' `seconds`. */
  secondsPerEpoch: number;
  /** When a plug-in ended training early (early stopping): after which epoch, by whom, why. */
  stopped?: StopRequest & { epoch: number };
}

/** results.json. */
export interface Results {
  config: Record<string, unknown>;
  libtorch: torch.TorchConfig;
  history: History;
  /** The last epoch's record (its val metrics: valLoss, valAcc, valEce). */
  final?: EpochRecord;
  best?: EpochRecord;
  secondsPerEpoch: number;
}

/** The best epoch by valAcc (earliest on ties), or undefined. */
export function bestEpoch(epochs: readonly EpochRecord[]): EpochRecord | undefined {
  let best: EpochRecord | undefined;
  for (const e of epochs) if (e.valAcc !== undefined && Number.isFinite(e.valAcc) && (best === undefined || e.valAcc > best.valAcc!)) best = e;
  return best;
}

/** History from a list of epoch records. */
export function makeHistory(epochs: readonly EpochRecord[], interrupted: boolean, stopped?: History['stopped']): History {
  const list = [...epochs];
  const secs = list.map((e) => e.seconds).filter((s) => Number.isFinite(s));
  return {
    epochs: list,
    best: bestEpoch(list),
    last: list.length ? list[list.length - 1] : undefined,
    interrupted,
    secondsPerEpoch: secs.length ? secs.reduce((a, b) => a + b, 0) / secs.length : NaN,
    ...(stopped ? { stopped } : {}),
  };
}

/** JSON with non-finite numbers as null (JSON has no NaN). */
export function toJson(v: unknown, indent?: number): string {
  return JSON.stringify(v, (_k, x) => (typeof x === 'number' && !Number.isFinite(x) ? null : x), indent);
}
