// From a validated TrainConfig to the things the Trainer needs: datasets and loaders, the model,
// optimizer, scheduler and mixing method. Shared by `train` (everything) and `eval` (test split
// and model only), so a saved run's config rebuilds exactly the same network.
import fs from 'node:fs';
import path from 'node:path';
import { torch, nn, optim, data, mixup } from '../index.js';
import type { Dataset } from '../data/idx.js';
import type { Module } from '../nn/module.js';
import type { MixOptions } from '../nn/models/mixing.js';
import { UsageError, didYouMean } from './args.js';
import { isToy, flagOf, type TrainConfig } from './config.js';
import { isSsl, sslMethodOptions } from './ssl.js';

type Tensor = torch.Tensor;

/** Per-channel normalisation constants of the image sets (toy sets are used as generated). */
export const NORMALIZE: Record<string, { mean: number[]; std: number[] }> = {
  'fashion-mnist': { mean: [0.286], std: [0.353] },
  mnist: { mean: [0.1307], std: [0.3081] },
  cifar10: { mean: [0.4914, 0.4822, 0.4465], std: [0.247, 0.2435, 0.2616] },
  cifar100: { mean: [0.5071, 0.4865, 0.4409], std: [0.2673, 0.2564, 0.2762] },
};

const TOY_DEFAULTS: Record<string, { n: number; nTest: number; noise: number }> = {
  moons: { n: 1000, nTest: 1000, noise: 0.15 },
  spirals: { n: 1000, nTest: 1000, noise: 0.05 },
  blobs: { n: 1000, nTest: 1000, noise: 1 },
};

/** The method's canonical name, or a UsageError naming --method with a suggestion. */
export function methodName(name: string): string {
  try {
    return mixup.canonicalName(name);
  } catch {
    const known = Object.keys(mixup.methods());
    throw new UsageError(
      `--method: unknown method '${name}'${didYouMean(name.toLowerCase(), [...known, 'erm', 'input'])} (known: ${known.join(', ')}; see 'torchmix methods')`,
    );
  }
}

/** Builds the mixing method (validating --alpha and methodOptions against the method's options). */
export function buildMethod(cfg: TrainConfig) {
  const name = methodName(cfg.method);
  const defaults = mixup.methods()[name as keyof ReturnType<typeof mixup.methods>];
  // The SSL flags (--lambda-u, --rampup, --temperature, --views, --ema) over methodOptions.
  const opts: Record<string, unknown> = { ...(cfg.methodOptions ?? {}), ...(isSsl(name) ? sslMethodOptions(cfg) : {}) };
  if (cfg.alpha !== undefined) {
    if (!('alpha' in defaults))
      throw new UsageError(`--alpha: method '${name}' has no alpha${name === 'none' ? ' (it mixes nothing)' : ' (its λ comes from its own policy)'}`);
    opts.alpha = cfg.alpha;
  }
  try {
    return { name, method: mixup.create(name, opts) };
  } catch (e) {
    const where = cfg.methodOptions ? 'methodOptions' : '--method';
    throw new UsageError(`${where}: ${(e as Error).message}`);
  }
}

/** Loads one split of the configured dataset (toy sets: generated, the test split from another seed). */
export function loadSplit(cfg: TrainConfig, split: 'train' | 'test'): Dataset {
  try {
    if (isToy(cfg.dataset)) {
      // One draw of n + nTest points (shuffled by the generator), split in two: both splits share
      // the distribution (blobs' random centres included).
      const t = { ...TOY_DEFAULTS[cfg.dataset], ...(cfg.toy ?? {}) };
      const n = t.n + t.nTest;
      const opts: Record<string, unknown> = cfg.dataset === 'blobs' ? { n, std: t.noise, seed: cfg.seed } : { n, noise: t.noise, seed: cfg.seed };
      const all = data.load(cfg.dataset, opts);
      const [start, len] = split === 'train' ? [0, t.n] : [t.n, t.nTest];
      const part = torch.tidy(() => ({
        images: torch.keep(all.images.narrow(0, start, len).clone()),
        labels: torch.keep(all.labels.narrow(0, start, len).clone()),
      }));
      all.images.dispose();
      all.labels.dispose();
      return { ...part, classes: all.classes };
    }
    const opts: Record<string, unknown> = { split };
    if (cfg.dataDir !== undefined) opts.dir = cfg.dataDir;
    else if (cfg.dataset !== 'fashion-mnist') throw new UsageError(`--data-dir: the ${cfg.dataset} dataset needs --data-dir (the folder holding its files)`);
    return data.load(cfg.dataset, opts);
  } catch (e) {
    if (e instanceof UsageError) throw e;
    if (e instanceof data.DatasetError) throw new UsageError(`--data-dir: ${e.message}`);
    throw e;
  }
}

/** MLP over flattened images (the same state dict names as nn.models.mlp). */
class FlatMLP extends nn.models.MLP {
  protected trunk(x: Tensor, opts?: MixOptions): Tensor {
    return super.trunk(x.ndim > 2 ? x.flatten(1) : x, opts);
  }
}

/** The network for a dataset of this shape (N×C×H×W images or N×2 points) and class count. */
export function buildModel(cfg: TrainConfig, sample: Dataset): Module {
  const shape = sample.images.shape;
  const numClasses = sample.classes.length;
  if (isToy(cfg.dataset)) return nn.models.mlp([shape[1], 128, 128, numClasses]);
  const [c, h] = [shape[1], shape[2]];
  switch (cfg.model) {
    case 'mlp':
      return new FlatMLP([shape.slice(1).reduce((a, b) => a * b, 1), 512, 256, numClasses]);
    case 'small-cnn':
      return nn.models.smallCNN({ inChannels: c, numClasses, inputSize: h });
    case 'preact-resnet18':
      return nn.models.preactResNet18({ inChannels: c, numClasses });
    case 'preact-resnet34':
      return nn.models.preactResNet34({ inChannels: c, numClasses });
    case 'wide-resnet':
      return nn.models.wideResNet({ inChannels: c, numClasses });
  }
}

/** The optimizer over the model's parameters and the trainable ones of the method's own module (AdaMixup's
 *  policy; not MixMatch's EMA or ICT's teacher, which are averages). MixMatch's weight decay is not the
 *  optimizer's: it is applied decoupled after each step, as the official code (lib/cli/plugins.ts). */
export function buildOptimizer(cfg: TrainConfig, model: Module, methodModule?: Module) {
  const params = [...model.parameters(), ...(methodModule?.parameters().filter((p) => p.requiresGrad) ?? [])];
  const wd = decoupledWeightDecay(cfg) ? 0 : cfg.weightDecay;
  switch (cfg.optimizer) {
    case 'sgd':
      return new optim.SGD(params, { lr: cfg.lr, momentum: cfg.momentum ?? 0.9, weightDecay: wd });
    case 'adam':
      return new optim.Adam(params, { lr: cfg.lr, weightDecay: wd });
    case 'adamw':
      return new optim.AdamW(params, { lr: cfg.lr, weightDecay: wd });
    case 'rmsprop':
      return new optim.RMSprop(params, { lr: cfg.lr, momentum: cfg.momentum ?? 0, weightDecay: wd });
  }
}

type AnyOptimizer = ReturnType<typeof buildOptimizer>;
const S = optim.lrScheduler;

/** The lr schedule: epoch-stepped (step, multistep, cosine, warmup) or iteration-stepped (onecycle). */
export function buildScheduler(
  cfg: TrainConfig,
  opt: AnyOptimizer,
  stepsPerEpoch: number,
): { scheduler?: optim.lrScheduler.LRScheduler; schedulerStep: 'epoch' | 'iteration' } {
  if (cfg.schedule === 'onecycle')
    return { scheduler: new S.OneCycleLR(opt, { maxLr: cfg.lr, epochs: cfg.epochs, stepsPerEpoch: Math.max(1, stepsPerEpoch) }), schedulerStep: 'iteration' };
  const w = cfg.warmupEpochs;
  const m = cfg.epochs - w;
  let main: optim.lrScheduler.LRScheduler | undefined;
  if (cfg.schedule === 'step') main = new S.StepLR(opt, { stepSize: Math.max(1, Math.round(m / 3)), gamma: 0.1 });
  else if (cfg.schedule === 'multistep') {
    const ms = [...new Set([Math.round(m / 2), Math.round((3 * m) / 4)].filter((x) => x > 0))];
    main = new S.MultiStepLR(opt, { milestones: ms.length ? ms : [1], gamma: 0.1 });
  } else if (cfg.schedule === 'cosine') main = new S.CosineAnnealingLR(opt, { tMax: Math.max(1, m) });
  if (w === 0) return { scheduler: main, schedulerStep: 'epoch' };
  const warm = new S.LinearLR(opt, { startFactor: 1 / (w + 1), endFactor: 1, totalIters: w });
  if (!main) return { scheduler: warm, schedulerStep: 'epoch' };
  return { scheduler: new S.SequentialLR(opt, [warm, main], { milestones: [w] }), schedulerStep: 'epoch' };
}

/** MixMatch with a weight decay applies it decoupled (w ← w·(1 − wd·lr) on conv/linear weights after
 *  each step, the official code); every other method gives it to the optimizer. */
export const decoupledWeightDecay = (cfg: TrainConfig): boolean => methodName(cfg.method) === 'mixmatch' && cfg.weightDecay > 0;

/** Reflect padding of the semi-supervised image augmentation: a random translation by up to 4 pixels
 *  (MixMatch's augment_shift, ICT's RandomTranslateWithReflect), plus a horizontal flip. */
export const SSL_TRANSLATE = 4;
/** Default jitter σ of the toy sets' training points with --labels. */
export const SSL_JITTER = 0.1;

/** The training augmentation: with --labels the semi-supervised one (images: translation + flip, toy
 *  sets: jitter; for the supervised-only baseline too, so it sees the same inputs); CIFAR's crop + flip otherwise. */
export function trainAugment(cfg: TrainConfig): data.AugmentOptions | undefined {
  if (isToy(cfg.dataset)) {
    const j = cfg.jitter ?? (cfg.labels !== undefined ? SSL_JITTER : 0);
    return j > 0 ? { jitter: j } : undefined;
  }
  if (cfg.labels !== undefined) return { crop: { padding: SSL_TRANSLATE, mode: 'reflect' }, flip: true };
  if (cfg.dataset === 'cifar10' || cfg.dataset === 'cifar100') return { crop: { size: 32, padding: 4 }, flip: true };
  return undefined;
}

/** Loader options: evaluation (train false), the train (labeled) stream, or the unlabeled stream
 *  (its own batch size, K views for MixMatch, seed + 1 so its shuffles are not the labeled stream's). */
export function loaderOptions(cfg: TrainConfig, train: boolean, stream: 'train' | 'unlabeled' = 'train', views = 1) {
  const norm = NORMALIZE[cfg.dataset];
  const augment = train ? trainAugment(cfg) : undefined;
  const unl = train && stream === 'unlabeled';
  return {
    batchSize: !train ? 1000 : unl ? (cfg.unlabeledBatchSize ?? cfg.batchSize) : cfg.batchSize,
    shuffle: train,
    dropLast: train,
    seed: unl ? cfg.seed + 1 : cfg.seed,
    device: cfg.device,
    ...(norm ? { normalize: norm } : {}),
    ...(augment ? { augment } : {}),
    ...(unl && views > 1 ? { views } : {}),
  };
}

/** Checks --device before anything is allocated on it. */
export function checkDevice(cfg: TrainConfig): void {
  if (cfg.device.startsWith('cuda')) {
    if (!torch.cuda.isAvailable())
      throw new UsageError(
        `${flagOf('device')}: CUDA is not available here (LibTorch ${torch.config().version}, cuda: ${String(torch.config().cuda)}); use --device cpu`,
      );
    const idx = cfg.device.includes(':') ? Number(cfg.device.split(':')[1]) : 0;
    if (idx >= torch.cuda.deviceCount()) throw new UsageError(`${flagOf('device')}: ${cfg.device} does not exist (${torch.cuda.deviceCount()} CUDA device(s))`);
  }
}

/** The checkpoint file and saved config of a run folder, or of a checkpoint file inside one. */
export function locateRun(p: string, flag = '--checkpoint'): { dir: string; weights: string; config: Record<string, unknown> } {
  if (!fs.existsSync(p)) throw new UsageError(`${flag}: '${p}' does not exist`);
  const isDir = fs.statSync(p).isDirectory();
  const dir = isDir ? p : path.dirname(p);
  const weights = isDir ? path.join(dir, 'checkpoint.safetensors') : p;
  if (!fs.existsSync(weights)) throw new UsageError(`${flag}: no checkpoint.safetensors in '${dir}' (is it a torchmix run folder?)`);
  const candidates: [string, (j: Record<string, unknown>) => unknown][] = [
    ['config.json', (j) => j],
    ['results.json', (j) => j.config],
    ['checkpoint.json', (j) => j.config],
  ];
  for (const [f, pick] of candidates) {
    const file = path.join(dir, f);
    if (!fs.existsSync(file)) continue;
    try {
      const c = pick(JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>);
      if (c && typeof c === 'object' && 'dataset' in c) return { dir, weights, config: c };
    } catch {
      /* try the next one */
    }
  }
  throw new UsageError(`${flag}: no saved config (config.json, results.json or checkpoint.json with a 'dataset') in '${dir}'`);
}

/** Loads the model's weights from a checkpoint whose keys may carry a prefix ('model.' …). */
export function loadWeights(model: Module, file: string, device?: torch.Device): void {
  const sd = torch.load(file, device ? { device } : undefined);
  const want = Object.keys(model.stateDict());
  const keys = Object.keys(sd);
  const prefixes = ['', 'model/', 'model.', 'module.'];
  for (const p of prefixes) {
    if (want.every((k) => Object.prototype.hasOwnProperty.call(sd, p + k))) {
      const sub: Record<string, Tensor> = {};
      for (const k of want) sub[k] = sd[p + k];
      try {
        model.loadStateDict(sub);
      } finally {
        for (const k of keys) sd[k].dispose();
      }
      return;
    }
  }
  throw new UsageError(`--checkpoint: '${file}' does not hold this model's weights (first missing: ${want.find((k) => !(k in sd))})`);
}
