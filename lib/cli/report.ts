// `torchmix report RUN` (re)writes RUN/report.html; `torchmix report --compare RUN_A RUN_B …`
// writes a side-by-side page (decision boundaries, overlaid curves, one table).
import fs from 'node:fs';
import path from 'node:path';
import { UsageError, parseFlags } from './args.js';
import type { IO } from './io.js';

export const REPORT_HELP = `Usage: torchmix report RUN_DIR
       torchmix report --compare RUN_A RUN_B [RUN_C …] [--out compare.html]

Writes RUN_DIR/report.html from its results.json (and log.jsonl): loss/accuracy/ECE curves, a
table of accuracy, ECE and seconds per epoch, the config, and the decision boundary of toy runs;
from reliability.json the reliability diagrams (final and EMA model), from mixed-batch.json one
training batch as the method mixed it (both written by 'torchmix train').
With --compare: one page with the runs side by side (e.g. ERM next to mixup).

  --compare      compare the given runs
  --out FILE     where the comparison page goes (default compare.html)
  -h, --help     this help
`;

export async function reportCommand(argv: string[], io: IO): Promise<number> {
  const { values, positionals } = parseFlags(argv, { compare: { type: 'boolean' }, out: { type: 'string' }, help: { type: 'boolean', short: 'h' } }, 'report', {
    positionals: true,
  });
  if (values.help) {
    io.out(REPORT_HELP);
    return 0;
  }
  for (const p of positionals)
    if (!fs.existsSync(path.join(p, 'results.json')))
      throw new UsageError(`${values.compare ? '--compare' : 'report'}: '${p}' holds no results.json (not a finished torchmix run?)`);
  const report = await import('../report/index.js');
  if (values.compare) {
    if (positionals.length < 2) throw new UsageError('--compare: give at least two run folders');
    const file = await report.writeCompare(positionals, typeof values.out === 'string' ? values.out : 'compare.html');
    io.out(`comparison: ${file}\n`);
    return 0;
  }
  if (values.out !== undefined) throw new UsageError("--out: only with --compare (a run's report is RUN_DIR/report.html)");
  if (positionals.length !== 1) throw new UsageError("report: give one run folder (or --compare with two or more); see 'torchmix report --help'");
  io.out(`report: ${await report.writeReport(positionals[0])}\n`);
  return 0;
}
