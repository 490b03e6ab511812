// A small seeded PRNG for the data pipeline (xoshiro128** seeded through splitmix32).
//
// Why not torch's generator: LibTorch's global generator is shared with the model (dropout, init,
// mixup λ). Drawing the loader's permutations and augmentation parameters from it would make the
// model's random stream depend on the data pipeline (and vice versa), and the native layer exposes
// no private generators. So everything random in lib/data is drawn here, in JavaScript, once per
// epoch (or once per call for splits/noise/toy sets) and uploaded to the device in one copy: the
// global torch.manualSeed stream is neither consumed nor read (except to draw a default seed when
// the user gives none — see defaultSeed). Results are identical on CPU and CUDA and across
// LibTorch versions.
import * as torch from '../torch/index.js';

function splitmix32(a: number): () => number {
  return () => {
    a = (a + 0x9e3779b9) | 0;
    let z = a;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
}

export class Rng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;
  /** Seeded from any number of non-negative integers (e.g. seed, epoch, stream id). */
  constructor(...keys: number[]) {
    let h = 0x243f6a88;
    for (const k of keys) {
      // Fold both 32-bit halves of a safe integer into the hash.
      const lo = k >>> 0;
      const hi = Math.floor(k / 4294967296) >>> 0;
      h = splitmix32(h ^ lo)() ^ Math.imul(hi + 1, 0x9e3779b1);
      h = splitmix32(h)();
    }
    const sm = splitmix32(h);
    this.s0 = sm();
    this.s1 = sm();
    this.s2 = sm();
    this.s3 = sm();
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }
  /** Uniform 32-bit unsigned integer. */
  nextU32(): number {
    const r = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return r;
  }
  /** U[0, 1) with 53 random bits. */
  random(): number {
    return ((this.nextU32() >>> 5) * 67108864 + (this.nextU32() >>> 6)) / 9007199254740992;
  }
  /** Uniform integer in [0, n), unbiased (rejection) for n ≤ 2^32. */
  int(n: number): number {
    if (n <= 1) return 0;
    const limit = 4294967296 - (4294967296 % n);
    for (;;) {
      const x = this.nextU32();
      if (x < limit) return x % n;
    }
  }
  /** Standard normal (Box–Muller). */
  normal(): number {
    const u = 1 - this.random();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.random());
  }
  /** A uniformly random permutation of 0..n-1 (Fisher–Yates). */
  permutation(n: number): Int32Array {
    const p = new Int32Array(n);
    for (let i = 0; i < n; i++) p[i] = i;
    this.shuffle(p);
    return p;
  }
  shuffle<T extends { length: number; [i: number]: number }>(a: T): T {
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
    return a;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** Validates a seed option; when absent, draws one 31-bit seed from torch's global generator (so
 *  torch.manualSeed makes the whole run reproducible). */
export function seedOf(seed: number | undefined, what: string): number {
  if (seed === undefined) return defaultSeed();
  if (!Number.isSafeInteger(seed) || seed < 0) throw new torch.TorchValueError(`${what}: seed must be a non-negative integer, got ${String(seed)}`);
  return seed;
}
export function defaultSeed(): number {
  return torch.tidy(() => Number(torch.randint(0, 2147483647, [1]).item()));
}
