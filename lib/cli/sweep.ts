// `torchmix sweep SPEC.yaml`: a grid of train runs (+ attacks) into one folder, resumable by rerunning,
// then summary.json, summary.md and sweep.html (lib/sweep).
import { UsageError, parseFlags } from './args.js';
import type { IO } from './io.js';

export const SWEEP_HELP = `Usage: torchmix sweep SPEC.yaml [flags]

Runs every point of the spec as its own 'torchmix train' run in SWEEP/runs/<point> (SWEEP: the spec's
out, default sweeps/<name>), then 'torchmix attack' on it when the spec has attack settings, and writes
SWEEP/summary.json, SWEEP/summary.md (mean ± std over seeds) and SWEEP/sweep.html (figures).
Rerunning the same command resumes: finished points are skipped, interrupted ones continue from their
checkpoints. Ctrl-C stops the running points (they write checkpoints) and exits with code 130.

Spec (YAML or JSON):
  name: label-noise            # optional; default the file name
  out: runs/label-noise        # optional sweep folder
  base: { dataset: moons, epochs: 20, toy: { n: 500 } }   # train settings for every point
  points:                      # optional: explicit points, each crossed with the grid
    - { method: none }
    - { method: mixup, alpha: 8 }
                               # or axes, lists of alternatives crossed with each other:
                               # [[{method: none}, {method: mixup, alpha: 8}], [{labelNoise: 0.4},
                               #  {labelNoise: 0.4, labelNoiseMode: asymmetric}]]
  grid: { labelNoise: [0, 0.5], seed: [0, 1, 2] }         # any train settings as lists
  attack: { attack: [fgsm, pgd], eps: [0, 2/255, 8/255], steps: 10 }   # optional, per finished run
  summary: { groupBy: [method, alpha, labelNoise], metric: valAcc }    # optional; default: every
                               # swept key but seed, metric valAcc
Keys: the camelCase keys of 'torchmix train --config' or the flag names; out, resume and progress are
the sweep's own.

  --jobs N           points at once (default 1)
  --threads N        CPU threads for the whole sweep, divided among the jobs (default: all cores);
                     passed to each point as --threads unless the spec sets threads
  --out DIR          the sweep folder (overrides the spec's out)
  --dry-run          list the points, their state and command lines; run nothing
  --summary-only     rebuild summary.json/md and sweep.html from the finished points; run nothing
  --progress MODE    auto|bar|lines|none (default auto: a bar on a TTY, lines otherwise)
  -h, --help         this help
`;

const OPTIONS = {
  jobs: { type: 'string' as const },
  threads: { type: 'string' as const },
  out: { type: 'string' as const },
  'dry-run': { type: 'boolean' as const },
  'summary-only': { type: 'boolean' as const },
  progress: { type: 'string' as const },
  help: { type: 'boolean' as const, short: 'h' },
};

const posInt = (flag: string, v: string | boolean | undefined): number | undefined => {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (typeof v !== 'string' || !Number.isInteger(n) || n <= 0) throw new UsageError(`--${flag}: expected a positive integer, got '${String(v)}'`);
  return n;
};

export async function sweepCommand(argv: string[], io: IO): Promise<number> {
  const { values, positionals } = parseFlags(argv, OPTIONS, 'sweep', { positionals: true });
  if (values.help) {
    io.out(SWEEP_HELP);
    return 0;
  }
  if (positionals.length !== 1)
    throw new UsageError(
      positionals.length
        ? `expected one SPEC file, got ${positionals.length}: ${positionals.join(' ')}`
        : "SPEC: give the sweep's spec file (torchmix sweep SPEC.yaml)",
    );
  const jobs = posInt('jobs', values.jobs) ?? 1;
  const threads = posInt('threads', values.threads);
  const progress = (values.progress ?? 'auto') as string;
  if (!['auto', 'bar', 'lines', 'none'].includes(progress)) throw new UsageError(`--progress: expected one of auto, bar, lines, none, got '${progress}'`);
  if (values['dry-run'] && values['summary-only']) throw new UsageError('--dry-run: not with --summary-only (choose one)');
  const { loadSweep } = await import('../sweep/spec.js');
  const { configMismatch } = await import('../sweep/state.js');
  const runner = await import('../sweep/runner.js');
  const { writeSummary } = await import('../sweep/summary.js');
  const specFile = positionals[0];
  const sweep = loadSweep(specFile, typeof values.out === 'string' ? { out: values.out } : {});
  // A run started under other settings: the spec changed; refuse before anything runs.
  if (!values['summary-only'])
    for (const p of sweep.points) {
      const m = configMismatch(p);
      if (m) throw new UsageError(`point ${p.name}: ${m}; remove that run folder (or give the sweep another out) to run the point afresh`);
    }

  if (values['dry-run']) {
    // One write: the listing goes through a pipe (| head) whole.
    const lines: string[] = [];
    const per = runner.threadsPerPoint(sweep, { jobs, ...(threads !== undefined ? { threads } : {}) });
    lines.push(`sweep ${sweep.name}: ${sweep.points.length} points in ${sweep.out}\n`);
    for (const p of sweep.points) {
      const pl = runner.planPoint(sweep, p);
      lines.push(
        `${p.name}  [${pl.train === 'finished' ? (pl.attack ? 'trained; to attack' : 'finished') : pl.train === 'resume' ? 'to resume' : 'to train'}]\n`,
      );
      if (pl.train !== 'finished') lines.push(`  ${runner.commandLine(runner.trainArgs(p, per, pl.train === 'resume'))}\n`);
      if (pl.attack) lines.push(`  ${runner.commandLine(runner.attackArgs(sweep, p, per))}\n`);
    }
    io.out(lines.join(''));
    return 0;
  }
  if (values['summary-only']) {
    const s = await writeSummary(sweep);
    io.out(
      `${s.points.filter((p) => p.status === 'finished').length}/${s.points.length} points finished\nsummary: ${sweep.out}/summary.md, summary.json, sweep.html\n`,
    );
    return 0;
  }

  const { outcomes, interrupted } = await runner.runSweep(sweep, { jobs, ...(threads !== undefined ? { threads } : {}), progress: progress as 'auto', io });
  const s = await writeSummary(sweep);
  const failed = outcomes.filter((o) => o.status === 'failed');
  const done = s.points.filter((p) => p.status === 'finished').length;
  io.out(
    `${done}/${s.points.length} points finished${failed.length ? `, ${failed.length} failed` : ''}\nsummary: ${sweep.out}/summary.md, summary.json, sweep.html\n`,
  );
  for (const f of failed) io.err(`failed: ${f.name}: ${f.error ?? ''}\n`);
  if (interrupted) {
    io.err(`interrupted; rerun the same command to resume: torchmix sweep ${argv.join(' ')}\n`);
    return 130;
  }
  if (failed.length) io.err(`${failed.length} point(s) failed; their logs: ${sweep.out}/runs/<point>/train.log; rerunning the command retries them\n`);
  return failed.length ? 1 : 0;
}
