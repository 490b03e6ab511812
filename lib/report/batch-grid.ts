// One training batch as the method mixed it, for the report: the first N samples of a train batch
// after the method's apply() (lib/mixup/types.ts MixResult), each with its soft label (top-2
// classes and weights) and λ. Images are de-normalised and embedded as PNG data: URIs, the CutMix
// box outlined at the MixResult's box; for manifold mixup the (unmixed) inputs are shown with the
// stage that was mixed (named by the model's stages); for 2-D toy sets a scatter of the mixed
// points, coloured by their soft label, over the batch's original points.
//
// Drawn after training without disturbing the run: LibTorch's CPU generator state is saved and
// restored around the extra apply() (and the batch and mixing are drawn on the CPU when the method
// does not run the model), the loader's epoch is restored, and the model (and a method's own
// module) runs in eval mode without gradients, so no batch-norm statistics move. (On CUDA a method
// that runs the model draws λ and partners on the device, whose generator torch.getRngState does
// not cover: the CLI draws after the last epoch, so the run is not affected.) The CLI writes the
// result to <run>/mixed-batch.json; the report renders it from that file.
//
// Methods that own their step (StepMethod: MixMatch, ICT, …) are drawn when they also offer
// apply(batch) returning a MixResult; otherwise the section says the picture is not available.
import fs from 'node:fs';
import path from 'node:path';
import * as torch from '../torch/index.js';
import type { Module } from '../nn/module.js';
import type { DataLoader, Batch } from '../data/loader.js';
import type { MixBatch, MixResult } from '../mixup/types.js';
import { blend } from '../mixup/losses.js';
import { writeFileAtomic } from '../torch/serialize.js';
import { encodePng } from './png.js';
import { renderSvg, escapeHtml, SCHEMA } from './charts.js';

type Tensor = torch.Tensor;

/** The run-folder file holding the picture's data. */
export const MIXED_BATCH_FILE = 'mixed-batch.json';

/** vega's default category colours (tableau10): the class colours of the toy-set pictures. */
export const CLASS_COLORS = ['#4c78a8', '#f58518', '#e45756', '#72b7b2', '#54a24b', '#eeca3b', '#b279a2', '#ff9da6', '#9d755d', '#bab0ac'];

export interface SoftLabel {
  cls: string;
  w: number;
}
export interface MixedTile {
  /** Position in the batch, and the sample it was mixed with. */
  index: number;
  partner: number;
  /** The weight of the sample itself in its soft label (1 when not mixed). */
  lam: number;
  /** Its own class. */
  label: string;
  /** The two heaviest classes of its soft target, heaviest first. */
  soft: SoftLabel[];
  /** Images: the PNG of the input the model saw (base64; the unmixed input for manifold mixup past stage 0). */
  png?: string;
  /** CutMix: the pasted box [yl, yh, xl, xh] (half-open, pixels). */
  box?: [number, number, number, number];
}
export interface MixedPoint {
  x: number;
  y: number;
  /** Original point: its class index; mixed point: its soft label over the classes. */
  cls?: number;
  w?: number[];
}
export interface MixedBatch {
  version: 1;
  method: string;
  kind: 'images' | 'points' | 'unavailable';
  /** Why there is no picture (kind 'unavailable'). */
  reason?: string;
  /** False when this draw left the batch unmixed (a prob < 1 draw). */
  mixed?: boolean;
  /** The loader epoch (1-based) whose first batch is drawn, and its size. */
  epoch?: number;
  batchSize?: number;
  classes?: string[];
  /** Manifold mixup: the stage mixed (index into the model's stages, and its name). */
  stage?: { index: number; name: string };
  /** Images: C×H×W of one input. */
  image?: { channels: number; height: number; width: number };
  tiles?: MixedTile[];
  /** Toy sets: the batch's original points and the mixed ones. */
  points?: { original: MixedPoint[]; mixed: MixedPoint[] };
}

/** A method as drawn here: anything with apply() (MixMethod, or a StepMethod that offers one). */
interface Drawable {
  readonly name: string;
  readonly needsModel?: boolean;
  readonly module?: Module;
  apply?(batch: MixBatch): MixResult;
}

export interface DrawOptions {
  method: { readonly name: string };
  model: Module;
  /** The training loader: its first batch of the last epoch trained (loader.epoch − 1) is drawn. */
  loader: DataLoader;
  numClasses: number;
  classes?: readonly string[];
  /** The loader's normalisation, undone for the pictures. */
  normalize?: { mean: number | readonly number[]; std: number | readonly number[] };
  /** Tiles drawn (default 16). */
  n?: number;
  totalEpochs?: number;
}

const vec = (v: number | readonly number[], c: number): number[] => (typeof v === 'number' ? new Array<number>(c).fill(v) : [...v]);
const host = (t: Tensor): number[] => torch.tidy(() => Array.from(t.to({ device: 'cpu', dtype: 'float64' }).reshape([-1]).toArray() as Float64Array));

/**
 * Draws the first `n` samples of one training batch as the method mixes it (at epoch 0 of its
 * schedule, so offEpoch/offLastEpochs do not hide the mix). The run's randomness, loader epoch and
 * model state are left as they were.
 */
export function drawMixedBatch(o: DrawOptions): MixedBatch {
  const method = o.method as Drawable;
  const name = String(method.name);
  if (typeof method.apply !== 'function')
    return {
      version: 1,
      method: name,
      kind: 'unavailable',
      reason: `${name} owns its training step and offers no apply(batch) whose mixed inputs could be drawn`,
    };
  const n = o.n ?? 16;
  if (!Number.isSafeInteger(n) || n < 1) throw new torch.TorchValueError(`drawMixedBatch(): n must be a positive integer, got ${String(o.n)}`);
  const { loader, model } = o;
  const rng = torch.getRngState();
  const epoch = loader.epoch;
  const modes: [Module, boolean][] = [model, method.module].filter((m): m is Module => !!m).map((m) => [m, m.training]);
  try {
    for (const [m] of modes) m.eval();
    loader.setEpoch(Math.max(0, epoch - 1));
    return torch.tidy(() =>
      torch.noGrad(() => {
        let batch: Batch | undefined;
        for (const b of loader) {
          batch = b;
          break;
        }
        if (!batch) return { version: 1 as const, method: name, kind: 'unavailable' as const, reason: 'the training loader yields no batch' };
        // Without the model in the loop, mix CPU copies: every draw then comes from the CPU generator restored below.
        const onCpu = !method.needsModel;
        const x = onCpu ? batch.x.to('cpu') : batch.x;
        const y = onCpu ? batch.y.to('cpu') : batch.y;
        const mb: MixBatch = { x, y, numClasses: o.numClasses, epoch: 0, totalEpochs: o.totalEpochs ?? 1 };
        if (method.needsModel) mb.model = model as unknown as MixBatch['model'];
        const r = method.apply!(mb);
        return describe(name, r, x, y, o, loader.epoch, n, model);
      }),
    );
  } finally {
    torch.setRngState(rng);
    rng.dispose();
    loader.setEpoch(epoch);
    for (const [m, t] of modes) m.train(t);
  }
}

function describe(name: string, r: MixResult, x: Tensor, y: Tensor, o: DrawOptions, epoch: number, n: number, model: Module): MixedBatch {
  const N = x.shape[0];
  const k = Math.min(n, N);
  const C = o.numClasses;
  const classes = o.classes?.length ? [...o.classes] : Array.from({ length: C }, (_, i) => String(i));
  const cname = (c: number) => classes[c] ?? String(c);
  const lamAll = r.lam.ndim === 0 ? new Array<number>(N).fill(host(r.lam)[0]) : host(r.lam);
  const partner = host(r.partner);
  const labels = host(y);
  const target = host(r.target);
  const mixed = !(partner.every((p, i) => p === i) && lamAll.every((l) => l === 1));
  const stages = (model as unknown as { stages?: readonly string[] }).stages;
  const stage = r.stage !== undefined ? { index: r.stage, name: stages?.[r.stage] ?? `stage ${r.stage}` } : undefined;
  const base: MixedBatch = { version: 1, method: name, kind: 'images', mixed, epoch, batchSize: N, classes, ...(stage ? { stage } : {}) };
  const soft = (i: number): SoftLabel[] => {
    const row = target.slice(i * C, (i + 1) * C);
    return row
      .map((w, c) => ({ cls: cname(c), w, c }))
      .sort((a, b) => b.w - a.w || a.c - b.c)
      .slice(0, 2)
      .filter((s, j) => j === 0 || s.w > 0)
      .map(({ cls, w }) => ({ cls, w: Math.round(w * 1e4) / 1e4 }));
  };
  // What the model saw: the method's mixed input; for manifold mixup the input itself, mixed here
  // the same way when the stage is the input (stage 0), unmixed otherwise.
  const seen = r.input ?? (r.stage === 0 ? blend(x, x.indexSelect(0, r.partner), r.lam) : x);
  if (x.ndim === 2 && x.shape[1] === 2) {
    const orig = host(x);
    const pts = host(seen);
    return {
      ...base,
      kind: 'points',
      points: {
        original: labels.map((c, i) => ({ x: orig[2 * i], y: orig[2 * i + 1], cls: c })),
        mixed: labels.map((_, i) => ({ x: pts[2 * i], y: pts[2 * i + 1], w: target.slice(i * C, (i + 1) * C).map((w) => Math.round(w * 1e4) / 1e4) })),
      },
      tiles: Array.from({ length: k }, (_, i) => ({ index: i, partner: partner[i], lam: lamAll[i], label: cname(labels[i]), soft: soft(i) })),
    };
  }
  if (x.ndim !== 4 || ![1, 3].includes(x.shape[1]))
    return {
      version: 1,
      method: name,
      kind: 'unavailable',
      reason: `inputs of shape [${x.shape.join(', ')}] are neither images (N×1×H×W, N×3×H×W) nor 2-D points`,
    };
  const [, ch, H, W] = x.shape;
  const pixels = torch.tidy(() => {
    let img = seen.narrow(0, 0, k).to({ device: 'cpu', dtype: 'float32' });
    if (o.normalize) {
      const shape = [1, ch, 1, 1];
      img = img
        .mul(torch.tensor(Float32Array.from(vec(o.normalize.std, ch)), { shape }))
        .add(torch.tensor(Float32Array.from(vec(o.normalize.mean, ch)), { shape }));
    }
    // [k, C, H, W] in [0, 1] → [k, H, W, C] bytes
    return img.clamp({ min: 0, max: 1 }).mul(255).round().to('uint8').permute([0, 2, 3, 1]).contiguous().toArray() as Uint8Array;
  });
  const boxes = r.box ? host(r.box) : undefined;
  const per = H * W * ch;
  const tiles: MixedTile[] = Array.from({ length: k }, (_, i) => {
    const t: MixedTile = {
      index: i,
      partner: partner[i],
      lam: lamAll[i],
      label: cname(labels[i]),
      soft: soft(i),
      png: encodePng(W, H, ch as 1 | 3, pixels.subarray(i * per, (i + 1) * per)).toString('base64'),
    };
    if (boxes) {
      const b = boxes.length === 4 ? boxes : boxes.slice(4 * i, 4 * i + 4);
      // An empty box (nothing pasted) is not drawn.
      if (b[1] > b[0] && b[3] > b[2]) t.box = [b[0], b[1], b[2], b[3]];
    }
    return t;
  });
  return { ...base, image: { channels: ch, height: H, width: W }, tiles };
}

export function writeMixedBatch(runDir: string, mb: MixedBatch): string {
  const file = path.join(runDir, MIXED_BATCH_FILE);
  writeFileAtomic(file, JSON.stringify(mb) + '\n');
  return file;
}

/** The picture's data stored in a run folder (undefined when it has none). */
export function readMixedBatch(runDir: string): MixedBatch | undefined {
  const file = path.join(runDir, MIXED_BATCH_FILE);
  if (!fs.existsSync(file)) return undefined;
  const mb = JSON.parse(fs.readFileSync(file, 'utf8')) as MixedBatch;
  if (mb?.version !== 1 || typeof mb.kind !== 'string') throw new Error(`report: ${file} is not a torchmix mixed-batch file`);
  return mb;
}

// ---- HTML ------------------------------------------------------------------------------------------------
export const MIXED_BATCH_CSS = `.mix-grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(118px,1fr));gap:.8em;max-width:1100px}
.mix-tile{margin:0;font-size:.78em;line-height:1.3}.mix-tile svg{display:block;background:#000}.mix-tile figcaption{margin-top:.2em}
.mix-tile .w{font-variant-numeric:tabular-nums;color:#555}`;

const hex = (c: string) => [1, 3, 5].map((i) => parseInt(c.slice(i, i + 2), 16));
/** The colour of a soft label: the class colours weighted by it. */
export function blendColor(w: readonly number[]): string {
  const rgb = [0, 0, 0];
  const total = w.reduce((a, v) => a + Math.max(0, v), 0) || 1;
  w.forEach((v, c) => hex(CLASS_COLORS[c % CLASS_COLORS.length]).forEach((x, j) => (rgb[j] += (Math.max(0, v) / total) * x)));
  return `#${rgb.map((v) => Math.round(v).toString(16).padStart(2, '0')).join('')}`;
}

const fmtW = (w: number) => w.toFixed(2);
const caption = (t: MixedTile) =>
  `<figcaption>${t.soft.map((s) => `<span class="w">${fmtW(s.w)}</span> ${escapeHtml(s.cls)}`).join('<br>')}<br><span class="w">λ ${t.lam.toFixed(3)}</span> · #${t.index}↔#${t.partner}</figcaption>`;

function tileHtml(t: MixedTile, img: { height: number; width: number }, px: number): string {
  const { width: W, height: H } = img;
  const label = `sample ${t.index} mixed with ${t.partner}, λ ${t.lam.toFixed(3)}: ${t.soft.map((s) => `${fmtW(s.w)} ${s.cls}`).join(', ')}`;
  const box = t.box
    ? `<rect class="cutmix-box" x="${t.box[2]}" y="${t.box[0]}" width="${t.box[3] - t.box[2]}" height="${t.box[1] - t.box[0]}" fill="none" stroke="#ff3b30" stroke-width="2" vector-effect="non-scaling-stroke"/>`
    : '';
  return (
    `<figure class="mix-tile"><svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${px}" height="${Math.round((px * H) / W)}" role="img" aria-label="${escapeHtml(label)}">` +
    `<image href="data:image/png;base64,${t.png ?? ''}" x="0" y="0" width="${W}" height="${H}" preserveAspectRatio="none" style="image-rendering:pixelated"/>${box}</svg>${caption(t)}</figure>`
  );
}

/** The vega-lite spec of a toy set's mixed batch: originals (open, class colour) under the mixed points (filled, soft-label colour). */
export function mixedPointsSpec(mb: MixedBatch, o?: { size?: number }): object {
  const classes = mb.classes ?? [];
  const original = (mb.points?.original ?? []).map((p) => ({ x: p.x, y: p.y, cls: classes[p.cls ?? 0] ?? String(p.cls) }));
  const mixed = (mb.points?.mixed ?? []).map((p) => ({
    x: p.x,
    y: p.y,
    color: blendColor(p.w ?? []),
    top: classes[(p.w ?? []).indexOf(Math.max(...(p.w ?? [0])))] ?? '',
  }));
  const size = o?.size ?? 320;
  const x = { field: 'x', type: 'quantitative', title: 'x₁', scale: { zero: false } };
  const y = { field: 'y', type: 'quantitative', title: 'x₂', scale: { zero: false } };
  return {
    $schema: SCHEMA,
    title: {
      text: `One training batch mixed by ${mb.method}`,
      subtitle: 'open: the batch as loaded (class colour); filled: the mixed points (colour: soft label)',
    },
    width: size,
    height: size,
    layer: [
      {
        name: 'originals',
        data: { values: original },
        mark: { type: 'point', filled: false, size: 22, strokeWidth: 1, opacity: 0.7, aria: false },
        encoding: {
          x,
          y,
          color: { field: 'cls', type: 'nominal', title: 'class', scale: { domain: classes, range: CLASS_COLORS.slice(0, Math.max(1, classes.length)) } },
        },
      },
      {
        name: 'mixed',
        data: { values: mixed },
        mark: { type: 'point', filled: true, size: 26, stroke: 'black', strokeWidth: 0.4, opacity: 0.95, aria: false },
        encoding: { x, y, fill: { field: 'color', type: 'nominal', scale: null } },
      },
    ],
    config: { font: 'sans-serif' },
  };
}

/** The report section's HTML for a mixed batch. */
export async function mixedBatchHtml(mb: MixedBatch): Promise<string> {
  if (mb.kind === 'unavailable')
    return `<p class="muted mixed-batch-unavailable">Not available for ${escapeHtml(mb.method)}: ${escapeHtml(mb.reason ?? 'no picture')}.</p>`;
  const what =
    `The first ${mb.tiles?.length ?? 0} samples of the first training batch of epoch ${mb.epoch} (batch of ${mb.batchSize}) as <b>${escapeHtml(mb.method)}</b> mixed them` +
    (mb.mixed === false
      ? mb.method === 'none'
        ? ' — none (ERM) does not mix: the batch as loaded'
        : ' — this draw left the batch unmixed (the method mixes only some batches)'
      : '') +
    (mb.stage
      ? `; mixed at stage ${mb.stage.index} <b>${escapeHtml(mb.stage.name)}</b> of the model${mb.stage.index === 0 ? ' (the inputs: shown mixed)' : ' (shown: the unmixed inputs; their hidden states were mixed)'}`
      : '') +
    '. Each sample: its soft label (top two classes with their weights), λ (its own weight) and its partner.' +
    (mb.tiles?.some((t) => t.box) ? ' Red: the box pasted from the partner (CutMix).' : '');
  if (mb.kind === 'points') {
    const svg = (await renderSvg(mixedPointsSpec(mb))).replace(/^<\?xml[^>]*>\s*/, '');
    return `<div class="mixed-batch" data-kind="points"><p class="muted">${what}</p><div class="charts"><figure>${svg}</figure></div></div>`;
  }
  const img = mb.image!;
  const px = Math.max(96, Math.min(128, img.width * 4));
  return `<div class="mixed-batch" data-kind="images"><p class="muted">${what}</p><div class="mix-grid">${(mb.tiles ?? []).map((t) => tileHtml(t, img, px)).join('')}</div></div>`;
}
