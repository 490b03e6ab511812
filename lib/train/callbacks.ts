// The Trainer's onEpoch / onLog options, as a plug-in.
import type { EpochRecord } from './checkpoint.js';
import type { StepLog } from './options.js';
import { stepLog, type Plugin } from './events.js';

export function callbacks(opts: { onEpoch?: (e: EpochRecord) => void; onLog?: (s: StepLog) => void }): Plugin {
  return {
    name: 'callbacks',
    stepEnd(s) {
      if (s.loss !== undefined) opts.onLog?.(stepLog(s));
    },
    epochEnd(s) {
      opts.onEpoch?.(s.record!);
    },
  };
}
