// Toy 2-D classification sets for decision-boundary pictures. Same dataset shape as the image
// sets: { images: float32 N×2 points, labels: int64 N, classes }. Generated in JavaScript from a
// seeded PRNG (lib/data/rng.ts): the same seed gives the same points on every machine and LibTorch.
import * as torch from '../torch/index.js';
import { Rng, seedOf } from './rng.js';
import type { Dataset } from './idx.js';

function checkN(n: unknown, what: string, min = 1): number {
  if (!Number.isSafeInteger(n) || (n as number) < min) throw new torch.TorchValueError(`${what}: n must be an integer ≥ ${min}, got ${String(n)}`);
  return n as number;
}
function checkNonNeg(v: unknown, what: string): number {
  if (typeof v !== 'number' || !(v >= 0) || !Number.isFinite(v)) throw new torch.TorchValueError(`${what} must be a finite number ≥ 0, got ${String(v)}`);
  return v;
}
/** Class sizes as even as possible (the first n mod k classes get one more). */
export function evenCounts(n: number, k: number): number[] {
  return Array.from({ length: k }, (_, c) => Math.floor(n / k) + (c < n % k ? 1 : 0));
}

/** Shuffles the generated points (seeded) and packs them into tensors. */
function pack(xs: Float32Array, ys: Int32Array, rng: Rng, classes: string[]): Dataset {
  const n = ys.length;
  const perm = rng.permutation(n);
  const px = new Float32Array(2 * n);
  const py = new BigInt64Array(n);
  for (let i = 0; i < n; i++) {
    const j = perm[i];
    px[2 * i] = xs[2 * j];
    px[2 * i + 1] = xs[2 * j + 1];
    py[i] = BigInt(ys[j]);
  }
  return { images: torch.tensor(px, { shape: [n, 2] }), labels: torch.tensor(py), classes };
}

/**
 * Two interleaving half circles (scikit-learn's make_moons): class 0 on the upper unit half circle
 * (cos t, sin t), class 1 on (1 − cos t, 0.5 − sin t), t evenly spaced in [0, π]; then Gaussian
 * noise of standard deviation `noise` on both coordinates; then a seeded shuffle.
 */
export function moons(opts: { n: number; noise?: number; seed?: number }): Dataset {
  const n = checkN(opts?.n, 'moons()', 2);
  const noise = checkNonNeg(opts.noise ?? 0, 'moons(): noise');
  const rng = new Rng(seedOf(opts.seed, 'moons()'), 0x6d6f6f6e);
  const [nOut, nIn] = evenCounts(n, 2);
  const xs = new Float32Array(2 * n);
  const ys = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const outer = i < nOut;
    const m = outer ? nOut : nIn;
    const t = m === 1 ? 0 : (Math.PI * (outer ? i : i - nOut)) / (m - 1);
    const x = outer ? Math.cos(t) : 1 - Math.cos(t);
    const y = outer ? Math.sin(t) : 0.5 - Math.sin(t);
    xs[2 * i] = x + noise * rng.normal();
    xs[2 * i + 1] = y + noise * rng.normal();
    ys[i] = outer ? 0 : 1;
  }
  return pack(xs, ys, rng, ['upper moon', 'lower moon']);
}

/**
 * `classes` interleaved spiral arms (default 2). Arm c: radius r = t, angle θ = 2πc/classes + 3π·t
 * (one and a half turns), t evenly spaced in [0, 1]; Gaussian noise of standard deviation `noise`
 * on both coordinates; seeded shuffle. Class sizes differ by at most one.
 */
export function spirals(opts: { n: number; classes?: number; noise?: number; seed?: number }): Dataset {
  const n = checkN(opts?.n, 'spirals()', 1);
  const k = opts.classes ?? 2;
  if (!Number.isInteger(k) || k < 2) throw new torch.TorchValueError(`spirals(): classes must be an integer ≥ 2, got ${String(k)}`);
  const noise = checkNonNeg(opts.noise ?? 0, 'spirals(): noise');
  const rng = new Rng(seedOf(opts.seed, 'spirals()'), 0x73706972);
  const counts = evenCounts(n, k);
  const xs = new Float32Array(2 * n);
  const ys = new Int32Array(n);
  let i = 0;
  counts.forEach((m, c) => {
    for (let j = 0; j < m; j++, i++) {
      const t = m === 1 ? 0 : j / (m - 1);
      const th = (2 * Math.PI * c) / k + 3 * Math.PI * t;
      xs[2 * i] = t * Math.cos(th) + noise * rng.normal();
      xs[2 * i + 1] = t * Math.sin(th) + noise * rng.normal();
      ys[i] = c;
    }
  });
  return pack(
    xs,
    ys,
    rng,
    Array.from({ length: k }, (_, c) => `arm ${c}`),
  );
}

/**
 * Isotropic Gaussian blobs (scikit-learn's make_blobs). centers: a number of clusters (centres
 * drawn uniformly in [−10, 10]², seeded) or explicit [x, y] centres; std: standard deviation
 * (default 1). Class sizes differ by at most one.
 */
export function blobs(opts: { n: number; centers?: number | [number, number][]; std?: number; seed?: number }): Dataset {
  const n = checkN(opts?.n, 'blobs()', 1);
  const std = checkNonNeg(opts.std ?? 1, 'blobs(): std');
  const rng = new Rng(seedOf(opts.seed, 'blobs()'), 0x626c6f62);
  const c = opts.centers ?? 3;
  let centers: [number, number][];
  if (typeof c === 'number') {
    if (!Number.isInteger(c) || c < 1) throw new torch.TorchValueError(`blobs(): centers must be an integer ≥ 1 or an array of [x, y], got ${c}`);
    centers = Array.from({ length: c }, () => [rng.random() * 20 - 10, rng.random() * 20 - 10]);
  } else if (Array.isArray(c) && c.length > 0 && c.every((p) => Array.isArray(p) && p.length === 2 && p.every(Number.isFinite))) centers = c;
  else throw new torch.TorchValueError('blobs(): centers must be an integer ≥ 1 or a non-empty array of [x, y] pairs');
  const counts = evenCounts(n, centers.length);
  const xs = new Float32Array(2 * n);
  const ys = new Int32Array(n);
  let i = 0;
  counts.forEach((m, k) => {
    for (let j = 0; j < m; j++, i++) {
      xs[2 * i] = centers[k][0] + std * rng.normal();
      xs[2 * i + 1] = centers[k][1] + std * rng.normal();
      ys[i] = k;
    }
  });
  return pack(
    xs,
    ys,
    rng,
    centers.map((_, k) => `blob ${k}`),
  );
}
