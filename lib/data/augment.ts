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
import * as torch from '../torch/index.js';
import type { Rng } from './rng.js';

export interface CropOptions {
  /** Output size: S (square) or [height, width]. */
  size: number | [number, number];
  /** Padding added on every side before cropping (default 0). */
  padding?: number;
  /** 'zero' (default) or 'reflect'. */
  mode?: 'zero' | 'reflect';
}
export interface AugmentOptions {
  crop?: CropOptions;
  /** Horizontal flip: true = probability 0.5, or a probability in [0, 1]. */
  flip?: boolean | number;
}

/** Validated augmentation geometry for one dataset. */
export interface AugmentPlan {
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

export function planAugment(aug: AugmentOptions, shape: number[]): AugmentPlan {
  if (shape.length !== 4) throw err(`crop and flip need N×C×H×W images, got shape [${shape.join(', ')}]`);
  const [, c, h, w] = shape;
  const crop = aug.crop;
  let pad = 0,
    mode: 'zero' | 'reflect' = 'zero',
    sh = h,
    sw = w;
  if (crop !== undefined) {
    if (crop === null || typeof crop !== 'object') throw err('crop must be { size, padding?, mode? }');
    const size = crop.size;
    [sh, sw] = typeof size === 'number' ? [size, size] : Array.isArray(size) && size.length === 2 ? size : [NaN, NaN];
    if (!Number.isInteger(sh) || !Number.isInteger(sw) || sh < 1 || sw < 1) throw err(`crop.size must be a positive integer or [h, w], got ${JSON.stringify(size)}`);
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
  return { c, h, w, pad, mode, sh, sw, hp: h + 2 * pad, wp: w + 2 * pad, flipP };
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

/** One augmented batch in the dataset's dtype, b×C×Sh×Sw, from the batch's padded images rows
 *  (b×C×Hp×Wp) and its offsets and directions (b each). */
export function cropFlip(rows: torch.Tensor, p: AugmentPlan, st: { iOff: torch.Tensor; j: torch.Tensor }, off: torch.Tensor, dir: torch.Tensor): torch.Tensor {
  const b = off.shape[0];
  const idx = off.view([b, 1, 1, 1]).add(st.iOff).add(dir.view([b, 1, 1, 1]).mul(st.j));
  return rows.view([b, p.c, p.hp * p.wp]).gather(2, idx.view([b, 1, p.sh * p.sw]).expand([b, p.c, p.sh * p.sw])).view([b, p.c, p.sh, p.sw]);
}
