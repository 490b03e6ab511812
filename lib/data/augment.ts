// On-device batch augmentation by index arithmetic: random crop (zero or reflect padding) and
// horizontal flip, for a whole batch in ONE gather, with no per-sample JavaScript in the hot path.
//
// How: the loader pads the whole dataset once (on the device). For sample b with crop offsets
// (oy_b, ox_b) and flip direction d_b = ±1, output pixel (c, i, j) is padded[n_b, c, oy_b + i,
// x0_b + d_b·j] with x0_b = ox_b (d = +1) or ox_b + Sw − 1 (d = −1, flipped). The per-sample offset
// off_b = oy_b·Wp + x0_b and d_b are drawn once per epoch (JavaScript, seeded; lib/data/rng.ts) and
// uploaded in one copy. Per batch: rows = padded.indexSelect(0, n) (whole padded images, contiguous
// copies), index = off[b] + i·Wp + d[b]·j (two broadcast adds on the device, b×1×Sh·Sw, expanded
// over channels), x = rows.view(b, C, Hp·Wp).gather(2, index): crop and flip in one gather.
// Zero padding pads with 0 in pixel space (before /255 and normalisation, as torchvision's
// RandomCrop on an image); reflect padding mirrors without repeating the edge (F.pad 'reflect').
//
// The semi-supervised references' image augmentation is this crop at the image's own size with
// reflect padding w (a random translation by −w..w on each axis), plus flip: MixMatch's
// augment_shift(x, w) = tf.random_crop(tf.pad(x, w, 'REFLECT'), shape(x)) and augment_mirror,
// ICT's RandomTranslateWithReflect(w) (its mirrored pastes overlap the edge pixel: reflect without
// repeating the edge) and RandomHorizontalFlip. So { crop: { padding: w, mode: 'reflect' }, flip: true }
// (crop.size defaults to the image size).
//
// Jitter (feature vectors, N×D: the toy sets): x + σ·ε with ε ~ N(0, 1) per coordinate, after the
// conversion and normalisation, independently per view. The ε are drawn per epoch from the same
// seeded Rng (Rng.normal, in epoch order: view, then sample, then coordinate; rounded to float32)
// and uploaded in one copy, so jitter replays on resume exactly like crop and flip.
import * as torch from '../torch/index.js';
import type { Rng } from './rng.js';

export interface CropOptions {
  /** Output size: S (square) or [height, width]. Default: the image size (a random translation). */
  size?: number | [number, number];
  /** Padding added on every side before cropping (default 0). */
  padding?: number;
  /** 'zero' (default) or 'reflect'. */
  mode?: 'zero' | 'reflect';
}
export interface AugmentOptions {
  crop?: CropOptions;
  /** Horizontal flip: true = probability 0.5, or a probability in [0, 1]. */
  flip?: boolean | number;
  /** Gaussian jitter σ ≥ 0 for feature-vector (N×D) datasets: x + σ·N(0, 1) per coordinate (0: off). */
  jitter?: number;
}

/** Validated augmentation plan for one dataset: image geometry (crop/flip) or vector jitter. */
export interface AugmentPlan {
  kind: 'image' | 'vector';
  /** Jitter σ (vector plans; 0 for image plans) and the feature count D. */
  jitter: number;
  d: number;
  c: number;
  h: number;
  w: number;
  pad: number;
  mode: 'zero' | 'reflect';
  sh: number;
  sw: number;
  hp: number;
  wp: number;
  flipP: number;
}

const err = (m: string) => new torch.TorchValueError(`DataLoader: augment: ${m}`);

/** True when the options ask for any augmentation at all. */
export function augmenting(aug: AugmentOptions): boolean {
  return aug.crop !== undefined || (aug.flip !== undefined && aug.flip !== false) || (aug.jitter !== undefined && aug.jitter !== 0);
}

export function planAugment(aug: AugmentOptions, shape: number[]): AugmentPlan {
  const image = aug.crop !== undefined || (aug.flip !== undefined && aug.flip !== false);
  if (aug.jitter !== undefined) {
    if (typeof aug.jitter !== 'number' || !Number.isFinite(aug.jitter) || aug.jitter < 0)
      throw err(`jitter must be a finite number ≥ 0 (the noise's standard deviation), got ${String(aug.jitter)}`);
    if (aug.jitter > 0) {
      if (image) throw err('jitter is for feature vectors (N×D), crop and flip for images (N×C×H×W): not both');
      if (shape.length !== 2) throw err(`jitter needs N×D feature vectors, got shape [${shape.join(', ')}]`);
      return { kind: 'vector', jitter: aug.jitter, d: shape[1], c: 0, h: 0, w: 0, pad: 0, mode: 'zero', sh: 0, sw: 0, hp: 0, wp: 0, flipP: 0 };
    }
  }
  if (shape.length !== 4) throw err(`crop and flip need N×C×H×W images, got shape [${shape.join(', ')}]`);
  const [, c, h, w] = shape;
  const crop = aug.crop;
  let pad = 0,
    mode: 'zero' | 'reflect' = 'zero',
    sh = h,
    sw = w;
  if (crop !== undefined) {
    if (crop === null || typeof crop !== 'object') throw err('crop must be { size?, padding?, mode? }');
    const size = crop.size ?? [h, w];
    [sh, sw] = typeof size === 'number' ? [size, size] : Array.isArray(size) && size.length === 2 ? size : [NaN, NaN];
    if (!Number.isInteger(sh) || !Number.isInteger(sw) || sh < 1 || sw < 1)
      throw err(`crop.size must be a positive integer or [h, w], got ${JSON.stringify(size)}`);
    pad = crop.padding ?? 0;
    if (!Number.isInteger(pad) || pad < 0) throw err(`crop.padding must be a non-negative integer, got ${String(crop.padding)}`);
    mode = crop.mode ?? 'zero';
    if (mode !== 'zero' && mode !== 'reflect') throw err(`crop.mode must be 'zero' or 'reflect', got '${String(mode)}'`);
    if (mode === 'reflect' && (pad >= h || pad >= w)) throw err(`reflect padding ${pad} must be smaller than the image (${h}×${w})`);
    if (sh > h + 2 * pad || sw > w + 2 * pad) throw err(`crop.size ${sh}×${sw} is larger than the padded image ${h + 2 * pad}×${w + 2 * pad}`);
  }
  let flipP = 0;
  if (aug.flip === true) flipP = 0.5;
  else if (typeof aug.flip === 'number') {
    if (!(aug.flip >= 0 && aug.flip <= 1)) throw err(`flip probability must be in [0, 1], got ${aug.flip}`);
    flipP = aug.flip;
  } else if (aug.flip !== undefined && aug.flip !== false) throw err('flip must be a boolean or a probability');
  return { kind: 'image', jitter: 0, d: 0, c, h, w, pad, mode, sh, sw, hp: h + 2 * pad, wp: w + 2 * pad, flipP };
}

/** Source index of padded coordinate u ∈ [−p, n + p) under reflect padding (edge not repeated). */
function reflect(u: number, n: number): number {
  return u < 0 ? -u : u >= n ? 2 * (n - 1) - u : u;
}

/** The dataset padded once (N×C×Hp×Wp, same dtype and device as images, contiguous). Caller keeps it. */
export function padded(images: torch.Tensor, p: AugmentPlan): torch.Tensor {
  return torch.tidy(() => {
    if (p.pad === 0) return images.contiguous();
    const dev = images.device;
    if (p.mode === 'reflect') {
      // Exact for every dtype: two index_selects with the reflected row and column indices.
      const rows = Int32Array.from({ length: p.hp }, (_, k) => reflect(k - p.pad, p.h));
      const cols = Int32Array.from({ length: p.wp }, (_, k) => reflect(k - p.pad, p.w));
      const ri = torch.tensor(rows).to({ dtype: 'int64', device: dev });
      const ci = torch.tensor(cols).to({ dtype: 'int64', device: dev });
      return images.indexSelect(2, ri).indexSelect(3, ci).contiguous();
    }
    const out = torch.zeros([images.shape[0], p.c, p.hp, p.wp], { dtype: images.dtype, device: dev });
    out.narrow(2, p.pad, p.h).narrow(3, p.pad, p.w).copy_(images);
    return out;
  });
}

/** The static parts of the gather index: i·Wp shaped 1×1×Sh×1 and j shaped 1×1×1×Sw (int64, on device). */
export function staticOffsets(p: AugmentPlan, device: string): { iOff: torch.Tensor; j: torch.Tensor } {
  return torch.tidy(() => ({
    iOff: torch.arange(0, p.sh * p.wp, p.wp, { device }).view([1, 1, p.sh, 1]),
    j: torch.arange(p.sw, { device }).view([1, 1, 1, p.sw]),
  }));
}

/**
 * Per-epoch draws for one view, for the samples in epoch order: writes the offsets oy·Wp + x0 into
 * out[at .. at+N) and the flip directions (±1) into out[at+N .. at+2N).
 */
export function drawView(p: AugmentPlan, n: number, rng: Rng, out: Float64Array, at: number): void {
  const ry = p.hp - p.sh + 1,
    rx = p.wp - p.sw + 1;
  for (let k = 0; k < n; k++) {
    const oy = rng.int(ry);
    const ox = rng.int(rx);
    const flip = p.flipP > 0 && rng.random() < p.flipP;
    out[at + k] = oy * p.wp + (flip ? ox + p.sw - 1 : ox);
    out[at + n + k] = flip ? -1 : 1;
  }
}

/** Per-epoch jitter for one view, in epoch order: out[at + k·D + i] = fround(σ·ε), ε ~ N(0, 1). */
export function drawJitter(p: AugmentPlan, n: number, rng: Rng, out: Float32Array, at: number): void {
  const m = n * p.d;
  for (let k = 0; k < m; k++) out[at + k] = p.jitter * rng.normal();
}

/** One augmented batch in the dataset's dtype, b×C×Sh×Sw, from the batch's padded images rows
 *  (b×C×Hp×Wp) and its offsets and directions (b each). */
export function cropFlip(rows: torch.Tensor, p: AugmentPlan, st: { iOff: torch.Tensor; j: torch.Tensor }, off: torch.Tensor, dir: torch.Tensor): torch.Tensor {
  const b = off.shape[0];
  const idx = off
    .view([b, 1, 1, 1])
    .add(st.iOff)
    .add(dir.view([b, 1, 1, 1]).mul(st.j));
  return rows
    .view([b, p.c, p.hp * p.wp])
    .gather(2, idx.view([b, 1, p.sh * p.sw]).expand([b, p.c, p.sh * p.sw]))
    .view([b, p.c, p.sh, p.sw]);
}
