// Autograd against finite differences for every differentiable op family the library exposes.
// The checker (test/helpers/gradcheck.ts): float64 inputs, central differences with eps 1e-6,
// analytic gradient of sum(f(x) · w) for a fixed random w, tolerance atol 1e-5 + rtol 1e-4·|n|.
// Non-smooth ops (abs, relu, clamp, max, pooling …) get inputs away from their kinks and ties.
import { describe, it, expect } from 'vitest';
import { torch, nn } from '../../lib/index.js';
import type { Tensor } from '../../lib/torch/index.js';
import { gradcheck, randn64, distinct64, uniform64, type GradcheckOptions } from '../helpers/gradcheck.js';
import { numbers } from '../helpers/numbers.js';

const F = nn.functional;

/** Runs gradcheck inside a tidy scope with a fixed seed; inputs are built by `make` after seeding. */
function check(f: (...xs: Tensor[]) => Tensor | Tensor[], make: () => Tensor[], opts: GradcheckOptions & { allowZero?: boolean } = {}) {
  torch.tidy(() => {
    torch.manualSeed(42);
    const inputs = make();
    const r = gradcheck(f, inputs, opts);
    expect(r.maxAbsErr).toBeLessThanOrEqual(1e-5 + 1e-4 * Math.max(1, ...r.numeric.flatMap((n) => Array.from(n, Math.abs))));
    // A gradient that is identically zero would pass trivially; every case here has a non-zero one.
    if (!opts.allowZero) for (const a of r.analytic) expect(a.some((v) => Math.abs(v) > 1e-8)).toBe(true);
  });
}

/** float64 N(0,1) values pushed at least 0.3 away from 0 (for abs, relu, leakyRelu, p=1 norms). */
const awayFromZero = (shape: number[]) => {
  const x = randn64(shape);
  return x.add(x.sign().mul(0.3));
};
const positive = (shape: number[]) => uniform64(shape, 0.5, 2.5);

describe('gradcheck helper', () => {
  it('catches a wrong gradient (the checker itself can fail)', () => {
    // relu at exactly 0 has a one-sided numerical derivative 0.5 while autograd says 0: the checker must notice.
    expect(() => gradcheck((x) => x.relu(), [torch.zeros([3], { dtype: 'float64' })])).toThrow(/gradcheck: input 0/);
  });
  it('rejects non-float64 inputs', () => {
    expect(() => gradcheck((x) => x.exp(), [torch.zeros([3])])).toThrow(/float64/);
  });
  it('returns matching analytic and numerical gradients for x^2 (= 2x·w)', () => {
    const x = torch.tensor(new Float64Array([1, -2, 3]));
    const r = gradcheck((t) => t.mul(t), [x]);
    expect(r.analytic[0].length).toBe(3);
    for (let k = 0; k < 3; k++) expect(r.analytic[0][k]).toBeCloseTo(r.numeric[0][k], 6);
  });
});

describe('elementwise', () => {
  it('add: tensor, broadcast, alpha, scalar', () => {
    check(
      (a, b) => a.add(b),
      () => [randn64([2, 3]), randn64([2, 3])],
    );
    check(
      (a, b) => a.add(b),
      () => [randn64([2, 3]), randn64([3])],
    );
    check(
      (a, b) => a.add(b, { alpha: -1.5 }),
      () => [randn64([2, 3]), randn64([2, 3])],
    );
    check(
      (a) => a.add(2.5),
      () => [randn64([4])],
    );
  });
  it('sub: tensor, broadcast, alpha, scalar, rsub', () => {
    check(
      (a, b) => a.sub(b),
      () => [randn64([2, 3]), randn64([2, 1])],
    );
    check(
      (a, b) => a.sub(b, { alpha: 3 }),
      () => [randn64([3]), randn64([3])],
    );
    check(
      (a) => a.sub(0.75),
      () => [randn64([4])],
    );
    check(
      (a) => a.rsub(2),
      () => [randn64([4])],
    );
  });
  it('mul: tensor, broadcast, scalar', () => {
    check(
      (a, b) => a.mul(b),
      () => [randn64([2, 3]), randn64([2, 3])],
    );
    check(
      (a, b) => a.mul(b),
      () => [randn64([4, 1]), randn64([3])],
    );
    check(
      (a) => a.mul(-1.7),
      () => [randn64([5])],
    );
  });
  it('div: tensor (both operands), broadcast, scalar', () => {
    check(
      (a, b) => a.div(b),
      () => [randn64([2, 3]), positive([2, 3])],
    );
    check(
      (a, b) => a.div(b),
      () => [randn64([2, 3]), positive([3]).neg()],
    );
    check(
      (a) => a.div(0.3),
      () => [randn64([4])],
    );
  });
  it('pow: tensor exponent (grad w.r.t. base and exponent), scalar exponents', () => {
    check(
      (a, b) => a.pow(b),
      () => [positive([2, 3]), randn64([2, 3])],
    );
    check(
      (a) => a.pow(3),
      () => [randn64([5])],
    );
    check(
      (a) => a.pow(2.5),
      () => [positive([5])],
    );
    check(
      (a) => a.pow(-1.5),
      () => [positive([5])],
    );
  });
  it('exp, log, sqrt, rsqrt', () => {
    check(
      (a) => a.exp(),
      () => [randn64([2, 3])],
    );
    check(
      (a) => a.log(),
      () => [positive([2, 3])],
    );
    check(
      (a) => a.sqrt(),
      () => [positive([2, 3])],
    );
    check(
      (a) => a.rsqrt(),
      () => [positive([2, 3])],
    );
  });
  it('erf, erfinv', () => {
    check(
      (a) => a.erf(),
      () => [randn64([2, 3])],
    );
    check(
      (a) => a.erfinv(),
      () => [torch.rand([2, 3], { dtype: 'float64' }).mul(1.8).sub(0.9)],
    );
  });
  it('abs (away from 0), sigmoid, tanh, relu (away from 0)', () => {
    check(
      (a) => a.abs(),
      () => [awayFromZero([2, 4])],
    );
    check(
      (a) => a.sigmoid(),
      () => [randn64([2, 4])],
    );
    check(
      (a) => a.tanh(),
      () => [randn64([2, 4])],
    );
    check(
      (a) => a.relu(),
      () => [awayFromZero([2, 4])],
    );
  });
  it('clamp: min and max, min only, max only (away from the bounds)', () => {
    // values k·0.13 + 0.031 never lie within 1e-6 of ±0.5
    const vals = () => [distinct64([3, 4], 0.13).add(0.031)];
    check((a) => a.clamp({ min: -0.5, max: 0.5 }), vals);
    check((a) => a.clamp({ min: -0.5 }), vals);
    check((a) => a.clamp({ max: 0.5 }), vals);
  });
  it('maximum, minimum', () => {
    check(
      (a, b) => a.maximum(b),
      () => [randn64([2, 3]), randn64([2, 3])],
    );
    check(
      (a, b) => a.minimum(b),
      () => [randn64([2, 3]), randn64([2, 3])],
    );
  });
  it('where: both branches, and a scalar branch', () => {
    const cond = () =>
      torch.tensor([
        [true, false, true],
        [false, false, true],
      ]);
    check(
      (a, b) => torch.where(cond(), a, b),
      () => [randn64([2, 3]), randn64([2, 3])],
    );
    check(
      (a) => torch.where(cond(), a, 0.5),
      () => [randn64([2, 3])],
    );
    check(
      (b) => torch.where(cond(), 0.5, b),
      () => [randn64([2, 3])],
    );
  });
  it('lerp: gradient w.r.t. start, end and a tensor weight; scalar weight', () => {
    check(
      (s, e, w) => s.lerp(e, w),
      () => [randn64([2, 3]), randn64([2, 3]), uniform64([2, 3], 0, 1)],
    );
    check(
      (s, e, w) => s.lerp(e, w),
      () => [randn64([2, 3]), randn64([2, 3]), uniform64([3], 0, 1)],
    );
    check(
      (s, e) => s.lerp(e, 0.3),
      () => [randn64([2, 3]), randn64([2, 3])],
    );
  });
  it('lerp weight gradient equals end − start', () => {
    torch.tidy(() => {
      const s = randn64([4]),
        e = randn64([4]);
      const w = torch.full([4], 0.25, { dtype: 'float64' }).requiresGrad_();
      s.lerp(e, w).sum().backward();
      const want = e.sub(s).toArray() as Float64Array;
      const got = w.grad!.toArray() as Float64Array;
      for (let k = 0; k < 4; k++) expect(got[k]).toBeCloseTo(want[k], 12);
    });
  });
});

describe('reductions', () => {
  it('sum: all, dim, several dims with keepdim', () => {
    check(
      (a) => a.sum(),
      () => [randn64([2, 3])],
    );
    check(
      (a) => a.sum({ dim: 1 }),
      () => [randn64([2, 3, 2])],
    );
    check(
      (a) => a.sum({ dim: [0, 2], keepdim: true }),
      () => [randn64([2, 3, 2])],
    );
  });
  it('mean: all, dim, keepdim', () => {
    check(
      (a) => a.mean(),
      () => [randn64([2, 3])],
    );
    check(
      (a) => a.mean({ dim: 0 }),
      () => [randn64([3, 4])],
    );
    check(
      (a) => a.mean({ dim: -1, keepdim: true }),
      () => [randn64([3, 4])],
    );
  });
  it('max/min with dim (values), and over all elements', () => {
    check(
      (a) => a.max({ dim: 1 }).values,
      () => [distinct64([3, 4])],
    );
    check(
      (a) => a.min({ dim: 0, keepdim: true }).values,
      () => [distinct64([3, 4])],
    );
    check(
      (a) => a.max(),
      () => [distinct64([3, 4])],
    );
    check(
      (a) => a.min(),
      () => [distinct64([3, 4])],
    );
  });
  it('std / var: all, dim, correction 0', () => {
    check(
      (a) => a.std(),
      () => [randn64([3, 4])],
    );
    check(
      (a) => a.std({ dim: 1 }),
      () => [randn64([3, 4])],
    );
    check(
      (a) => a.var(),
      () => [randn64([3, 4])],
    );
    check(
      (a) => a.var({ dim: 0, correction: 0, keepdim: true }),
      () => [randn64([3, 4])],
    );
  });
  it('logsumexp', () => {
    check(
      (a) => a.logsumexp({ dim: 1 }),
      () => [randn64([3, 4])],
    );
    check(
      (a) => a.logsumexp({ dim: [0, 1] }),
      () => [randn64([3, 4])],
    );
  });
  it('norm: p=2 over all, p=1 and p=3 over a dim', () => {
    check(
      (a) => a.norm(),
      () => [randn64([3, 4])],
    );
    check(
      (a) => a.norm({ p: 1, dim: 1 }),
      () => [awayFromZero([3, 4])],
    );
    check(
      (a) => a.norm({ p: 3, dim: 0, keepdim: true }),
      () => [awayFromZero([3, 4])],
    );
  });
  it('prod, cumsum', () => {
    check(
      (a) => a.prod({ dim: 1 }),
      () => [randn64([3, 4])],
    );
    check(
      (a) => a.cumsum(1),
      () => [randn64([3, 4])],
    );
  });
});

describe('shape ops', () => {
  it('reshape, permute, transpose, expand', () => {
    check(
      (a) => a.reshape([6, 4]),
      () => [randn64([2, 3, 4])],
    );
    check(
      (a) => a.permute([2, 0, 1]),
      () => [randn64([2, 3, 4])],
    );
    check(
      (a) => a.transpose(0, 2),
      () => [randn64([2, 3, 4])],
    );
    check(
      (a) => a.expand([2, 3, 4]),
      () => [randn64([3, 1])],
    );
  });
  it('cat, stack (gradient to every piece)', () => {
    check(
      (a, b) => torch.cat([a, b], 1),
      () => [randn64([2, 3]), randn64([2, 2])],
    );
    check(
      (a, b, c) => torch.stack([a, b, c], 1),
      () => [randn64([2, 3]), randn64([2, 3]), randn64([2, 3])],
    );
  });
  it('split (size and sizes), chunk, narrow', () => {
    check(
      (a) => a.split(2, 1),
      () => [randn64([3, 5])],
    );
    check(
      (a) => a.split([1, 3], 0),
      () => [randn64([4, 2])],
    );
    check(
      (a) => a.chunk(3, 0),
      () => [randn64([6, 2])],
    );
    check(
      (a) => a.narrow(1, 1, 2),
      () => [randn64([3, 4])],
    );
  });
  it('indexSelect (repeated indices accumulate), gather', () => {
    check(
      (a) => a.indexSelect(0, torch.tensor([2, 0, 2, 2])),
      () => [randn64([3, 4])],
    );
    check(
      (a) =>
        a.gather(
          1,
          torch.tensor([
            [0, 0, 3],
            [1, 2, 1],
            [3, 3, 3],
          ]),
        ),
      () => [randn64([3, 4])],
    );
  });
  it('scatter: gradient w.r.t. src and self', () => {
    const index = () =>
      torch.tensor([
        [1, 0, 2],
        [0, 2, 1],
      ]);
    check(
      (self, src) => self.scatter(1, index(), src),
      () => [randn64([2, 4]), randn64([2, 3])],
    );
    check(
      (self) => self.scatter(1, index(), 0.5),
      () => [randn64([2, 4])],
    );
  });
  it('scatter: overwritten positions of self get zero gradient, src gets its weights', () => {
    torch.tidy(() => {
      const self = torch.ones([1, 3], { dtype: 'float64' }).requiresGrad_();
      const src = torch.ones([1, 2], { dtype: 'float64' }).requiresGrad_();
      const w = torch.tensor(new Float64Array([1, 2, 3]), { shape: [1, 3] });
      self
        .scatter(1, torch.tensor([[2, 0]]), src)
        .mul(w)
        .sum()
        .backward();
      expect(numbers(self.grad!)).toEqual([0, 2, 0]);
      expect(numbers(src.grad!)).toEqual([3, 1]);
    });
  });
  it('maskedFill, flip, roll', () => {
    const mask = () =>
      torch.tensor([
        [true, false, false],
        [false, true, false],
      ]);
    check(
      (a) => a.maskedFill(mask(), 2.5),
      () => [randn64([2, 3])],
    );
    check(
      (a) => a.flip([0, 1]),
      () => [randn64([2, 3])],
    );
    check(
      (a) => a.roll(1, 1),
      () => [randn64([2, 3])],
    );
    check(
      (a) => a.roll([1, -2], [0, 1]),
      () => [randn64([2, 3])],
    );
  });
  it('pad: constant and reflect', () => {
    check(
      (a) => F.pad(a, [1, 2], { value: 0.5 }),
      () => [randn64([2, 3])],
    );
    check(
      (a) => F.pad(a, [1, 0, 2, 1]),
      () => [randn64([1, 2, 3, 3])],
    );
    check(
      (a) => F.pad(a, [2, 1], { mode: 'reflect' }),
      () => [randn64([1, 2, 4])],
    );
    check(
      (a) => F.pad(a, [1, 1, 2, 0], { mode: 'reflect' }),
      () => [randn64([1, 1, 3, 4])],
    );
  });
});

describe('matrix products', () => {
  it('mm', () =>
    check(
      (a, b) => a.mm(b),
      () => [randn64([3, 4]), randn64([4, 2])],
    ));
  it('matmul: 2-d, batched with broadcasting, vector cases', () => {
    check(
      (a, b) => a.matmul(b),
      () => [randn64([3, 4]), randn64([4, 2])],
    );
    check(
      (a, b) => a.matmul(b),
      () => [randn64([2, 3, 4]), randn64([4, 2])],
    );
    check(
      (a, b) => a.matmul(b),
      () => [randn64([4]), randn64([2, 4, 3])],
    );
    check(
      (a, b) => a.matmul(b),
      () => [randn64([4]), randn64([4])],
    );
  });
  it('bmm', () =>
    check(
      (a, b) => a.bmm(b),
      () => [randn64([2, 3, 4]), randn64([2, 4, 2])],
    ));
});

describe('nn.functional layers and activations', () => {
  it('linear: input, weight and bias gradients; no bias', () => {
    check(
      (x, w, b) => F.linear(x, w, b),
      () => [randn64([3, 4]), randn64([2, 4]), randn64([2])],
    );
    check(
      (x, w) => F.linear(x, w),
      () => [randn64([2, 3, 4]), randn64([5, 4])],
    );
  });
  it('conv2d: input, weight, bias with stride, padding, groups', () => {
    check(
      (x, w, b) => F.conv2d(x, w, b, { stride: 2, padding: 1, groups: 2 }),
      () => [randn64([2, 4, 5, 5]), randn64([6, 2, 3, 3]), randn64([6])],
    );
  });
  it('conv2d: weight gradient with asymmetric stride/padding and dilation, no bias', () => {
    check(
      (x, w) => F.conv2d(x, w, null, { stride: [1, 2], padding: [0, 1], dilation: [2, 1] }),
      () => [randn64([1, 2, 6, 5]), randn64([3, 2, 2, 3])],
    );
  });
  it('maxPool2d (distinct values: no ties)', () => {
    check(
      (x) => F.maxPool2d(x, 2),
      () => [distinct64([1, 2, 4, 4])],
    );
    check(
      (x) => F.maxPool2d(x, 3, { stride: 2, padding: 1 }),
      () => [distinct64([2, 1, 5, 5])],
    );
  });
  it('avgPool2d', () => {
    check(
      (x) => F.avgPool2d(x, 2),
      () => [randn64([1, 2, 4, 4])],
    );
    check(
      (x) => F.avgPool2d(x, 3, { stride: 2, padding: 1, countIncludePad: false }),
      () => [randn64([1, 2, 5, 5])],
    );
    check(
      (x) => F.avgPool2d(x, 2, { ceilMode: true }),
      () => [randn64([1, 1, 5, 5])],
    );
  });
  it('adaptiveAvgPool2d (non-divisible sizes)', () => {
    check(
      (x) => F.adaptiveAvgPool2d(x, [3, 2]),
      () => [randn64([1, 2, 5, 7])],
    );
    check(
      (x) => F.adaptiveAvgPool2d(x, 1),
      () => [randn64([2, 3, 4, 4])],
    );
  });
  it('batchNorm in training mode: input, weight, bias', () => {
    check(
      (x, w, b) => F.batchNorm(x, null, null, { weight: w, bias: b, training: true }),
      () => [randn64([4, 3, 2, 2]), randn64([3]), randn64([3])],
    );
    check(
      (x, w, b) => F.batchNorm(x, null, null, { weight: w, bias: b, training: true, eps: 1e-3 }),
      () => [randn64([5, 2]), randn64([2]), randn64([2])],
    );
  });
  it('batchNorm in training mode updates the running statistics', () => {
    torch.tidy(() => {
      const x = torch.tensor(new Float64Array([1, 2, 3, 5]), { shape: [4, 1] });
      const rm = torch.zeros([1], { dtype: 'float64' }),
        rv = torch.ones([1], { dtype: 'float64' });
      F.batchNorm(x, rm, rv, { training: true, momentum: 0.5 });
      expect(rm.item()).toBeCloseTo(0.5 * 2.75, 12);
      expect(rv.item()).toBeCloseTo(0.5 * 1 + 0.5 * (((1 - 2.75) ** 2 + (2 - 2.75) ** 2 + (3 - 2.75) ** 2 + (5 - 2.75) ** 2) / 3), 12);
    });
  });
  it('softmax, logSoftmax', () => {
    check(
      (x) => F.softmax(x, 1),
      () => [randn64([3, 4])],
    );
    check(
      (x) => F.softmax(x, 0),
      () => [randn64([3, 4])],
    );
    check(
      (x) => F.logSoftmax(x, 1),
      () => [randn64([3, 4])],
    );
    check(
      (x) => F.logSoftmax(x, -1),
      () => [randn64([2, 2, 3])],
    );
  });
  it('leakyRelu (away from 0), gelu (exact and tanh), sigmoid/tanh/relu functional forms', () => {
    check(
      (x) => F.leakyRelu(x, 0.2),
      () => [awayFromZero([3, 4])],
    );
    check(
      (x) => F.gelu(x),
      () => [randn64([3, 4])],
    );
    check(
      (x) => F.gelu(x, { approximate: 'tanh' }),
      () => [randn64([3, 4])],
    );
    check(
      (x) => F.sigmoid(x),
      () => [randn64([5])],
    );
    check(
      (x) => F.tanh(x),
      () => [randn64([5])],
    );
    check(
      (x) => F.relu(x),
      () => [awayFromZero([5])],
    );
  });
  it('interpolate bilinear (alignCorners false and true, size and scaleFactor)', () => {
    check(
      (x) => F.interpolate(x, { size: [5, 7], mode: 'bilinear' }),
      () => [randn64([1, 2, 3, 4])],
    );
    check(
      (x) => F.interpolate(x, { size: [5, 7], mode: 'bilinear', alignCorners: true }),
      () => [randn64([1, 2, 3, 4])],
    );
    check(
      (x) => F.interpolate(x, { scaleFactor: 2, mode: 'bilinear' }),
      () => [randn64([2, 1, 3, 3])],
    );
    check(
      (x) => F.interpolate(x, { size: [2, 3], mode: 'bilinear' }),
      () => [randn64([1, 1, 5, 5])],
    );
  });
});

describe('losses', () => {
  const target = () => torch.tensor([1, 0, 4, 2]);
  const probs = () => F.softmax(randn64([4, 5]), 1);
  it('crossEntropy with class indices: mean, sum, none, class weights, ignoreIndex', () => {
    check(
      (x) => F.crossEntropy(x, target()),
      () => [randn64([4, 5])],
    );
    check(
      (x) => F.crossEntropy(x, target(), { reduction: 'sum' }),
      () => [randn64([4, 5])],
    );
    check(
      (x) => F.crossEntropy(x, target(), { reduction: 'none' }),
      () => [randn64([4, 5])],
    );
    check(
      (x, w) => F.crossEntropy(x, target(), { weight: w }),
      () => [randn64([4, 5]), uniform64([5], 0.5, 2)],
      { wrt: [0] },
    );
    check(
      (x) => F.crossEntropy(x, torch.tensor([1, -100, 4, -100])),
      () => [randn64([4, 5])],
    );
  });
  it('crossEntropy with probability targets: gradient w.r.t. logits AND w.r.t. the soft target', () => {
    check(
      (x, t) => F.crossEntropy(x, t),
      () => [randn64([4, 5]), probs()],
    );
    check(
      (x, t) => F.crossEntropy(x, t, { reduction: 'sum' }),
      () => [randn64([4, 5]), probs()],
    );
  });
  it('crossEntropy soft-target gradient w.r.t. the target is −logSoftmax(x)/N', () => {
    torch.tidy(() => {
      const x = randn64([4, 5]);
      const t = probs().requiresGrad_();
      F.crossEntropy(x, t).backward();
      const want = F.logSoftmax(x, 1).div(-4).toArray() as Float64Array;
      const got = t.grad!.toArray() as Float64Array;
      for (let k = 0; k < want.length; k++) expect(got[k]).toBeCloseTo(want[k], 12);
    });
  });
  it('crossEntropy with labelSmoothing (indices and probabilities)', () => {
    check(
      (x) => F.crossEntropy(x, target(), { labelSmoothing: 0.1 }),
      () => [randn64([4, 5])],
    );
    check(
      (x, t) => F.crossEntropy(x, t, { labelSmoothing: 0.2 }),
      () => [randn64([4, 5]), probs()],
    );
  });
  it('nllLoss (on raw and on log-softmax inputs)', () => {
    check(
      (x) => F.nllLoss(x, target()),
      () => [randn64([4, 5])],
    );
    check(
      (x) => F.nllLoss(F.logSoftmax(x, 1), target(), { reduction: 'sum' }),
      () => [randn64([4, 5])],
    );
  });
  it('mseLoss: both arguments; mean, sum, none', () => {
    check(
      (x, y) => F.mseLoss(x, y),
      () => [randn64([3, 4]), randn64([3, 4])],
    );
    check(
      (x, y) => F.mseLoss(x, y, { reduction: 'sum' }),
      () => [randn64([3, 4]), randn64([3, 4])],
    );
    check(
      (x, y) => F.mseLoss(x, y, { reduction: 'none' }),
      () => [randn64([3, 4]), randn64([3, 4])],
    );
  });
  it('binaryCrossEntropy: input and target, with weight', () => {
    check(
      (p, t) => F.binaryCrossEntropy(p, t),
      () => [uniform64([3, 4], 0.1, 0.9), uniform64([3, 4], 0, 1)],
    );
    check(
      (p, t, w) => F.binaryCrossEntropy(p, t, { weight: w, reduction: 'sum' }),
      () => [uniform64([3, 4], 0.1, 0.9), uniform64([3, 4], 0, 1), uniform64([4], 0.5, 2)],
      {
        wrt: [0, 1],
      },
    );
  });
  it('binaryCrossEntropyWithLogits: input and target, weight and posWeight', () => {
    check(
      (x, t) => F.binaryCrossEntropyWithLogits(x, t),
      () => [randn64([3, 4]), uniform64([3, 4], 0, 1)],
    );
    check(
      (x, t, w, pw) => F.binaryCrossEntropyWithLogits(x, t, { weight: w, posWeight: pw, reduction: 'none' }),
      () => [randn64([3, 4]), uniform64([3, 4], 0, 1), uniform64([4], 0.5, 2), uniform64([4], 0.5, 3)],
      { wrt: [0, 1] }, // LibTorch: not differentiable w.r.t. weight / posWeight
    );
  });
  it('klDiv: input and target, batchmean, logTarget', () => {
    const logp = () => F.logSoftmax(randn64([3, 4]), 1);
    check(
      (x, t) => F.klDiv(x, t),
      () => [logp(), uniform64([3, 4], 0.05, 1)],
    );
    check(
      (x, t) => F.klDiv(x, t, { reduction: 'batchmean' }),
      () => [logp(), F.softmax(randn64([3, 4]), 1)],
    );
    check(
      (x, t) => F.klDiv(x, t, { reduction: 'sum', logTarget: true }),
      () => [logp(), logp()],
    );
  });
});

describe('Gamma / Beta rsample (reparameterised)', () => {
  it('Gamma rsample has a finite, non-zero gradient w.r.t. the concentration, ≈ dE[X]/dα = 1 on average', () => {
    torch.tidy(() => {
      torch.manualSeed(7);
      const alpha = torch.full([], 2.0, { dtype: 'float64' }).requiresGrad_();
      const x = new torch.distributions.Gamma(alpha).rsample([20000]);
      expect(x.shape).toEqual([20000]);
      x.mean().backward();
      const g = alpha.grad!.item() as number;
      expect(Number.isFinite(g)).toBe(true);
      expect(g).not.toBe(0);
      expect(g).toBeGreaterThan(0.9); // d/dα E[Gamma(α, 1)] = 1
      expect(g).toBeLessThan(1.1);
    });
  });
  it('Gamma rsample gradient w.r.t. the rate ≈ dE[X]/dβ = −α/β²', () => {
    torch.tidy(() => {
      torch.manualSeed(8);
      const rate = torch.full([], 2.0, { dtype: 'float64' }).requiresGrad_();
      new torch.distributions.Gamma(torch.full([], 3.0, { dtype: 'float64' }), rate).rsample([20000]).mean().backward();
      const g = rate.grad!.item() as number;
      expect(g).toBeGreaterThan(-0.75 * 1.1);
      expect(g).toBeLessThan(-0.75 * 0.9);
    });
  });
  it('per-element Gamma rsample gradients are finite, positive (samples grow with α)', () => {
    torch.tidy(() => {
      torch.manualSeed(9);
      const alpha = torch.tensor(new Float64Array([0.5, 1, 2, 5])).requiresGrad_();
      new torch.distributions.Gamma(alpha).rsample([50]).sum().backward();
      const g = alpha.grad!.toArray() as Float64Array;
      for (const v of g) {
        expect(Number.isFinite(v)).toBe(true);
        expect(v).toBeGreaterThan(0);
      }
    });
  });
  it('Beta rsample gradient w.r.t. concentration1 ≈ b/(a+b)²', () => {
    torch.tidy(() => {
      torch.manualSeed(10);
      const a = torch.full([], 2.0, { dtype: 'float64' }).requiresGrad_();
      const b = torch.full([], 3.0, { dtype: 'float64' }).requiresGrad_();
      const x = new torch.distributions.Beta(a, b).rsample([20000]);
      const m = x.mean();
      expect(m.item() as number).toBeCloseTo(0.4, 1);
      m.backward();
      const ga = a.grad!.item() as number,
        gb = b.grad!.item() as number;
      expect(Number.isFinite(ga) && Number.isFinite(gb)).toBe(true);
      expect(ga).toBeGreaterThan(0.12 * 0.85); // 3/25
      expect(ga).toBeLessThan(0.12 * 1.15);
      expect(gb).toBeLessThan(-0.08 * 0.85); // −2/25
      expect(gb).toBeGreaterThan(-0.08 * 1.15);
    });
  });
});

describe('torch.autograd.grad', () => {
  it('returns the gradient without touching .grad', () => {
    torch.tidy(() => {
      const x = torch.tensor(new Float64Array([1, 2, 3])).requiresGrad_();
      const [g] = torch.autograd.grad(x.mul(x).sum(), x);
      expect(numbers(g!)).toEqual([2, 4, 6]);
      expect(x.grad).toBeNull();
    });
  });
  it('several inputs and gradOutputs', () => {
    torch.tidy(() => {
      const x = torch.tensor(new Float64Array([1, 2])).requiresGrad_();
      const y = torch.tensor(new Float64Array([3, 4])).requiresGrad_();
      const out = x.mul(y);
      const [gx, gy] = torch.autograd.grad(out, [x, y], { gradOutputs: [torch.tensor(new Float64Array([1, 10]))] });
      expect(numbers(gx!)).toEqual([3, 40]);
      expect(numbers(gy!)).toEqual([1, 20]);
    });
  });
  it('allowUnused returns null for an unused input; without it, an error', () => {
    torch.tidy(() => {
      const x = torch.ones([2], { dtype: 'float64' }).requiresGrad_();
      const unused = torch.ones([2], { dtype: 'float64' }).requiresGrad_();
      const y = x.mul(3).sum();
      const [gx, gu] = torch.autograd.grad(y, [x, unused], { allowUnused: true, retainGraph: true });
      expect(numbers(gx!)).toEqual([3, 3]);
      expect(gu).toBeNull();
      expect(() => torch.autograd.grad(y, [x, unused])).toThrow(torch.TorchError);
    });
  });
  it('createGraph gives a differentiable gradient: d²/dx² x³ = 6x', () => {
    torch.tidy(() => {
      const x = torch.tensor(new Float64Array([-1.5, 0.5, 2])).requiresGrad_();
      const [g1] = torch.autograd.grad(x.pow(3).sum(), x, { createGraph: true });
      expect(g1!.requiresGrad).toBe(true);
      expect(numbers(g1!)).toEqual([3 * 2.25, 3 * 0.25, 3 * 4]);
      const [g2] = torch.autograd.grad(g1!.sum(), x);
      expect(numbers(g2!)).toEqual([-9, 3, 12]);
    });
  });
  it('createGraph through backward(): second derivative via .grad', () => {
    torch.tidy(() => {
      const x = torch.tensor(new Float64Array([1, 2])).requiresGrad_();
      x.pow(3).sum().backward({ createGraph: true });
      const g = x.grad!;
      const [g2] = torch.autograd.grad(g.sum(), x);
      expect(numbers(g2!)).toEqual([6, 12]);
      x.grad = null; // break the parameter ↔ gradient reference cycle createGraph makes
    });
  });
  it('without createGraph the gradient is not differentiable', () => {
    torch.tidy(() => {
      const x = torch.tensor(new Float64Array([1, 2])).requiresGrad_();
      const [g] = torch.autograd.grad(x.pow(3).sum(), x);
      expect(g!.requiresGrad).toBe(false);
    });
  });
});
