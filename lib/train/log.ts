// The JSON-lines log, outDir/log.jsonl: a start (or resume) line, one line per logged step
// (every logEvery iterations: epoch, step, iteration, loss, lr), one per epoch (its record), and
// an end, interrupted or error line. A fresh run truncates it; a resumed run appends.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { toJson } from './history.js';
import { stepLog, type Plugin } from './events.js';

export function jsonLog(opts: { dir: string }): Plugin {
  const file = path.join(opts.dir, 'log.jsonl');
  const write = (entry: Record<string, unknown>) => fs.appendFileSync(file, toJson(entry) + '\n');
  const time = () => new Date().toISOString();
  return {
    name: 'jsonLog',
    fitStart(s) {
      fs.mkdirSync(opts.dir, { recursive: true });
      const resumed = s.trainer.resumeFrom !== undefined;
      if (!resumed) fs.writeFileSync(file, '');
      write({ type: resumed ? 'resume' : 'start', epoch: s.epoch, step: s.step, iteration: s.iteration, epochs: s.trainer.epochs, time: time() });
    },
    stepEnd(s) {
      if (s.loss !== undefined) write({ type: 'step', ...stepLog(s) });
    },
    epochEnd(s) {
      write({ type: 'epoch', ...s.record });
    },
    fitEnd(s) {
      if (s.result === undefined)
        write({ type: 'error', epoch: s.epoch, step: s.step, iteration: s.iteration, message: String((s.error as Error)?.message ?? s.error), time: time() });
      else
        write({
          type: s.result.interrupted ? 'interrupted' : 'end',
          epochs: s.history.length,
          ...(s.result.stopped ? { stopped: s.result.stopped } : {}),
          time: time(),
        });
    },
  };
}
