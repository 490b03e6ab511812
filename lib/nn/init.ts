// nn.init: in-place initialisers with PyTorch's conventions (torch/nn/init.py). Each runs under
// noGrad, fills the tensor in place, and returns it. Random draws use LibTorch's CPU/CUDA
// generators (torch.manualSeed), like the layers' default initialisation.
import { TorchValueError } from '../torch/errors.js';
import type { Tensor } from '../torch/tensor.js';
import { noGrad } from '../torch/autograd.js';

export type Nonlinearity =
  | 'linear'
  | 'conv1d'
  | 'conv2d'
  | 'conv3d'
  | 'conv_transpose1d'
  | 'conv_transpose2d'
  | 'conv_transpose3d'
  | 'sigmoid'
  | 'tanh'
  | 'relu'
  | 'leaky_relu'
  | 'selu';
export type FanMode = 'fan_in' | 'fan_out';

/**
 * The recommended gain for a nonlinearity (torch.nn.init.calculate_gain): 1 for linear/conv/sigmoid,
 * 5/3 for tanh, √2 for relu, √(2/(1+a²)) for leaky_relu with slope `param` (default 0.01), 3/4 for selu.
 */
export function calculateGain(nonlinearity: Nonlinearity, param?: number): number {
  switch (nonlinearity) {
    case 'linear':
    case 'conv1d':
    case 'conv2d':
    case 'conv3d':
    case 'conv_transpose1d':
    case 'conv_transpose2d':
    case 'conv_transpose3d':
    case 'sigmoid':
      return 1;
    case 'tanh':
      return 5 / 3;
    case 'relu':
      return Math.SQRT2;
    case 'leaky_relu': {
      const slope = param ?? 0.01;
      if (typeof slope !== 'number' || !Number.isFinite(slope))
        throw new TorchValueError(`calculateGain(): negative_slope ${String(param)} not a valid number`);
      return Math.sqrt(2 / (1 + slope * slope));
    }
    case 'selu':
      return 3 / 4;
    default:
      throw new TorchValueError(`calculateGain(): unsupported nonlinearity '${String(nonlinearity)}'`);
  }
}

/** [fanIn, fanOut] as PyTorch: dim 1 × receptive field, dim 0 × receptive field (needs ≥ 2 dims). */
export function calculateFanInAndFanOut(t: Tensor): [number, number] {
  const s = t.shape;
  if (s.length < 2) throw new TorchValueError(`fan in and fan out can not be computed for a tensor with fewer than 2 dimensions (shape [${s.join(', ')}])`);
  let rf = 1;
  for (let i = 2; i < s.length; i++) rf *= s[i];
  return [s[1] * rf, s[0] * rf];
}
function fan(t: Tensor, mode: FanMode): number {
  if (mode !== 'fan_in' && mode !== 'fan_out') throw new TorchValueError(`mode '${String(mode)}' not supported, use 'fan_in' or 'fan_out'`);
  const [i, o] = calculateFanInAndFanOut(t);
  return mode === 'fan_in' ? i : o;
}

/** U(a, b). */
export function uniform_(t: Tensor, a = 0, b = 1): Tensor {
  return noGrad(() => t.uniform_(a, b));
}
/** N(mean, std²). */
export function normal_(t: Tensor, mean = 0, std = 1): Tensor {
  return noGrad(() => t.normal_(mean, std));
}
/**
 * N(mean, std²) truncated to [a, b], as PyTorch's trunc_normal_ (and with its random stream):
 * u ~ U(2Φ(α)−1, 2Φ(β)−1), t = mean + std·√2·erfinv(u), clamped to [a, b].
 */
export function truncNormal_(t: Tensor, opts?: { mean?: number; std?: number; a?: number; b?: number }): Tensor {
  const mean = opts?.mean ?? 0,
    std = opts?.std ?? 1,
    a = opts?.a ?? -2,
    b = opts?.b ?? 2;
  if (!(std > 0) || !(a < b)) throw new TorchValueError(`init.truncNormal_: need std > 0 and a < b, got std ${std}, a ${a}, b ${b}`);
  const cdf = (x: number) => (1 + erf((x - mean) / std / Math.SQRT2)) / 2;
  return noGrad(() => {
    t.uniform_(2 * cdf(a) - 1, 2 * cdf(b) - 1);
    return t.copy_(
      t
        .erfinv()
        .mul(std * Math.SQRT2)
        .add(mean)
        .clamp({ min: a, max: b }),
    );
  });
}
/** erf(x) on the host: Taylor series below 2.5 (error < 1e-13), erfc's continued fraction above. */
function erf(x: number): number {
  const ax = Math.abs(x);
  let r: number;
  if (ax < 2.5) {
    let term = ax,
      sum = ax;
    for (let n = 1; n < 200 && Math.abs(term) > 1e-17 * Math.abs(sum); n++) {
      term *= (-ax * ax) / n;
      sum += term / (2 * n + 1);
    }
    r = (2 / Math.sqrt(Math.PI)) * sum;
  } else {
    // erfc(x) = e^(−x²)/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + …)))), evaluated from the tail.
    let t = ax;
    for (let n = 80; n >= 1; n--) t = ax + n / 2 / t;
    r = 1 - Math.exp(-ax * ax) / (Math.sqrt(Math.PI) * t);
  }
  return x < 0 ? -r : r;
}
export function constant_(t: Tensor, value: number): Tensor {
  return noGrad(() => t.fill_(value));
}
export function zeros_(t: Tensor): Tensor {
  return noGrad(() => t.zero_());
}
export function ones_(t: Tensor): Tensor {
  return noGrad(() => t.fill_(1));
}

export interface KaimingOptions {
  /** Negative slope of the following leaky_relu (PyTorch's `a`), default 0. */
  a?: number;
  mode?: FanMode;
  nonlinearity?: Nonlinearity;
}
/** He uniform: U(−b, b), b = gain·√(3/fan), gain = calculateGain(nonlinearity, a). Defaults fan_in, leaky_relu, a = 0. */
export function kaimingUniform_(t: Tensor, opts?: KaimingOptions): Tensor {
  const f = fan(t, opts?.mode ?? 'fan_in');
  if (f === 0) return t; // PyTorch warns and leaves the tensor alone
  const gain = calculateGain(opts?.nonlinearity ?? 'leaky_relu', opts?.a ?? 0);
  const bound = Math.sqrt(3) * (gain / Math.sqrt(f));
  return uniform_(t, -bound, bound);
}
/** He normal: N(0, std²), std = gain/√fan. */
export function kaimingNormal_(t: Tensor, opts?: KaimingOptions): Tensor {
  const f = fan(t, opts?.mode ?? 'fan_in');
  if (f === 0) return t;
  const gain = calculateGain(opts?.nonlinearity ?? 'leaky_relu', opts?.a ?? 0);
  return normal_(t, 0, gain / Math.sqrt(f));
}
/** Glorot uniform: U(−b, b), b = gain·√(6/(fanIn + fanOut)). */
export function xavierUniform_(t: Tensor, opts?: { gain?: number }): Tensor {
  const [i, o] = calculateFanInAndFanOut(t);
  const std = (opts?.gain ?? 1) * Math.sqrt(2 / (i + o));
  return uniform_(t, -Math.sqrt(3) * std, Math.sqrt(3) * std);
}
/** Glorot normal: N(0, std²), std = gain·√(2/(fanIn + fanOut)). */
export function xavierNormal_(t: Tensor, opts?: { gain?: number }): Tensor {
  const [i, o] = calculateFanInAndFanOut(t);
  return normal_(t, 0, (opts?.gain ?? 1) * Math.sqrt(2 / (i + o)));
}

/**
 * PyTorch's default for Linear and Conv layers (their reset_parameters): weight
 * kaiming_uniform_(a=√5), bias U(−1/√fan_in, 1/√fan_in).
 */
export function defaultLayerInit_(weight: Tensor, bias: Tensor | null): void {
  kaimingUniform_(weight, { a: Math.sqrt(5) });
  if (bias) {
    const [fanIn] = calculateFanInAndFanOut(weight);
    const bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
    uniform_(bias, -bound, bound);
  }
}
