// `torchmix train`: flags and/or a JSON/YAML config → datasets, model, optimizer, schedule, method
// → the Trainer (lib/train) → results.json, report.html (+ the decision boundary on toy sets).
import fs from 'node:fs';
import path from 'node:path';
import { torch, data } from '../index.js';
import type { DataLoader as DataLoaderT } from '../data/loader.js';
import type { Module } from '../nn/module.js';
import { UsageError, parseFlags } from './args.js';
import { TRAIN_FLAGS, resolveConfig, readConfigFile, flagsToConfig, isToy, type Layer, type TrainConfig } from './config.js';
import { buildMethod, loadSplit, buildModel, buildOptimizer, buildScheduler, loaderOptions, checkDevice } from './build.js';
import { evaluateModel } from '../train/metrics.js';
import { pluginsFromConfig } from './plugins.js';
import { isSsl, splitForLabels, tileToBatch, type SplitInfo } from './ssl.js';
import { applyLabelNoise, trainSubset } from './noise.js';
import type * as Plugins from '../train/plugins.js';
import type { IO } from './io.js';
import { writeFileAtomic } from '../torch/serialize.js';
import { wantsLaunch, launchRanks, joinGroup } from './distributed.js';

export const TRAIN_HELP = `Usage: torchmix train [--config FILE] [flags]

Trains a model with a mixing method and writes the run folder: config.json, log.jsonl,
checkpoint.safetensors (+ .json), results.json, report.html and the report's pictures
(reliability.json: reliability bins on the test split; mixed-batch.json: one mixed train batch).

Settings come from built-in defaults < the resumed run's config.json (--resume) < --config FILE
(JSON or YAML, camelCase keys such as batchSize, or the flag names) < flags.

  --config FILE          JSON or YAML file of settings (also: methodOptions: {...}, toy: {n, nTest, noise}, logEvery)
${Object.entries(TRAIN_FLAGS)
  .map(([f, s]) => `  --${(f + (s.kind === 'boolean' ? '' : ' ' + (s.kind === 'number' ? 'N' : 'VALUE'))).padEnd(21)}${s.help}`)
  .join('\n')}
  -h, --help             this help

Semi-supervised (--method mixmatch|ict --labels N): N labeled train images (N/classes per class,
data.sslSplit seeded by --seed), the rest unlabeled; an epoch is one pass over the unlabeled part
(--steps-per-epoch to change it), the labeled set cycled (repeated when smaller than a batch).
Training inputs are augmented: images translated by up to 4 px (reflect padding) and flipped, toy
points jittered (--jitter, default 0.1); the supervised-only baseline (--method none --labels N)
gets the same. Recipe defaults, applied to what you leave unset:
  mixmatch: Adam lr 0.002, constant lr, batch 64 (+ 64 unlabeled × --views 2), weight decay 0.02
            applied decoupled to conv/linear weights; evaluated with its EMA (--ema, default 0.999)
  ict:      SGD lr 0.1 momentum 0.9, cosine, batch 100 (+ 100 unlabeled), weight decay 1e-4;
            evaluated with its mean teacher (--ema caps the teacher's decay, default 0.999)
Further options (mode, interleave, bnUpdate, alphaU, target …): methodOptions in --config, see 'torchmix methods'.

Examples:
  torchmix train --dataset fashion-mnist --method mixup --alpha 1 --epochs 10
  torchmix train --dataset moons --method mixup --epochs 100 --out runs/moons-mixup
  torchmix train --config cifar.yaml --label-noise 0.4 --seed 1
  torchmix train --dataset fashion-mnist --method mixmatch --labels 1000 --epochs 5
  torchmix train --dataset moons --method ict --labels 10 --lambda-u 10
`;

/** The Trainer's surface this command uses (lib/train; loaded lazily so the CLI builds without it). */
interface EpochRecord {
  epoch: number;
  trainLoss: number;
  lr: number;
  seconds: number;
  valLoss?: number;
  valAcc?: number;
  valEce?: number;
  [metric: string]: unknown;
}
interface History {
  epochs: EpochRecord[];
  best?: unknown;
  last?: unknown;
  interrupted: boolean;
  secondsPerEpoch: number;
  stopped?: { epoch: number; by: string; reason: string };
}
type Metrics = { loss: number; acc: number; ece: number };
interface TrainerLike {
  fit(): Promise<History>;
  /** The model's metrics, plus the plug-ins' (EMA: .ema). */
  evaluate(loader: DataLoaderT): Metrics & Record<string, unknown>;
  /** The plug-ins (EMA: .average.module, the averaged model). */
  readonly plugins: readonly { name: string; average?: { module: Module } }[];
}
type TrainModule = { Trainer: new (opts: Record<string, unknown>) => TrainerLike; plugins: typeof Plugins };

async function loadTrainer(): Promise<TrainModule> {
  const spec = '../train/index.js';
  try {
    return (await import(spec)) as TrainModule;
  } catch (e) {
    throw new Error(`torchmix train: the Trainer (lib/train) is not available: ${(e as Error).message}`, { cause: e });
  }
}

const FLAG_OPTIONS = {
  ...Object.fromEntries(Object.entries(TRAIN_FLAGS).map(([f, s]) => [f, { type: s.kind === 'boolean' ? ('boolean' as const) : ('string' as const) }])),
  config: { type: 'string' as const },
  help: { type: 'boolean' as const, short: 'h' },
};

/** Flags (+ config file, + saved config when resuming) → the validated config. No tensors touched. */
export function trainConfigFromArgs(argv: string[], now?: Date): TrainConfig | 'help' {
  const { values } = parseFlags(argv, FLAG_OPTIONS, 'train');
  if (values.help) return 'help';
  const flagValues = flagsToConfig(values);
  const fileValues = typeof values.config === 'string' ? readConfigFile(values.config) : {};
  const layers: Layer[] = [];
  const resume = flagValues.resume ?? fileValues.resume;
  if (resume === true) {
    const out = (flagValues.out ?? fileValues.out) as string | undefined;
    if (typeof out !== 'string') throw new UsageError('--resume: give the run folder to continue with --out DIR');
    const saved = path.join(out, 'config.json');
    if (!fs.existsSync(saved)) throw new UsageError(`--resume: '${out}' holds no config.json (not a torchmix run folder?)`);
    let prev: Record<string, unknown>;
    try {
      prev = JSON.parse(fs.readFileSync(saved, 'utf8')) as Record<string, unknown>;
    } catch (e) {
      throw new UsageError(`--resume: cannot read '${saved}': ${(e as Error).message}`);
    }
    layers.push({ values: prev, origin: { kind: 'saved', file: saved } });
  }
  if (typeof values.config === 'string') layers.push({ values: fileValues, origin: { kind: 'file', file: values.config } });
  layers.push({ values: flagValues, origin: { kind: 'flag' } });
  return resolveConfig(layers, now);
}

const pct = (v: number | undefined) => (v === undefined ? '–' : `${(100 * v).toFixed(2)}%`);

export async function trainCommand(argv: string[], ioArg: IO): Promise<number> {
  let io = ioArg;
  const cfg = trainConfigFromArgs(argv);
  if (cfg === 'help') {
    io.out(TRAIN_HELP);
    return 0;
  }
  // --nproc N (or --nnodes): start the ranks of this very command and wait for them.
  if (wantsLaunch(cfg)) return launchRanks(argv, cfg, io);
  const { name: methodName, method } = buildMethod(cfg);
  checkDevice(cfg);
  const out = cfg.out;
  if (!cfg.resume && fs.existsSync(path.join(out, 'checkpoint.safetensors')))
    throw new UsageError(`--out: '${out}' already holds a run; add --resume to continue it, or choose another --out`);
  if (cfg.threads !== undefined) torch.setNumThreads(cfg.threads);
  // A rank (of --nproc, torchrun, or started by hand with its variables): join the group; only rank 0 writes and prints.
  const group = await joinGroup(cfg.device);
  if (group) {
    cfg.device = group.device; // CUDA ranks: cuda:LOCAL_RANK
    checkDevice(cfg);
  }
  const rank = group?.rank ?? 0;
  if (rank !== 0) io = { out: () => {}, err: () => {} };
  torch.manualSeed(cfg.seed);

  const t0 = Date.now();
  const full = loadSplit(cfg, 'train');
  const test = loadSplit(cfg, 'test');
  const numClasses = full.classes.length;
  let trainSet = trainSubset(full, cfg);
  let valSet: typeof full | undefined;
  if (cfg.valSplit !== undefined) {
    const s = data.trainValSplit(trainSet, { valFraction: cfg.valSplit, seed: cfg.seed, stratified: true });
    trainSet = s.train;
    valSet = s.val;
  }
  const noisy = applyLabelNoise(trainSet, cfg, numClasses);
  trainSet = noisy.set;
  const noiseRate = noisy.info?.rate;
  // --labels N: train on N labeled images (N/classes per class); mixmatch/ict also on the rest, unlabeled.
  const ssl = isSsl(methodName);
  const pointsSet = trainSet; // what the decision boundary draws: every train point
  let unlabeledLoader: DataLoaderT | undefined;
  let split: SplitInfo | undefined;
  let stepsPerEpoch: number | undefined;
  if (cfg.labels !== undefined) {
    const s = splitForLabels(trainSet, cfg.labels, cfg.seed);
    trainSet = s.labeled;
    const nl = s.labeled.images.shape[0],
      nu = s.unlabeled.images.shape[0];
    if (ssl) {
      const views = (method.options as { views?: number }).views ?? 1;
      const uopts = loaderOptions(cfg, true, 'unlabeled', views);
      // Data-parallel: each rank takes its DistributedSampler share of the unlabeled images too.
      unlabeledLoader = new data.DataLoader(
        s.unlabeled,
        group ? { ...uopts, shuffle: false, sampler: new data.DistributedSampler(s.unlabeled, { seed: cfg.seed }) } : uopts,
      );
      if (unlabeledLoader.length === 0)
        throw new UsageError(`--unlabeled-batch-size: ${nu} unlabeled images make no batch of ${cfg.unlabeledBatchSize ?? cfg.batchSize}`);
    }
    // An epoch: one pass over the unlabeled part (as many steps for the supervised-only baseline), the
    // labeled set cycled; data-parallel, one pass over this rank's share (the sampler pads to ⌈nu/R⌉).
    const nuRank = group ? Math.ceil(nu / group.worldSize) : nu;
    stepsPerEpoch = cfg.stepsPerEpoch ?? Math.max(1, Math.floor(nuRank / (ssl ? (cfg.unlabeledBatchSize ?? cfg.batchSize) : cfg.batchSize)));
    split = { labels: cfg.labels, labelsPerClass: s.labelsPerClass, labeled: nl, unlabeled: nu, unlabeledUsed: ssl, seed: cfg.seed, stepsPerEpoch };
  }
  // Data-parallel: each rank iterates its DistributedSampler share (PyTorch's split; batch size per rank).
  // A few labels are tiled to fill a batch (on every rank: R batches' worth before the sampler splits them).
  const trainData = split ? tileToBatch(trainSet, cfg.batchSize * (group?.worldSize ?? 1)) : trainSet;
  const trainLoader = new data.DataLoader(
    trainData,
    group ? { ...loaderOptions(cfg, true), shuffle: false, sampler: new data.DistributedSampler(trainData, { seed: cfg.seed }) } : loaderOptions(cfg, true),
  );
  const evalLoader = new data.DataLoader(valSet ?? test, loaderOptions(cfg, false));
  const testLoader = valSet ? new data.DataLoader(test, loaderOptions(cfg, false)) : evalLoader;
  // --channels-last: the conv weights go NHWC; LibTorch's conv then returns NHWC outputs (1.13 and 2.x, CPU), so batches need no conversion.
  const model: Module = buildModel(cfg, full).to({ device: cfg.device, ...(cfg.channelsLast ? { memoryFormat: 'channelsLast' as const } : {}) });
  // A method with parameters of its own (AdaMixup) builds them for this model before the optimizer.
  const methodModule = method.attach ? method.attach(model) : undefined;
  const optimizer = buildOptimizer(cfg, model, methodModule);
  const { scheduler, schedulerStep } = buildScheduler(cfg, optimizer, stepsPerEpoch ?? trainLoader.length);

  const saved: Record<string, unknown> = { ...cfg, method: methodName, resume: false };
  if (rank === 0) {
    fs.mkdirSync(out, { recursive: true });
    fs.writeFileSync(path.join(out, 'config.json'), JSON.stringify(saved, null, 2) + '\n');
  }
  const nParams = model.parameters().reduce((a, p) => a + p.numel(), 0);
  const nMethod = methodModule
    ? methodModule
        .parameters()
        .filter((p) => p.requiresGrad)
        .reduce((a, p) => a + p.numel(), 0)
    : 0;
  io.err(
    `${cfg.dataset}: ${trainSet.images.shape[0]} train / ${(valSet ?? test).images.shape[0]} ${valSet ? 'validation' : 'test'} samples` +
      `${noiseRate !== undefined ? `, ${(100 * noiseRate).toFixed(1)}% train labels wrong (${noisy.info!.mode} noise ${cfg.labelNoise})` : ''} (loaded in ${Date.now() - t0} ms)\n` +
      (split
        ? `split: ${split.labels} labeled (${split.labelsPerClass} per class, seed ${split.seed}) + ${split.unlabeled} unlabeled${ssl ? '' : ' (not used: supervised only)'}, ${split.stepsPerEpoch} steps per epoch\n`
        : '') +
      `LibTorch ${torch.config().version}, ${torch.getNumThreads()} threads, device ${cfg.device}; ${cfg.model}${cfg.channelsLast ? ' channels-last' : ''} (${nParams.toLocaleString('en-US')} parameters${nMethod ? `; ${methodName}'s own: ${nMethod.toLocaleString('en-US')}` : ''}), ` +
      `${methodName}${cfg.alpha !== undefined ? ` α=${cfg.alpha}` : ''}, ${cfg.optimizer} lr=${cfg.lr}, ${cfg.schedule} schedule, ${cfg.epochs} epoch${cfg.epochs === 1 ? '' : 's'}\n` +
      (group
        ? `data-parallel: ${group.worldSize} processes (DDP over Gloo), batch ${cfg.batchSize} per process (${cfg.batchSize * group.worldSize} in all), mixing seeded ${cfg.seed} + rank\n`
        : ''),
  );

  const { Trainer, plugins } = await loadTrainer();
  // DDP wraps the model (and AdaMixup's own module), broadcasting rank 0's weights; then each rank mixes with its own stream.
  const dist = group ? await plugins.distributed({ model, method }) : undefined;
  if (group) torch.manualSeed(cfg.seed + rank);
  const trainer = new Trainer({
    plugins: [...pluginsFromConfig(cfg, plugins), ...(dist ? [dist] : [])],
    model,
    optimizer,
    scheduler,
    schedulerStep,
    method,
    train: trainLoader,
    ...(unlabeledLoader ? { loaders: { unlabeled: unlabeledLoader } } : {}),
    ...(stepsPerEpoch !== undefined ? { stepsPerEpoch } : {}),
    val: evalLoader,
    numClasses,
    epochs: cfg.epochs,
    // Only rank 0 writes; every rank resumes from its checkpoint.
    outDir: rank === 0 ? out : undefined,
    config: saved,
    progress: rank === 0 ? cfg.progress : 'none',
    resume: group && cfg.resume ? path.join(out, 'checkpoint.json') : cfg.resume,
    handleSigint: true,
    ...(cfg.logEvery !== undefined ? { logEvery: cfg.logEvery } : {}),
  });
  const history = await trainer.fit();
  if (group && rank !== 0) {
    await torch.distributed.destroyProcessGroup();
    return history.interrupted ? 130 : 0;
  }

  const resultsFile = path.join(out, 'results.json');
  let testMetrics: (Metrics & Record<string, unknown>) | undefined;
  if (valSet) testMetrics = trainer.evaluate(testLoader);
  const { writeReport, decisionBoundarySvg, DECISION_BOUNDARY_FILE, readRun, reliabilityOfModel, writeReliability, drawMixedBatch, writeMixedBatch } =
    await import('../report/index.js');
  // Pictures for the report: reliability diagrams on the test split (final model, and the EMA
  // model with --ema), and one train batch as the method mixed it (drawn without moving the run's RNG).
  const averaged = trainer.plugins.filter((p) => p.average?.module).map((p) => [p.name, p.average!.module] as const);
  // A method that evaluates with a model of its own (MixMatch's EMA, ICT's teacher): that one too.
  const methodsEval = (method as { evalModel?: () => Module }).evalModel?.();
  if (methodsEval && methodsEval !== model) averaged.push(['eval', methodsEval] as const);
  writeReliability(
    out,
    [['final', model] as const, ...averaged].map(([name, m]) => reliabilityOfModel(m, testLoader, { model: name, split: 'test' })),
  );
  writeMixedBatch(
    out,
    drawMixedBatch({
      method,
      model,
      loader: trainLoader,
      numClasses,
      classes: full.classes,
      normalize: loaderOptions(cfg, true).normalize,
      totalEpochs: cfg.epochs,
    }),
  );
  if (isToy(cfg.dataset)) {
    // The model the run is evaluated with (MixMatch's EMA, ICT's teacher), over every train point.
    const evalModel = (method as { evalModel?: () => Module }).evalModel?.() ?? model;
    const title = `${methodName}${cfg.alpha !== undefined ? ` (α=${cfg.alpha})` : ''} on ${cfg.dataset}${split ? `, ${split.labels} labels` : ''}`;
    const svg = await decisionBoundarySvg(evalModel, pointsSet, { title });
    fs.writeFileSync(path.join(out, DECISION_BOUNDARY_FILE), svg);
  }
  if (fs.existsSync(resultsFile) && (testMetrics || split || noisy.info)) {
    const r = JSON.parse(fs.readFileSync(resultsFile, 'utf8')) as Record<string, unknown>;
    if (testMetrics) r.test = testMetrics;
    if (split) r.split = split;
    if (noisy.info) r.labelNoise = noisy.info;
    writeFileAtomic(resultsFile, JSON.stringify(r, null, 2) + '\n');
  }
  let reportFile: string | undefined;
  if (fs.existsSync(resultsFile)) reportFile = await writeReport(out);

  const last = history.epochs[history.epochs.length - 1];
  const run = fs.existsSync(resultsFile) ? readRun(out) : undefined;
  const best =
    run?.best ??
    history.epochs.reduce<{ acc?: number; epoch?: number }>(
      (b, e) => (e.valAcc !== undefined && (b.acc === undefined || e.valAcc > b.acc) ? { acc: e.valAcc, epoch: e.epoch } : b),
      {},
    );
  const what = valSet ? 'validation' : 'test';
  if (history.interrupted) io.out(`interrupted after ${history.epochs.length} epoch(s); continue with: torchmix train --resume --out ${out}\n`);
  if (history.stopped) io.out(`stopped after epoch ${history.stopped.epoch} (${history.stopped.by}): ${history.stopped.reason}\n`);
  // The plug-ins' scores (EMA: emaValAcc … in the records, .ema in evaluate()'s result).
  const extras = (r: Record<string, unknown>) =>
    Object.entries(r).filter((kv): kv is [string, Metrics] => typeof kv[1] === 'object' && kv[1] !== null && 'acc' in kv[1]);
  if (last) {
    io.out(
      `${what} accuracy: ${pct(last.valAcc)} (best ${pct(best.acc)}${best.epoch !== undefined ? ` at epoch ${best.epoch}` : ''}), loss ${last.valLoss?.toFixed(4) ?? '–'}, ECE ${pct(last.valEce)}\n`,
    );
    for (const k of Object.keys(last)
      .filter((k) => /^[a-z]\w*ValAcc$/.test(k) && k !== 'valAcc')
      .map((k) => k.slice(0, -6)))
      io.out(
        `${what} accuracy (${k}): ${pct(last[`${k}ValAcc`] as number)}, loss ${(last[`${k}ValLoss`] as number).toFixed(4)}, ECE ${pct(last[`${k}ValEce`] as number)}\n`,
      );
  }
  if (testMetrics) {
    io.out(`test accuracy: ${pct(testMetrics.acc)}, loss ${testMetrics.loss.toFixed(4)}, ECE ${pct(testMetrics.ece)}\n`);
    for (const [k, m] of extras(testMetrics)) io.out(`test accuracy (${k}): ${pct(m.acc)}, loss ${m.loss.toFixed(4)}, ECE ${pct(m.ece)}\n`);
  }
  if (!last && !testMetrics) {
    const ev = evaluateModel(model, testLoader);
    io.out(`test accuracy: ${pct(ev.acc)}, loss ${ev.loss.toFixed(4)}, ECE ${pct(ev.ece)}\n`);
  }
  io.out(`results: ${resultsFile}\n${reportFile ? `report:  ${reportFile}\n` : ''}`);
  trainLoader.dispose();
  unlabeledLoader?.dispose();
  evalLoader.dispose();
  if (testLoader !== evalLoader) testLoader.dispose();
  if (group) await torch.distributed.destroyProcessGroup();
  return history.interrupted ? 130 : 0;
}
