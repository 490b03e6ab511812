// Stopping cleanly on an AbortSignal and/or SIGINT (Ctrl-C): the loop stops between steps,
// writes a checkpoint of that position (mid-epoch too) and fit() resolves with interrupted: true.
// A second Ctrl-C exits at once (code 130).
import type { Plugin, TrainState } from './events.js';

export function interruptOn(opts: { signal?: AbortSignal; sigint?: boolean }): Plugin {
  let st: TrainState | undefined;
  let sigints = 0;
  const onAbort = () => {
    if (st) st.interrupt = true;
  };
  const onSigint = () => {
    if (++sigints > 1) process.exit(130);
    if (!st) return;
    st.interrupt = true;
    st.message('interrupted: writing a checkpoint (Ctrl-C again to quit now)');
  };
  return {
    name: 'interrupt',
    fitStart(s) {
      st = s;
      sigints = 0;
      if (opts.signal?.aborted) s.interrupt = true;
      opts.signal?.addEventListener('abort', onAbort);
      if (opts.sigint) process.on('SIGINT', onSigint);
    },
    fitEnd(s) {
      opts.signal?.removeEventListener('abort', onAbort);
      if (opts.sigint) process.off('SIGINT', onSigint);
      st = undefined;
      const f = s.trainer.files;
      if (s.result?.interrupted) s.message(f ? `stopped; checkpoint written to ${f.checkpointJson}` : 'stopped');
    },
  };
}
