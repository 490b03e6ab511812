// `torchmix methods`: every mixing method with its default options and a one-line description.
import { mixup } from '../index.js';
import { parseFlags } from './args.js';
import type { IO } from './io.js';

export const METHODS_HELP = `Usage: torchmix methods [--json]

Lists the mixing methods (--method NAME of 'torchmix train'), their default options (set alpha with
--alpha, the others under methodOptions: in a --config file) and what each does.

  --json       print name → defaults as JSON
  -h, --help   this help
`;

const fmt = (v: unknown): string =>
  typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean'
    ? String(v)
    : Array.isArray(v)
      ? `[${v.map(fmt).join(', ')}]`
      : (JSON.stringify(v) ?? String(v));

/** The methods table as text. */
export function methodsTable(): string {
  const all = mixup.methods();
  const names = Object.keys(all) as (keyof typeof all)[];
  const w = Math.max(6, ...names.map((n) => n.length)) + 2;
  const lines = [`${'METHOD'.padEnd(w)}DESCRIPTION / DEFAULTS`];
  for (const n of names) {
    lines.push(`${n.padEnd(w)}${mixup.descriptions[n]}`);
    const d = Object.entries(all[n]).map(([k, v]) => `${k}=${fmt(v)}`);
    // wrap the defaults at ~100 columns
    let line = '';
    for (const item of d) {
      if (line && line.length + item.length + 2 > 100 - w) {
        lines.push(' '.repeat(w) + line);
        line = '';
      }
      line += (line ? '  ' : '') + item;
    }
    if (line) lines.push(' '.repeat(w) + line);
  }
  lines.push('', 'aliases: erm → none, input → mixup');
  return lines.join('\n') + '\n';
}

export async function methodsCommand(argv: string[], io: IO): Promise<number> {
  const { values } = parseFlags(argv, { json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } }, 'methods');
  if (values.help) io.out(METHODS_HELP);
  else if (values.json) io.out(JSON.stringify(mixup.methods(), null, 2) + '\n');
  else io.out(methodsTable());
  return 0;
}
