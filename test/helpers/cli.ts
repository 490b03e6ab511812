// Runs the CLI in-process, capturing what it prints, for the CLI tests.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { main } from '../../lib/cli/main.js';

export async function cli(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(argv, { out: (t) => void (out += t), err: (t) => void (err += t) });
  return { code, out, err };
}

/** A fresh temporary directory named after the test. */
export const tmp = (p: string): string => fs.mkdtempSync(path.join(os.tmpdir(), `torchmix-cli-${p}-`));
