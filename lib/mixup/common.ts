// What the methods share: option checking (messages name the option), batch checking, the
// "mix this batch or not" decision, fixed draws for tests, and the unmixed (ERM) result.
import { Tensor } from '../torch/tensor.js';
import { TorchTypeError, TorchValueError } from '../torch/errors.js';
import { arange, full, ones } from '../torch/creation.js';
import { isFloating, type DType } from '../torch/types.js';
import { sampleLamAndPartner, samplePartner, hostUniform, asIndex } from './beta.js';
import { smoothOneHot, lossFor } from './losses.js';
import type { FixedSample, LamMode, LossKind, MixBatch, MixResult, PartnerMode } from './types.js';

/** Options every mixing method takes. */
export interface CommonOptions {
  /** Beta(α, α) concentration; 0 disables mixing (negative is an error). */
  alpha?: number;
  /** λ per 'batch' (default), per 'pair' or per sample ('elem'); see LamMode. */
  mode?: LamMode;
  /** Partners: 'permutation' (default) or 'flip'. */
  partner?: PartnerMode;
  /**
   * Chance that mixing happens: per batch in 'batch' mode (drawn on the host from LibTorch's CPU
   * generator; an unmixed batch costs nothing extra), per pair / per sample in 'pair' / 'elem'
   * mode (drawn on the device: λ = 1 for the unmixed ones). Default 1.
   */
  prob?: number;
  /** Label smoothing ε folded into the targets: off = ε/C, on = 1 − ε + ε/C. Default 0. */
  labelSmoothing?: number;
  /** timm's mixup_off_epoch: no mixing from this (0-based) epoch on; null: never off. */
  offEpoch?: number | null;
  /** No mixing in the last N epochs (needs batch.epoch and batch.totalEpochs). Default 0. */
  offLastEpochs?: number;
  /** 'ce' (soft-target cross-entropy, default) or 'bce' (BCE on softmax outputs). */
  loss?: LossKind;
  /** Fixed draws (tests); see FixedSample. */
  sample?: FixedSample;
}

export type Resolved<O> = { [K in keyof O]-?: Exclude<O[K], undefined> } & { sample?: FixedSample };

export const commonDefaults = {
  mode: 'batch' as LamMode,
  partner: 'permutation' as PartnerMode,
  prob: 1,
  labelSmoothing: 0,
  offEpoch: null as number | null,
  offLastEpochs: 0,
  loss: 'ce' as LossKind,
};

const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

function oneOf<T extends string>(who: string, name: string, v: unknown, allowed: readonly T[]): T {
  if (typeof v !== 'string' || !allowed.includes(v as T))
    throw new TorchValueError(`${who}: option '${name}' must be one of ${allowed.map((a) => `'${a}'`).join(', ')}, got ${JSON.stringify(v)}`);
  return v as T;
}
export function checkRange(who: string, name: string, v: unknown, lo: number, hi: number, hiOpen = false): number {
  if (!isNum(v) || v < lo || (hiOpen ? v >= hi : v > hi))
    throw new TorchValueError(`${who}: option '${name}' must be a number in [${lo}, ${hi}${hiOpen ? ')' : ']'}, got ${JSON.stringify(v)}`);
  return v;
}
export function checkAlpha(who: string, name: string, v: unknown): number {
  if (!isNum(v) || v < 0) throw new TorchValueError(`${who}: option '${name}' must be a number ≥ 0 (0 disables mixing), got ${JSON.stringify(v)}`);
  return v;
}
function checkEpochCount(who: string, name: string, v: unknown): number {
  if (!Number.isInteger(v) || (v as number) < 0) throw new TorchValueError(`${who}: option '${name}' must be a non-negative integer, got ${JSON.stringify(v)}`);
  return v as number;
}

/**
 * Fills in defaults and validates. Unknown option names are errors (a typo must not silently fall
 * back to a default). `extra` checks the method's own options.
 */
export function resolveOptions<O extends CommonOptions>(
  who: string,
  opts: O | undefined,
  defaults: Omit<Resolved<O>, 'sample'>,
  extra?: (o: Resolved<O>) => void,
): Resolved<O> {
  if (opts !== undefined && (opts === null || typeof opts !== 'object' || Array.isArray(opts)))
    throw new TorchTypeError(`${who}: options must be an object, got ${JSON.stringify(opts)}`);
  const known = new Set([...Object.keys(defaults), 'sample']);
  for (const k of Object.keys(opts ?? {})) if (!known.has(k)) throw new TorchValueError(`${who}: unknown option '${k}' (known: ${[...known].join(', ')})`);
  const o = { ...defaults } as Resolved<O>;
  for (const [k, v] of Object.entries(opts ?? {})) if (v !== undefined) (o as Record<string, unknown>)[k] = v;
  const r = o as unknown as Record<string, unknown>;
  if ('alpha' in r) checkAlpha(who, 'alpha', r.alpha);
  if ('mode' in r) oneOf(who, 'mode', r.mode, ['batch', 'pair', 'elem']);
  if ('partner' in r) oneOf(who, 'partner', r.partner, ['permutation', 'flip']);
  if ('prob' in r) checkRange(who, 'prob', r.prob, 0, 1);
  if ('labelSmoothing' in r) checkRange(who, 'labelSmoothing', r.labelSmoothing, 0, 1, true);
  if ('offEpoch' in r && r.offEpoch !== null) checkEpochCount(who, 'offEpoch', r.offEpoch);
  if ('offLastEpochs' in r) checkEpochCount(who, 'offLastEpochs', r.offLastEpochs);
  if ('loss' in r) oneOf(who, 'loss', r.loss, ['ce', 'bce']);
  if (r.sample !== undefined && (r.sample === null || typeof r.sample !== 'object'))
    throw new TorchTypeError(`${who}: option 'sample' must be an object { lam, partner, stage, box }`);
  extra?.(o);
  return o;
}

/** The float dtype targets and λ use for this batch: x's own when floating, else float32. */
export function floatDtype(x: Tensor): DType {
  const d = x.dtype;
  return isFloating(d) ? d : 'float32';
}
/** λ is drawn in float32, or float64 for float64 batches (Gamma sampling has no half kernels on CPU). */
export function lamDtype(x: Tensor): DType {
  return x.dtype === 'float64' ? 'float64' : 'float32';
}

/** Checks the batch and returns its size. */
export function checkBatch(who: string, b: MixBatch): number {
  if (b === null || typeof b !== 'object') throw new TorchTypeError(`${who}.apply: expected a batch { x, y, numClasses }`);
  if (!(b.x instanceof Tensor)) throw new TorchTypeError(`${who}.apply: batch.x must be a Tensor`);
  if (!(b.y instanceof Tensor)) throw new TorchTypeError(`${who}.apply: batch.y must be a Tensor of int64 class indices`);
  if (b.x.ndim < 1) throw new TorchValueError(`${who}.apply: batch.x must have a batch dimension, got shape []`);
  const n = b.x.shape[0];
  if (b.y.dtype !== 'int64' || b.y.ndim !== 1 || b.y.shape[0] !== n)
    throw new TorchValueError(`${who}.apply: batch.y must be int64 class indices of shape [${n}], got ${b.y.dtype} [${b.y.shape.join(', ')}]`);
  if (!Number.isInteger(b.numClasses) || b.numClasses < 1)
    throw new TorchValueError(`${who}.apply: batch.numClasses must be a positive integer, got ${JSON.stringify(b.numClasses)}`);
  return n;
}

/** True when the epoch schedule (offEpoch, offLastEpochs) turns mixing off for this batch. */
export function scheduledOff(who: string, o: { offEpoch: number | null; offLastEpochs: number }, b: MixBatch): boolean {
  if (o.offEpoch === null && o.offLastEpochs === 0) return false;
  if (!Number.isInteger(b.epoch)) throw new TorchValueError(`${who}.apply: options offEpoch/offLastEpochs need batch.epoch (0-based)`);
  const e = b.epoch as number;
  if (o.offEpoch !== null && e >= o.offEpoch) return true;
  if (o.offLastEpochs > 0) {
    if (!Number.isInteger(b.totalEpochs)) throw new TorchValueError(`${who}.apply: option offLastEpochs needs batch.totalEpochs`);
    if (e >= (b.totalEpochs as number) - o.offLastEpochs) return true;
  }
  return false;
}

/** λ of a fixed sample in the mode's shape, on the device. */
function fixedLam(who: string, lam: number | Tensor, mode: LamMode, n: number, device: string, dtype: DType): Tensor {
  const shape = mode === 'batch' ? [] : [n];
  if (typeof lam === 'number') {
    if (!(lam >= 0 && lam <= 1)) throw new TorchValueError(`${who}: sample.lam must be in [0, 1], got ${lam}`);
    return full(shape, lam, { dtype, device });
  }
  if (!(lam instanceof Tensor)) throw new TorchTypeError(`${who}: sample.lam must be a number or a Tensor`);
  const t = lam.to({ device, dtype });
  if (mode === 'batch') {
    if (t.numel() !== 1) throw new TorchValueError(`${who}: sample.lam must hold one value in 'batch' mode, got shape [${t.shape.join(', ')}]`);
    return t.reshape([]);
  }
  return t.ndim === 0 ? t.expand([n]) : t.reshape([n]);
}

/**
 * λ and partners for this batch, or null when the batch is not mixed (α = 0, the epoch schedule,
 * or the per-batch prob draw). A fixed sample forces mixing.
 */
export function drawMix(
  who: string,
  o: { alpha: number; mode: LamMode; partner: PartnerMode; prob: number; offEpoch: number | null; offLastEpochs: number; sample?: FixedSample },
  b: MixBatch,
  n: number,
  alpha = o.alpha,
): { lam: Tensor; partner: Tensor } | null {
  const device = b.x.device;
  const dtype = lamDtype(b.x);
  const s = o.sample;
  if (s && (s.lam !== undefined || s.partner !== undefined)) {
    const partner = s.partner !== undefined ? asIndex(s.partner, n, device, `${who}: sample.partner`) : undefined;
    if (s.lam !== undefined) return { lam: fixedLam(who, s.lam, o.mode, n, device, dtype), partner: partner ?? samplePartner(n, o.partner, device) };
    const d = sampleLamAndPartner(n, alpha, o.mode, o.partner, { device, dtype });
    return { lam: d.lam, partner: partner ?? d.partner };
  }
  if (scheduledOff(who, o, b)) return null;
  if (!(alpha > 0)) return null;
  if (o.mode === 'batch' && o.prob < 1 && !(o.prob > 0 && hostUniform() < o.prob)) return null;
  if (o.mode !== 'batch' && o.prob <= 0) return null;
  return sampleLamAndPartner(n, alpha, o.mode, o.partner, { device, dtype, prob: o.prob });
}

/** The unmixed result (ERM): λ = 1, partner i ↔ i, one-hot (smoothed) targets. */
export function plainResult(b: MixBatch, n: number, o: { mode: LamMode; labelSmoothing: number; loss: LossKind }, output?: Tensor): MixResult {
  const device = b.x.device;
  const target = smoothOneHot(b.y, b.numClasses, o.labelSmoothing, floatDtype(b.x));
  return {
    ...(output ? { output } : { input: b.x }),
    target,
    lam: ones(o.mode === 'batch' ? [] : [n], { dtype: lamDtype(b.x), device }),
    partner: arange(n, { device }),
    loss: lossFor(o.loss, target),
  };
}
