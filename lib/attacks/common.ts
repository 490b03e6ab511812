// What the four attacks share: argument checks, the folded-in normalisation, the model-mode guard,
// the loss gradient w.r.t. the input only, and the random starts. Conventions and update rules are
// torchattacks 3.5.1's (../../docs/ARCHITECTURE.md, "Adversarial attacks"): images, ε, the step and
// the clamp live in pixel space [0, 1]; the model sees (x − mean) / std.
import * as torch from '../torch/index.js';
import { crossEntropy } from '../nn/functional.js';
import type { Module } from '../nn/module.js';

type Tensor = torch.Tensor;

export const ATTACK_NAMES = ['fgsm', 'bim', 'pgd', 'pgdl2'] as const;
export type AttackName = (typeof ATTACK_NAMES)[number];

export interface AttackOptions {
  /** Radius of the threat ball in pixel space: default 8/255 (L∞ attacks), 1.0 (pgdl2). */
  eps?: number;
  /** Step size: default 2/255 (bim, pgd), 0.2 (pgdl2); fgsm steps by eps. */
  alpha?: number;
  /** Iterations: default 10; for bim 0 means Kurakin's rule int(min(255ε + 4, 1.25·255ε)). */
  steps?: number;
  /** Start from a random point of the ball: default true for pgd/pgdl2, false for bim; fgsm has none. */
  randomStart?: boolean;
  /** A fixed start: the perturbation δ0 (same shape as images) used instead of a random draw. */
  start?: Tensor;
  /** The labels are target classes: descend the cross-entropy to them (ascend −CE). */
  targeted?: boolean;
  /** The dataset normalisation (per channel, dim 1), folded into the model for the attack. */
  normalize?: { mean: number | readonly number[]; std: number | readonly number[] };
}

/** An attack: adversarial images (pixel space, images' shape/dtype/device), a fresh tensor the caller owns. */
export type Attack = (model: Module, images: Tensor, labels: Tensor, opts?: AttackOptions) => Tensor;

const FLOAT = new Set(['float32', 'float64', 'float16', 'bfloat16']);
/** Slack on the [0, 1] check: normalised data mapped back ((x − m) / s · s + m) misses by an ulp or so. */
export const RANGE_TOLERANCE = 1e-5;
const KNOWN = new Set(['eps', 'alpha', 'steps', 'randomStart', 'start', 'targeted', 'normalize']);

/** The checked, defaulted inputs of one attack call. */
export interface Resolved {
  images: Tensor;
  labels: Tensor;
  eps: number;
  alpha: number;
  steps: number;
  randomStart: boolean;
  start: Tensor | undefined;
  targeted: boolean;
  /** Per-channel mean and std shaped [1, C, 1, …] on the images' device and dtype, or null. */
  norm: { mean: number[]; std: number[] } | null;
}

const verr = (name: string, m: string) => new torch.TorchValueError(`${name}(): ${m}`);
const terr = (name: string, m: string) => new torch.TorchTypeError(`${name}(): ${m}`);

function nonNegative(name: string, key: string, v: unknown, integer: boolean): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || (integer && !Number.isInteger(v)))
    throw verr(name, `${key} must be a ${integer ? 'non-negative integer' : 'finite number ≥ 0'}, got ${String(v)}`);
  return v;
}

/** Checks normalize against `chans` channels; returns per-channel arrays (or null when absent). */
export function resolveNormalize(name: string, norm: AttackOptions['normalize'], chans: number): { mean: number[]; std: number[] } | null {
  if (norm === undefined) return null;
  if (norm === null || typeof norm !== 'object') throw terr(name, 'normalize must be { mean, std }');
  const vec = (v: unknown, key: string): number[] => {
    const a = typeof v === 'number' ? new Array<number>(chans).fill(v) : Array.isArray(v) ? (v as number[]) : null;
    if (!a || a.length !== chans || !a.every((x) => typeof x === 'number' && Number.isFinite(x)))
      throw verr(name, `normalize.${key} must be a number or ${chans} numbers (one per channel), got ${JSON.stringify(v)}`);
    return a;
  };
  const mean = vec(norm.mean, 'mean');
  const std = vec(norm.std, 'std');
  if (!std.every((s) => s > 0)) throw verr(name, `normalize.std must be positive, got ${JSON.stringify(norm.std)}`);
  return { mean, std };
}

/** Checks and defaults an attack's arguments (throws TorchTypeError / TorchValueError naming the argument). */
export function resolve(
  name: AttackName,
  model: Module,
  images: Tensor,
  labels: Tensor,
  opts: AttackOptions | undefined,
  defaults: { eps: number; alpha: number; steps: number; randomStart: boolean | null },
): Resolved {
  if (model === null || typeof model !== 'object' || typeof (model as { forward?: unknown }).forward !== 'function')
    throw terr(name, 'model must be an nn.Module (a classifier returning logits)');
  if (!(images instanceof torch.Tensor)) throw terr(name, 'images must be a Tensor');
  if (!(labels instanceof torch.Tensor)) throw terr(name, 'labels must be a Tensor');
  if (opts !== undefined && (opts === null || typeof opts !== 'object')) throw terr(name, 'opts must be an options object');
  const o = opts ?? {};
  for (const k of Object.keys(o)) if (!KNOWN.has(k)) throw verr(name, `unknown option '${k}' (expected ${[...KNOWN].join(', ')})`);
  if (!FLOAT.has(images.dtype))
    throw terr(name, `images must be a floating tensor of pixel values in [0, 1], got ${images.dtype} (uint8 images: images.float().div(255))`);
  if (images.ndim < 2 || images.shape[0] < 1) throw verr(name, `images must be a batch N×C×H×W or N×D with N ≥ 1, got shape [${images.shape.join(', ')}]`);
  const n = images.shape[0];
  if (labels.dtype !== 'int64') throw terr(name, `labels must be int64 class indices, got ${labels.dtype}`);
  if (labels.ndim !== 1 || labels.shape[0] !== n) throw verr(name, `labels must have shape [${n}] (one per image), got [${labels.shape.join(', ')}]`);
  const eps = o.eps === undefined ? defaults.eps : nonNegative(name, 'eps', o.eps, false);
  const alpha = o.alpha === undefined ? defaults.alpha : nonNegative(name, 'alpha', o.alpha, false);
  const steps = o.steps === undefined ? defaults.steps : nonNegative(name, 'steps', o.steps, true);
  if (o.targeted !== undefined && typeof o.targeted !== 'boolean') throw terr(name, `targeted must be a boolean, got ${String(o.targeted)}`);
  if (o.randomStart !== undefined && typeof o.randomStart !== 'boolean') throw terr(name, `randomStart must be a boolean, got ${String(o.randomStart)}`);
  if (defaults.randomStart === null && (o.randomStart === true || o.start !== undefined))
    throw verr(name, `${name} has no random start (randomStart/start are for bim, pgd and pgdl2)`);
  let start: Tensor | undefined;
  if (o.start !== undefined) {
    if (!(o.start instanceof torch.Tensor)) throw terr(name, 'start must be a Tensor (the perturbation δ0)');
    if (!FLOAT.has(o.start.dtype)) throw terr(name, `start must be a floating tensor, got ${o.start.dtype}`);
    if (o.start.shape.length !== images.ndim || o.start.shape.some((d, i) => d !== images.shape[i]))
      throw verr(name, `start must have the images' shape [${images.shape.join(', ')}], got [${o.start.shape.join(', ')}]`);
    start = o.start;
  }
  const norm = resolveNormalize(name, o.normalize, images.shape[1]);
  // One host read for the range check (the attacks' own steps never read back).
  const [lo, hi] = torch.tidy(() => Array.from(torch.stack([images.min(), images.max()]).double().cpu().toArray() as Float64Array));
  if (!(lo >= -RANGE_TOLERANCE && hi <= 1 + RANGE_TOLERANCE))
    throw verr(name, `images must be pixel values in [0, 1] (normalise inside the attack with opts.normalize), got values in [${lo}, ${hi}]`);
  return {
    images,
    labels,
    eps,
    alpha,
    steps,
    randomStart: start !== undefined || (o.randomStart ?? defaults.randomStart ?? false),
    start,
    targeted: o.targeted ?? false,
    norm,
  };
}

/** [1, C, 1, …] for images of ndim dims (per channel on dim 1, as the DataLoader normalises). */
export function channelShape(images: Tensor): number[] {
  return [1, images.shape[1], ...new Array<number>(images.ndim - 2).fill(1)];
}

/** (x − mean) / std as tensors shaped for broadcasting over images, or null. */
export function normTensors(r: { images: Tensor; norm: Resolved['norm'] }): { mean: Tensor; std: Tensor } | null {
  if (!r.norm) return null;
  const o = { shape: channelShape(r.images), device: r.images.device };
  const dt = r.images.dtype;
  return {
    mean: torch.tensor(Float32Array.from(r.norm.mean), o).to({ dtype: dt }),
    std: torch.tensor(Float32Array.from(r.norm.std), o).to({ dtype: dt }),
  };
}

/** Logits of the model on pixel-space x (through the normalisation). */
export function logitsOf(model: Module, x: Tensor, norm: { mean: Tensor; std: Tensor } | null, name: string): Tensor {
  const out: unknown = model.forward(norm ? x.sub(norm.mean).div(norm.std) : x);
  if (!(out instanceof torch.Tensor) || out.ndim !== 2 || out.shape[0] !== x.shape[0])
    throw new torch.TorchTypeError(
      `${name}(): the model must return logits N×classes for N images, got ${out instanceof torch.Tensor ? `shape [${out.shape.join(', ')}]` : typeof out}`,
    );
  return out;
}

/** The attack's context: the model in eval mode with its modes saved, the normalisation tensors. */
export interface Context {
  model: Module;
  name: AttackName;
  r: Resolved;
  labels: Tensor; // on the images' device
  norm: { mean: Tensor; std: Tensor } | null;
}

/**
 * Runs body with the model in eval mode (every submodule's own flag restored after, as it was),
 * without gradient recording, inside one tidy scope: only the returned tensor survives.
 */
export function runAttack(name: AttackName, r: Resolved, model: Module, body: (c: Context) => Tensor): Tensor {
  const modes: [Module, boolean][] = [];
  model.apply((m) => void modes.push([m, m.training]));
  try {
    model.eval();
    return torch.tidy(() =>
      torch.noGrad(() => {
        const labels = r.labels.device === r.images.device ? r.labels : r.labels.to({ device: r.images.device });
        return body({ model, name, r, labels, norm: normTensors(r) });
      }),
    );
  } finally {
    for (const [m, t] of modes) m.training = t;
  }
}

/**
 * ∇ₓ of the mean cross-entropy (of −CE when targeted) at x, w.r.t. x only: torch.autograd.grad on a
 * fresh leaf, so the parameters' .grad fields are never written.
 */
export function inputGrad(c: Context, x: Tensor): Tensor {
  return torch.tidy(() =>
    torch.enableGrad(() => {
      const xa = x.detach().requiresGrad_();
      const ce = crossEntropy(logitsOf(c.model, xa, c.norm, c.name), c.labels);
      const cost = c.r.targeted ? ce.neg() : ce;
      const [g] = torch.autograd.grad(cost, xa, { allowUnused: true });
      if (g === null) throw new torch.TorchValueError(`${c.name}(): the model's output does not depend on images (no gradient w.r.t. the input)`);
      return g;
    }),
  );
}

/** Replaces `old` by `next` (disposing old unless it is one of `keepers`): the iterate of a loop. */
export function advance(old: Tensor, next: Tensor, keepers: readonly Tensor[]): Tensor {
  if (!keepers.includes(old)) old.dispose();
  return next;
}

/** The L∞ start: clamp(x + δ0, 0, 1), δ0 = start or U(−ε, ε) (torchattacks PGD's draw). */
export function startLinf(c: Context): Tensor {
  const { images, eps, start } = c.r;
  return torch.tidy(() => {
    const d = start ? start.to({ device: images.device, dtype: images.dtype }) : torch.emptyLike(images).uniform_(-eps, eps);
    return images.add(d).clamp({ min: 0, max: 1 });
  });
}

/** Per-sample L2 norms of x, shaped [N, 1, …] to broadcast over x. */
export function sampleNorms(x: Tensor): Tensor {
  const n = x.shape[0];
  return x
    .reshape([n, -1])
    .norm({ p: 2, dim: 1 })
    .reshape([n, ...new Array<number>(x.ndim - 1).fill(1)]);
}

/** The L2 start: clamp(x + δ0, 0, 1), δ0 = start or u·ε·z/‖z‖ with z ~ N(0, I), u ~ U(0, 1) per sample (torchattacks PGDL2's draw). */
export function startL2(c: Context): Tensor {
  const { images, eps, start } = c.r;
  return torch.tidy(() => {
    let d: Tensor;
    if (start) d = start.to({ device: images.device, dtype: images.dtype });
    else {
      const z = torch.emptyLike(images).normal_();
      const nrm = sampleNorms(z);
      const u = torch.zerosLike(nrm).uniform_(0, 1);
      d = z.mul(u.div(nrm).mul(eps));
    }
    return images.add(d).clamp({ min: 0, max: 1 });
  });
}
