// outDir/results.json at the end of fit() (also when interrupted; not after an error): the
// config, the LibTorch build, the history, the final and best epochs.
import * as path from 'node:path';
import * as torch from '../torch/index.js';
import { writeFileAtomic } from './checkpoint.js';
import { toJson, type Results } from './history.js';
import type { Plugin } from './events.js';

export function resultsFile(opts: { dir: string }): Plugin {
  return {
    name: 'results',
    fitEnd(s) {
      const h = s.result;
      if (!h) return;
      const r: Results = { config: s.trainer.config, libtorch: torch.config(), history: h, final: h.last, best: h.best, secondsPerEpoch: h.secondsPerEpoch };
      writeFileAtomic(path.join(opts.dir, 'results.json'), toJson(r, 2) + '\n');
    },
  };
}
