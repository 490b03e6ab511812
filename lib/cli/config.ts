// The `torchmix train` configuration: flags and JSON/YAML config files, one schema (zod) for both.
// Precedence, lowest first: built-in defaults (some depend on the dataset) < the saved config of the
// run being resumed (--resume) < the --config file < flags. Every error names where the bad value
// came from: the flag (`--batch-size: …`) or the file and key (`run.yaml: batchSize: …`).
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import YAML from 'yaml';
import { UsageError, didYouMean } from './args.js';
import { PLUGIN_FLAGS } from './plugins.js';
import { SSL_FLAGS, sslDefaults, checkSslConfig } from './ssl.js';
import { NOISE_FLAGS, checkNoiseConfig } from './noise.js';
import { DIST_FLAGS } from './distributed.js';

export const DATASETS = ['fashion-mnist', 'mnist', 'cifar10', 'cifar100', 'moons', 'spirals', 'blobs'] as const;
export const TOY_DATASETS = ['moons', 'spirals', 'blobs'] as const;
export const MODELS = ['mlp', 'small-cnn', 'preact-resnet18', 'preact-resnet34', 'wide-resnet'] as const;
export const OPTIMIZERS = ['sgd', 'adam', 'adamw', 'rmsprop'] as const;
export const SCHEDULES = ['none', 'step', 'multistep', 'cosine', 'onecycle'] as const;
export const PROGRESS = ['auto', 'bar', 'lines', 'none'] as const;
export type DatasetName = (typeof DATASETS)[number];
export type ModelName = (typeof MODELS)[number];

export const isToy = (d: string): boolean => (TOY_DATASETS as readonly string[]).includes(d);

type Kind = 'string' | 'number' | 'boolean';
/** Every train flag: its config key, how it parses, and its help line. */
export const TRAIN_FLAGS: Record<string, { key: string; kind: Kind; help: string }> = {
  dataset: { key: 'dataset', kind: 'string', help: `${DATASETS.join('|')} (default fashion-mnist)` },
  'data-dir': { key: 'dataDir', kind: 'string', help: "folder of the dataset files (Fashion-MNIST: Debian's /usr/share/datasets/fashion-mnist)" },
  model: { key: 'model', kind: 'string', help: `${MODELS.join('|')} (default: small-cnn for 28×28, preact-resnet18 for CIFAR, mlp for toy sets)` },
  method: { key: 'method', kind: 'string', help: "mixing method, see 'torchmix methods' (default mixup)" },
  alpha: { key: 'alpha', kind: 'number', help: "Beta(α, α) parameter of the method (default: the method's; ict: α and α_u)" },
  epochs: { key: 'epochs', kind: 'number', help: 'epochs (default 10; 200 for CIFAR; 100 for toy sets)' },
  'batch-size': { key: 'batchSize', kind: 'number', help: 'batch size (default 128)' },
  lr: { key: 'lr', kind: 'number', help: 'learning rate (default 0.1 SGD on CIFAR, 0.05 SGD otherwise, 0.001 Adam/AdamW/RMSprop)' },
  optimizer: { key: 'optimizer', kind: 'string', help: `${OPTIMIZERS.join('|')} (default sgd)` },
  momentum: { key: 'momentum', kind: 'number', help: 'momentum for sgd/rmsprop (default 0.9 for sgd, 0 for rmsprop)' },
  'weight-decay': { key: 'weightDecay', kind: 'number', help: 'weight decay (default 1e-4; 0 for toy sets)' },
  schedule: { key: 'schedule', kind: 'string', help: `${SCHEDULES.join('|')} (default cosine)` },
  'warmup-epochs': { key: 'warmupEpochs', kind: 'number', help: 'linear warmup epochs before the schedule (default 0)' },
  device: { key: 'device', kind: 'string', help: 'cpu|cuda|cuda:N (default cpu)' },
  seed: { key: 'seed', kind: 'number', help: 'seed of weights, batches, mixing, splits and label noise (default 0)' },
  threads: { key: 'threads', kind: 'number', help: 'CPU threads of LibTorch (default: its own)' },
  'channels-last': {
    key: 'channelsLast',
    kind: 'boolean',
    help: "conv models: weights in channels-last (NHWC) memory format, so convs and batch norms run NHWC (model.to({ memoryFormat: 'channelsLast' }))",
  },
  'label-noise': {
    key: 'labelNoise',
    kind: 'number',
    help: 'fraction P of train labels corrupted, in [0, 1) (default 0; see --label-noise-mode); test labels stay clean',
  },
  ...NOISE_FLAGS,
  'val-split': { key: 'valSplit', kind: 'number', help: 'hold out this fraction of the train set for validation (default: validate on the test split)' },
  out: { key: 'out', kind: 'string', help: 'run folder (default runs/<dataset>-<method>-<timestamp>)' },
  resume: { key: 'resume', kind: 'boolean', help: 'continue the run in --out from its checkpoint (its saved config is the base)' },
  progress: { key: 'progress', kind: 'string', help: `${PROGRESS.join('|')} (default auto: a bar on a TTY, lines otherwise)` },
  ...PLUGIN_FLAGS,
  ...SSL_FLAGS,
  ...DIST_FLAGS,
};
const KEY_TO_FLAG: Record<string, string> = Object.fromEntries(Object.entries(TRAIN_FLAGS).map(([f, s]) => [s.key, f]));

const msg = (text: string) => ({ error: text });
const numWhere = (what: string, ok: (v: number) => boolean) => z.number(msg(what)).refine((v) => Number.isFinite(v) && ok(v), msg(what));
const posInt = numWhere('expected a positive integer', (v) => Number.isInteger(v) && v > 0);
const nonNegInt = numWhere('expected an integer ≥ 0', (v) => Number.isInteger(v) && v >= 0);
const nonNeg = numWhere('expected a number ≥ 0', (v) => v >= 0);
const oneOf = <T extends readonly [string, ...string[]]>(values: T) => z.enum(values, msg(`expected one of ${values.join(', ')}`));

/** The config schema (files use these camelCase keys; kebab-case flag names are accepted too). */
export const trainConfigSchema = z.strictObject({
  dataset: oneOf(DATASETS),
  dataDir: z.string(msg('expected a folder path')).min(1, msg('expected a folder path')).optional(),
  model: oneOf(MODELS),
  method: z.string(msg('expected a method name')),
  alpha: numWhere('expected a number > 0', (v) => v > 0).optional(),
  /** Further options of the method, passed to mixup.create (e.g. { mode: 'elem', prob: 0.5 }). */
  methodOptions: z.record(z.string(), z.unknown(), msg('expected an object of method options')).optional(),
  epochs: posInt,
  batchSize: posInt,
  lr: numWhere('expected a number > 0', (v) => v > 0),
  optimizer: oneOf(OPTIMIZERS),
  momentum: numWhere('expected a number in [0, 1)', (v) => v >= 0 && v < 1).optional(),
  weightDecay: nonNeg,
  schedule: oneOf(SCHEDULES),
  warmupEpochs: nonNegInt,
  device: z.string(msg('expected cpu, cuda or cuda:N')).regex(/^(cpu|cuda(:\d+)?)$/, msg('expected cpu, cuda or cuda:N')),
  seed: nonNegInt,
  threads: posInt.optional(),
  channelsLast: z.boolean(msg('expected true or false')).optional(),
  labelNoise: numWhere('expected a fraction in [0, 1)', (v) => v >= 0 && v < 1),
  labelNoiseMode: NOISE_FLAGS['label-noise-mode'].schema,
  trainSize: NOISE_FLAGS['train-size'].schema,
  valSplit: numWhere('expected a fraction in (0, 1)', (v) => v > 0 && v < 1).optional(),
  out: z.string(msg('expected a folder path')).min(1, msg('expected a folder path')),
  resume: z.boolean(msg('expected true or false')),
  progress: oneOf(PROGRESS),
  logEvery: posInt.optional(),
  /** Toy sets only: points in the train and test sets and their noise. */
  toy: z.strictObject({ n: posInt.optional(), nTest: posInt.optional(), noise: nonNeg.optional() }, msg('expected { n, nTest, noise }')).optional(),
  // The plug-ins' flags (lib/cli/plugins.ts): ema, earlyStop, monitor, clipGrad.
  ...(Object.fromEntries(Object.values(PLUGIN_FLAGS).map((f) => [f.key, f.schema])) as Record<
    'ema' | 'earlyStop' | 'monitor' | 'clipGrad',
    z.ZodOptional<z.ZodType>
  >),
  // Semi-supervised training (lib/cli/ssl.ts): labels, unlabeledBatchSize, lambdaU, rampup, temperature, views, stepsPerEpoch, jitter.
  ...(Object.fromEntries(Object.values(SSL_FLAGS).map((f) => [f.key, f.schema])) as Record<
    'labels' | 'unlabeledBatchSize' | 'lambdaU' | 'rampup' | 'temperature' | 'views' | 'stepsPerEpoch' | 'jitter',
    z.ZodOptional<z.ZodNumber>
  >),
  // Data-parallel runs (lib/cli/distributed.ts): nproc, nnodes, nodeRank, masterAddr, masterPort.
  nproc: DIST_FLAGS.nproc.schema,
  nnodes: DIST_FLAGS.nnodes.schema,
  nodeRank: DIST_FLAGS['node-rank'].schema,
  masterAddr: DIST_FLAGS['master-addr'].schema,
  masterPort: DIST_FLAGS['master-port'].schema,
});
export type TrainConfig = z.infer<typeof trainConfigSchema>;
const CONFIG_KEYS = Object.keys(trainConfigSchema.shape);

/** Where each key's value came from, for error messages. */
type Origin = { kind: 'flag' } | { kind: 'file'; file: string } | { kind: 'default' } | { kind: 'saved'; file: string };
export interface Layer {
  values: Record<string, unknown>;
  origin: Origin;
}

const kebabToCamel = (s: string) => s.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

/** Reads a JSON or YAML config file (by extension; anything else is tried as YAML, which includes JSON). */
export function readConfigFile(file: string, flag = '--config'): Record<string, unknown> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new UsageError(`${flag}: cannot read '${file}': ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = path.extname(file).toLowerCase() === '.json' ? JSON.parse(text) : YAML.parse(text);
  } catch (e) {
    throw new UsageError(
      `${flag}: '${file}' is not valid ${path.extname(file).toLowerCase() === '.json' ? 'JSON' : 'YAML'}: ${(e as Error).message.split('\n')[0]}`,
    );
  }
  if (parsed === null || parsed === undefined) return {};
  if (typeof parsed !== 'object' || Array.isArray(parsed)) throw new UsageError(`${flag}: '${file}' must hold an object of settings (key: value)`);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(parsed as Record<string, unknown>)) {
    const key = k.includes('-') ? kebabToCamel(k) : k;
    if (!CONFIG_KEYS.includes(key))
      throw new UsageError(`${path.basename(file)}: unknown setting '${k}'${didYouMean(key, CONFIG_KEYS)} (known: ${CONFIG_KEYS.join(', ')})`);
    out[key] = v;
  }
  return out;
}

/** Flag values (strings from parseArgs) → config values; numbers stay strings when they don't parse,
 *  so the schema reports them. */
export function flagsToConfig(values: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [flag, v] of Object.entries(values)) {
    const spec = TRAIN_FLAGS[flag];
    if (!spec || v === undefined) continue;
    if (spec.kind === 'number' && typeof v === 'string') {
      const s = v.trim();
      const n = s === '' ? NaN : Number(s);
      out[spec.key] = Number.isNaN(n) ? v : n;
    } else out[spec.key] = v;
  }
  return out;
}

/** Defaults that depend on the dataset (and optimizer/method) once those are known. */
export function defaultsFor(partial: Record<string, unknown>, now = new Date()): Record<string, unknown> {
  const dataset = typeof partial.dataset === 'string' ? partial.dataset : 'fashion-mnist';
  const cifar = dataset === 'cifar10' || dataset === 'cifar100';
  const toy = isToy(dataset);
  const optimizer = typeof partial.optimizer === 'string' ? partial.optimizer : 'sgd';
  const method = typeof partial.method === 'string' ? partial.method : 'mixup';
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return {
    dataset,
    model: toy ? 'mlp' : cifar ? 'preact-resnet18' : 'small-cnn',
    method,
    epochs: toy ? 100 : cifar ? 200 : 10,
    batchSize: 128,
    lr: optimizer === 'sgd' ? (cifar ? 0.1 : 0.05) : 1e-3,
    optimizer,
    weightDecay: toy ? 0 : 1e-4,
    schedule: 'cosine',
    warmupEpochs: 0,
    device: 'cpu',
    seed: 0,
    labelNoise: 0,
    out: path.join('runs', `${dataset}-${method}-${stamp}`),
    resume: false,
    progress: 'auto',
    // The semi-supervised methods' recipes (optimizer, lr, batch, schedule, weight decay).
    ...sslDefaults(method, typeof partial.optimizer === 'string' ? partial.optimizer : undefined),
  };
}

function describe(origin: Origin, key: string): string {
  switch (origin.kind) {
    case 'flag':
      return KEY_TO_FLAG[key] ? `--${KEY_TO_FLAG[key]}` : key;
    case 'file':
      return `${path.basename(origin.file)}: ${key}`;
    case 'saved':
      return `${origin.file}: ${key}`;
    default:
      return `default ${key}`;
  }
}
const show = (v: unknown) => (typeof v === 'string' ? `'${v}'` : JSON.stringify(v));

/**
 * Merges layers (lowest precedence first) over the dataset-dependent defaults and validates.
 * Throws a UsageError naming the flag or file key of the first bad value.
 */
export function resolveConfig(layers: Layer[], now?: Date): TrainConfig {
  const merged: Record<string, unknown> = {};
  const origins: Record<string, Origin> = {};
  for (const l of layers)
    for (const [k, v] of Object.entries(l.values)) {
      if (v === undefined) continue;
      merged[k] = v;
      origins[k] = l.origin;
    }
  const full = { ...defaultsFor(merged, now), ...merged };
  const r = trainConfigSchema.safeParse(full);
  if (!r.success) {
    const issue = r.error.issues[0];
    const key = String(issue.path[0] ?? '');
    const origin = origins[key] ?? { kind: 'default' };
    const sub = issue.path.length > 1 ? `.${issue.path.slice(1).join('.')}` : '';
    let value: unknown = full[key as keyof typeof full];
    for (const p of issue.path.slice(1)) value = (value as Record<string | number, unknown> | undefined)?.[p as string];
    const text = issue.code === 'unrecognized_keys' ? `unknown key(s) ${issue.keys.join(', ')}` : issue.message;
    throw new UsageError(`${describe(origin, key)}${sub}: ${text}${issue.code === 'unrecognized_keys' ? '' : `, got ${show(value)}`}`);
  }
  const c = r.data;
  // Cross-field rules.
  const where = (key: string) => describe(origins[key] ?? { kind: 'default' }, key);
  if (isToy(c.dataset) && c.model !== 'mlp')
    throw new UsageError(`${where('model')}: the toy set '${c.dataset}' has 2-D points; only mlp fits it, got '${c.model}'`);
  // PyTorch's Module.to(memory_format=...) silently skips an MLP's 2-D weights; a flag that changes nothing is refused instead.
  if (c.channelsLast && c.model === 'mlp')
    throw new UsageError(
      `${where('channelsLast')}: channels-last applies to conv models (small-cnn, preact-resnet18/34, wide-resnet); the mlp${isToy(c.dataset) ? ` of the toy set '${c.dataset}'` : ''} has no 4-D weights, so leave it off`,
    );
  if (!isToy(c.dataset) && c.toy !== undefined)
    throw new UsageError(`${where('toy')}: toy settings apply to moons, spirals and blobs only, not '${c.dataset}'`);
  if (c.momentum !== undefined && (c.optimizer === 'adam' || c.optimizer === 'adamw'))
    throw new UsageError(`${where('momentum')}: the ${c.optimizer} optimizer has no momentum (use sgd or rmsprop)`);
  if (c.schedule === 'onecycle' && c.warmupEpochs > 0) throw new UsageError(`${where('warmupEpochs')}: onecycle has its own warmup; leave warmup at 0`);
  if (c.warmupEpochs >= c.epochs && c.warmupEpochs > 0)
    throw new UsageError(`${where('warmupEpochs')}: must be less than the epochs (${c.epochs}), got ${c.warmupEpochs}`);
  const cr = c as Record<string, unknown>;
  for (const f of Object.values(PLUGIN_FLAGS)) {
    if (f.needs && cr[f.key] !== undefined && cr[f.needs] === undefined) throw new UsageError(`${where(f.key)}: only applies with ${flagOf(f.needs)}`);
    const bad = cr[f.key] !== undefined ? f.check?.(cr[f.key], cr) : undefined;
    if (bad) throw new UsageError(`${where(f.key)}: ${bad}`);
  }
  checkSslConfig(cr, where, isToy(c.dataset));
  checkNoiseConfig(c, where);
  return c;
}

/** The flag a config key is set with (for messages from later stages). */
export const flagOf = (key: string): string => (KEY_TO_FLAG[key] ? `--${KEY_TO_FLAG[key]}` : key);
