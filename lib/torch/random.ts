// Random sampling on the tensor's device, driven by LibTorch's generators (torch.manualSeed).
import { N } from './native.js';
import { TorchTypeError, TorchValueError } from './errors.js';
import { wrap, tid, Tensor } from './tensor.js';
import { checkShape, type TensorOptions } from './types.js';
import { opts3, full } from './creation.js';
import { noGrad } from './autograd.js';
import { Generator, generatorArg } from './generator.js';

/** Seeds the CPU generator and every CUDA generator. */
export function manualSeed(seed: number): void {
  if (!Number.isSafeInteger(seed) || seed < 0) throw new TorchValueError(`manualSeed(): seed must be a non-negative integer, got ${seed}`);
  N.manualSeed(seed);
}
/** The CPU generator's state (uint8 tensor), e.g. to store in a checkpoint. */
export function getRngState(): Tensor {
  return wrap(N.getRngState());
}
/** Restores a state from getRngState(); the following draws repeat exactly. */
export function setRngState(state: Tensor): void {
  N.setRngState(tid(state, 'setRngState(state)'));
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
  return wrap(N.randint(low, high, checkShape(shape), ...opts3(opts, 'int64')));
}
/** A random permutation of 0..n-1 (int64); from `generator` (a CPU torch.Generator) when given. */
export function randperm(n: number, opts?: TensorOptions & { generator?: Generator }): Tensor {
  if (!Number.isInteger(n) || n < 0) throw new TorchValueError(`randperm(): n must be a non-negative integer, got ${n}`);
  if (opts?.generator !== undefined) return wrap(N.randpermGen(n, generatorArg(opts.generator, 'randperm(generator)'), ...opts3(opts, 'int64')));
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
  // Like any tensor, a parameter made from a number belongs to the current tidy scope.
  return full([], p, { dtype: opts?.dtype ?? 'float32', device: opts?.device });
}
const sameShape = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((v, i) => v === b[i]);
/** A parameter's shape: [] for a number (asTensor made it 0-d) without asking the addon — Beta(1, 1)
 *  is often built inside every step. */
const paramShape = (p: Param, t: Tensor): readonly number[] => (typeof p === 'number' ? [] : t.shape);
/** t expanded to [...sampleShape, ...batchShape]; t itself when that is already its shape (`same`). */
function expanded(t: Tensor, same: boolean, sampleShape: readonly number[], batchShape: readonly number[]): Tensor {
  if (sampleShape.length === 0 && same) return t;
  return t.expand([...checkShape(sampleShape, 'sampleShape'), ...batchShape]);
}

/** Gamma(concentration, rate); samples are drawn on the parameters' device. */
export class Gamma {
  readonly concentration: Tensor;
  /** null for the default rate 1 (no division). */
  readonly rate: Tensor | null;
  readonly batchShape: number[];
  constructor(concentration: Param, rate: Param = 1, opts?: TensorOptions) {
    this.concentration = asTensor(concentration, 'Gamma concentration', opts);
    this.rate = rate === 1 ? null : asTensor(rate, 'Gamma rate', opts);
    const cs = paramShape(concentration, this.concentration);
    this.batchShape = this.rate ? broadcastShape(cs, paramShape(rate, this.rate)) : [...cs];
    this.same = sameShape(cs, this.batchShape);
    this.grad = (concentration instanceof Tensor && concentration.requiresGrad) || (rate instanceof Tensor && rate.requiresGrad);
  }
  private readonly grad: boolean;
  private readonly same: boolean; // concentration already has batchShape
  /** Samples of shape [...sampleShape, ...batchShape], differentiable w.r.t. the parameters. */
  rsample(sampleShape: readonly number[] = []): Tensor {
    const g = wrap(N.standardGamma(expanded(this.concentration, this.same, sampleShape, this.batchShape)._id));
    return this.rate ? g.div(this.rate) : g;
  }
  /** Like rsample, never recording a graph (parameters' requiresGrad is read at construction). */
  sample(sampleShape: readonly number[] = []): Tensor {
    return this.grad ? noGrad(() => this.rsample(sampleShape)) : this.rsample(sampleShape);
  }
}

/**
 * Beta(α, β) in one native call, on the device, no host sync — what mixup draws every step.
 * sample(): PyTorch's own draw (a Dirichlet over [α, β]), so after the same manualSeed the values
 * equal torch.distributions.Beta's bit for bit; rsample() with concentrations that require grad:
 * X/(X+Y) with X ~ Gamma(α), Y ~ Gamma(β), reparameterised (gradients reach α and β).
 */
export class Beta {
  readonly concentration1: Tensor;
  readonly concentration0: Tensor;
  readonly batchShape: number[];
  constructor(concentration1: Param, concentration0: Param, opts?: TensorOptions) {
    this.concentration1 = asTensor(concentration1, 'Beta concentration1', opts);
    this.concentration0 = asTensor(concentration0, 'Beta concentration0', opts);
    const s1 = paramShape(concentration1, this.concentration1),
      s0 = paramShape(concentration0, this.concentration0);
    this.batchShape = broadcastShape(s1, s0);
    this.same1 = sameShape(s1, this.batchShape);
    this.same0 = sameShape(s0, this.batchShape);
    this.grad = (concentration1 instanceof Tensor && concentration1.requiresGrad) || (concentration0 instanceof Tensor && concentration0.requiresGrad);
  }
  private readonly grad: boolean;
  private readonly same1: boolean; // concentration1 already has batchShape
  private readonly same0: boolean;
  rsample(sampleShape: readonly number[] = []): Tensor {
    const a = expanded(this.concentration1, this.same1, sampleShape, this.batchShape);
    const b = expanded(this.concentration0, this.same0, sampleShape, this.batchShape);
    return wrap(N.betaSample(a._id, b._id));
  }
  /** Like rsample, never recording a graph (parameters' requiresGrad is read at construction). */
  sample(sampleShape: readonly number[] = []): Tensor {
    return this.grad ? noGrad(() => this.rsample(sampleShape)) : this.rsample(sampleShape);
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
