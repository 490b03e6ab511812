// Writes the checkpoint pair (state.ts: everything resume needs) to outDir whenever the loop says
// one is due: after every epoch and when training is interrupted (mid-epoch too).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { saveCheckpoint } from './state.js';
import type { Plugin } from './events.js';

export function checkpointer(opts: { dir: string }): Plugin {
  const file = path.join(opts.dir, 'checkpoint.json');
  return {
    name: 'checkpointer',
    fitStart() {
      fs.mkdirSync(opts.dir, { recursive: true });
    },
    checkpoint(s) {
      saveCheckpoint(s.trainer, s.position!, file);
    },
  };
}
