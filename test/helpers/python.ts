// The project's .venv Python (scripts/setup.sh makes it), for tests that compare with PyTorch live.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { packageRoot } from '../../lib/torch/native.js';

export const venvPython = path.join(packageRoot, '.venv', 'bin', 'python');

/** True when the .venv Python exists and imports `modules`; otherwise warns once with `what` skipped. */
export function havePython(modules: string, what: string): boolean {
  let ok = existsSync(venvPython);
  if (ok) {
    try {
      execFileSync(venvPython, ['-c', `import ${modules}`], { stdio: 'ignore' });
    } catch {
      ok = false;
    }
  }
  if (!ok) console.warn(`${what} skipped: ${venvPython} with ${modules} not found (run scripts/setup.sh)`);
  return ok;
}
