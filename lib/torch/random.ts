// Random sampling on the tensor's device, driven by LibTorch's generators (torch.manualSeed).
import { N } from './native.js';
import { TorchTypeError, TorchValueError } from './errors.js';
import { wrap, tid, Tensor } from './tensor.js';
import { checkShape, type TensorOptions } from './types.js';
import { opts3, full } from './creation.js';

/** Seeds the CPU generator and every CUDA generator. */
export function manualSeed(seed: number): void {
  if (!Number.isSafeInteger(seed) || seed < 0) throw new TorchValueError(`manualSeed(): seed must be a non-negative integer, got ${seed}`);
  N.manualSeed(seed);
}
/** U[0, 1). */
export function rand(shape: readonly number[], opts?: TensorOptions): Tensor {
  return wrap(N.rand(checkShape(shape), ...opts3(opts)));
}
/** N(0, 1). */
export function randn(shape: readonly number[], opts?: TensorOptions): Tensor {
  return wrap(N.randn(checkShape(shape), ...opts3(opts)));
}
/** Integers in [low, high): randint(high, shape) or randint(low, high, shape); int64 by default. */
export function randint(low: number, high: number | readonly number[], shape?: readonly number[] | TensorOptions, opts?: TensorOptions): Tensor {
  if (Array.isArray(high)) {
    opts = shape as TensorOptions | undefined;
    shape = high;
    high = low;
    low = 0;
  }
  if (!Number.isInteger(low) || !Number.isInteger(high)) throw new TorchTypeError('randint(): low and high must be integers');
  if ((high as number) <= low) throw new TorchValueError(`randint(): empty range [${low}, ${String(high)})`);
  return wrap(N.randint(low, high, checkShape(shape), ...opts3(opts as TensorOptions | undefined, 'int64')));
}
/** A random permutation of 0..n-1 (int64). */
export function randperm(n: number, opts?: TensorOptions): Tensor {
  if (!Number.isInteger(n) || n < 0) throw new TorchValueError(`randperm(): n must be a non-negative integer, got ${n}`);
  return wrap(N.randperm(n, ...opts3(opts, 'int64')));
}
export function randLike(t: Tensor, opts?: TensorOptions): Tensor {
  return wrap(N.randLike(tid(t, 'randLike(t)'), ...opts3(opts)));
}
export function randnLike(t: Tensor, opts?: TensorOptions): Tensor {
  return wrap(N.randnLike(tid(t, 'randnLike(t)'), ...opts3(opts)));
}
/** 0/1 draws: with probabilities from the tensor itself, or with a fixed p and the tensor's shape. */
export function bernoulli(input: Tensor, p?: number): Tensor {
  const i = tid(input, 'bernoulli(input)');
  if (p === undefined) return wrap(N.bernoulli(i));
  if (!(p >= 0 && p <= 1)) throw new TorchValueError(`bernoulli(): p must be in [0, 1], got ${p}`);
  return wrap(N.bernoulliP(i, p));
}
/** numSamples category indices per row of (unnormalised) probabilities. */
export function multinomial(probs: Tensor, numSamples: number, opts?: { replacement?: boolean }): Tensor {
  if (!Number.isInteger(numSamples) || numSamples < 1) throw new TorchValueError(`multinomial(): numSamples must be a positive integer, got ${numSamples}`);
  return wrap(N.multinomial(tid(probs, 'multinomial(probs)'), numSamples, opts?.replacement ?? false));
}

// ---- torch.distributions-style samplers ---------------------------------------------------------
type Param = number | Tensor;
function asTensor(p: Param, what: string, opts?: TensorOptions): Tensor {
  if (p instanceof Tensor) return p;
  if (typeof p !== 'number' || !(p > 0)) throw new TorchValueError(`${what} must be a positive number or a Tensor, got ${String(p)}`);
  return full([], p, { dtype: opts?.dtype ?? 'float32', device: opts?.device });
}

/** Gamma(concentration, rate); sample() draws on the parameters' device. */
export class Gamma {
  readonly concentration: Tensor;
  readonly rate: Tensor;
  constructor(concentration: Param, rate: Param = 1, opts?: TensorOptions) {
    this.concentration = asTensor(concentration, 'Gamma concentration', opts);
    this.rate = asTensor(rate, 'Gamma rate', opts);
  }
  /** Samples of shape [...sampleShape, ...batchShape]; differentiable w.r.t. the parameters. */
  rsample(sampleShape: readonly number[] = []): Tensor {
    const shape = [...checkShape(sampleShape, 'sampleShape'), ...broadcastShape(this.concentration.shape, this.rate.shape)];
    const g = wrap(N.standardGamma(this.concentration.expand(shape)._id));
    return g.div(this.rate.expand(shape));
  }
  sample(sampleShape: readonly number[] = []): Tensor {
    return this.rsample(sampleShape).detach();
  }
}

/** Beta(α, β) as X/(X+Y) with X ~ Gamma(α), Y ~ Gamma(β) — drawn on the device, no host sync. */
export class Beta {
  readonly concentration1: Tensor;
  readonly concentration0: Tensor;
  constructor(concentration1: Param, concentration0: Param, opts?: TensorOptions) {
    this.concentration1 = asTensor(concentration1, 'Beta concentration1', opts);
    this.concentration0 = asTensor(concentration0, 'Beta concentration0', opts);
  }
  rsample(sampleShape: readonly number[] = []): Tensor {
    const x = new Gamma(this.concentration1).rsample(sampleShape);
    const y = new Gamma(this.concentration0).rsample(sampleShape);
    // For tiny concentrations both gammas can underflow to 0; the clamp keeps the ratio finite.
    return x.div(x.add(y).clamp({ min: 1e-30 }));
  }
  sample(sampleShape: readonly number[] = []): Tensor {
    return this.rsample(sampleShape).detach();
  }
}

function broadcastShape(a: readonly number[], b: readonly number[]): number[] {
  const n = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const x = a[a.length - n + i] ?? 1,
      y = b[b.length - n + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) throw new TorchValueError(`shapes [${a.join(', ')}] and [${b.join(', ')}] do not broadcast`);
    out.push(x === 1 ? y : x);
  }
  return out;
}
