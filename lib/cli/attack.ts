// `torchmix attack --checkpoint RUN`: robust accuracy of a run's model under adversarial attacks
// (lib/attacks: FGSM, BIM, PGD L∞, PGD L2) over a grid of ε. Rebuilds the model as `eval` does,
// feeds the attacks pixel-space batches (the run's normalisation folded into the model), writes
// RUN/robustness.json and rewrites RUN/report.html with its robustness section.
import fs from 'node:fs';
import path from 'node:path';
import { torch, data, attacks } from '../index.js';
import { UsageError, parseFlags, didYouMean, parseNumberOrFraction } from './args.js';
import { resolveConfig, flagsToConfig, isToy } from './config.js';
import { loadSplit, buildModel, loaderOptions, checkDevice, locateRun, loadWeights } from './build.js';
import { writeFileAtomic } from '../train/checkpoint.js';
import { ROBUSTNESS_FILE, ROBUSTNESS_SCHEMA, epsLabel, type Robustness, type RobustnessResult } from '../report/robustness.js';
import type { IO } from './io.js';

type AttackName = attacks.AttackName;
const { ATTACK_NAMES } = attacks;
const ITERATIVE: readonly string[] = ['bim', 'pgd', 'pgdl2'];
const DEFAULT_EPS = '0,1/255,2/255,4/255,8/255';

export const ATTACK_HELP = `Usage: torchmix attack --checkpoint RUN_DIR|FILE [flags]

Rebuilds the run's model (as 'torchmix eval'), attacks every sample of a split and reports the
accuracy and loss on the adversarial images per attack and ε. Writes RUN_DIR/robustness.json and
rewrites RUN_DIR/report.html with a robustness section (accuracy vs ε per attack).

Conventions as torchattacks 3.5.1: images and ε in pixel space [0, 1], the adversarial images clamped
to [0, 1]; the run's dataset normalisation is folded into the model for the attack; mean
cross-entropy; the model in eval mode. For image datasets only: runs on the 2-D toy sets (moons,
spirals, blobs) are refused, their points are not pixels in [0, 1].
ε = 0 is the clean accuracy: it is evaluated once and listed under every attack.

  --checkpoint PATH      a run folder or its checkpoint.safetensors (required)
  --attack LIST          comma-separated, of ${ATTACK_NAMES.join(', ')} (default fgsm,bim,pgd)
  --eps LIST             comma-separated ε, decimals or fractions a/b (default ${DEFAULT_EPS});
                         L∞ for fgsm/bim/pgd, the L2 radius for pgdl2
  --steps N              iterations of bim/pgd/pgdl2 (default 10; bim alone: 0 = Kurakin's rule)
  --step-size S          step α of bim/pgd/pgdl2, decimal or a/b (default 2/255; pgdl2 0.2)
  --split test|train     the split to attack (default test)
  --limit N              only the first N samples of the split (dataset order)
  --seed N               torch.manualSeed before each (attack, ε): PGD's random start (default 0)
  --batch-size N         batch size (default 1000)
  --data-dir DIR         folder of the dataset files (default: the run's)
  --device DEV           cpu|cuda|cuda:N (default cpu)
  --threads N            CPU threads of LibTorch
  --json                 print robustness.json's content instead of the table
  -h, --help             this help
`;

const OPTIONS = {
  checkpoint: { type: 'string' as const },
  attack: { type: 'string' as const },
  eps: { type: 'string' as const },
  steps: { type: 'string' as const },
  'step-size': { type: 'string' as const },
  split: { type: 'string' as const },
  limit: { type: 'string' as const },
  seed: { type: 'string' as const },
  'batch-size': { type: 'string' as const },
  'data-dir': { type: 'string' as const },
  device: { type: 'string' as const },
  threads: { type: 'string' as const },
  json: { type: 'boolean' as const },
  help: { type: 'boolean' as const, short: 'h' },
};

/** --eps: ε values ≥ 0 (decimals or a/b), sorted and without repeats. */
export function parseEpsList(s: string): number[] {
  const parts = s.split(',').map((p) => p.trim());
  const out = parts.map((p) => {
    const v = parseNumberOrFraction(p);
    if (v === undefined)
      throw new UsageError(`--eps: expected comma-separated numbers or fractions a/b (e.g. ${DEFAULT_EPS}), got '${p}'${parts.length > 1 ? ` in '${s}'` : ''}`);
    if (v < 0) throw new UsageError(`--eps: ε must be ≥ 0, got ${p}`);
    return v;
  });
  return [...new Set(out)].sort((a, b) => a - b);
}

/** --attack: known attack names (case-insensitive), in the order given, without repeats. */
export function parseAttackList(s: string): AttackName[] {
  const names = s.split(',').map((p) => p.trim().toLowerCase());
  for (const n of names)
    if (!(ATTACK_NAMES as readonly string[]).includes(n))
      throw new UsageError(`--attack: unknown attack '${n}'${didYouMean(n, ATTACK_NAMES)} (known: ${ATTACK_NAMES.join(', ')})`);
  return [...new Set(names)] as AttackName[];
}

function intFlag(v: string | boolean | undefined, flag: string, min: number): number | undefined {
  if (v === undefined) return undefined;
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  if (!Number.isSafeInteger(n) || n < min)
    throw new UsageError(`--${flag}: expected ${min === 0 ? 'an integer ≥ 0' : 'a positive integer'}, got '${String(v)}'`);
  return n;
}

export async function attackCommand(argv: string[], io: IO): Promise<number> {
  const { values } = parseFlags(argv, OPTIONS, 'attack');
  if (values.help) {
    io.out(ATTACK_HELP);
    return 0;
  }
  // Every flag is checked before anything is loaded.
  if (typeof values.checkpoint !== 'string')
    throw new UsageError("--checkpoint: required (a run folder or its checkpoint.safetensors); see 'torchmix attack --help'");
  const names = parseAttackList(typeof values.attack === 'string' ? values.attack : 'fgsm,bim,pgd');
  const epsList = parseEpsList(typeof values.eps === 'string' ? values.eps : DEFAULT_EPS);
  const steps = intFlag(values.steps, 'steps', 0);
  if (steps === 0 && names.some((n) => n === 'pgd' || n === 'pgdl2'))
    throw new UsageError(
      `--steps: 0 (Kurakin's rule) is for bim only; ${names.filter((n) => n === 'pgd' || n === 'pgdl2').join(' and ')} need at least one step`,
    );
  let stepSize: number | undefined;
  if (values['step-size'] !== undefined) {
    stepSize = parseNumberOrFraction(String(values['step-size']));
    if (stepSize === undefined || stepSize <= 0)
      throw new UsageError(`--step-size: expected a number > 0 (decimal or a/b), got '${String(values['step-size'])}'`);
  }
  const split = values.split ?? 'test';
  if (split !== 'test' && split !== 'train') throw new UsageError(`--split: expected test or train, got '${String(split)}'`);
  const limit = intFlag(values.limit, 'limit', 1);
  const seed = intFlag(values.seed, 'seed', 0) ?? 0;
  const bs = intFlag(values['batch-size'], 'batch-size', 1) ?? 1000;

  const run = locateRun(values.checkpoint);
  const f = flagsToConfig({ 'data-dir': values['data-dir'], device: values.device ?? 'cpu', threads: values.threads });
  const cfg = resolveConfig([
    { values: { ...run.config, resume: false }, origin: { kind: 'saved', file: run.dir } },
    { values: f, origin: { kind: 'flag' } },
  ]);
  if (isToy(cfg.dataset))
    throw new UsageError(
      `--checkpoint: the run was trained on ${cfg.dataset}, a 2-D toy set: its points are not pixels in [0, 1], so pixel-space ε and the [0, 1] clamp mean nothing there (attacks are for the image datasets)`,
    );
  checkDevice(cfg);
  if (cfg.threads !== undefined) torch.setNumThreads(cfg.threads);
  const ds = loadSplit(cfg, split);
  const model = buildModel(cfg, ds);
  loadWeights(model, run.weights);
  model.to(cfg.device);
  // Pixel-space batches: the loader does not normalise; the attacks fold the same constants into the model.
  const { normalize, ...lo } = loaderOptions(cfg, false);
  const loader = new data.DataLoader(ds, { ...lo, batchSize: bs });
  const results: RobustnessResult[] = [];
  try {
    const evaluate = (attack: AttackName, eps: number) => {
      torch.manualSeed(seed);
      const opts: attacks.EvaluateAttackOptions = { attack, eps };
      if (normalize) opts.normalize = normalize;
      if (limit !== undefined) opts.limit = limit;
      if (ITERATIVE.includes(attack)) {
        if (steps !== undefined) opts.steps = steps;
        if (stepSize !== undefined) opts.alpha = stepSize;
      }
      const r = attacks.evaluateAttack(model, loader, opts);
      const row: RobustnessResult = { attack, eps, acc: r.acc, loss: Number.isFinite(r.loss) ? r.loss : null, n: r.n, seconds: r.seconds };
      io.err(
        `${eps === 0 ? 'clean' : attack} ε=${epsLabel(eps)}: accuracy ${(100 * r.acc).toFixed(2)}%  loss ${r.loss.toFixed(4)}  (${r.n} samples, ${r.seconds.toFixed(1)} s)\n`,
      );
      return row;
    };
    // ε = 0 attacks nothing: one clean evaluation, listed under every attack so each curve starts there.
    const clean = epsList[0] === 0 ? evaluate(names[0], 0) : undefined;
    for (const attack of names) for (const eps of epsList) results.push(eps === 0 && clean ? { ...clean, attack } : evaluate(attack, eps));
  } finally {
    loader.dispose();
  }
  const rob: Robustness = {
    schema: ROBUSTNESS_SCHEMA,
    checkpoint: run.weights,
    dataset: cfg.dataset,
    split,
    n: results[0]?.n ?? 0,
    settings: {
      steps: steps ?? 10,
      stepSize: stepSize ?? null,
      limit: limit ?? null,
      seed,
      randomStart: names.some((n) => n === 'pgd' || n === 'pgdl2'),
      normalize: normalize ? { mean: [normalize.mean].flat(), std: [normalize.std].flat() } : null,
    },
    results,
  };
  const file = path.join(run.dir, ROBUSTNESS_FILE);
  writeFileAtomic(file, JSON.stringify(rob, null, 1) + '\n');
  let report: string | undefined;
  if (fs.existsSync(path.join(run.dir, 'results.json'))) report = await (await import('../report/index.js')).writeReport(run.dir);
  if (values.json) {
    io.out(JSON.stringify(rob) + '\n');
    return 0;
  }
  const w = Math.max(8, ...epsList.map((e) => epsLabel(e).length + 1));
  const cell = (s: string) => s.padStart(w);
  const lines = [
    `${cfg.dataset} ${split} split (${rob.n} samples), ${cfg.model} from ${run.weights}: accuracy under attack`,
    `${'attack'.padEnd(8)}${epsList.map((e) => cell(`ε=${epsLabel(e)}`)).join('')}`,
    ...names.map(
      (a) => `${a.padEnd(8)}${epsList.map((e) => cell(`${(100 * (results.find((r) => r.attack === a && r.eps === e)?.acc ?? NaN)).toFixed(2)}%`)).join('')}`,
    ),
    `robustness: ${file}`,
    ...(report ? [`report:     ${report}`] : []),
  ];
  io.out(lines.join('\n') + '\n');
  return 0;
}
