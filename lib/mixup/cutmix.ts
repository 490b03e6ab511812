// CutMix (Yun et al., ICCV 2019; box sampling as clovaai/CutMix-PyTorch and timm's rand_bbox):
//   λ ~ Beta(α, α); box side ratio √(1−λ): cut = ⌊H·√(1−λ)⌋ × ⌊W·√(1−λ)⌋; centre (cy, cx) uniform
//   over the pixels; box rows [cy − ⌊cut_h/2⌋, cy + ⌊cut_h/2⌋) clipped to [0, H) (columns alike);
//   x̃ = x with the box replaced by the partner's pixels; with correctLam (default) λ becomes
//   1 − box area / image area (the pasted fraction), and the targets are mixed with that λ.
// Options (plus CommonOptions, alpha = 1):
// - correctLam = true: λ from the pasted area (timm's correct_lam); false keeps the sampled λ.
// - minmax = null: [lo, hi] box side fractions (timm's cutmix_minmax): each side uniform in
//   [⌊H·lo⌋, ⌊H·hi⌋), position uniform inside the image; the sampled λ is then unused and λ is
//   always the pasted area's (as timm).
// - switchProb = 0: chance that a batch uses input mixup (λ ~ Beta(mixupAlpha, mixupAlpha))
//   instead of CutMix. This is timm's switch_prob seen from the CutMix side: timm's switch_prob p
//   (chance of CutMix when both are on) is switchProb = 1 − p here. Decided per batch, in every mode.
// - mixupAlpha = 1: α of the input-mixup branch when switching.
// Boxes: one box for the whole batch in 'batch' mode (timm's batch mode, the default); one box per
// sample in 'elem' mode; in 'pair' mode the pair shares λ (so the box size) and each sample draws
// its own box position. The paste is tensor ops on the device: a mask from arange comparisons and
// torch.where; the box is returned in the result ([yl, yh, xl, xh], half-open, int64).
import { Tensor } from '../torch/tensor.js';
import { TorchTypeError, TorchValueError } from '../torch/errors.js';
import { arange, stack, where, tensor, zerosLike } from '../torch/creation.js';
import { rand, randint } from '../torch/random.js';
import { isFloating, type DType } from '../torch/types.js';
import {
  resolveOptions,
  commonDefaults,
  checkBatch,
  drawMix,
  plainResult,
  floatDtype,
  lamDtype,
  checkAlpha,
  checkRange,
  type CommonOptions,
  type Resolved,
} from './common.js';
import { hostUniform } from './beta.js';
import { blend, mixTargets, lossFor } from './losses.js';
import type { MixBatch, MixMethod, MixResult } from './types.js';

export interface CutMixOptions extends CommonOptions {
  correctLam?: boolean;
  minmax?: readonly [number, number] | null;
  switchProb?: number;
  mixupAlpha?: number;
}

export const cutmixDefaults = Object.freeze({
  alpha: 1,
  ...commonDefaults,
  correctLam: true,
  minmax: null as readonly [number, number] | null,
  switchProb: 0,
  mixupAlpha: 1,
});

/**
 * Random boxes for λ (0-d: one box, [N]: one per sample) in an H×W image: int64 [...λ.shape, 4]
 * holding [yl, yh, xl, xh] (half-open). With minmax the sides come from those bounds, not from λ.
 */
export function cutmixBox(lam: Tensor, height: number, width: number, opts?: { minmax?: readonly [number, number] | null }): Tensor {
  const S = lam.shape;
  const device = lam.device;
  const f64 = { dtype: 'float64' as DType, device };
  let yl: Tensor, yh: Tensor, xl: Tensor, xh: Tensor;
  const mm = opts?.minmax;
  if (!mm) {
    const r = lam.to('float64').rsub(1).clamp({ min: 0 }).sqrt();
    const halfH = r.mul(height).floor().div(2).floor();
    const halfW = r.mul(width).floor().div(2).floor();
    const cy = randint(0, height, S, { device }).to('float64');
    const cx = randint(0, width, S, { device }).to('float64');
    yl = cy.sub(halfH).clamp({ min: 0, max: height });
    yh = cy.add(halfH).clamp({ min: 0, max: height });
    xl = cx.sub(halfW).clamp({ min: 0, max: width });
    xh = cx.add(halfW).clamp({ min: 0, max: width });
  } else {
    const side = (dim: number, what: string): Tensor => {
      const a = Math.floor(dim * mm[0]),
        b = Math.floor(dim * mm[1]);
      if (b <= a)
        throw new TorchValueError(
          `cutmix: option 'minmax' [${mm.join(', ')}] gives no box sizes for an image ${what} of ${dim} (⌊${dim}·lo⌋ = ${a} ≥ ⌊${dim}·hi⌋ = ${b})`,
        );
      return rand(S, f64)
        .mul(b - a)
        .floor()
        .add(a)
        .clamp({ max: b - 1 });
    };
    const start = (cut: Tensor, dim: number): Tensor =>
      rand(S, f64)
        .mul(cut.rsub(dim))
        .floor()
        .minimum(cut.rsub(dim - 1));
    const ch = side(height, 'height'),
      cw = side(width, 'width');
    yl = start(ch, height);
    xl = start(cw, width);
    yh = yl.add(ch);
    xh = xl.add(cw);
  }
  return stack([yl, yh, xl, xh], -1).to('int64');
}

/** Boolean mask [...box.shape[:-1], H, W]: true inside the box. */
export function boxMask(box: Tensor, height: number, width: number): Tensor {
  const device = box.device;
  const rows = arange(height, { device }),
    cols = arange(width, { device });
  const c = (i: number) => box.select(-1, i).unsqueeze(-1);
  const inY = rows.ge(c(0)).logicalAnd(rows.lt(c(1)));
  const inX = cols.ge(c(2)).logicalAnd(cols.lt(c(3)));
  return inY.unsqueeze(-1).logicalAnd(inX.unsqueeze(-2));
}

/** 1 − box area / image area, shape box.shape[:-1]. */
export function boxLam(box: Tensor, height: number, width: number, dtype: DType = 'float32'): Tensor {
  const b = box.to('float64');
  const area = b
    .select(-1, 1)
    .sub(b.select(-1, 0))
    .mul(b.select(-1, 3).sub(b.select(-1, 2)));
  return area
    .div(-(height * width))
    .add(1)
    .to(dtype);
}

/** x with the box(es) replaced by xPartner's pixels; x is N×…×H×W, box [4] (shared) or [N, 4]. */
export function pasteBox(x: Tensor, xPartner: Tensor, box: Tensor): Tensor {
  const nd = x.ndim;
  if (nd < 3) throw new TorchValueError(`cutmix: expected images N×…×H×W, got shape [${x.shape.join(', ')}]`);
  const [h, w] = x.shape.slice(-2);
  let mask = boxMask(box, h, w);
  if (box.ndim === 2) mask = mask.reshape([x.shape[0], ...new Array<number>(nd - 3).fill(1), h, w]);
  return where(mask, xPartner, x);
}

export function cutmix(opts?: CutMixOptions): MixMethod<Resolved<CutMixOptions>> {
  const who = 'mixup.cutmix';
  const o = resolveOptions<CutMixOptions>(who, opts, { ...cutmixDefaults }, (r) => {
    if (typeof r.correctLam !== 'boolean') throw new TorchTypeError(`${who}: option 'correctLam' must be a boolean, got ${JSON.stringify(r.correctLam)}`);
    checkRange(who, 'switchProb', r.switchProb, 0, 1);
    checkAlpha(who, 'mixupAlpha', r.mixupAlpha);
    const mm = r.minmax;
    if (mm !== null && !(Array.isArray(mm) && mm.length === 2 && mm.every((v) => typeof v === 'number') && mm[0] >= 0 && mm[0] < mm[1] && mm[1] <= 1))
      throw new TorchValueError(`${who}: option 'minmax' must be null or [lo, hi] with 0 ≤ lo < hi ≤ 1, got ${JSON.stringify(mm)}`);
    if (mm !== null) r.minmax = Object.freeze([mm[0], mm[1]] as const);
  });
  return {
    name: 'cutmix',
    options: Object.freeze(o),
    needsModel: false,
    apply(batch: MixBatch): MixResult {
      const n = checkBatch(who, batch);
      const { x, y, numClasses } = batch;
      if (x.ndim < 3) throw new TorchValueError(`${who}.apply: batch.x must be images N×…×H×W, got shape [${x.shape.join(', ')}]`);
      const [H, W] = x.shape.slice(-2);
      const useMixup = o.switchProb > 0 && o.sample === undefined && (o.switchProb >= 1 || hostUniform() < o.switchProb);
      const d = drawMix(who, o, batch, n, useMixup ? o.mixupAlpha : o.alpha);
      if (d === null) return plainResult(batch, n, o);
      const dtype = floatDtype(x);
      if (useMixup) {
        if (!isFloating(x.dtype)) throw new TorchTypeError(`${who}.apply: switching to input mixup needs a floating batch.x, got ${x.dtype}`);
        const target = mixTargets(y, d.partner, d.lam, numClasses, o.labelSmoothing, dtype);
        return { input: blend(x, x.indexSelect(0, d.partner), d.lam), target, lam: d.lam, partner: d.partner, loss: lossFor(o.loss, target) };
      }
      let box: Tensor;
      const sb = o.sample?.box;
      if (sb !== undefined) {
        const ok =
          Array.isArray(sb) &&
          sb.length === 4 &&
          sb.every(Number.isInteger) &&
          0 <= sb[0] &&
          sb[0] <= sb[1] &&
          sb[1] <= H &&
          0 <= sb[2] &&
          sb[2] <= sb[3] &&
          sb[3] <= W;
        if (!ok)
          throw new TorchValueError(
            `${who}: sample.box must be integers [yl, yh, xl, xh] with 0 ≤ yl ≤ yh ≤ ${H}, 0 ≤ xl ≤ xh ≤ ${W}, got ${JSON.stringify(sb)}`,
          );
        box = tensor(
          BigInt64Array.from(sb, (v) => BigInt(v)),
          { device: x.device },
        );
        if (d.lam.ndim === 1) box = box.expand([n, 4]);
      } else {
        box = cutmixBox(d.lam, H, W, { minmax: o.minmax });
        // Unmixed samples (prob < 1 in 'pair' / 'elem' mode have λ = 1) get no box.
        if (o.minmax && d.lam.ndim === 1 && o.prob < 1) box = where(d.lam.eq(1).unsqueeze(-1), zerosLike(box), box);
      }
      const lam = o.correctLam || o.minmax !== null ? boxLam(box, H, W, lamDtype(x)) : d.lam;
      const target = mixTargets(y, d.partner, lam, numClasses, o.labelSmoothing, dtype);
      return { input: pasteBox(x, x.indexSelect(0, d.partner), box), target, lam, partner: d.partner, box, loss: lossFor(o.loss, target) };
    },
  };
}
